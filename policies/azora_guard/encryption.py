"""Encryption at rest of the data stores (RDS/Aurora incl. global, ElastiCache) and the global-database
key-region rule. Absent properties are read as the provider default, stated per rule."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res, arn_region
from .rules import prop_rule, resource_rule


def _is_replica(r: Res) -> bool:
    return r.type == T.RDS_INSTANCE and r.present("replicateSourceDb")


def _storage_encrypted(r: Res) -> bool:
    if r.get("storageEncrypted") is True:
        return True
    # serverless v1 clusters are always encrypted (provider default true for engineMode serverless)
    return r.type == T.RDS_CLUSTER and r.get("engineMode") == "serverless" and r.get("storageEncrypted") is None


prop_rule("rds-storage-encrypted", (T.RDS_CLUSTER, T.RDS_INSTANCE), _storage_encrypted,
          applies=lambda r: not _is_replica(r) and not r.present("snapshotIdentifier"))
prop_rule("rds-global-cluster-encrypted", (T.RDS_GLOBAL,), lambda r: r.get("storageEncrypted") is True,
          applies=lambda r: not r.present("sourceDbClusterIdentifier"))
prop_rule("rds-cmk", (T.RDS_CLUSTER, T.RDS_INSTANCE), lambda r: r.present("kmsKeyId"),
          applies=lambda r: not _is_replica(r))
prop_rule("rds-performance-insights-cmk", (T.RDS_CLUSTER, T.RDS_INSTANCE, T.RDS_CLUSTER_INSTANCE),
          lambda r: r.present("performanceInsightsKmsKeyId"),
          applies=lambda r: r.get("performanceInsightsEnabled") is True)


def global_member(r: Res) -> bool:
    """A secondary of an ElastiCache global datastore inherits engine, encryption and transit settings from
    the global datastore's primary group (checked in the primary's stack)."""
    return r.present("globalReplicationGroupId")


def _at_rest(r: Res) -> bool:
    value = r.get("atRestEncryptionEnabled")
    if value is None:  # provider default: true for valkey, false for redis; inherited by global members
        return global_member(r) or r.get("engine") == "valkey"
    return value is True


def transit_encrypted(r: Res) -> bool:
    value = r.get("transitEncryptionEnabled")
    return (value is None and global_member(r)) or value is True


prop_rule("elasticache-at-rest-encryption", (T.CACHE_GROUP,), _at_rest)
prop_rule("elasticache-in-transit-encryption", (T.CACHE_GROUP,), transit_encrypted)
prop_rule("elasticache-cmk", (T.CACHE_GROUP,), lambda r: r.present("kmsKeyId"))


@resource_rule("global-cluster-member-kms-region", T.RDS_CLUSTER)
def member_key_region(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if not r.present("globalClusterIdentifier"):
        return
    if not r.present("kmsKeyId"):
        yield (f"global database member without kmsKeyId: set kmsKeyId to the data key of {r.region or 'its region'} "
               "(each member encrypts with a key of its own region)")
        return
    key_region = arn_region(r.get("kmsKeyId"))
    if key_region is not None and r.region is not None and key_region != r.region:
        yield (f"kmsKeyId is a key in {key_region} but the cluster is in {r.region}: set kmsKeyId to the data key of "
               f"{r.region}")
