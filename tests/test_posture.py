"""SecurityPosture: Config records into the audit archive with managed rules mirroring the pack, GuardDuty
with its protections and a high-severity finding that pages, Security Hub standards, Access Analyzer,
Inspector and Macie - each per region."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra.plan.model import Plan
from components.posture import GLOBAL_RULES, MANAGED_RULES, SecurityPosture, SecurityPostureArgs, finding_pattern
from policies.azora_guard.registry import RULES
from tests.harness import record

PAGE = "arn:aws:sns:ap-southeast-1:123456789012:azora-test-page"
KEY = "arn:aws:kms:ap-southeast-1:123456789012:key/audit"


def _posture(**kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-ap-southeast-1", region="ap-southeast-1")
        SecurityPosture("posture", SecurityPostureArgs(**{
            "region": "ap-southeast-1", "name_prefix": "azora-test", "page_topic_arn": PAGE,
            "config_bucket_name": "azora-test-audit-123456789012", "config_key_arn": KEY,
            "macie_bucket_names": ["azora-test-alb-logs"], **kw}), provider)
    return record(program, region="ap-southeast-1")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _posture()


def test_config_records_everything_regional_into_the_archive(plan: Plan) -> None:
    recorder = plan.named("aws:cfg/recorder:Recorder", "posture-config")
    assert recorder.inputs["recordingGroup"] == {"allSupported": True, "includeGlobalResourceTypes": False}
    channel = plan.named("aws:cfg/deliveryChannel:DeliveryChannel", "posture-config")
    assert (channel.inputs["s3BucketName"], channel.inputs["s3KeyPrefix"], channel.inputs["s3KmsKeyArn"]) == (
        "azora-test-audit-123456789012", "config", KEY)
    status = plan.named("aws:cfg/recorderStatus:RecorderStatus", "posture-config")
    assert status.inputs["isEnabled"] is True and channel.urn in status.raw["dependencies"]
    role_policy = json.loads(plan.named("aws:iam/rolePolicy:RolePolicy", "posture-config-delivery").inputs["policy"])
    put = role_policy["Statement"][0]
    assert put["Resource"] == "arn:aws:s3:::azora-test-audit-123456789012/config/AWSLogs/123456789012/*"


def test_managed_rules_mirror_existing_mandatory_pack_rules(plan: Plan) -> None:
    names = {r.inputs["source"]["sourceIdentifier"] for r in plan.of_type("aws:cfg/rule:Rule")}
    assert names == set(MANAGED_RULES)  # global rules only where global types are recorded
    mirrored = {p for rules in MANAGED_RULES.values() for p in rules}
    assert mirrored <= set(RULES), mirrored - set(RULES)
    critical = {n for n, m in RULES.items() if m.severity == "critical" and m.level == "mandatory"
                and m.theme in ("s3", "stack", "rds", "network", "encryption")}
    # every critical S3/RDS/network/encryption rule the live account can drift from is mirrored
    assert {"s3-public-access-block", "s3-no-public-read-acl", "rds-storage-encrypted", "rds-not-public",
            "sg-no-world-ssh"} <= mirrored & critical
    status = plan.named("aws:cfg/recorderStatus:RecorderStatus", "posture-config").urn
    assert all(status in r.raw["dependencies"] for r in plan.of_type("aws:cfg/rule:Rule"))


def test_guardduty_protections_and_high_findings_page(plan: Plan) -> None:
    detector = plan.named("aws:guardduty/detector:Detector", "posture-guardduty")
    features = {f.inputs["name"]: f.inputs for f in plan.of_type("aws:guardduty/detectorFeature:DetectorFeature")}
    assert set(features) == {"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
                             "RUNTIME_MONITORING"}
    assert all(f["detectorId"] == detector.outputs["id"] and f["status"] == "ENABLED" for f in features.values())
    assert features["RUNTIME_MONITORING"]["additionalConfigurations"] == [
        {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}]
    rule = plan.named("aws:cloudwatch/eventRule:EventRule", "posture-guardduty-findings")
    target = plan.named("aws:cloudwatch/eventTarget:EventTarget", "posture-guardduty-findings")
    assert target.inputs["arn"] == PAGE and target.inputs["rule"] == rule.inputs["name"]
    assert json.loads(rule.inputs["eventPattern"]) == json.loads(finding_pattern(7.0))


def _matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge matching for the subset the finding rule uses: exact values and numeric >=."""
    for key, want in pattern.items():
        have = event.get(key)
        if isinstance(want, dict):
            if not isinstance(have, dict) or not _matches(want, have):
                return False
        elif all(isinstance(w, dict) for w in want):
            ops = want[0]["numeric"]
            if not (isinstance(have, int | float) and ops[0] == ">=" and have >= ops[1]):
                return False
        elif have not in want:
            return False
    return True


