"""A small Kubernetes API stand-in on 127.0.0.1 over TLS (certificate for ``localhost`` from the test
CA), with bearer-token auth: creates and serves k6 `TestRun` objects (`k6.io/v1alpha1`), advances
their ``status.stage`` over GETs as the k6-operator does (initialization -> created -> started ->
finished), and serves the runner pods (labels ``k6_cr=<name>``, ``runner=true``) and their logs."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.standins.postgres import LocalCa

STAGES = ("initialization", "created", "started", "finished")


class KubeStandIn:
    def __init__(self, ca: LocalCa, token: str, runner_log: Callable[[str, int], str]) -> None:
        self.token = token
        self.runner_log = runner_log
        self.testruns: dict[tuple[str, str], dict[str, Any]] = {}
        self.polls: dict[tuple[str, str], int] = {}
        self.requests: list[tuple[str, str]] = []
        self.final_stage = "finished"
        self.crds_installed = True
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, ssl_context=ca.context_for("localhost"))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://localhost:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._handle(Request(environ))(environ, start_response)

    @staticmethod
    def _status(code: int, message: str) -> Response:
        return Response(json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                                    "code": code}), code, content_type="application/json")

    def _handle(self, req: Request) -> Response:
        self.requests.append((req.method, req.full_path))
        if req.headers.get("Authorization") != f"Bearer {self.token}":
            return self._status(401, "Unauthorized")
        parts = req.path.strip("/").split("/")
        if parts[:3] == ["apis", "k6.io", "v1alpha1"] and len(parts) >= 6 and parts[5] == "testruns":
            if not self.crds_installed:
                return self._status(404, "the server could not find the requested resource")
            ns = parts[4]
            if req.method == "POST" and len(parts) == 6:
                doc = req.get_json()
                key = (ns, doc["metadata"]["name"])
                if key in self.testruns:
                    return self._status(409, f'testruns.k6.io "{key[1]}" already exists')
                if doc.get("kind") != "TestRun" or "parallelism" not in doc.get("spec", {}):
                    return self._status(422, "TestRun.k6.io is invalid: spec.parallelism: Required value")
                doc["status"] = {}
                self.testruns[key] = doc
                return Response(json.dumps(doc), 201, content_type="application/json")
            if req.method == "GET" and len(parts) == 7:
                key = (ns, parts[6])
                if key not in self.testruns:
                    return self._status(404, f'testruns.k6.io "{parts[6]}" not found')
                n = self.polls[key] = self.polls.get(key, -1) + 1
                stage = STAGES[min(n, len(STAGES) - 1)]
                if stage == "finished":
                    stage = self.final_stage
                self.testruns[key]["status"] = {"stage": stage}
                return Response(json.dumps(self.testruns[key]), 200, content_type="application/json")
        if parts[:2] == ["api", "v1"] and len(parts) >= 5 and parts[4] == "pods":
            ns = parts[3]
            if len(parts) == 5:
                selector = dict(kv.split("=") for kv in parse_qs(req.query_string.decode())["labelSelector"][0]
                                .split(","))
                name = selector["k6_cr"]
                run = self.testruns.get((ns, name))
                n = int(run["spec"]["parallelism"]) if run else 0
                items = [{"metadata": {"name": f"{name}-{i}-abcde", "labels": {"k6_cr": name, "runner": "true"}}}
                         for i in range(1, n + 1)]
                return Response(json.dumps({"kind": "PodList", "items": items}), 200, content_type="application/json")
            if len(parts) == 7 and parts[6] == "log":
                pod = parts[5]
                index = int(pod.rsplit("-", 2)[-2])
                return Response(self.runner_log(pod, index), 200, content_type="text/plain")
        return self._status(404, f"no route {req.method} {req.path}")
