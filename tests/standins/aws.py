"""moto in server mode on 127.0.0.1, extended with what moto lacks, plus fault injection.

`StandInServer` is a `moto.server.ThreadedMotoServer` whose WSGI app is wrapped by `StandIn`:
boto3 talks real HTTP to 127.0.0.1; every request goes to moto unless it is one of the actions
moto does not implement, which the stand-in answers in the real API shape (botocore parses
them with the services' own models):

- rds `SwitchoverGlobalCluster`, `FailoverGlobalCluster` and `DescribeGlobalClusters` (moto's
  model of the global cluster, plus `FailoverState` and `SynchronizationStatus`, progressing
  over ``steps`` describe calls before the writer moves);
- elasticache `DescribeGlobalReplicationGroups`, `FailoverGlobalReplicationGroup`;
- route53 `GetHealthCheckStatus` for health checks given observations (moto's is always healthy);
- backup `ListRecoveryPointsByBackupVault` (moto has no recovery points);
- fis `ListExperiments`, `GetExperiment` with a seeded history (moto's start in the present).

Tests seed and control it with plain methods (same process) and inject faults:
``server.fault("rds", "DescribeGlobalClusters", status=400, code="Throttling", count=2)``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ACCOUNT = "123456789012"
RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"
EC_NS = "http://elasticache.amazonaws.com/doc/2015-02-02/"
_SCOPE = re.compile(r"Credential=[^/]+/\d+/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@dataclass
class Fault:
    service: str
    action: str  # query action name, or a regex on "METHOD /path" for REST services
    status: int
    code: str
    count: int


@dataclass
class PendingMove:
    to_arn: str
    from_arn: str
    kind: str  # switchover | failover
    polls: int = 0


@dataclass
class StandInState:
    steps: int = 3
    faults: list[Fault] = field(default_factory=list)
    moves: dict[str, PendingMove] = field(default_factory=dict)
    datastores: dict[str, dict[str, Any]] = field(default_factory=dict)
    health: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    recovery_points: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    experiments: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    #: faults armed when a call happens: ((service, action), fault)
    armed: list[tuple[tuple[str, str], Fault]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _xml(value: Any, name: str, member: str = "member") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f"<{name}>{'true' if value else 'false'}</{name}>"
    if isinstance(value, dict):
        return f"<{name}>" + "".join(_xml(v, k) for k, v in value.items()) + f"</{name}>"
    if isinstance(value, list):
        return f"<{name}>" + "".join(_xml(v, member) for v in value) + f"</{name}>"
    return f"<{name}>{escape(str(value))}</{name}>"


def _query_response(action: str, ns: str, result: str) -> Response:
    body = (f'<{action}Response xmlns="{ns}"><{action}Result>{result}</{action}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>")
    return Response(body, 200, content_type="text/xml")


def _query_error(status: int, code: str, message: str, ns: str = RDS_NS) -> Response:
    body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>{"Sender" if status < 500 else "Receiver"}</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
    return Response(body, status, content_type="text/xml")


def _json_error(status: int, code: str, message: str) -> Response:
    return Response(json.dumps({"message": message, "Message": message}), status,
                    headers={"x-amzn-ErrorType": code}, content_type="application/json")


class StandIn:
    def __init__(self, app: Callable[..., Any], state: StandInState) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        body = request.get_data(cache=True)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        m = _SCOPE.search(request.headers.get("Authorization", ""))
        region, service = (m.group(1), m.group(2)) if m else ("us-east-1", "")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()} \
            if request.mimetype == "application/x-www-form-urlencoded" else {}
        action = form.get("Action") or f"{request.method} {request.path}"
        with self.state.lock:
            self.state.calls.append((service, action))
            response = self._fault(service, action, bool(form)) or self._handle(service, region, action, form, request)
            for trigger, fault in list(self.state.armed):
                if trigger == (service, action):
                    self.state.armed.remove((trigger, fault))
                    self.state.faults.append(fault)
        if response is None:
            return self.app(environ, start_response)
        return response(environ, start_response)

    # --- faults -------------------------------------------------------------------------------
    def _fault(self, service: str, action: str, query: bool) -> Response | None:
        for f in self.state.faults:
            if f.count > 0 and f.service == service and (f.action == action or re.fullmatch(f.action, action)):
                f.count -= 1
                msg = "Rate exceeded" if f.status < 500 else "stand-in injected server error"
                ns = EC_NS if service == "elasticache" else RDS_NS
                if service == "route53":
                    ns = "https://route53.amazonaws.com/doc/2013-04-01/"
                return _query_error(f.status, f.code, msg, ns) if query or service == "route53" else \
                    _json_error(f.status, f.code, msg)
        return None

    # --- routing -------------------------------------------------------------------------------
    def _handle(self, service: str, region: str, action: str, form: dict[str, str],
                request: Request) -> Response | None:
        if service == "rds" and action in ("DescribeGlobalClusters", "SwitchoverGlobalCluster",
                                           "FailoverGlobalCluster"):
            return self._rds(action, form)
        if service == "elasticache" and action in ("DescribeGlobalReplicationGroups",
                                                   "FailoverGlobalReplicationGroup"):
            return self._elasticache(action, form)
        if service == "route53":
            hc = re.fullmatch(r"GET /2013-04-01/healthcheck/([^/]+)/status", action)
            if hc and hc.group(1) in self.state.health:
                return self._health(hc.group(1))
        if service == "backup":
            rp = re.fullmatch(r"GET /backup-vaults/([^/]+)/recovery-points/?", action)
            if rp:
                return self._recovery_points(region, rp.group(1), request)
        if service == "fis":
            if action == "GET /experiments":
                return self._list_experiments(request)
            got = re.fullmatch(r"GET /experiments/([^/]+)", action)
            if got:
                exp = self.state.experiments.get(got.group(1))
                if exp is None:
                    return _json_error(404, "ResourceNotFoundException", f"experiment {got.group(1)} not found")
                return Response(json.dumps({"experiment": exp}), 200, content_type="application/json")
        return None

    # --- rds: global cluster switchover / failover --------------------------------------------
    @staticmethod
    def _global(identifier: str) -> Any:
        from moto.rds.models import rds_backends

        for backend in rds_backends[ACCOUNT].values():
            g = backend.global_clusters.get(identifier)
            if g is not None:
                return g
        return None

    def _render_global(self, g: Any) -> str:
        move = self.state.moves.get(g.global_cluster_identifier)
        members = []
        for c in g.members:
            members.append({
                "DBClusterArn": c.db_cluster_arn,
                "Readers": [r.db_cluster_arn for r in g.members if not r.is_writer] if c.is_writer else [],
                "IsWriter": bool(c.is_writer),
                "GlobalWriteForwardingStatus": "disabled",
                "SynchronizationStatus": "connected" if move is None or move.kind == "switchover" else "pending-resync",
            })
        status = "available"
        failover: dict[str, Any] | None = None
        if move is not None:
            status = "switching-over" if move.kind == "switchover" else "failing-over"
            failover = {"Status": "pending" if move.polls == 0 else status, "FromDbClusterArn": move.from_arn,
                        "ToDbClusterArn": move.to_arn, "IsDataLossAllowed": move.kind == "failover"}
        doc: dict[str, Any] = {
            "GlobalClusterIdentifier": g.global_cluster_identifier, "GlobalClusterResourceId":
                g.global_cluster_resource_id, "GlobalClusterArn": g.global_cluster_arn, "Status": status,
            "Engine": g.engine, "EngineVersion": g.engine_version, "StorageEncrypted": bool(g.storage_encrypted),
            "DeletionProtection": bool(g.deletion_protection), "Endpoint": g.endpoint,
        }
        xml = "".join(_xml(v, k) for k, v in doc.items())
        xml += "<GlobalClusterMembers>" + "".join(
            "<GlobalClusterMember>" + "".join(_xml(v, k) for k, v in m.items()) + "</GlobalClusterMember>"
            for m in members) + "</GlobalClusterMembers>"
        if failover:
            xml += _xml(failover, "FailoverState")
        return xml

    def _advance(self, g: Any) -> None:
        move = self.state.moves.get(g.global_cluster_identifier)
        if move is None:
            return
        move.polls += 1
        if move.polls >= self.state.steps:
            for c in g.members:
                c.is_writer = c.db_cluster_arn == move.to_arn
            del self.state.moves[g.global_cluster_identifier]

    def _rds(self, action: str, form: dict[str, str]) -> Response:
        ident = form.get("GlobalClusterIdentifier", "")
        if action == "DescribeGlobalClusters":
            gs = [self._global(ident)] if ident else []
            if ident and gs[0] is None:
                return _query_error(404, "GlobalClusterNotFoundFault", f"Global cluster {ident} not found")
            for g in gs:
                self._advance(g)
            return _query_response(action, RDS_NS, "<GlobalClusters>" + "".join(
                f"<GlobalClusterMember>{self._render_global(g)}</GlobalClusterMember>" for g in gs)
                + "</GlobalClusters>")
        g = self._global(ident)
        if g is None:
            return _query_error(404, "GlobalClusterNotFoundFault", f"Global cluster {ident} not found")
        target = form.get("TargetDbClusterIdentifier", "")
        member = next((c for c in g.members if c.db_cluster_arn == target), None)
        if member is None:
            return _query_error(404, "DBClusterNotFoundFault", f"{target} is not a member of {ident}")
        if ident in self.state.moves:
            return _query_error(400, "InvalidGlobalClusterStateFault", f"{ident} is already being failed over")
        if member.is_writer:
            return _query_error(400, "InvalidParameterValue", f"{target} is already the primary cluster")
        kind = "switchover" if action == "SwitchoverGlobalCluster" else "failover"
        if kind == "failover" and form.get("AllowDataLoss") != "true" and form.get("Switchover") != "true":
            return _query_error(400, "InvalidParameterCombination", "AllowDataLoss or Switchover is required")
        writer = next(c for c in g.members if c.is_writer)
        self.state.moves[ident] = PendingMove(to_arn=target, from_arn=writer.db_cluster_arn, kind=kind)
        return _query_response(action, RDS_NS, f"<GlobalCluster>{self._render_global(g)}</GlobalCluster>")

    # --- elasticache global datastore ----------------------------------------------------------
    def _render_datastore(self, d: dict[str, Any]) -> str:
        members = "".join(
            "<GlobalReplicationGroupMember>" + "".join(_xml(v, k) for k, v in m.items())
            + "</GlobalReplicationGroupMember>" for m in d["Members"])
        head = {k: v for k, v in d.items() if k not in ("Members", "_pending")}
        return "".join(_xml(v, k) for k, v in head.items()) + f"<Members>{members}</Members>"

    def _elasticache(self, action: str, form: dict[str, str]) -> Response:
        ident = form.get("GlobalReplicationGroupId", "")
        d = self.state.datastores.get(ident)
        if d is None:
            return _query_error(404, "GlobalReplicationGroupNotFoundFault", f"{ident} not found", EC_NS)
        if action == "DescribeGlobalReplicationGroups":
            pending = d.get("_pending")
            if pending is not None:
                pending["polls"] += 1
                if pending["polls"] >= self.state.steps:
                    for m in d["Members"]:
                        m["Role"] = "PRIMARY" if m["ReplicationGroupRegion"] == pending["region"] else "SECONDARY"
                        m["Status"] = "associated"
                    d["Status"] = "available"
                    d.pop("_pending")
            return _query_response(action, EC_NS, "<GlobalReplicationGroups><GlobalReplicationGroup>"
                                   + self._render_datastore(d) + "</GlobalReplicationGroup></GlobalReplicationGroups>")
        region, rg = form.get("PrimaryRegion", ""), form.get("PrimaryReplicationGroupId", "")
        member = next((m for m in d["Members"] if m["ReplicationGroupRegion"] == region
                       and m["ReplicationGroupId"] == rg), None)
        if member is None:
            return _query_error(400, "InvalidParameterValue", f"{rg} in {region} is not a member of {ident}", EC_NS)
        if d["Status"] != "available":
            return _query_error(400, "InvalidGlobalReplicationGroupState", f"{ident} is {d['Status']}", EC_NS)
        d["Status"] = "modifying"
        for m in d["Members"]:
            m["Status"] = "associating"
        d["_pending"] = {"region": region, "polls": 0}
        return _query_response(action, EC_NS, "<GlobalReplicationGroup>" + self._render_datastore(d)
                               + "</GlobalReplicationGroup>")

    # --- route53 health-check status -----------------------------------------------------------
    def _health(self, hc: str) -> Response:
        obs = "".join(
            f"<HealthCheckObservation><Region>{r}</Region><IPAddress>198.51.100.{i}</IPAddress><StatusReport>"
            f"<Status>{'Success: HTTP Status Code 200, OK' if ok else 'Failure: Connection timed out.'}</Status>"
            f"<CheckedTime>{_iso(datetime.now(timezone.utc))}</CheckedTime></StatusReport></HealthCheckObservation>"
            for i, (r, ok) in enumerate(self.state.health[hc], 1))
        body = ('<?xml version="1.0"?><GetHealthCheckStatusResponse xmlns="https://route53.amazonaws.com/doc/'
                f'2013-04-01/"><HealthCheckObservations>{obs}</HealthCheckObservations></GetHealthCheckStatusResponse>')
        return Response(body, 200, content_type="text/xml")

    # --- backup recovery points ------------------------------------------------------------------
    def _recovery_points(self, region: str, vault: str, request: Request) -> Response:
        points = self.state.recovery_points.get((region, vault))
        if points is None:
            return _json_error(404, "ResourceNotFoundException", f"Backup vault {vault} not found in {region}")
        by = request.args.get("resourceArn")
        chosen = [p for p in points if by is None or p["ResourceArn"] == by]
        start = int(request.args.get("nextToken") or 0)
        size = int(request.args.get("maxResults") or 1000)
        page = chosen[start:start + size]
        doc: dict[str, Any] = {"RecoveryPoints": page}
        if start + size < len(chosen):
            doc["NextToken"] = str(start + size)
        return Response(json.dumps(doc, default=lambda t: t.timestamp()), 200, content_type="application/json")

    # --- fis experiment history ------------------------------------------------------------------
    def _list_experiments(self, request: Request) -> Response:
        template = request.args.get("experimentTemplateId")
        items = [e for e in self.state.experiments.values() if template in (None, e["experimentTemplateId"])]
        start = int(request.args.get("nextToken") or 0)
        size = int(request.args.get("maxResults") or 100)
        summaries = [{k: e[k] for k in ("id", "arn", "experimentTemplateId", "state", "creationTime", "tags")}
                     for e in items[start:start + size]]
        doc: dict[str, Any] = {"experiments": summaries}
        if start + size < len(items):
            doc["nextToken"] = str(start + size)
        return Response(json.dumps(doc), 200, content_type="application/json")


class StandInServer(ThreadedMotoServer):
    """`ThreadedMotoServer` on 127.0.0.1 with the stand-in in front of moto's app."""

    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.state = StandInState()

    def _server_entry(self) -> None:
        app = StandIn(DomainDispatcherApplication(create_backend_app), self.state)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def reset(self) -> None:
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10).read()
        with self.state.lock:
            steps = self.state.steps
            self.state.__init__()  # type: ignore[misc]
            self.state.steps = steps

    # --- control (tests) -----------------------------------------------------------------------
    def fault(self, service: str, action: str, *, status: int = 400, code: str = "Throttling", count: int = 1) -> None:
        with self.state.lock:
            self.state.faults.append(Fault(service, action, status, code, count))

    def fault_after(self, trigger: tuple[str, str], service: str, action: str, *, status: int = 500,
                    code: str = "InternalFailure", count: int = 1) -> None:
        """Arm a fault once ``trigger`` (service, action) has been called."""
        with self.state.lock:
            self.state.armed.append((trigger, Fault(service, action, status, code, count)))

    def datastore(self, identifier: str, members: Iterable[tuple[str, str, str]]) -> None:
        """``members``: (replication group id, region, PRIMARY|SECONDARY)."""
        with self.state.lock:
            self.state.datastores[identifier] = {
                "GlobalReplicationGroupId": identifier, "Status": "available", "Engine": "valkey",
                "Members": [{"ReplicationGroupId": rg, "ReplicationGroupRegion": region, "Role": role,
                             "AutomaticFailover": "enabled", "Status": "associated"} for rg, region, role in members]}

    def health(self, health_check_id: str, observations: Iterable[tuple[str, bool]]) -> None:
        with self.state.lock:
            self.state.health[health_check_id] = list(observations)

    def recovery_point(self, region: str, vault: str, resource_arn: str, created: datetime, *,
                       continuous: bool = True, status: str = "COMPLETED") -> str:
        kind = "continuous:" if continuous else ""
        arn = f"arn:aws:backup:{region}:{ACCOUNT}:recovery-point:{kind}{uuid.uuid4().hex[:12]}"
        with self.state.lock:
            self.state.recovery_points.setdefault((region, vault), []).append({
                "RecoveryPointArn": arn, "BackupVaultName": vault, "ResourceArn": resource_arn,
                "ResourceType": "Aurora", "Status": status, "CreationDate": created})
        return arn

    def vault(self, region: str, vault: str) -> None:
        with self.state.lock:
            self.state.recovery_points.setdefault((region, vault), [])

    def experiment(self, region: str, template_id: str, status: str, created: datetime, *, reason: str = "",
                   ended: datetime | None = None) -> str:
        ident = "EXP" + uuid.uuid4().hex[:14].upper()
        exp = {"id": ident, "arn": f"arn:aws:fis:{region}:{ACCOUNT}:experiment/{ident}",
               "experimentTemplateId": template_id, "state": {"status": status, "reason": reason},
               "creationTime": created.timestamp(), "startTime": created.timestamp(),
               "roleArn": f"arn:aws:iam::{ACCOUNT}:role/azora-fis", "tags": {}}
        if ended is not None:
            exp["endTime"] = ended.timestamp()
        with self.state.lock:
            self.state.experiments[ident] = exp
        return ident
