"""Residency: personal data stays in its home jurisdiction (no anchor has these rules).

The catalog (region -> jurisdiction) and the residency map (data class -> global | jurisdiction) come
from `azora_infra.regions` (one source) and nothing else: these rules have no policy config, so no config
file can remap a region or a data class (they can never be silenced: lock.py). A region missing from the
catalog cannot be proven resident, so it is a finding for personal data. The home region of the stack is
stack config `azora:region`, else `aws:region`, else the resource's provider region.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from azora_infra.regions import DataClass, residency_document
from azora_infra.tags import DATA_CLASS

from . import tokens as T
from .props import Res, arn_region, as_list, dig
from .rules import Stack, peek, resource_rule, stack_rule

PERSONAL = DataClass.PERSONAL.value
_CATALOG = residency_document()
_REGIONS: dict[str, str] = dict(_CATALOG["regions"])  # type: ignore[call-overload]
_SCOPES: dict[str, str] = dict(_CATALOG["residency"])  # type: ignore[call-overload]
#: catalogued regions that hold no Azora data at all (`Region.holds_data` false)
_NO_DATA: frozenset[str] = frozenset(str(r) for r in _CATALOG["noData"])  # type: ignore[attr-defined]


def jurisdiction(region: str | None) -> str | None:
    return _REGIONS.get(region) if region else None


def may_store(data_class: str, home: str | None, target: str | None) -> bool:
    """Like `azora_infra.regions.may_store`, but an unknown region fails instead of raising."""
    if home in _NO_DATA or target in _NO_DATA:
        return False
    if _SCOPES.get(data_class, "jurisdiction") == "global":
        return True
    hj, tj = jurisdiction(home), jurisdiction(target)
    return hj is not None and hj == tj


def stack_home_region() -> str | None:
    try:
        import pulumi

        for key in ("azora:region", "aws:region"):
            value = pulumi.runtime.get_config(key)
            if value:
                return str(value)
    except Exception:
        return None
    return None


def _where(region: str | None) -> str:
    if region in _NO_DATA:
        return f"{region} (holds no Azora data)"
    return f"{region} ({jurisdiction(region) or 'not in the residency catalog'})"


@resource_rule("residency-personal-region")
def personal_region(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if not r.is_aws or not r.is_personal:
        return
    region = r.region
    if region is None:
        yield ("cannot tell where this personal data lives: set `region` on the resource's provider "
               "(an explicit aws.Provider for the stack's region)")
        return
    if jurisdiction(region) is None:
        yield (f"region {region} is not in the residency catalog: personal data may only live in a catalogued "
               "region of its home jurisdiction (add the region to azora_infra.regions)")
        return
    if region in _NO_DATA:
        yield (f"region {region} holds no Azora data (azora_infra.regions: holds_data=False), personal data "
               "least of all: keep this resource in the stack's home region")
        return
    home = stack_home_region() or r.provider_region
    if home and not may_store(PERSONAL, home, region):
        yield (f"personal data in {_where(region)} outside its home jurisdiction "
               f"{jurisdiction(home) or '?'} (home region {home}): remove the `region` override or use the "
               "stack's regional provider")


@resource_rule("residency-global-database", T.RDS_CLUSTER, T.RDS_GLOBAL)
def global_database(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if not r.is_personal:
        return
    if r.type == T.RDS_GLOBAL:
        yield ("a GlobalCluster replicates across jurisdictions and must not carry personal data: keep personal "
               "data in a regional cluster, or reclassify this one if it is not personal")
    elif r.present("globalClusterIdentifier"):
        yield ("this cluster holds personal data and joins a global database: remove globalClusterIdentifier "
               "(personal data stays in a regional cluster)")


@stack_rule("residency-global-cache")
def global_cache(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for g in stack.of_type(T.CACHE_GROUP):
        if g.is_personal and peek(g, "globalReplicationGroupId"):
            yield g, ("this replication group holds personal data and joins a global datastore: remove "
                      "globalReplicationGroupId")
    for glob in stack.of_type(T.CACHE_GLOBAL):
        for g in stack.of_type(T.CACHE_GROUP):
            if g.is_personal and stack.refers(glob, "primaryReplicationGroupId", g, peek(g, "replicationGroupId")):
                yield glob, (f"global datastore '{glob.name}' replicates personal replication group '{g.name}' "
                             "out of its jurisdiction: remove the GlobalReplicationGroup or reclassify the data")


def _bucket_names(b: Res) -> tuple[Any, ...]:
    name = peek(b, "bucket")
    return (name, f"arn:aws:s3:::{name}" if name else None)


@stack_rule("residency-s3-replication")
def s3_replication(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    buckets = stack.of_type(*T.S3_BUCKET)
    for rc in stack.of_type(*T.S3_REPLICATION):
        sources = [b for b in buckets if stack.refers(rc, "bucket", b, *_bucket_names(b))]
        if not any(b.is_personal for b in sources) and not rc.is_personal:
            continue
        home = sources[0].region if sources else rc.region
        for rule in as_list(peek(rc, "rules")):
            dest = dig(rule, "destination", "bucket")
            target = next((b for b in buckets if dest and dest in (*_bucket_names(b), b.arn)), None)
            if target is None:
                yield rc, (f"personal data replicated to {dest or 'an unknown bucket'}, which is not managed in this "
                           "stack, so its region cannot be checked: replicate personal data only to a bucket of this "
                           "stack in the same jurisdiction")
            elif not may_store(PERSONAL, home, target.region):
                yield rc, (f"personal data replicated from {_where(home)} to bucket '{target.name}' in "
                           f"{_where(target.region)}: remove the rule or target a bucket in the same jurisdiction")


@stack_rule("residency-kms-replica")
def kms_replica(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    keys = stack.of_type(T.KMS_KEY)
    for rep in stack.of_type(T.KMS_REPLICA):
        primary_arn = peek(rep, "primaryKeyArn")
        primary = next((k for k in keys if stack.refers(rep, "primaryKeyArn", k)), None)
        personal = rep.is_personal or (primary is not None and primary.is_personal)
        if not personal:
            continue
        home = arn_region(primary_arn) or (primary.region if primary else None)
        if not may_store(PERSONAL, home, rep.region):
            yield rep, (f"replica of a personal-data key in {_where(rep.region)}, primary in "
                        f"{_where(home)}: remove the ReplicaKey or place it in the primary's jurisdiction")


def plan_data_classes(stack: Stack, plan: Res) -> set[str]:
    """The plan's data class: its own merged tag, else the azora:data-class tag filters of the selections
    paired with it."""
    if plan.data_class:
        return {plan.data_class}
    found: set[str] = set()
    for sel in stack.of_type(T.BACKUP_SELECTION):
        if not stack.refers(sel, "planId", plan):
            continue
        for st in as_list(peek(sel, "selectionTags")):
            if dig(st, "key") == DATA_CLASS and dig(st, "value"):
                found.add(str(dig(st, "value")))
        for cond in as_list(peek(sel, "conditions")):
            for eq in as_list(dig(cond, "stringEquals")):
                if dig(eq, "key") in (f"aws:ResourceTag/{DATA_CLASS}", DATA_CLASS) and dig(eq, "value"):
                    found.add(str(dig(eq, "value")))
    return found


@stack_rule("residency-backup-copy")
def backup_copy(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for plan in stack.of_type(T.BACKUP_PLAN):
        if PERSONAL not in plan_data_classes(stack, plan):
            continue
        home = plan.region
        for rule in as_list(peek(plan, "rules")):
            for ca in as_list(dig(rule, "copyActions")):
                dest = dig(ca, "destinationVaultArn")
                target = arn_region(dest)
                if not may_store(PERSONAL, home, target):
                    yield plan, (f"rule '{dig(rule, 'ruleName')}' copies personal backups from {_where(home)} to "
                                 f"{dest} in {_where(target)}: copy personal data only within its jurisdiction")
