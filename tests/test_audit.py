"""AuditTrail: one trail per region into an in-region, object-locked (compliance, 7 years) archive; CIS
alarms that page; and, on the repo's stacks, an audit event that reaches a person."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra.plan.model import Plan
from components.audit import CIS_FILTERS, AuditTrail, AuditTrailArgs, trail_arn
from tests.harness import record

PAGE = "arn:aws:sns:eu-west-1:123456789012:azora-test-page"
PERSONAL = "arn:aws:s3:::azora-test-alb-logs"
BUCKET = "aws:s3/bucket:Bucket"


def _audit(**kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-eu-west-1", region="eu-west-1")
        AuditTrail("audit", AuditTrailArgs(**{"region": "eu-west-1", "name_prefix": "azora-test",
                                              "page_topic_arn": PAGE, "data_event_bucket_arns": [PERSONAL], **kw}),
                   provider)
    return record(program, region="eu-west-1")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _audit()


def _side(plan: Plan, type_: str, role: str) -> Any:
    return plan.named(f"aws:s3/{type_}", f"audit-{role}")


def _statements(doc: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(doc)["Statement"]}


def test_archive_is_object_locked_in_compliance_mode_for_seven_years_from_creation(plan: Plan) -> None:
    archive = plan.named(BUCKET, "audit-archive")
    assert archive.inputs["objectLockEnabled"] is True  # only possible when the bucket is created
    assert archive.region == "eu-west-1" and archive.options["protect"] is True
    assert archive.tags["azora:data-class"] == "personal"  # IP addresses and identities
    lock = _side(plan, "bucketObjectLockConfiguration:BucketObjectLockConfiguration", "archive")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "years": 7}
    lifecycle = _side(plan, "bucketLifecycleConfiguration:BucketLifecycleConfiguration", "archive")
    rule = lifecycle.inputs["rules"][0]
    assert rule["transitions"] == [{"days": 90, "storageClass": "DEEP_ARCHIVE"}]
    # expiry never precedes the lock: 7 years of days, leap days included
    assert rule["expiration"]["days"] == rule["noncurrentVersionExpiration"]["noncurrentDays"] == 2557


def test_archive_is_private_encrypted_versioned_tls_only_and_access_logged(plan: Plan) -> None:
    key = plan.named("aws:kms/key:Key", "audit-key")
    for role in ("archive", "access-logs"):
        sse = _side(plan, "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", role)
        rule = sse.inputs["rules"][0]
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms",
                                                             "kmsMasterKeyId": key.outputs["arn"]}
        pab = _side(plan, "bucketPublicAccessBlock:BucketPublicAccessBlock", role)
        assert all(pab.inputs[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                   "restrictPublicBuckets"))
        assert _side(plan, "bucketVersioning:BucketVersioning", role).inputs["versioningConfiguration"] == {
            "status": "Enabled"}
        policy = _statements(_side(plan, "bucketPolicy:BucketPolicy", role).inputs["policy"])
        assert policy["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    logging = _side(plan, "bucketLogging:BucketLogging", "archive")
    access = plan.named(BUCKET, "audit-access-logs")
    assert logging.inputs["targetBucket"] == access.outputs["id"]
    # the access-log bucket cannot carry a default retention (S3 refuses to log into it): exempt, with the reason
    assert "objectLockEnabled" not in access.inputs
    assert "Object Lock" in access.tags["azora:policy-exempt:s3-object-lock"]
    only_archive = _statements(_side(plan, "bucketPolicy:BucketPolicy", "access-logs").inputs["policy"])
    assert only_archive["S3ServerAccessLogs"]["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:s3:::"
                                                                          + plan.named(BUCKET, "audit-archive")
                                                                          .outputs["bucket"]}


def test_only_this_regions_trail_config_and_log_delivery_write_to_their_prefixes(plan: Plan) -> None:
    archive = plan.named(BUCKET, "audit-archive").outputs["arn"]
    s = _statements(_side(plan, "bucketPolicy:BucketPolicy", "archive").inputs["policy"])
    mine = trail_arn("eu-west-1", "123456789012", "azora-test")
    assert s["CloudTrailWrite"]["Resource"] == f"{archive}/cloudtrail/AWSLogs/123456789012/*"
    assert s["CloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == mine
    assert s["ConfigWrite"]["Resource"] == f"{archive}/config/AWSLogs/123456789012/Config/*"
    assert s["LogDeliveryWrite"]["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:logs:eu-west-1:123456789012:*"}
    assert all(st["Principal"] != "*" for sid, st in s.items() if st["Effect"] == "Allow")


def test_trail_is_single_region_validated_encrypted_and_copied_to_logs(plan: Plan) -> None:
    trail = plan.named("aws:cloudtrail/trail:Trail", "audit-trail")
    i = trail.inputs
    assert i["isMultiRegionTrail"] is False and i["enableLogFileValidation"] is True and i["enableLogging"] is True
    assert i["includeGlobalServiceEvents"] is False  # only the primary's trail records IAM and friends
    assert i["kmsKeyId"] == plan.named("aws:kms/key:Key", "audit-key").outputs["arn"]
    assert i["s3BucketName"] == plan.named(BUCKET, "audit-archive").outputs["id"]
    assert i["cloudWatchLogsGroupArn"].endswith("log-group:/aws/cloudtrail/azora-test:*")
    assert "one trail per region" in trail.tags["azora:policy-exempt:cloudtrail-multi-region"]
    management, data = i["advancedEventSelectors"]
    assert management["fieldSelectors"] == [{"field": "eventCategory", "equals": ["Management"]}]
    fields = {f["field"]: f for f in data["fieldSelectors"]}
    assert fields["resources.type"]["equals"] == ["AWS::S3::Object"]
    assert fields["resources.ARN"]["startsWiths"] == [f"{PERSONAL}/"]


def test_key_lets_only_this_trail_encrypt_and_the_region_s_log_groups_use_it(plan: Plan) -> None:
    s = _statements(plan.named("aws:kms/key:Key", "audit-key").inputs["policy"])
    assert s["CloudTrailEncryptsThisTrail"]["Condition"]["StringEquals"] == {
        "aws:SourceArn": trail_arn("eu-west-1", "123456789012", "azora-test")}
    assert s["CloudWatchLogs"]["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    for sid in ("ConfigDelivery", "S3ServerAccessLogs", "LogDelivery"):
        assert s[sid]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert "kms:ViaService" in s["ReadThroughS3AndBackup"]["Condition"]["StringEquals"]


def test_every_cis_filter_has_an_alarm_that_pages(plan: Plan) -> None:
    filters = {f.name: f for f in plan.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    alarms = {a.name: a for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(filters) == set(alarms) == {f"audit-cis-{k}" for k in CIS_FILTERS}
    for key, pattern in CIS_FILTERS.items():
        f, a = filters[f"audit-cis-{key}"], alarms[f"audit-cis-{key}"]
        assert f.inputs["pattern"] == pattern and f.inputs["logGroupName"] == "/aws/cloudtrail/azora-test"
        metric = f.inputs["metricTransformation"]
        assert (a.inputs["namespace"], a.inputs["metricName"]) == (metric["namespace"], metric["name"])
        assert a.inputs["alarmActions"] == [PAGE] and a.inputs["threshold"] == 1
        assert a.inputs["treatMissingData"] == "notBreaching"


@pytest.mark.parametrize(("key", "must_name"), [
    ("root-usage", ["Root"]), ("unauthorized-api-calls", ["UnauthorizedOperation", "AccessDenied"]),
    ("console-login-without-mfa", ["ConsoleLogin", "MFAUsed"]),
    ("iam-policy-changes", ["PutRolePolicy", "AttachRolePolicy", "CreatePolicyVersion"]),
    ("kms-key-disable-or-deletion", ["DisableKey", "ScheduleKeyDeletion"]),
    ("security-group-changes", ["AuthorizeSecurityGroupIngress", "DeleteSecurityGroup"]),
    ("nacl-changes", ["CreateNetworkAclEntry", "ReplaceNetworkAclAssociation"]),
    ("cloudtrail-changes", ["StopLogging", "DeleteTrail", "UpdateTrail"]),
])
def test_cis_filters_watch_the_benchmark_events(key: str, must_name: list[str]) -> None:
    pattern = CIS_FILTERS[key]
    assert pattern.startswith("{") and pattern.endswith("}") and pattern.count("(") == pattern.count(")")
    assert all(re.search(rf"\b{name}", pattern) for name in must_name)


def test_primary_records_global_events_and_alarms_can_be_off() -> None:
    plan = _audit(include_global_service_events=True, cis_alarms=False, data_event_bucket_arns=[])
    trail = plan.named("aws:cloudtrail/trail:Trail", "audit-trail").inputs
    assert trail["includeGlobalServiceEvents"] is True
    assert len(trail["advancedEventSelectors"]) == 1  # management events only: no bucket to watch
    assert not plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")


@pytest.mark.parametrize(("kw", "message"), [
    ({"retention_years": 0}, "retention_years must be at least 1"),
    ({"archive_after_days": 4000}, "archive_after_days must be shorter than the retention"),
    ({"key_deletion_window_days": 3}, "key_deletion_window_days must be 7-30"),
    ({"name_prefix": "azora-" + "x" * 40}, "bucket names over 63"),
])
def test_bad_arguments_are_refused(kw: dict[str, Any], message: str) -> None:
    args = AuditTrailArgs(**{"region": "eu-west-1", "name_prefix": "azora-test", "page_topic_arn": PAGE, **kw})
    with pytest.raises(ValueError, match=message):
        args.validate()


def test_a_cis_alarm_on_a_repo_stack_reaches_a_person(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    """Flow: a root sign-in recorded by africa's trail -> the CIS metric filter -> its alarm -> the page
    topic -> the on-call e-mail subscription."""
    plan = Plan(repo_plan("africa"))
    trail = plan.named("aws:cloudtrail/trail:Trail", "audit-trail")
    group = plan.named("aws:cloudwatch/logGroup:LogGroup", "audit-trail")
    assert trail.inputs["cloudWatchLogsGroupArn"] == group.outputs["arn"] + ":*"
    root = plan.named("aws:cloudwatch/logMetricFilter:LogMetricFilter", "audit-cis-root-usage")
    assert root.inputs["logGroupName"] == group.inputs["name"]
    alarm = plan.named("aws:cloudwatch/metricAlarm:MetricAlarm", "audit-cis-root-usage")
    page = plan.named("aws:sns/topic:Topic", "alerts-page")
    plans = {p.inputs["name"]: p.outputs["arn"] for p in plan.of_type("aws:ssmincidents/responsePlan:ResponsePlan")}
    # the page topic, and the page response plan: a CIS alarm also opens an incident
    assert alarm.inputs["alarmActions"] == [page.outputs["arn"], plans["azora-prod-page"]]
    assert alarm.tags["azora:severity"] == "page" and "docs/runbooks/security-events.md" in \
        alarm.inputs["alarmDescription"]
    subs = [s for s in plan.of_type("aws:sns/topicSubscription:TopicSubscription")
            if s.inputs["topic"] == page.outputs["arn"]]
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in subs] == [("email", "oncall-africa@azora.example")]
    topic_policy = _statements(plan.named("aws:sns/topicPolicy:TopicPolicy", "alerts-page-policy").inputs["policy"])
    assert topic_policy["PublishCloudwatch"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert trail.inputs["includeGlobalServiceEvents"] is True  # the primary records IAM and root sign-in
