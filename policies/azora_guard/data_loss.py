"""Data-loss guards in production (environment = the merged `azora:environment` tag; an untagged
resource counts as production): Pulumi `protect`, deletion protection where the resource has it, and
final snapshots kept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res
from .rules import prop_rule, resource_rule

STATEFUL = (T.RDS_CLUSTER, T.RDS_INSTANCE, T.RDS_GLOBAL, T.CACHE_GROUP, T.CACHE_GLOBAL, T.BACKUP_VAULT,
            T.KMS_KEY, T.KMS_REPLICA, *T.S3_BUCKET)


@resource_rule("protect-stateful", *STATEFUL)
def protect_stateful(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if not r.is_prod or r.protect:
        return
    if r.type in T.S3_BUCKET and not r.data_class:
        return  # buckets holding data carry azora:data-class (data-class-tag); others need no protect
    yield (f"stateful {r.label()} in prod without Pulumi protect: set opts protect=True "
           "(AzoraComponent.child_opts(protect=preset.protect))")


prop_rule("rds-deletion-protection", (T.RDS_CLUSTER, T.RDS_INSTANCE, T.RDS_GLOBAL),
          lambda r: r.get("deletionProtection") is True, applies=lambda r: r.is_prod)
prop_rule("eks-deletion-protection", (T.EKS_CLUSTER,), lambda r: r.get("deletionProtection") is True,
          applies=lambda r: r.is_prod)
prop_rule("lb-deletion-protection", T.LB, lambda r: r.get("enableDeletionProtection") is True,
          applies=lambda r: r.is_prod)


@resource_rule("rds-final-snapshot", T.RDS_CLUSTER, T.RDS_INSTANCE)
def final_snapshot(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if not r.is_prod or (r.type == T.RDS_INSTANCE and r.present("replicateSourceDb")):
        return
    if r.get("skipFinalSnapshot") is True:
        yield "skipFinalSnapshot=true drops the data on delete: set skipFinalSnapshot=false and finalSnapshotIdentifier"
    elif not r.present("finalSnapshotIdentifier"):
        yield "no finalSnapshotIdentifier: set finalSnapshotIdentifier so a delete keeps a final snapshot"