@pytest.mark.parametrize(("severity", "pages"), [(8.9, True), (7.0, True), (6.9, False), (2.0, False)])
def test_only_high_severity_findings_reach_the_page_topic(plan: Plan, severity: float, pages: bool) -> None:
    pattern = json.loads(plan.named("aws:cloudwatch/eventRule:EventRule", "posture-guardduty-findings")
                         .inputs["eventPattern"])
    finding = {"source": "aws.guardduty", "detail-type": "GuardDuty Finding",
               "detail": {"severity": severity, "type": "CryptoCurrency:EC2/BitcoinTool.B!DNS"}}
    assert _matches(pattern, finding) is pages
    assert not _matches(pattern, {**finding, "source": "aws.securityhub"})


def test_security_hub_analyzer_inspector_and_macie(plan: Plan) -> None:
    hub = plan.named("aws:securityhub/account:Account", "posture-security-hub")
    assert hub.inputs["enableDefaultStandards"] is False and hub.inputs["controlFindingGenerator"] == "SECURITY_CONTROL"
    standards = {s.inputs["standardsArn"]
                 for s in plan.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")}
    assert standards == {
        "arn:aws:securityhub:ap-southeast-1::standards/aws-foundational-security-best-practices/v/1.0.0",
        "arn:aws:securityhub:ap-southeast-1::standards/cis-aws-foundations-benchmark/v/3.0.0"}
    analyzer = plan.named("aws:accessanalyzer/analyzer:Analyzer", "posture-access-analyzer")
    assert analyzer.inputs["type"] == "ACCOUNT"
    inspector = plan.named("aws:inspector2/enabler:Enabler", "posture-inspector")
    assert inspector.inputs["resourceTypes"] == ["ECR", "EC2"] and inspector.inputs["accountIds"] == ["123456789012"]
    job = plan.named("aws:macie2/classificationJob:ClassificationJob", "posture-macie-personal-data")
    assert job.inputs["s3JobDefinition"]["bucketDefinitions"] == [
        {"accountId": "123456789012", "buckets": ["azora-test-alb-logs"]}]
    assert job.inputs["scheduleFrequency"] == {"weeklySchedule": "MONDAY"}


def test_primary_records_global_types_and_checks_the_root_account() -> None:
    plan = _posture(record_global_types=True, macie_bucket_names=[], access_analyzer=False,
                    inspector_resource_types=())
    recorder = plan.named("aws:cfg/recorder:Recorder", "posture-config")
    assert recorder.inputs["recordingGroup"]["includeGlobalResourceTypes"] is True
    rules = {r.inputs["source"]["sourceIdentifier"] for r in plan.of_type("aws:cfg/rule:Rule")}
    assert set(GLOBAL_RULES) <= rules
    assert not plan.of_type("aws:macie2/classificationJob:ClassificationJob")  # nothing personal to scan
    assert plan.of_type("aws:macie2/account:Account")
    assert not plan.of_type("aws:accessanalyzer/analyzer:Analyzer")
    assert not plan.of_type("aws:inspector2/enabler:Enabler")


@pytest.mark.parametrize(("kw", "message"), [
    ({"guardduty_features": ("EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING")}, "exclusive"),
    ({"page_severity": 9.5}, "GuardDuty severity"),
])
def test_bad_arguments_are_refused(kw: dict[str, Any], message: str) -> None:
    args = SecurityPostureArgs(region="ap-southeast-1", name_prefix="t", page_topic_arn=PAGE,
                               config_bucket_name="b", config_key_arn=KEY, **kw)
    with pytest.raises(ValueError, match=message):
        args.validate()


def test_each_repo_region_enables_its_own_services(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    for stack, region in (("africa", "af-south-1"), ("europe", "eu-west-1"), ("asia", "ap-southeast-1")):
        plan = Plan(repo_plan(stack))
        for t in ("aws:guardduty/detector:Detector", "aws:cfg/recorder:Recorder", "aws:securityhub/account:Account",
                  "aws:accessanalyzer/analyzer:Analyzer", "aws:inspector2/enabler:Enabler",
                  "aws:macie2/account:Account"):
            (r,) = plan.of_type(t)
            assert r.region == region, (stack, t)
        channel = plan.named("aws:cfg/deliveryChannel:DeliveryChannel", "posture-config")
        archive = plan.named("aws:s3/bucket:Bucket", "audit-archive")
        assert channel.inputs["s3BucketName"] == archive.outputs["bucket"] and archive.region == region
        recorder = plan.named("aws:cfg/recorder:Recorder", "posture-config")
        assert recorder.inputs["recordingGroup"]["includeGlobalResourceTypes"] is (stack == "africa")
        job = plan.named("aws:macie2/classificationJob:ClassificationJob", "posture-macie-personal-data")
        alb_logs = plan.named("aws:s3/bucket:Bucket", "edge-access-logs")
        assert job.inputs["s3JobDefinition"]["bucketDefinitions"][0]["buckets"] == [alb_logs.outputs["bucket"]]
