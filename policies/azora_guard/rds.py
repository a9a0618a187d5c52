"""RDS / Aurora rules (encryption at rest is in encryption.py, deletion protection and final snapshots in
data_loss.py). Absent properties are read as the provider default."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res, as_list, dig
from .rules import prop_rule, resource_rule

DB = (T.RDS_CLUSTER, T.RDS_INSTANCE)
MEMBERS = (T.RDS_INSTANCE, T.RDS_CLUSTER_INSTANCE)
MYSQL_LOGS = {"audit", "error", "general", "slowquery"}
DEFAULT_PORTS = {"aurora": 3306, "aurora-mysql": 3306, "mysql": 3306, "mariadb": 3306, "aurora-postgresql": 5432,
                 "postgres": 5432, "sqlserver-ee": 1433, "sqlserver-se": 1433, "sqlserver-ex": 1433,
                 "sqlserver-web": 1433, "oracle-ee": 1521, "oracle-se2": 1521}
MODERN_CAS = {"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"}


def engine(r: Res) -> str:
    value = r.get("engine")
    return str(value) if value else ("aurora" if r.type == T.RDS_CLUSTER else "")


def _replica(r: Res) -> bool:
    return r.type == T.RDS_INSTANCE and r.present("replicateSourceDb")


@resource_rule("rds-backup-retention", *DB)
def backup_retention(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    if _replica(r):
        return
    minimum = int(cfg.get("minRetentionDays") or 1)
    days = r.get("backupRetentionPeriod")
    days = 1 if days is None else int(days)  # provider default 1
    if days < minimum:
        yield f"backupRetentionPeriod is {days} day(s): set it to at least {minimum} (max 35)"


def _multi_az(r: Res) -> bool:
    if r.type == T.RDS_INSTANCE:
        return r.get("multiAz") is True
    zones = r.get("availabilityZones")
    return zones is None or len(as_list(zones)) >= 2


prop_rule("rds-multi-az", DB, _multi_az, applies=lambda r: not _replica(r))
prop_rule("rds-not-public", MEMBERS, lambda r: r.get("publiclyAccessible") is not True)
prop_rule("rds-iam-auth", DB, lambda r: r.get("iamDatabaseAuthenticationEnabled") is True,
          applies=lambda r: any(e in engine(r) for e in ("aurora", "mysql", "postgres", "mariadb")))
prop_rule("rds-non-default-port", DB,
          lambda r: r.get("port") is not None and int(r.get("port")) != DEFAULT_PORTS.get(engine(r)),
          applies=lambda r: engine(r) in DEFAULT_PORTS)


def required_logs(r: Res) -> set[str]:
    e = engine(r)
    if "postgres" in e:
        return {"postgresql"}
    if e in ("aurora", "aurora-mysql", "mysql", "mariadb"):
        return MYSQL_LOGS
    return set()


@resource_rule("rds-log-exports", *DB)
def log_exports(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    missing = required_logs(r) - {str(x) for x in as_list(r.get("enabledCloudwatchLogsExports"))}
    if missing and not _replica(r):
        yield f"enabledCloudwatchLogsExports misses {', '.join(sorted(missing))}: add them"


prop_rule("aurora-mysql-backtrack", (T.RDS_CLUSTER,), lambda r: int(r.get("backtrackWindow") or 0) > 0,
          applies=lambda r: engine(r) in ("aurora", "aurora-mysql") and r.region != "af-south-1"
          and not r.present("globalClusterIdentifier"))
prop_rule("rds-enhanced-monitoring", MEMBERS,
          lambda r: r.get("monitoringInterval") in (1, 5, 10, 15, 30, 60) and r.present("monitoringRoleArn"))
prop_rule("rds-auto-minor-version-upgrade", MEMBERS, lambda r: r.get("autoMinorVersionUpgrade") is not False)
prop_rule("rds-performance-insights", MEMBERS, lambda r: r.get("performanceInsightsEnabled") is True)
prop_rule("rds-copy-tags-to-snapshot", DB, lambda r: r.get("copyTagsToSnapshot") is True,
          applies=lambda r: not _replica(r))


def _params(r: Res) -> dict[str, str]:
    return {str(dig(p, "name")): str(dig(p, "value")) for p in as_list(r.get("parameters")) if dig(p, "name")}


def _family(r: Res) -> str:
    return str(r.get("family") or "")


@resource_rule("rds-encryption-in-transit", T.RDS_PARAMS, T.RDS_CLUSTER_PARAMS)
def force_tls(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    family = _family(r)
    if r.type == T.RDS_PARAMS and family.startswith("aurora"):
        return  # Aurora enforces TLS in the cluster parameter group
    params = _params(r)
    if "postgres" in family and params.get("rds.force_ssl") != "1":
        yield "add parameter rds.force_ssl=1 (clients must use TLS)"
    elif ("mysql" in family or "mariadb" in family) and params.get("require_secure_transport", "").upper() not in (
            "ON", "1", "TRUE"):
        yield "add parameter require_secure_transport=ON (clients must use TLS)"


@resource_rule("rds-postgres-query-logging", T.RDS_PARAMS, T.RDS_CLUSTER_PARAMS)
def pg_logging(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    family = _family(r)
    if "postgres" not in family or (r.type == T.RDS_PARAMS and family.startswith("aurora")):
        return
    missing = [p for p in ("log_statement", "log_min_duration_statement") if p not in _params(r)]
    if missing:
        yield f"add parameter(s) {', '.join(missing)}"


prop_rule("rds-modern-ca-cert", MEMBERS,
          lambda r: r.get("caCertIdentifier") is None or r.get("caCertIdentifier") in MODERN_CAS)


@resource_rule("rds-engine-not-vulnerable", *DB)
def vulnerable(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    pair = f"{engine(r)}:{r.get('engineVersion') or ''}"
    if pair in set(cfg.get("vulnerableVersions") or []):
        yield f"{pair} is a known-vulnerable version: upgrade engineVersion"


prop_rule("rds-snapshot-encrypted", (T.RDS_CLUSTER_SNAPSHOT,), lambda r: r.get("storageEncrypted") is not False)
prop_rule("rds-snapshot-not-public", (T.RDS_SNAPSHOT, T.RDS_CLUSTER_SNAPSHOT),
          lambda r: "all" not in [str(a) for a in as_list(r.get("sharedAccounts"))])
prop_rule("rds-snapshot-copy-cmk", (T.RDS_SNAPSHOT_COPY,), lambda r: r.present("kmsKeyId"))
prop_rule("rds-backup-replication-cmk", (T.RDS_BACKUP_REPLICATION,), lambda r: r.present("kmsKeyId"))
prop_rule("rds-activity-stream-cmk", (T.RDS_ACTIVITY_STREAM,), lambda r: r.present("kmsKeyId"))
