"""The region baseline of an Azora region stack, and where identities live.

A region stack (stack config ``azora:region``, or the rule's ``region`` config) must leave its region with:

- ``region-audit-trail``: a CloudTrail trail in the region that delivers to a bucket managed in the stack,
  in the region's jurisdiction, with Object Lock in COMPLIANCE mode for at least ``minRetentionYears``;
- ``region-security-services``: a GuardDuty detector, an enabled AWS Config recorder and Security Hub;
- ``budget-covers-cost-centers``: an AWS Budgets budget filtered on every ``azora:cost-center`` the
  stack's resources carry (and covering the region when it filters by region).

``user-pool-residency`` applies to every stack: a Cognito user pool holds identities (personal data unless
tagged with another data class) and lives in its home jurisdiction.

Stack-wide findings ("the region has no trail") are reported on the root stack resource.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from azora_infra.tags import COST_CENTER

from . import tokens as T
from .props import Res, as_list, dig
from .residency import jurisdiction, stack_home_region
from .rules import Stack, peek, resource_rule, stack_rule
from .s3 import bucket_refs, side
from .tagging import taggable

STACK_TYPE = "pulumi:pulumi:Stack"
DAYS_PER_YEAR = 365


def baseline_region(cfg: Mapping[str, Any]) -> str | None:
    """The region a region stack must baseline: rule config ``region``, else stack config azora:region.
    A stack without either is not an Azora region stack (e.g. the organization program): out of scope."""
    if cfg.get("region"):
        return str(cfg["region"])
    try:
        import pulumi

        value = pulumi.runtime.get_config("azora:region")
    except Exception:
        return None
    return str(value) if value else None


def _anchor(stack: Stack) -> Res | None:
    roots = stack.of_type(STACK_TYPE)
    if roots:
        return roots[0]
    return stack.resources[0] if stack.resources else None


def _in_region(stack: Stack, region: str, *types: str) -> list[Res]:
    return [r for r in stack.of_type(*types) if r.region == region]


# --- the audit trail ------------------------------------------------------------------------------
def _retention_days(lock: Res) -> int:
    retention = dig(peek(lock, "rule"), "defaultRetention") or {}
    if dig(retention, "mode") != "COMPLIANCE":
        return 0
    years, days = dig(retention, "years"), dig(retention, "days")
    if isinstance(years, int | float):
        return int(years * DAYS_PER_YEAR)
    return int(days) if isinstance(days, int | float) else 0


def _archive_problem(stack: Stack, trail: Res, home: str, cfg: Mapping[str, Any]) -> str | None:
    """Why this trail's bucket is not an immutable in-jurisdiction archive (None: it is)."""
    buckets = [b for b in stack.of_type(*T.S3_BUCKET) if stack.refers(trail, "s3BucketName", b, *bucket_refs(b))]
    if not buckets:
        return ("delivers to a bucket not managed in this stack, whose Object Lock cannot be proven: deliver to the "
                "stack's archive bucket (components.audit.AuditTrail)")
    bucket = buckets[0]
    home_j = jurisdiction(home)
    if bucket.region is None or jurisdiction(bucket.region) != home_j:
        return (f"archive bucket '{bucket.name}' is in {bucket.region} outside the jurisdiction {home_j} of {home}: "
                "keep the archive in the region's jurisdiction")
    if peek(bucket, "objectLockEnabled") is not True:
        return (f"archive bucket '{bucket.name}' has no Object Lock: create it with objectLockEnabled=true and a "
                "BucketObjectLockConfiguration in COMPLIANCE mode")
    years = int(cfg.get("minRetentionYears", 7))
    kept = max((_retention_days(lock) for lock in side(stack, bucket, *T.S3_OBJECT_LOCK)), default=0)
    if kept < years * DAYS_PER_YEAR:
        return (f"archive bucket '{bucket.name}' keeps log files {kept} days in COMPLIANCE mode, less than "
                f"{years} years: add a BucketObjectLockConfiguration with defaultRetention "
                f"{{mode: 'COMPLIANCE', years: {years}}}")
    return None


