"""Environment presets: what `azora:environment` (dev, staging, prod) switches on or off, the sizes a
stack gets when its file does not set them, and the environment's global names.

A preset has two parts:

- switches read by the composition (`nat_per_az`, `deletion_protection`, `protect`,
  `log_retention_days`, `chaos`): the stack file overrides them through the section's own
  ``null``-by-default setting (`azora:network.natGateways`, `azora:database.deletionProtection`,
  `azora:chaos.schedule.enabled`, ...);
- `defaults`: stack-file settings (dotted camelCase paths, as in the file) filled in before
  validation when the file leaves them out. A setting the file gives always wins, whole: a file that
  sets `azora:eks.nodeGroups` gets its own node groups and none of the preset's.

Prod's defaults equal the section models' own defaults (a test keeps them equal), so an existing prod
stack plans exactly as before; dev and staging are smaller.

Global names are scoped by environment (`global_names`): prod keeps the names it was first deployed
with (``azora-global``, ``azora-cache``, ``azora.example``: renaming the global cluster, the global
datastore or the zone replaces them, i.e. deletes the data or the delegation), every other
environment derives its own from its name (``azora-staging-global``, ``staging.azora.example``).
Each stays overridable in the stack file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Environment(str, Enum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


#: the stack-file settings holding an environment's global names
GLOBAL_CLUSTER_SETTING = "database.globalDatabase.identifier"
GLOBAL_DATASTORE_SETTING = "cache.globalDatastoreSuffix"
ZONE_SETTING = "dns.domain"
#: prod's names, as first deployed (changing one replaces the resource: see the module docstring)
PROD_GLOBAL_CLUSTER = "azora-global"
PROD_GLOBAL_DATASTORE = "azora-cache"
PROD_ZONE = "azora.example"


@dataclass(frozen=True)
class GlobalNames:
    """The names an environment's global and account-wide resources take."""

    #: the Aurora global cluster identifier (`azora:database.globalDatabase.identifier`)
    global_cluster: str
    #: the ElastiCache global datastore's id suffix (`azora:cache.globalDatastoreSuffix`)
    global_datastore: str
    #: the public hosted zone (`azora:dns.domain`)
    zone: str
    #: Incident Manager response plans and contacts, cost anomaly monitors: ``<prefix>-page``, ...
    #: (derived from the environment, so unique per environment by construction)
    account_prefix: str
    #: the per-region names every stack of the environment derives by one convention (the other
    #: stacks' backup vaults are addressed by it): backup vaults, plans and role
    #: ``<prefix>-<region>``, KMS aliases ``alias/<prefix>/<purpose>``. ``azora`` in prod (as deployed)
    regional_prefix: str


def global_names(environment: Environment) -> GlobalNames:
    """The environment's default global names: prod's as deployed, the others derived from the name."""
    env = environment.value
    if environment is Environment.PROD:
        return GlobalNames(PROD_GLOBAL_CLUSTER, PROD_GLOBAL_DATASTORE, PROD_ZONE, f"azora-{env}", "azora")
    return GlobalNames(f"azora-{env}-global", f"azora-{env}-cache", f"{env}.{PROD_ZONE}", f"azora-{env}",
                       f"azora-{env}")


def _system_nodes(min_size: int, desired: int, max_size: int, *types: str) -> dict[str, Any]:
    return {"system": {"instanceTypes": list(types), "minSize": min_size, "desiredSize": desired,
                       "maxSize": max_size, "labels": {"azora.io/node-pool": "system"}}}


def _instances(instance_class: str, readers: int) -> dict[str, Any]:
    out: dict[str, Any] = {"writer": {"role": "writer", "instanceClass": instance_class}}
    out.update({f"reader-{i}": {"role": "reader", "instanceClass": instance_class} for i in range(1, readers + 1)})
    return out


def _cluster(instance_class: str, readers: int, min_readers: int, max_readers: int) -> dict[str, Any]:
    scaling = {"enabled": max_readers > 0, "minReaders": min_readers, "maxReaders": max(max_readers, 1)}
    return {"instances": _instances(instance_class, readers), "autoscaling": scaling}


def _sizes(*, nodes: dict[str, Any], cpu_limit: int, eks_log_days: int, db: dict[str, Any],
           db_backup_days: int, monitoring_seconds: int, cache_node: str, shards: int, cache_snapshot_days: int,
           gateway: tuple[int, int], backup_days: tuple[int, int, int], canary: bool,
           kms_window_days: int) -> dict[str, Any]:
    continuous, snapshots, copies = backup_days
    scaling = {f"database.{c}.autoscaling.{k}": v for c in ("globalDatabase", "resident")
               for k, v in db["autoscaling"].items()}
    return {
        "eks.nodeGroups": nodes,
        "eks.karpenter.cpuLimit": cpu_limit,
        "eks.logRetentionDays": eks_log_days,
        "database.globalDatabase.instances": db["instances"],
        "database.resident.instances": db["instances"],
        **scaling,
        "database.backupRetentionDays": db_backup_days,
        "database.monitoringIntervalSeconds": monitoring_seconds,
        "cache.nodeType": cache_node,
        "cache.shards": shards,
        "cache.snapshotRetentionDays": cache_snapshot_days,
        "edge.gateway.minReplicas": gateway[0],
        "edge.gateway.maxReplicas": gateway[1],
        "backup.continuousRetentionDays": continuous,
        "backup.snapshotRetentionDays": snapshots,
        "backup.copyRetentionDays": copies,
        "observability.canary.enabled": canary,
        "kms.deletionWindowDays": kms_window_days,
    }


