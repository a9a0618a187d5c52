"""The DR operations: status, switchover/failover of the writer region, point-in-time restore,
and the drill that times them. Each mutating operation is a list of `Step`s (see `steps.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import aurora, backup, cache, health
from .aws import Aws
from .journal import Journal
from .outputs import Environment, OutputsError, StackOutputs
from .steps import Step, elapsed
from .verify import RESTORE_CHECK, WRITER_CHECK, Verifier, VerifyTarget, credentials_from_secret


@dataclass(frozen=True)
class Timeouts:
    """Bounds of every wait (seconds). AWS: a global switchover takes minutes; a restore of a
    large cluster can take an hour."""

    aurora: float = 1800
    cache: float = 1800
    restore: float = 5400
    instance: float = 2700


class DrError(Exception):
    """A precondition does not hold (one line, nothing was changed)."""


# --- status -------------------------------------------------------------------------------------

def status(aws: Aws, env: Environment) -> dict[str, Any]:
    """Global cluster members and lag, cache datastore roles, health checks and the latest recovery
    point per vault, per region. Errors of one part are reported in place, not raised."""
    doc: dict[str, Any] = {"environment": env.name, "regions": {}}
    primary = env.primary
    try:
        g = aurora.describe_global(aws, primary.region, env.global_cluster_identifier)
        doc["globalCluster"] = {"identifier": g.identifier, "status": g.status, "failoverState": g.failover,
                                "writer": g.writer.region if g.writer else None}
        members = {m.region: m for m in g.members}
    except Exception as err:
        doc["globalCluster"] = {"error": _err(err)}
        members = {}
    datastore: cache.DatastoreState | None = None
    if env.cache_global_id:
        try:
            datastore = cache.describe_datastore(aws, primary.region, env.cache_global_id)
            doc["cacheGlobalDatastore"] = {"identifier": datastore.identifier, "status": datastore.status,
                                           "primary": datastore.primary.region if datastore.primary else None}
        except Exception as err:
            doc["cacheGlobalDatastore"] = {"error": _err(err)}
    for name, o in sorted(env.stacks.items()):
        region = o.region
        r: dict[str, Any] = {"stack": name}
        m = members.get(region)
        if m is not None:
            r["aurora"] = {"cluster": m.identifier, "role": "writer" if m.is_writer else "reader",
                           "synchronization": m.sync}
            if not m.is_writer:
                r["aurora"]["replicationLagMs"] = _try(aurora.replication_lag_ms, aws, region, m.identifier)
        if datastore is not None:
            cm = next((c for c in datastore.members if c.region == region), None)
            if cm is not None:
                r["cache"] = {"replicationGroup": cm.replication_group_id, "role": cm.role.lower(),
                              "status": cm.status}
        hc = o.get("healthCheckId")
        if hc:
            r["healthCheck"] = _try(_health, aws, str(hc))
        vault = o.get("backupVaultArn")
        if vault:
            r["latestRecoveryPoint"] = _try(_latest, aws, str(vault))
        doc["regions"][region] = r
    return doc


def _health(aws: Aws, hc: str) -> dict[str, Any]:
    s = health.health_status(aws, hc)
    return {"id": hc, "healthy": s.healthy, "succeeding": s.succeeding, "checkers": s.checkers}


def _latest(aws: Aws, vault: str) -> dict[str, Any] | None:
    rp = backup.latest_recovery_point(aws, vault)
    if rp is None:
        return None
    age = (aws.clock.now() - rp.created).total_seconds()
    return {"vault": backup.vault_name(vault), "arn": rp.arn, "resource": rp.resource_arn,
            "created": rp.created.isoformat(), "ageSeconds": round(age), "continuous": rp.continuous}


def _try(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as err:
        return {"error": _err(err)}


def _err(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def render_status(doc: dict[str, Any]) -> str:
    lines = [f"DR status: environment {doc['environment']}"]
    g = doc.get("globalCluster", {})
    if "error" in g:
        lines.append(f"  Aurora global cluster: ERROR {g['error']}")
    else:
        busy = f", failover in progress: {g['failoverState']}" if g.get("failoverState") else ""
        lines.append(f"  Aurora global cluster {g['identifier']}: {g['status']}, writer in {g['writer']}{busy}")
    c = doc.get("cacheGlobalDatastore")
    if c:
        lines.append(f"  Cache global datastore: ERROR {c['error']}" if "error" in c else
                     f"  Cache global datastore {c['identifier']}: {c['status']}, primary in {c['primary']}")
    for region, r in doc["regions"].items():
        lines.append(f"  {region} (stack {r['stack']}):")
        if "aurora" in r:
            a = r["aurora"]
            lag = a.get("replicationLagMs")
            lag_s = "" if a["role"] == "writer" else (
                f", lag {lag} ms" if isinstance(lag, (int, float)) else
                ", lag: no data" if lag is None else f", lag: ERROR {lag.get('error')}")
            lines.append(f"    aurora {a['cluster']}: {a['role']}, sync {a.get('synchronization') or '?'}{lag_s}")
        if "cache" in r:
            c = r["cache"]
            lines.append(f"    cache {c['replicationGroup']}: {c['role']}, {c['status']}")
        if "healthCheck" in r:
            h = r["healthCheck"]
            lines.append(f"    health check: ERROR {h['error']}" if "error" in h else
                         f"    health check {h['id']}: {'healthy' if h['healthy'] else 'UNHEALTHY'} "
                         f"({h['succeeding']}/{h['checkers']} checkers succeed)")
        if "latestRecoveryPoint" in r:
            rp = r["latestRecoveryPoint"]
            if rp is None:
                lines.append("    latest recovery point: NONE")
            elif "error" in rp:
                lines.append(f"    latest recovery point: ERROR {rp['error']}")
            else:
                kind = "continuous" if rp["continuous"] else "snapshot"
                lines.append(f"    latest recovery point ({rp['vault']}): {rp['created']} ({kind}, "
                             f"{rp['ageSeconds']} s old)")
    return "\n".join(lines) + "\n"


def status_ok(doc: dict[str, Any]) -> bool:
    """No part errored, one writer, every health check healthy, every vault has a recovery point."""
    if "error" in doc.get("globalCluster", {}) or "error" in (doc.get("cacheGlobalDatastore") or {}):
        return False
    for r in doc["regions"].values():
        h = r.get("healthCheck")
        if h is not None and ("error" in h or not h["healthy"]):
            return False
        if "latestRecoveryPoint" in r and (r["latestRecoveryPoint"] is None or "error" in r["latestRecoveryPoint"]):
            return False
    return True


# --- switchover / failover ----------------------------------------------------------------------

@dataclass
class MoveWriter:
    """Moving the writer (Aurora global cluster + cache global datastore) to ``target``."""

    aws: Aws
    env: Environment
    target: StackOutputs
    verifier: Verifier
    planned: bool  # switchover (no data loss) or failover (AllowDataLoss)
    timeouts: Timeouts = Timeouts()
    secret_arn: str | None = None
    prefix: str = ""

    @property
    def target_arn(self) -> str:
        return str(self.target.require("auroraClusterArn"))

    @property
    def region(self) -> str:
        return self.target.region

    def _state(self) -> aurora.GlobalState:
        return aurora.describe_global(self.aws, self.region, self.env.global_cluster_identifier)

    def steps(self) -> list[Step]:
        gid, p, kind = self.env.global_cluster_identifier, self.prefix, "switchover" if self.planned else "failover"
        cache_id = self.env.cache_global_id
        rg = self.target.get("cacheReplicationGroupId")
        back = "the previous writer region"
        steps = [
            Step(f"{p}preflight", f"check {gid} and the target {aurora.cluster_id(self.target_arn)} "
                 f"in {self.region}; record the target's replication lag", self._preflight),
            Step(f"{p}aurora-{kind}", f"{'SwitchoverGlobalCluster' if self.planned else 'FailoverGlobalCluster'} "
                 f"{gid} -> {self.target_arn}{'' if self.planned else ' (AllowDataLoss)'}", self._request,
                 rollback=f"once it settles, `azora-infra dr switchover --env {self.env.name} --to <{back}> --yes` "
                          "(planned, no data loss)"),
            Step(f"{p}aurora-wait", f"wait until {aurora.cluster_id(self.target_arn)} is the writer and "
                 f"{gid} is available (timeout {self.timeouts.aurora:g} s)", self._wait_aurora,
                 rollback="nothing to undo: if it timed out, AWS may still be switching: check "
                          "`azora-infra dr status` before anything else"),
        ]
        if cache_id:
            steps += [
                Step(f"{p}cache-promote", f"FailoverGlobalReplicationGroup {cache_id}: primary -> {rg} in "
                     f"{self.region}", self._promote,
                     rollback=f"promote {back}'s member back: `azora-infra dr switchover --to <{back}> --yes`"),
                Step(f"{p}cache-wait", f"wait until {rg} is primary and every member associated "
                     f"(timeout {self.timeouts.cache:g} s)", self._wait_cache),
            ]
        steps.append(Step(f"{p}verify-writer", f"connect to {self.target.get('auroraClusterEndpoint')} and check "
                          "it accepts writes (NOT pg_is_in_recovery())", self._verify))
        return steps

    def _preflight(self, journal: Journal) -> dict[str, Any]:
        state = self._state()
        target = state.member(self.target_arn)
        if target is None:
            raise DrError(f"{self.target_arn} is not a member of {state.identifier} ({state.summary()})")
        if aurora.settled_with_writer(state, self.target_arn):
            return {"alreadyWriter": True, "lagMs": 0.0, "from": self.target.region}
        writer = state.writer
        if self.planned:
            if state.failover and state.failover.get("ToDbClusterArn") != self.target_arn:
                raise DrError(f"{state.identifier}: another switchover/failover is in progress ({state.failover})")
            if state.status != "available" and not state.failover:
                raise DrError(f"{state.identifier} is {state.status}, not available: a switchover needs a healthy "
                              "global cluster (use `dr failover --allow-data-loss` if the writer region is down)")
            lagging = [m.identifier for m in state.members if m.sync not in (None, "connected")]
            if lagging:
                raise DrError(f"members not in sync: {', '.join(lagging)} (a switchover waits for every member)")
        lag = aurora.replication_lag_ms(self.aws, self.region, target.identifier)
        return {"alreadyWriter": False, "lagMs": lag, "from": writer.region if writer else None,
                "fromArn": writer.arn if writer else None}

    def _request(self, journal: Journal) -> dict[str, Any]:
        state = self._state()
        if aurora.settled_with_writer(state, self.target_arn):
            return {"requested": False, "why": "already the writer"}
        if state.failover:
            if state.failover.get("ToDbClusterArn") == self.target_arn:
                return {"requested": False, "why": f"already {state.failover.get('Status')} to the target"}
            raise DrError(f"{state.identifier}: another switchover/failover is in progress ({state.failover})")
        if self.planned:
            aurora.request_switchover(self.aws, self.region, state.identifier, self.target_arn)
        else:
            aurora.request_failover(self.aws, self.region, state.identifier, self.target_arn)
        return {"requested": True, "requestedAt": self.aws.clock.now().isoformat()}

    def _wait_aurora(self, journal: Journal) -> dict[str, Any]:
        state = self.aws.waiter.until(
            f"{self.env.global_cluster_identifier}: writer -> {aurora.cluster_id(self.target_arn)}", self._state,
            lambda s: aurora.settled_with_writer(s, self.target_arn), self.timeouts.aurora,
            describe=lambda s: s.summary())
        return {"writer": state.writer.arn if state.writer else None}

    def _cache_state(self) -> cache.DatastoreState:
        assert self.env.cache_global_id
        return cache.describe_datastore(self.aws, self.region, self.env.cache_global_id)

    def _promote(self, journal: Journal) -> dict[str, Any]:
        rg = str(self.target.require("cacheReplicationGroupId"))
        state = self._cache_state()
        if state.primary and state.primary.region == self.region:
            return {"requested": False, "why": "already primary"}
        if not any(m.region == self.region for m in state.members):
            raise DrError(f"{state.identifier} has no member in {self.region} ({state.summary()})")
        cache.promote(self.aws, self.region, state.identifier, rg)
        return {"requested": True}

    def _wait_cache(self, journal: Journal) -> dict[str, Any]:
        rg = str(self.target.require("cacheReplicationGroupId"))
        self.aws.waiter.until(f"{self.env.cache_global_id}: primary -> {rg}", self._cache_state,
                              lambda s: cache.promoted(s, self.region, rg), self.timeouts.cache,
                              describe=lambda s: s.summary())
        return {"primary": rg}

    def _verify(self, journal: Journal) -> dict[str, Any]:
        host = str(self.target.require("auroraClusterEndpoint"))
        cluster = aurora.describe_cluster(self.aws, self.region, aurora.cluster_id(self.target_arn)) or {}
        secret = self.secret_arn or self.target.secret_arn("global") or self.env.primary.secret_arn("global")
        if not secret:
            raise DrError("no master secret for the global database in the outputs (databaseSecretArns.global); "
                          "pass --secret-arn")
        creds = credentials_from_secret(self.aws, aurora.arn_region(secret) if secret.startswith("arn:")
                                        else self.region, secret)
        result = self.verifier.verify(VerifyTarget(host=host, port=int(cluster.get("Port") or 5432),
                                                   credentials=creds, query=WRITER_CHECK))
        row = result.first()
        if row.get("writable") is not True:
            raise DrError(f"{host} answers but is not writable (pg_is_in_recovery() is true): not the writer yet")
        return {"host": host, "writable": True}


# --- restore ------------------------------------------------------------------------------------

_NAME = re.compile(r"[^a-z0-9-]")


def parse_time(text: str) -> datetime | None:
    """``latest`` -> None; otherwise an ISO 8601 time with a zone (``Z`` or ``+hh:mm``)."""
    if text == "latest":
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DrError(f"--to-time {text!r}: not an ISO 8601 time (e.g. 2026-03-01T10:15:00Z) or `latest`") from None
    if t.tzinfo is None:
        raise DrError(f"--to-time {text!r}: give a time zone (Z or +hh:mm)")
    return t.astimezone(timezone.utc)


@dataclass
class Restore:
    """Point-in-time restore of the stack's cluster holding ``data_class`` into a new cluster,
    verified by a query, timed."""

    aws: Aws
    stack: StackOutputs
    data_class: str
    to_time: datetime | None
    verifier: Verifier
    requested_at: datetime
    timeouts: Timeouts = Timeouts()
    verify_sql: str = RESTORE_CHECK
    prefix: str = ""
    #: delete the restored cluster at the end (drills)
    cleanup: bool = False

    @property
    def region(self) -> str:
        return self.stack.region

    def new_identifier(self, source_id: str) -> str:
        stamp = (self.to_time or self.requested_at).strftime("%Y%m%d%H%M")
        return _NAME.sub("-", f"{source_id[:44]}-restore-{stamp}".lower())

    def steps(self) -> list[Step]:
        p = self.prefix
        when = self.to_time.isoformat() if self.to_time else "the latest restorable time"
        steps = [
            Step(f"{p}restore-preflight", f"find the {self.data_class} cluster of stack {self.stack.stack} "
                 f"({self.region}) and check {when} is in its restore window", self._preflight),
            Step(f"{p}restore-cluster", f"RestoreDBClusterToPointInTime -> a new cluster at {when}",
                 self._restore, rollback="delete the new cluster: `aws rds delete-db-cluster --db-cluster-identifier "
                 "<new> --skip-final-snapshot` (the source is never touched)"),
            Step(f"{p}restore-wait", f"wait until the new cluster is available (timeout {self.timeouts.restore:g} s)",
                 self._wait_cluster),
            Step(f"{p}restore-instance", "CreateDBInstance in the new cluster (the source writer's class)",
                 self._instance, rollback="`aws rds delete-db-instance --db-instance-identifier <new>-1 "
                 "--skip-final-snapshot`, then delete the cluster"),
            Step(f"{p}restore-instance-wait", f"wait until the instance is available "
                 f"(timeout {self.timeouts.instance:g} s)", self._wait_instance),
            Step(f"{p}restore-verify", "connect to the new cluster's endpoint and query it", self._verify),
        ]
        if self.cleanup:
            steps.append(Step(f"{p}restore-cleanup", "delete the scratch restore (instance, then cluster)",
                              self._cleanup))
        return steps

    def _ids(self, journal: Journal) -> tuple[str, str]:
        d = journal.data(f"{self.prefix}restore-preflight")
        return str(d["source"]), str(d["restored"])

    def _preflight(self, journal: Journal) -> dict[str, Any]:
        candidates = [str(a) for a in (self.stack.get("residentClusterArn"), self.stack.get("auroraClusterArn")) if a]
        if not candidates:
            raise OutputsError(f"{self.stack.source}: no residentClusterArn or auroraClusterArn export")
        found: dict[str, Any] | None = None
        classes = []
        for arn in candidates:
            c = aurora.describe_cluster(self.aws, self.region, aurora.cluster_id(arn))
            if c is None:
                continue
            dc = aurora.tags(c).get("azora:data-class")
            classes.append(f"{aurora.cluster_id(arn)}={dc}")
            if dc == self.data_class:
                found = c
                break
        if found is None:
            raise DrError(f"stack {self.stack.stack}: no cluster tagged azora:data-class={self.data_class} "
                          f"({', '.join(classes) or 'none found'})")
        earliest, latest = found.get("EarliestRestorableTime"), found.get("LatestRestorableTime")
        if self.to_time is not None and (earliest is None or latest is None
                                         or not earliest <= self.to_time <= latest):
            raise DrError(f"{found['DBClusterIdentifier']}: {self.to_time.isoformat()} is outside the restore "
                          f"window {earliest} .. {latest}")
        point = self.to_time or latest
        # what a restore now loses: now - the restore point (>= 0: client and AWS clocks may differ by a little)
        rpo = max(0.0, (self.aws.clock.now() - point).total_seconds()) if point is not None else None
        out: dict[str, Any] = {
            "source": found["DBClusterIdentifier"], "restored": self.new_identifier(found["DBClusterIdentifier"]),
            "engine": found.get("Engine", "aurora-postgresql"), "restorePoint": point.isoformat() if point else None,
            "window": [str(earliest), str(latest)], "dataLossSeconds": round(rpo, 3) if rpo is not None else None,
            "secretKey": "resident" if found.get("DBClusterArn") == self.stack.get("residentClusterArn") else "global",
        }
        vault = self.stack.get("backupVaultArn")
        if vault:
            try:
                rp = backup.latest_recovery_point(self.aws, str(vault), found.get("DBClusterArn"))
                out["recoveryPoint"] = {"arn": rp.arn, "created": rp.created.isoformat(),
                                        "continuous": rp.continuous} if rp else None
            except Exception as err:
                out["recoveryPoint"] = {"error": _err(err)}
        return out

    def _restore(self, journal: Journal) -> dict[str, Any]:
        source_id, new_id = self._ids(journal)
        if aurora.describe_cluster(self.aws, self.region, new_id) is not None:
            return {"requested": False, "why": f"{new_id} exists (a resumed run)"}
        source = aurora.describe_cluster(self.aws, self.region, source_id)
        if source is None:
            raise DrError(f"source cluster {source_id} disappeared")
        aurora.restore_to_time(self.aws, self.region, source, new_id, self.to_time, {
            "azora:restored-from": source_id,
            "azora:restore-point": journal.data(f"{self.prefix}restore-preflight").get("restorePoint") or "latest"})
        return {"requested": True, "cluster": new_id}

    def _wait_cluster(self, journal: Journal) -> dict[str, Any]:
        _, new_id = self._ids(journal)
        c = self.aws.waiter.until(
            f"restored cluster {new_id} available", lambda: aurora.describe_cluster(self.aws, self.region, new_id),
            lambda c: c is not None and c.get("Status") == "available", self.timeouts.restore,
            failed=lambda c: f"{new_id} is gone" if c is None else (
                f"{new_id} is {c.get('Status')}" if c.get("Status") in ("failed", "inaccessible-encryption-credentials")
                else None),
            describe=lambda c: str(c.get("Status")) if c else "missing")
        assert c is not None
        return {"endpoint": c.get("Endpoint"), "port": c.get("Port")}

    def _instance(self, journal: Journal) -> dict[str, Any]:
        source_id, new_id = self._ids(journal)
        inst = f"{new_id}-1"
        if aurora.describe_instance(self.aws, self.region, inst) is not None:
            return {"requested": False, "instance": inst}
        source = aurora.describe_cluster(self.aws, self.region, source_id) or {}
        cls = aurora.writer_instance_class(self.aws, self.region, source)
        aurora.create_instance(self.aws, self.region, new_id, inst, cls,
                               str(journal.data(f"{self.prefix}restore-preflight")["engine"]))
        return {"requested": True, "instance": inst, "class": cls}

    def _wait_instance(self, journal: Journal) -> dict[str, Any]:
        _, new_id = self._ids(journal)
        inst = f"{new_id}-1"
        self.aws.waiter.until(
            f"instance {inst} available", lambda: aurora.describe_instance(self.aws, self.region, inst),
            lambda i: i is not None and i.get("DBInstanceStatus") == "available", self.timeouts.instance,
            failed=lambda i: f"{inst} is gone" if i is None else (
                f"{inst} is {i.get('DBInstanceStatus')}" if i.get("DBInstanceStatus") in ("failed", "incompatible-"
                                                                                          "parameters") else None),
            describe=lambda i: str(i.get("DBInstanceStatus")) if i else "missing")
        return {"instance": inst}

    def _verify(self, journal: Journal) -> dict[str, Any]:
        _, new_id = self._ids(journal)
        c = aurora.describe_cluster(self.aws, self.region, new_id) or {}
        host = c.get("Endpoint")
        if not host:
            raise DrError(f"{new_id} has no endpoint yet")
        key = journal.data(f"{self.prefix}restore-preflight")["secretKey"]
        secret = self.stack.secret_arn(str(key))
        if not secret:
            raise DrError(f"{self.stack.source}: no databaseSecretArns.{key} export (the credentials of the source)")
        creds = credentials_from_secret(self.aws, self.region, secret)
        result = self.verifier.verify(VerifyTarget(host=str(host), port=int(c.get("Port") or 5432),
                                                   credentials=creds, query=self.verify_sql))
        return {"host": host, "result": {k: str(v) for k, v in result.first().items()},
                "credentials": result.credentials}

    def _cleanup(self, journal: Journal) -> dict[str, Any]:
        _, new_id = self._ids(journal)
        aurora.delete_restored(self.aws, self.region, new_id, f"{new_id}-1")
        return {"deleted": new_id}


# --- drill --------------------------------------------------------------------------------------

TARGETS = {"rtoSeconds": 900, "rpoSeconds": 300}


@dataclass
class Drill:
    """The monthly DR test: switchover to ``target`` and back, then a restore of the primary's
    ``data_class`` cluster to the latest restorable time (deleted afterwards), all timed."""

    aws: Aws
    env: Environment
    target: StackOutputs
    data_class: str
    verifier: Verifier
    requested_at: datetime
    timeouts: Timeouts = Timeouts()
    secret_arn: str | None = None

    def parts(self) -> tuple[MoveWriter, MoveWriter, Restore]:
        primary = self.env.primary
        if self.target.stack == primary.stack:
            raise DrError(f"--to {self.target.stack} is the primary: pick a secondary to switch over to")
        there = MoveWriter(self.aws, self.env, self.target, self.verifier, planned=True, timeouts=self.timeouts,
                           secret_arn=self.secret_arn, prefix="switchover-")
        back = MoveWriter(self.aws, self.env, primary, self.verifier, planned=True, timeouts=self.timeouts,
                          secret_arn=self.secret_arn, prefix="switchback-")
        restore = Restore(self.aws, primary, self.data_class, None, self.verifier, self.requested_at,
                          timeouts=self.timeouts, cleanup=True)
        return there, back, restore

    def steps(self) -> list[Step]:
        there, back, restore = self.parts()
        return [*there.steps(), *back.steps(), *restore.steps()]


def move_measures(journal: Journal, prefix: str, kind: str) -> dict[str, Any]:
    pre = journal.data(f"{prefix}preflight")
    lag = pre.get("lagMs")
    return {
        "from": pre.get("from"),
        "rtoSeconds": elapsed(journal, f"{prefix}aurora-{kind}", f"{prefix}verify-writer"),
        "rpoSeconds": round(float(lag) / 1000, 3) if isinstance(lag, (int, float)) else None,
        "rpoBasis": ("none lost: a switchover waits for the secondary to catch up; the figure is the target's "
                     "replication lag before the move (what a failover at that moment would lose)")
        if kind == "switchover" else "the target's last replication lag before the failover (writes lost)",
        "verified": journal.data(f"{prefix}verify-writer").get("writable") is True,
    }


def restore_measures(journal: Journal, prefix: str = "") -> dict[str, Any]:
    pre = journal.data(f"{prefix}restore-preflight")
    verify = journal.data(f"{prefix}restore-verify")
    return {
        "source": pre.get("source"), "cluster": pre.get("restored"), "restorePoint": pre.get("restorePoint"),
        "rtoSeconds": elapsed(journal, f"{prefix}restore-cluster", f"{prefix}restore-verify"),
        "rpoSeconds": pre.get("dataLossSeconds"),
        "rpoBasis": "time of the restore - restore point (with `latest`: the backup's lag behind the database)",
        "verified": bool(verify.get("host")), "query": verify.get("result"),
    }


def drill_report(journal: Journal, env: str, target: str, started: str, finished: str) -> dict[str, Any]:
    measured = {"switchover": move_measures(journal, "switchover-", "switchover"),
                "switchback": move_measures(journal, "switchback-", "switchover"),
                "restore": restore_measures(journal)}
    measured["switchover"]["to"] = target
    ok = all(m["verified"] and m["rtoSeconds"] is not None and m["rtoSeconds"] < TARGETS["rtoSeconds"]
             for m in measured.values())
    ok = ok and all(m["rpoSeconds"] is not None and m["rpoSeconds"] < TARGETS["rpoSeconds"]
                    for m in measured.values())
    return {
        "formatVersion": 1, "kind": "azora-dr-drill", "environment": env, "startedAt": started,
        "finishedAt": finished, "ok": ok, "targets": TARGETS, "measured": measured,
        "steps": [{"step": name, "startedAt": r.started_at, "endedAt": r.ended_at, "seconds": r.seconds,
                   "status": r.status} for name, r in journal.steps.items()],
    }
