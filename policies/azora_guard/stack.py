"""Stack-level joins: every data store is in a backup selection; every bucket has its v7 side resources
(SSE configuration, public-access block with all four flags, versioning)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from azora_infra.tags import DATA_CLASS

from . import tokens as T
from .props import Res, as_list, dig
from .rules import Stack, peek, stack_rule
from .s3 import side

#: data stores AWS Backup supports (ElastiCache is not supported by AWS Backup; see docs)
BACKED_UP = (T.RDS_CLUSTER, T.RDS_INSTANCE, *T.S3_BUCKET)
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _needs_backup(r: Res) -> bool:
    if r.type in T.S3_BUCKET:
        return bool(r.data_class)
    return not (r.type == T.RDS_INSTANCE and peek(r, "replicateSourceDb"))


def _selected(stack: Stack, r: Res, sel: Res) -> bool:
    if sel.region and r.region and sel.region != r.region:
        return False
    arn = r.arn
    for pattern in as_list(peek(sel, "resources")):
        if not isinstance(pattern, str):
            continue
        if arn and fnmatch.fnmatchcase(arn, pattern):
            return True
    if r.urn in sel.property_dependencies.get("resources", []):
        return True
    tags = r.tags
    for st in as_list(peek(sel, "selectionTags")):
        key, value = dig(st, "key"), dig(st, "value")
        if key and tags.get(str(key)) == value:
            return True
    for cond in as_list(peek(sel, "conditions")):
        for eq in as_list(dig(cond, "stringEquals")):
            key = str(dig(eq, "key") or "").removeprefix("aws:ResourceTag/")
            if key and tags.get(key) == dig(eq, "value"):
                return True
    return False


@stack_rule("data-store-backup-selected")
def backup_selected(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    selections = stack.of_type(T.BACKUP_SELECTION)
    for r in stack.of_type(*BACKED_UP):
        if not _needs_backup(r):
            continue
        if not any(_selected(stack, r, s) for s in selections):
            yield r, (f"{r.label()} is in no AWS Backup selection: add its ARN to a selection's resources, or give "
                      f"it the {DATA_CLASS} a selection's selectionTags match")


@stack_rule("s3-default-encryption")
def bucket_sse(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for b in stack.of_type(*T.S3_BUCKET):
        if not side(stack, b, *T.S3_SSE) and not peek(b, "serverSideEncryptionConfiguration"):
            yield b, ("no BucketServerSideEncryptionConfiguration: add one with sseAlgorithm 'aws:kms' and "
                      "kmsMasterKeyId = the region's data key")


@stack_rule("s3-public-access-block")
def bucket_pab(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for b in stack.of_type(*T.S3_BUCKET):
        blocks = side(stack, b, *T.S3_PAB)
        if not blocks:
            yield b, "no BucketPublicAccessBlock: add one with all four flags true"
        for pab in blocks:
            off = [f for f in PAB_FLAGS if peek(pab, f) is not True]
            if off:
                yield pab, f"public access block leaves {', '.join(off)} off: set all four flags true"


@stack_rule("s3-versioning")
def bucket_versioning(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for b in stack.of_type(*T.S3_BUCKET):
        vs = side(stack, b, *T.S3_VERSIONING)
        if not vs:
            yield b, "no BucketVersioning: add one with versioningConfiguration.status='Enabled'"
        for v in vs:
            if dig(peek(v, "versioningConfiguration"), "status") != "Enabled":
                yield v, "versioning is not Enabled: set versioningConfiguration.status='Enabled'"