def _names(environment: Environment) -> dict[str, Any]:
    n = global_names(environment)
    return {GLOBAL_CLUSTER_SETTING: n.global_cluster, GLOBAL_DATASTORE_SETTING: n.global_datastore,
            ZONE_SETTING: n.zone}


@dataclass(frozen=True)
class Preset:
    #: one NAT gateway per AZ (survives an AZ loss) or a single shared one (cheaper)
    nat_per_az: bool
    #: deletion protection on databases, clusters, load balancers
    deletion_protection: bool
    #: Pulumi `protect` on stateful resources (a `pulumi destroy` cannot remove them)
    protect: bool
    #: default CloudWatch Logs retention (days) for flow logs and service logs
    log_retention_days: int
    #: chaos experiments scheduled (staging only)
    chaos: bool
    #: stack-file settings (dotted camelCase paths) filled in when the file leaves them out
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: what a primary or secondary gets instead, where `defaults` would not fit a global member
    #: (a global datastore or global cluster takes no burstable nodes)
    global_member_defaults: Mapping[str, Any] = field(default_factory=dict)


PRESETS: dict[Environment, Preset] = {
    # one small region to develop against: no replicas beyond one per shard, burstable instances
    # (a standalone stack's clusters join no global cluster, so db.t4g / cache.t4g are allowed)
    Environment.DEV: Preset(
        nat_per_az=False, deletion_protection=False, protect=False, log_retention_days=30, chaos=False,
        defaults={**_sizes(nodes=_system_nodes(1, 2, 3, "m7g.large"), cpu_limit=16, eks_log_days=30,
                           db=_cluster("db.t4g.medium", 0, 0, 0), db_backup_days=7, monitoring_seconds=60,
                           cache_node="cache.t4g.small", shards=1, cache_snapshot_days=1, gateway=(2, 4),
                           backup_days=(7, 7, 7), canary=False, kms_window_days=7),
                  **_names(Environment.DEV)},
        global_member_defaults={"cache.nodeType": "cache.m7g.large",
                                "database.globalDatabase.instances": _instances("db.r7g.large", 0)}),
    # prod's shape (multi-AZ, a reader per cluster, a global datastore member: large nodes) at
    # the smallest size that keeps it, so failover, chaos and load tests behave as in prod
    Environment.STAGING: Preset(
        nat_per_az=True, deletion_protection=True, protect=False, log_retention_days=90, chaos=True,
        defaults={**_sizes(nodes=_system_nodes(2, 2, 4, "m7g.large", "m7g.xlarge"), cpu_limit=64, eks_log_days=90,
                           db=_cluster("db.r7g.large", 1, 1, 2), db_backup_days=14, monitoring_seconds=15,
                           cache_node="cache.m7g.large", shards=1, cache_snapshot_days=3, gateway=(3, 12),
                           backup_days=(14, 7, 14), canary=True, kms_window_days=7),
                  **_names(Environment.STAGING)}),
    # the section models' own defaults (tests/test_environments.py keeps them equal)
    Environment.PROD: Preset(
        nat_per_az=True, deletion_protection=True, protect=True, log_retention_days=365, chaos=False,
        defaults={**_sizes(nodes=_system_nodes(2, 3, 6, "m7g.large", "m7g.xlarge"), cpu_limit=200, eks_log_days=90,
                           db=_cluster("db.r7g.large", 1, 1, 5), db_backup_days=35, monitoring_seconds=15,
                           cache_node="cache.r7g.large", shards=2, cache_snapshot_days=7, gateway=(3, 12),
                           backup_days=(35, 14, 35), canary=True, kms_window_days=30),
                  **_names(Environment.PROD)}),
}


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _given(section: Mapping[str, Any], key: str) -> bool:
    """Is ``key`` set in a section of the raw config (camelCase, or the model's snake_case name)?"""
    return key in section or _snake(key) in section


def _child(section: Mapping[str, Any], key: str) -> Any:
    return section[key] if key in section else section.get(_snake(key))


def apply_defaults(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """`data` (a stack's raw `azora:` settings) with every default whose path it leaves out filled
    in. Paths run through nested sections; a section that is not a mapping is left alone (its own
    validation reports it). The input is not changed."""
    out = dict(data)
    for path, value in defaults.items():
        *parents, leaf = path.split(".")
        node: dict[str, Any] = out
        for part in parents:
            if not _given(node, part):
                child: Any = {}
            else:
                child = _child(node, part)
                if not isinstance(child, Mapping):
                    break
            child = dict(child)
            node[part if part in node or _snake(part) not in node else _snake(part)] = child
            node = child
        else:
            if not _given(node, leaf):
                node[leaf] = value
    return out