@stack_rule("region-audit-trail")
def audit_trail(stack: Stack, cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    home = baseline_region(cfg)
    anchor = _anchor(stack)
    if home is None or anchor is None:
        return
    trails = [t for t in _in_region(stack, home, T.CLOUDTRAIL) if peek(t, "enableLogging") is not False]
    if not trails:
        yield anchor, (f"region {home} has no logging CloudTrail trail: add components.audit.AuditTrail "
                       "(azora:audit.enabled) with a trail to the region's object-locked archive")
        return
    problems = [(t, _archive_problem(stack, t, home, cfg)) for t in trails]
    if all(p is not None for _, p in problems):
        for trail, problem in problems:
            yield trail, f"trail '{trail.name}' {problem}"


# --- security services ----------------------------------------------------------------------------
def _recording(stack: Stack, recorder: Res) -> bool:
    statuses = stack.referrers(recorder, "name", T.CONFIG_RECORDER_STATUS, values=(peek(recorder, "name"),))
    return any(peek(s, "isEnabled") is True for s in statuses)


@stack_rule("region-security-services")
def security_services(stack: Stack, cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    home = baseline_region(cfg)
    anchor = _anchor(stack)
    if home is None or anchor is None:
        return
    if not [d for d in _in_region(stack, home, T.GUARDDUTY) if peek(d, "enable") is not False]:
        yield anchor, (f"region {home} has no enabled GuardDuty detector: add components.posture.SecurityPosture "
                       "(azora:posture.enabled)")
    if not [r for r in _in_region(stack, home, T.CONFIG_RECORDER) if _recording(stack, r)]:
        yield anchor, (f"region {home} has no AWS Config recorder that is recording: add an aws.cfg.Recorder with a "
                       "RecorderStatus isEnabled=true (components.posture.SecurityPosture)")
    if not _in_region(stack, home, T.SECURITY_HUB):
        yield anchor, (f"region {home} has no Security Hub: add aws.securityhub.Account with its standards "
                       "(components.posture.SecurityPosture)")


# --- budgets --------------------------------------------------------------------------------------
def _filters(budget: Res) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in as_list(peek(budget, "costFilters")):
        name = dig(f, "name")
        if isinstance(name, str):
            out.setdefault(name, []).extend(str(v) for v in as_list(dig(f, "values")))
    return out


@stack_rule("budget-covers-cost-centers")
def budgets(stack: Stack, cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    home = baseline_region(cfg)
    if home is None:
        return
    carriers: dict[str, Res] = {}
    for r in stack.resources:
        if r.is_aws and taggable(r.type):
            cc = r.tags.get(COST_CENTER)
            if cc:
                carriers.setdefault(cc, r)
    covered: set[str] = set()
    for budget in stack.of_type(T.BUDGET):
        filters = _filters(budget)
        regions = filters.get("Region")
        if regions and home not in regions:
            continue
        prefix = f"user:{COST_CENTER}$"
        covered.update(v[len(prefix):] for v in filters.get("TagKeyValue", []) if v.startswith(prefix))
    for cc, carrier in sorted(carriers.items()):
        if cc not in covered:
            yield carrier, (f"cost center {cc!r} has no budget covering {home}: add it to "
                            f"azora:cost.budgets.costCenters (an aws.budgets.Budget with costFilters TagKeyValue "
                            f"'user:{COST_CENTER}${cc}')")


# --- user pools -----------------------------------------------------------------------------------
@resource_rule("user-pool-residency", T.USER_POOL)
def user_pool_residency(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    if r.data_class not in (None, "personal"):
        return  # explicitly classified as holding no personal data (e.g. machine-to-machine only)
    region = r.region
    if region is None:
        yield "cannot tell where this user pool lives: give its provider a `region`"
        return
    home = stack_home_region() or r.provider_region or region
    home_j, here_j = jurisdiction(home), jurisdiction(region)
    if here_j is None or here_j != home_j:
        yield (f"user pool in {region} ({here_j or 'not in the residency catalog'}) holds identities of the "
               f"{home_j or '?'} jurisdiction (home region {home}): create it with the provider of a region of its "
               "own jurisdiction (each region stack owns its jurisdiction's pools)")
