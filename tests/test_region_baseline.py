"""Every prod stack's plan has the region baseline: trail + object-locked archive, Config, GuardDuty,
Security Hub, Access Analyzer, Inspector, user pools, budgets; the primary also the anomaly monitors and the
CUR export. `azora:audit`, `azora:posture`, `azora:cost` sections validate once, with one clear line."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from azora_infra.config import ConfigError, parse_config
from azora_infra.plan.model import Plan
from tests.test_config import VALID

EVERY_REGION = ("aws:cloudtrail/trail:Trail", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
                "aws:cfg/recorder:Recorder", "aws:guardduty/detector:Detector", "aws:securityhub/account:Account",
                "aws:accessanalyzer/analyzer:Analyzer", "aws:inspector2/enabler:Enabler",
                "aws:cognito/userPool:UserPool", "aws:budgets/budget:Budget")
PRIMARY_ONLY = ("aws:costexplorer/anomalyMonitor:AnomalyMonitor", "aws:bcmdata/export:Export",
                "aws:costexplorer/costAllocationTag:CostAllocationTag")


@pytest.mark.parametrize("stack", ["africa", "europe", "asia"])
def test_prod_stack_plan_shows_the_region_baseline(repo_plan: Callable[[str], dict[str, Any]], stack: str) -> None:
    plan = Plan(repo_plan(stack))
    assert plan.raw["config"]["azora:environment"] == "prod"
    for t in EVERY_REGION:
        assert plan.of_type(t), (stack, t)
    for t in PRIMARY_ONLY:
        assert bool(plan.of_type(t)) is (stack == "africa"), (stack, t)
    trail = plan.named("aws:cloudtrail/trail:Trail", "audit-trail")
    archive = plan.named("aws:s3/bucket:Bucket", "audit-archive")
    assert trail.region == archive.region == plan.raw["config"]["aws:region"]
    outputs = plan.outputs
    for key in ("auditTrailArn", "auditArchiveBucket", "guardDutyDetectorId", "issuerUrl", "jwksUrl", "budgetNames"):
        assert key in outputs, (stack, key)


def _raw(**sections: Any) -> dict[str, Any]:
    raw = copy.deepcopy(VALID)
    raw.update({f"azora:{k}": v for k, v in sections.items()})
    return raw


@pytest.mark.parametrize(("sections", "message"), [
    ({"audit": {"retentionYears": 5}}, "azora:audit.retentionYears: audit logs are kept at least 7 years"),
    ({"audit": {"logRetentionDays": 100}}, "azora:audit.logRetentionDays: 100 is not a CloudWatch Logs retention"),
    ({"audit": {"archiveStorageClass": "TAPE"}}, "azora:audit.archiveStorageClass"),
    ({"posture": {"guardDuty": {"features": ["S3_DATA_EVENTS", "S3_DATA_EVENTS"]}}}, "lists a feature twice"),
    ({"posture": {"guardDuty": {"pageSeverity": 9.5}}}, "azora:posture.guardDuty.pageSeverity"),
    ({"posture": {"inspector": ["EC2", "S3"]}}, "azora:posture.inspector"),
    ({"cost": {"budgets": {"costCenters": {"cc-1": -5}}}}, "budget of cc-1 must be a positive USD amount"),
    ({"cost": {"thresholds": [80, 80]}}, "azora:cost.thresholds: one or more distinct percentages"),
    ({"cost": {"anomaly": {"thresholdUsd": 0}}}, "azora:cost.anomaly.thresholdUsd"),
    ({"audit": {"enabled": False}}, "azora:posture.enabled: needs azora:audit"),
])
def test_bad_governance_config_is_one_clear_line(sections: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_raw(**sections), "Pulumi.africa.yaml")
    assert message in str(info.value) and str(info.value).startswith("Pulumi.africa.yaml")


def test_defaults_build_the_baseline_and_sections_can_turn_parts_off() -> None:
    cfg = parse_config(_raw(), "Pulumi.africa.yaml")
    assert cfg.audit.enabled and cfg.posture.enabled and cfg.identity.enabled
    assert cfg.audit.retention_years == 7 and cfg.cost.thresholds == (80, 100)
    off = parse_config(_raw(audit={"enabled": False}, posture={"enabled": False, "macie": False},
                            cost={"thresholds": [100, 50], "export": False}), "Pulumi.africa.yaml")
    assert not off.audit.enabled and not off.posture.enabled and off.cost.thresholds == (50, 100)


def test_posture_without_an_archive_is_refused_by_the_composition_too() -> None:
    from azora_infra.compose.posture import build_posture

    cfg = parse_config(_raw(), "Pulumi.africa.yaml")
    with pytest.raises(ValueError, match="needs azora:audit in africa"):
        build_posture(cfg, "africa", None, None, None)  # type: ignore[arg-type]
