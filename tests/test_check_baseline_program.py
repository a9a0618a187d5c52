"""Whole-program check of the region baseline: `tests/programs/baseline` builds a small region stack from the
library's components (alert topics, audit trail, posture, budget, user pools, backup); each of its stacks plants
one defect (config `baseline:plant`). The real pack passes the clean stack and catches every defect with the
right rule, on the right resource, saying what to change - and nothing else mandatory."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from azora_infra.check import CheckResult, run_check
from azora_infra.plan import plan_stacks

PROGRAM = Path(__file__).parent / "programs" / "baseline"
PACK = Path(__file__).parents[1] / "policies"

#: stack -> {policy: (resource type, logical names it fires on, what the message tells to change)}
EXPECTED: dict[str, dict[str, tuple[str, set[str], str]]] = {
    "trail-stopped": {
        "region-audit-trail": ("pulumi:pulumi:Stack", {"baseline-trail-stopped"},
                               "region eu-west-1 has no logging CloudTrail trail"),
        # a trail that does not log is also what the trail's own rule reports: a true consequence
        "cloudtrail-logging-enabled": ("aws:cloudtrail/trail:Trail", {"audit-trail"}, "remove enableLogging=false"),
    },
    "governance-lock": {
        "region-audit-trail": ("aws:cloudtrail/trail:Trail", {"audit-trail"},
                               "keeps log files 0 days in COMPLIANCE mode, less than 7 years"),
    },
    "guardduty-off": {
        "region-security-services": ("pulumi:pulumi:Stack", {"baseline-guardduty-off"},
                                     "region eu-west-1 has no enabled GuardDuty detector"),
    },
    "no-budget": {
        "budget-covers-cost-centers": ("", set(), "cost center 'cc-100' has no budget covering eu-west-1"),
    },
    "foreign-user-pool": {
        "user-pool-residency": ("aws:cognito/userPool:UserPool", {"identity-users", "identity-admins"},
                                "holds identities of the EU jurisdiction (home region eu-west-1)"),
        # the pools are tagged personal: the general residency rule agrees
        "residency-personal-region": ("aws:cognito/userPool:UserPool", {"identity-users", "identity-admins"},
                                      "region us-east-1 holds no Azora data"),
    },
}
STACKS = ["clean", *EXPECTED]


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    plans = plan_stacks(STACKS, PROGRAM)  # one session: the planners fork from one set of SDK imports
    # the stacks differ in name, and a pack process serves one stack identity: one short-lived process each
    with ThreadPoolExecutor(3) as pool:
        return dict(zip(STACKS, pool.map(lambda s: run_check(plans[s], PACK, reuse=False), STACKS), strict=True))


def test_clean_region_stack_passes(results: dict[str, CheckResult]) -> None:
    clean = results["clean"]
    assert clean.exit_code == 0
    assert clean.mandatory_violations == [], [v.to_json() for v in clean.mandatory_violations]
    assert not clean.cant_run
    # the trail's single-region exemption and the access-log bucket's object-lock exemption, with reasons
    assert {e.policy for e in clean.exemptions} == {"cloudtrail-multi-region", "s3-object-lock"}


@pytest.mark.parametrize("stack", list(EXPECTED))
def test_planted_baseline_defect_is_caught_by_its_rule(results: dict[str, CheckResult], stack: str) -> None:
    result = results[stack]
    assert result.exit_code == 1
    mandatory = result.mandatory_violations
    assert {v.policy for v in mandatory} == set(EXPECTED[stack]), [v.to_json() for v in mandatory]
    for policy, (rtype, names, fix) in EXPECTED[stack].items():
        hits = [v for v in mandatory if v.policy == policy]
        if names:
            assert {v.urn.rsplit("::", 1)[-1] for v in hits} == names, policy
        for v in hits:
            assert v.urn.startswith(f"urn:pulumi:{stack}::baseline::")
            if rtype:
                assert v.resource_type == rtype
            assert fix in v.message, v.message
