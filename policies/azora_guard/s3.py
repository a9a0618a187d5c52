"""S3 the pulumi-aws v7 way: the bucket plus its side resources (BucketServerSideEncryptionConfiguration,
BucketPublicAccessBlock, BucketVersioning, BucketLogging, BucketPolicy, ...). The existence joins for
encryption, public-access block and versioning are in stack.py; the side resources' own settings here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res, as_list, dig, principal_is_public, statements
from .rules import Stack, peek, prop_rule, resource_rule, stack_rule

PUBLIC_READ_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")


def bucket_refs(b: Res) -> tuple[Any, ...]:
    name = peek(b, "bucket")
    return (name, peek(b, "id"), f"arn:aws:s3:::{name}" if name else None)


def side(stack: Stack, bucket: Res, *types: str) -> list[Res]:
    """The side resources of ``types`` whose `bucket` is this bucket."""
    return stack.referrers(bucket, "bucket", *types, values=bucket_refs(bucket))


def _sse_rules(r: Res) -> list[Any]:
    return as_list(r.get("rules"))


def lb_log_buckets(stack: Stack) -> set[str]:
    """Names of buckets load balancers write access/connection logs to (SSE-S3 is the only option there)."""
    names = set()
    for lb in stack.of_type(*T.LB, T.CLB):
        for block in ("accessLogs", "connectionLogs", "healthCheckLogs"):
            bucket = dig(peek(lb, block), "bucket")
            if bucket:
                names.add(str(bucket))
    return names


def _owners(stack: Stack) -> dict[str, list[Res]]:
    """SSE configuration URN -> the buckets it belongs to (the inverse of `side`, built in one pass)."""
    owners: dict[str, list[Res]] = {}
    for b in stack.of_type(*T.S3_BUCKET):
        for sse in side(stack, b, *T.S3_SSE):
            owners.setdefault(sse.urn, []).append(b)
    return owners


def _sse_findings(stack: Stack, test: Any, message: str) -> Iterator[tuple[Res, str]]:
    exempt = lb_log_buckets(stack)
    owners_of = _owners(stack)
    for sse in stack.of_type(*T.S3_SSE):
        owners = owners_of.get(sse.urn, [])
        if peek(sse, "bucket") in exempt or any(peek(b, "bucket") in exempt for b in owners):
            continue
        rules = as_list(peek(sse, "rules"))
        if not rules or not all(test(dig(x, "applyServerSideEncryptionByDefault") or {}) for x in rules):
            yield (owners[0] if owners else sse), message


@stack_rule("s3-encryption-kms")
def sse_kms(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    yield from _sse_findings(stack, lambda d: dig(d, "sseAlgorithm") in ("aws:kms", "aws:kms:dsse"),
                             "SSE is not KMS: set sseAlgorithm='aws:kms' (SSE-S3 is only for load-balancer log "
                             "buckets)")


@stack_rule("s3-encryption-cmk")
def sse_cmk(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    yield from _sse_findings(stack, lambda d: bool(dig(d, "kmsMasterKeyId")),
                             "SSE without a customer-managed key: set kmsMasterKeyId to the region's data key")
prop_rule("s3-bucket-key", T.S3_SSE, lambda r: all(dig(x, "bucketKeyEnabled") is True for x in _sse_rules(r)))


def _grants(r: Res) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for g in as_list(r.get("accessControlPolicy", "grants")) + as_list(r.get("grants")):
        uri = str(dig(g, "grantee", "uri") or dig(g, "uri") or "")
        perms = [str(p) for p in as_list(dig(g, "permission"))] + [str(p) for p in as_list(dig(g, "permissions"))]
        out.extend((uri, p) for p in perms)
    return out


@resource_rule("s3-no-public-read-acl", *T.S3_BUCKET, *T.S3_ACL)
def public_read(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if r.get("acl") in PUBLIC_READ_ACLS:
        yield f"acl '{r.get('acl')}' makes the bucket readable by everyone: use 'private' (or no ACL)"
    for uri, perm in _grants(r):
        if uri in PUBLIC_GROUPS and perm in ("READ", "READ_ACP", "FULL_CONTROL"):
            yield f"grant {perm} to {uri.rsplit('/', 1)[-1]}: remove it"


@resource_rule("s3-no-public-write-acl", *T.S3_BUCKET, *T.S3_ACL)
def public_write(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if r.get("acl") == "public-read-write":
        yield "acl 'public-read-write' lets everyone write: use 'private' (or no ACL)"
    for uri, perm in _grants(r):
        if uri in PUBLIC_GROUPS and perm in ("WRITE", "WRITE_ACP", "FULL_CONTROL"):
            yield f"grant {perm} to {uri.rsplit('/', 1)[-1]}: remove it"


prop_rule("s3-acls-disabled", T.S3_OWNERSHIP,
          lambda r: any(dig(x, "objectOwnership") == "BucketOwnerEnforced" for x in as_list(r.get("rule"))))


def _denies_insecure(policy: Any) -> bool:
    for st in statements(policy):
        cond = st.get("Condition") or {}
        secure = dig(cond, "Bool", "aws:SecureTransport")
        if st.get("Effect") == "Deny" and principal_is_public(st.get("Principal")) and str(secure).lower() == "false":
            return True
    return False


@stack_rule("s3-ssl-requests-only")
def ssl_only(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for b in stack.of_type(*T.S3_BUCKET):
        policies = [peek(p, "policy") for p in side(stack, b, *T.S3_POLICY)] + [peek(b, "policy")]
        if not any(_denies_insecure(p) for p in policies if p):
            yield b, ("no bucket policy denies plain HTTP: add a BucketPolicy statement Deny s3:* for Principal '*' "
                      "on the bucket and bucket/* when Bool aws:SecureTransport=false")


@resource_rule("s3-policy-no-public-principal", *T.S3_POLICY, *T.S3_BUCKET)
def public_principal(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    for st in statements(r.get("policy")):
        if st.get("Effect") == "Allow" and principal_is_public(st.get("Principal")) and not st.get("Condition"):
            yield (f"statement {st.get('Sid') or '(no Sid)'} allows Principal '*' without a Condition: name the "
                   "principals or add a restricting Condition")


@resource_rule("s3-policy-no-lockout", *T.S3_POLICY, *T.S3_BUCKET)
def lockout(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    for st in statements(r.get("policy")):
        actions = [str(a) for a in as_list(st.get("Action"))]
        if (st.get("Effect") == "Deny" and principal_is_public(st.get("Principal")) and not st.get("Condition")
                and ("*" in actions or "s3:*" in actions)):
            yield (f"statement {st.get('Sid') or '(no Sid)'} denies everything to everyone unconditionally (lock-out): "
                   "add a Condition or narrow Principal/Action")


prop_rule("s3-replication", T.S3_REPLICATION,
          lambda r: any(dig(x, "status") == "Enabled" for x in as_list(r.get("rules"))))


@stack_rule("s3-object-lock")
def object_lock(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for b in stack.of_type(*T.S3_BUCKET):
        if b.data_class not in ("confidential", "personal"):
            continue
        if peek(b, "objectLockEnabled") is True or side(stack, b, *T.S3_OBJECT_LOCK):
            continue
        yield b, ("confidential/personal bucket without object lock: set objectLockEnabled=true and add a "
                  "BucketObjectLockConfiguration with a default retention")


@stack_rule("s3-access-logging")
def access_logging(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    buckets = stack.of_type(*T.S3_BUCKET)
    loggings = stack.of_type(*T.S3_LOGGING)
    targets = {b.urn for b in buckets for lg in loggings if stack.refers(lg, "targetBucket", b, *bucket_refs(b))}
    for b in buckets:
        if b.urn not in targets and not side(stack, b, *T.S3_LOGGING):
            yield b, "no server access logging: add aws.s3.BucketLogging(bucket=..., targetBucket=the log bucket)"


@stack_rule("s3-lifecycle-configured")
def lifecycle(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for b in stack.of_type(*T.S3_BUCKET):
        if not side(stack, b, *T.S3_LIFECYCLE):
            yield b, "no lifecycle configuration: add aws.s3.BucketLifecycleConfiguration for the bucket"


prop_rule("s3-lifecycle-abort-mpu", T.S3_LIFECYCLE,
          lambda r: any(dig(x, "abortIncompleteMultipartUpload", "daysAfterInitiation") is not None
                        and dig(x, "status") != "Disabled" for x in as_list(r.get("rules"))))


@stack_rule("s3-event-notifications")
def notifications(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for b in stack.of_type(*T.S3_BUCKET):
        if not side(stack, b, *T.S3_NOTIFICATION):
            yield b, "no event notifications: add aws.s3.BucketNotification(bucket=..., eventbridge=True)"


prop_rule("s3-access-point-block-public", (T.S3_ACCESS_POINT,),
          lambda r: all(r.get("publicAccessBlockConfiguration", k) is not False
                        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")))
prop_rule("s3-object-cmk", T.S3_OBJECTS, lambda r: r.present("kmsKeyId"))
