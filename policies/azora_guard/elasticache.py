"""ElastiCache rules (encryption is in encryption.py; global datastores in residency.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .encryption import transit_encrypted
from .props import Res, as_list
from .rules import prop_rule, resource_rule

BOTH = (T.CACHE_GROUP, T.CACHE_CLUSTER)


def _auth(r: Res) -> bool:
    has_auth = r.present("authToken") or r.present("authTokenWo") or bool(as_list(r.get("userGroupIds")))
    return has_auth and transit_encrypted(r)


def _member(r: Res) -> bool:
    """A cache cluster that belongs to a replication group inherits the group's settings."""
    return r.type == T.CACHE_CLUSTER and r.present("replicationGroupId")


def _default_port(r: Res) -> int:
    return 11211 if r.get("engine") == "memcached" else 6379


prop_rule("elasticache-auth", (T.CACHE_GROUP,), _auth)
prop_rule("elasticache-multi-az", (T.CACHE_GROUP,), lambda r: r.get("multiAzEnabled") is True)
prop_rule("elasticache-automatic-failover", (T.CACHE_GROUP,), lambda r: r.get("automaticFailoverEnabled") is True)
prop_rule("elasticache-in-vpc-subnet-group", BOTH,
          lambda r: r.present("subnetGroupName") and r.get("subnetGroupName") != "default",
          applies=lambda r: not _member(r))
prop_rule("elasticache-non-default-port", BOTH,
          lambda r: r.get("port") is not None and int(r.get("port")) != _default_port(r),
          applies=lambda r: not _member(r))
prop_rule("elasticache-auto-minor-version-upgrade", BOTH, lambda r: r.get("autoMinorVersionUpgrade") is not False,
          applies=lambda r: not _member(r))


@resource_rule("elasticache-snapshot-retention", *BOTH)
def snapshot_retention(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    if _member(r) or r.get("engine") == "memcached":
        return
    minimum = int(cfg.get("minSnapshotRetentionDays") or 1)
    days = int(r.get("snapshotRetentionLimit") or 0)  # provider default 0 = no snapshots
    if days < minimum:
        yield f"snapshotRetentionLimit is {days}: set it to at least {minimum} day(s)"
