"""Policy pack, region baseline: the audit trail to an object-locked in-jurisdiction archive, the security
services, budgets per cost center, user pools at home, customer ids.

One synthetic region stack with the complete baseline passes; each other stack removes or breaks one piece
and exactly the rule for that piece fires, saying what to change."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from azora_infra.check import CheckResult, run_check
from tests.policy_plans import PACK, PlanBuilder

BASELINE = {"region-audit-trail", "region-security-services", "budget-covers-cost-centers"}
T_BUCKET = "aws:s3/bucket:Bucket"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"


def _archive(b: PlanBuilder, *, lock: bool = True, mode: str = "COMPLIANCE", years: int = 7,
             provider: str | None = None) -> str:
    urn = b.add(T_BUCKET, "archive", {"bucket": "archive", "objectLockEnabled": lock or None,
                                      "tags": {"azora:data-class": "personal"}},
                protect=True, provider=provider, arn="arn:aws:s3:::archive", id="archive")
    if lock:
        b.add(LOCK, "archive-lock", {"bucket": "archive", "objectLockEnabled": "Enabled",
                                     "rule": {"defaultRetention": {"mode": mode, "years": years}}},
              provider=provider, deps={"bucket": urn})
    return urn


def _trail(b: PlanBuilder, bucket_urn: str | None, bucket: str = "archive") -> None:
    b.add("aws:cloudtrail/trail:Trail", "trail", {
        "name": "trail", "s3BucketName": bucket, "kmsKeyId": "arn:aws:kms:af-south-1:123456789012:key/audit",
        "enableLogFileValidation": True, "isMultiRegionTrail": False,
        "cloudWatchLogsGroupArn": "arn:aws:logs:af-south-1:123456789012:log-group:trail:*"},
        deps={"s3BucketName": bucket_urn} if bucket_urn else None)


def _services(b: PlanBuilder, *, recording: bool = True) -> None:
    b.add("aws:guardduty/detector:Detector", "detector", {"enable": True})
    rec = b.add("aws:cfg/recorder:Recorder", "recorder", {"name": "recorder", "roleArn": "arn:aws:iam::1:role/r",
                                                          "recordingGroup": {"allSupported": True}})
    b.add("aws:cfg/recorderStatus:RecorderStatus", "recorder-status", {"name": "recorder", "isEnabled": recording},
          deps={"name": rec})
    b.add("aws:securityhub/account:Account", "hub", {"enableDefaultStandards": False})


def _budget(b: PlanBuilder, cc: str = "cc-1", region: str | None = "af-south-1") -> None:
    filters: list[dict[str, Any]] = [{"name": "TagKeyValue", "values": [f"user:azora:cost-center${cc}"]}]
    if region:
        filters.append({"name": "Region", "values": [region]})
    b.add("aws:budgets/budget:Budget", f"budget-{cc}", {"name": f"budget-{cc}", "budgetType": "COST",
                                                        "timeUnit": "MONTHLY", "limitAmount": "100",
                                                        "limitUnit": "USD", "costFilters": filters})


def complete(b: PlanBuilder) -> None:
    _trail(b, _archive(b))
    _services(b)
    _budget(b)


def _unmanaged(b: PlanBuilder) -> None:
    _trail(b, None, bucket="someone-elses-bucket")
    _services(b)
    _budget(b)


def _abroad(b: PlanBuilder) -> None:
    us = b.provider("aws-us-east-1", "us-east-1", b.providers[b.default_provider]["defaultTags"])
    _trail(b, _archive(b, provider=us))
    _services(b)
    _budget(b)


def _variant(archive: dict[str, Any] | None = None, recording: bool = True,
             budget_region: str | None = "af-south-1") -> Callable[[PlanBuilder], None]:
    def build(b: PlanBuilder) -> None:
        _trail(b, _archive(b, **(archive or {})))
        _services(b, recording=recording)
        _budget(b, region=budget_region)
    return build


#: stack -> (how to build it, {policy: (resource name it fires on, what the message says)})
CASES: dict[str, tuple[Callable[[PlanBuilder], None], dict[str, tuple[str, str]]]] = {
    "complete": (complete, {}),
    "bare": (lambda b: None, {
        "region-audit-trail": ("azora-policy-tests-bare", "region af-south-1 has no logging CloudTrail trail"),
        "region-security-services": ("azora-policy-tests-bare", "no enabled GuardDuty detector"),
    }),
    "unmanaged-bucket": (_unmanaged, {"region-audit-trail": ("trail", "not managed in this stack")}),
    "no-lock": (_variant({"lock": False}), {"region-audit-trail": ("trail", "has no Object Lock")}),
    "governance": (_variant({"mode": "GOVERNANCE"}), {"region-audit-trail": ("trail", "0 days in COMPLIANCE mode")}),
    "five-years": (_variant({"years": 5}), {"region-audit-trail": ("trail", "1825 days in COMPLIANCE mode, less "
                                                                         "than 7 years")}),
    "abroad": (_abroad, {"region-audit-trail": ("trail", "is in us-east-1 outside the jurisdiction ZA")}),
    "recorder-off": (_variant(recording=False), {"region-security-services": ("azora-policy-tests-recorder-off",
                                                                             "no AWS Config recorder that is "
                                                                             "recording")}),
    "budget-elsewhere": (_variant(budget_region="eu-west-1"), {"budget-covers-cost-centers": (
        "archive", "cost center 'cc-1' has no budget covering af-south-1")}),
}


def region_stack(b: PlanBuilder) -> dict[str, Any]:
    """The plan of an Azora region stack (its config names azora:region: the baseline rules apply)."""
    plan = b.plan()
    plan["config"]["azora:region"] = b.region
    return plan


def _run(stack: str) -> CheckResult:
    b = PlanBuilder(stack)
    CASES[stack][0](b)
    return run_check(region_stack(b), PACK, reuse=False)


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    with ThreadPoolExecutor(3) as pool:
        return dict(zip(CASES, pool.map(_run, CASES), strict=True))


@pytest.mark.parametrize("stack", list(CASES))
def test_each_missing_piece_is_caught_by_its_rule(results: dict[str, CheckResult], stack: str) -> None:
    expected = CASES[stack][1]
    fired = {v.policy for v in results[stack].mandatory_violations if v.policy in BASELINE}
    assert fired == set(expected), [v.to_json() for v in results[stack].mandatory_violations]
    for policy, (name, text) in expected.items():
        hits = [v for v in results[stack].of_policy(policy) if v.urn.endswith(f"::{name}")]
        assert hits, (policy, [v.urn for v in results[stack].of_policy(policy)])
        assert any(text in v.message for v in hits), [v.message for v in hits]


def test_bare_region_names_every_missing_service(results: dict[str, CheckResult]) -> None:
    messages = " ".join(v.message for v in results["bare"].of_policy("region-security-services"))
    for service in ("GuardDuty", "AWS Config recorder", "Security Hub"):
        assert service in messages
    budget = results["bare"].of_policy("budget-covers-cost-centers")
    assert budget == []  # nothing in the stack carries a cost center: nothing to budget


def test_a_stack_that_is_not_a_region_stack_is_out_of_scope() -> None:
    b = PlanBuilder("organization")
    _trail(b, None, bucket="no-archive")  # a bare trail and no services: but this is no region stack
    result = run_check(b.plan(), PACK, reuse=False)
    assert not {v.policy for v in result.violations} & BASELINE


def test_user_pools_stay_in_their_jurisdiction_and_customer_ids_are_ids() -> None:
    b = PlanBuilder("identity")
    us = b.provider("aws-us-east-1", "us-east-1", b.providers[b.default_provider]["defaultTags"])
    pool = {"name": "users", "tags": {"azora:data-class": "personal"}}
    b.add("aws:cognito/userPool:UserPool", "home-pool", pool)
    b.add("aws:cognito/userPool:UserPool", "foreign-pool", pool, provider=us)
    b.add("aws:cognito/userPool:UserPool", "untagged-foreign-pool", {"name": "u2"}, provider=us)
    b.add("aws:cognito/userPool:UserPool", "m2m-pool", {"name": "m2m", "tags": {"azora:data-class": "internal"}},
          provider=us)
    b.add("aws:sns/topic:Topic", "acme-topic", {"tags": {"azora:customer": "acme"}})
    b.add("aws:sns/topic:Topic", "bad-customer-topic", {"tags": {"azora:customer": "ACME Corp"}})
    result = run_check(b.plan(), PACK, reuse=False)
    residency = {v.urn.rsplit("::", 1)[1] for v in result.of_policy("user-pool-residency")}
    assert residency == {"foreign-pool", "untagged-foreign-pool"}
    assert all(v.mandatory and "outside" not in v.message and "holds identities of the ZA jurisdiction" in v.message
               for v in result.of_policy("user-pool-residency"))
    customers = result.of_policy("customer-tag-format")
    assert [v.urn.rsplit("::", 1)[1] for v in customers] == ["bad-customer-topic"]
    assert "'ACME Corp' is not a customer id" in customers[0].message
