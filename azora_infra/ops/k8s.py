"""A minimal Kubernetes API client: HTTPS with a bearer token, from a kubeconfig.

The credentials are those kubectl would use for the context: a ``token``, a ``tokenFile``, or an
``exec`` plugin (e.g. ``aws eks get-token``) run as kubectl runs it, reading the
``ExecCredential``'s ``status.token``. The server certificate is checked against the cluster's
``certificate-authority-data`` (or ``certificate-authority`` file).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml


class KubeError(Exception):
    """The API refused a request or could not be reached (one line, with the API's own message)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Kube:
    server: str
    token: str = field(repr=False)
    ca_data: str | None = None
    timeout_seconds: float = 30.0

    @classmethod
    def from_kubeconfig(cls, path: Path, context: str | None = None) -> Kube:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            raise KubeError(f"{path}: cannot read kubeconfig ({err})") from None
        name = context or doc.get("current-context")
        ctx = next((c.get("context", {}) for c in doc.get("contexts") or [] if c.get("name") == name), None)
        if ctx is None:
            raise KubeError(f"{path}: no context {name!r}")
        cluster = next((c.get("cluster", {}) for c in doc.get("clusters") or [] if c.get("name") == ctx.get("cluster")),
                       None)
        user = next((u.get("user", {}) for u in doc.get("users") or [] if u.get("name") == ctx.get("user")), None)
        if not cluster or not cluster.get("server") or user is None:
            raise KubeError(f"{path}: context {name!r} names no cluster server or user")
        ca = None
        if cluster.get("certificate-authority-data"):
            ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
        elif cluster.get("certificate-authority"):
            ca = (path.parent / cluster["certificate-authority"]).read_text(encoding="utf-8")
        return cls(server=str(cluster["server"]), token=_token(user, path), ca_data=ca)

    def _connection(self) -> http.client.HTTPSConnection:
        url = urlsplit(self.server)
        if url.scheme != "https":
            raise KubeError(f"{self.server}: the API server must be https")
        ctx = ssl.create_default_context(cadata=self.ca_data) if self.ca_data else ssl.create_default_context()
        return http.client.HTTPSConnection(url.hostname or "", url.port or 443, context=ctx,
                                           timeout=self.timeout_seconds)

    def request(self, method: str, path: str, body: Any = None, raw: bool = False) -> Any:
        conn = self._connection()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
        except (OSError, ssl.SSLError, http.client.HTTPException) as err:
            raise KubeError(f"{self.server}: {err}") from None
        finally:
            conn.close()
        if resp.status >= 400:
            try:
                message = json.loads(payload).get("message") or payload.decode()[:200]
            except (ValueError, AttributeError):
                message = payload.decode("utf-8", "replace")[:200]
            raise KubeError(f"{method} {path}: {resp.status} {message}", resp.status)
        if raw:
            return payload.decode("utf-8", "replace")
        return json.loads(payload) if payload else None


def _token(user: dict[str, Any], path: Path) -> str:
    if user.get("token"):
        return str(user["token"])
    if user.get("tokenFile"):
        return Path(user["tokenFile"]).read_text(encoding="utf-8").strip()
    ex = user.get("exec")
    if ex:
        env = {**os.environ, **{e["name"]: e["value"] for e in ex.get("env") or []}}
        try:
            out = subprocess.run([ex["command"], *(ex.get("args") or [])], capture_output=True, text=True,
                                 timeout=60, env=env, check=True)
            return str(json.loads(out.stdout)["status"]["token"])
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as err:
            raise KubeError(f"{path}: the exec credential plugin {ex.get('command')!r} failed ({err})") from None
    raise KubeError(f"{path}: the user has no token, tokenFile or exec credential plugin")
