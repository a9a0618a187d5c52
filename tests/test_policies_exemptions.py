"""Policy pack exemptions and configuration, through the real pack process: tag and config exemptions
with and without a reason, rules that cannot be exempted, the advisory JSON listing, config overrides."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_plans import PlanBuilder, check, policies_on

EXEMPT = "azora:policy-exempt:"
LOG = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = {"engine": "aurora-postgresql", "storageEncrypted": False, "backupRetentionPeriod": 14,
           "deletionProtection": True, "iamDatabaseAuthenticationEnabled": True, "port": 5433,
           "enabledCloudwatchLogsExports": ["postgresql"], "copyTagsToSnapshot": True, "finalSnapshotIdentifier": "f"}


def build_plan() -> dict[str, Any]:
    """(tests/test_fastpath.py reuses it)"""
    b = PlanBuilder("policies-exemptions")
    b.add(LOG, "tag-exempt", {"retentionInDays": 365, "tags": {f"{EXEMPT}log-group-cmk": "public build logs only"}})
    b.add(LOG, "tag-no-reason", {"retentionInDays": 365, "tags": {f"{EXEMPT}log-group-cmk": "  "}})
    b.add(LOG, "config-by-urn", {"retentionInDays": 365})
    b.add(LOG, "config-by-name", {"retentionInDays": 365})
    b.add(LOG, "config-no-reason", {"retentionInDays": 365})
    b.add(LOG, "unknown-policy", {"kmsKeyId": "k", "retentionInDays": 365,
                                  "tags": {f"{EXEMPT}no-such-policy": "typo"}})
    b.add(LOG, "default-tag-does-not-exempt", {"retentionInDays": 365},
          provider=b.provider("aws-exempt-all", "af-south-1", {
              "azora:team": "t", "azora:service": "s", "azora:cost-center": "c", "azora:environment": "prod",
              f"{EXEMPT}log-group-cmk": "provider-wide"}))
    b.add("aws:elasticache/replicationGroup:ReplicationGroup", "personal-abroad",
          {"description": "c", "engine": "valkey", "region": "eu-west-1", "transitEncryptionEnabled": True,
           "kmsKeyId": "k", "authToken": "t", "multiAzEnabled": True, "automaticFailoverEnabled": True,
           "subnetGroupName": "g", "port": 6380, "snapshotRetentionLimit": 7,
           "tags": {"azora:data-class": "personal", f"{EXEMPT}residency-personal-region": "we promise"}},
          protect=True)
    common = {"kmsKeyId": "arn:aws:kms:af-south-1:123456789012:key/k"}
    b.add("aws:rds/cluster:Cluster", "personal-unencrypted",
          {**CLUSTER, **common, "tags": {"azora:data-class": "personal", f"{EXEMPT}rds-storage-encrypted": "legacy"}},
          protect=True)
    b.add("aws:rds/cluster:Cluster", "internal-unencrypted",
          {**CLUSTER, **common, "tags": {"azora:data-class": "internal", f"{EXEMPT}rds-storage-encrypted": "legacy"}},
          protect=True)
    b.add("aws:backup/selection:Selection", "selection", {"name": "s", "planId": "p", "iamRoleArn": "r",
                                                          "selectionTags": [{"type": "STRINGEQUALS",
                                                                             "key": "azora:data-class",
                                                                             "value": "personal"},
                                                                            {"type": "STRINGEQUALS",
                                                                             "key": "azora:data-class",
                                                                             "value": "internal"}]})
    b.add("aws:ec2/vpc:Vpc", "vpc-exempt-stack-rule", {"cidrBlock": "10.0.0.0/16", "tags": {
        f"{EXEMPT}vpc-flow-logs": "short-lived test VPC"}})
    vpc = b.urn("aws:ec2/vpc:Vpc", "vpc-exempt-stack-rule")
    b.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "dsg", {"vpcId": "v", "ingress": [], "egress": []},
          deps={"vpcId": vpc})
    b.add(LOG, "short-retention", {"kmsKeyId": "k", "retentionInDays": 7})
    return b.plan()


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return build_plan()


@pytest.fixture(scope="module")
def result(plan: dict[str, Any]) -> Any:
    urn = next(r["urn"] for r in plan["resources"] if r["name"] == "config-by-urn")
    return check(plan, {"policy-exemptions": {"exemptions": [
        {"policy": "log-group-cmk", "urn": urn, "reason": "contains no data"},
        {"policy": "log-group-cmk", "name": "config-by-name", "reason": "contains no data either"},
        {"policy": "log-group-cmk", "name": "config-no-reason"},
    ]}})


def _exemptions(result: Any) -> dict[tuple[str, str], str]:
    return {(e.policy, e.urn.rsplit("::", 1)[-1]): e.reason for e in result.exemptions}


def test_tag_exemption_with_reason_exempts_and_is_listed(result: Any) -> None:
    assert policies_on(result, "tag-exempt") == set()
    assert _exemptions(result)[("log-group-cmk", "tag-exempt")] == "public build logs only"


def test_exemption_without_reason_does_not_exempt_and_is_a_mandatory_violation(result: Any) -> None:
    assert policies_on(result, "tag-no-reason") == {"log-group-cmk", "policy-exemption-valid"}
    [v] = [v for v in result.on("tag-no-reason") if v.policy == "policy-exemption-valid"]
    assert v.mandatory and "exemption for log-group-cmk on " in v.message and "has no reason" in v.message
    [rule] = [v for v in result.on("tag-no-reason") if v.policy == "log-group-cmk"]
    assert "exemption ignored" in rule.message
    assert ("log-group-cmk", "tag-no-reason") not in _exemptions(result)


def test_config_exemptions_by_urn_and_by_name(result: Any) -> None:
    assert policies_on(result, "config-by-urn") == set()
    assert policies_on(result, "config-by-name") == set()
    listed = _exemptions(result)
    assert listed[("log-group-cmk", "config-by-urn")] == "contains no data"
    assert listed[("log-group-cmk", "config-by-name")] == "contains no data either"
    assert policies_on(result, "config-no-reason") == {"log-group-cmk", "policy-exemption-valid"}


def test_unknown_policy_and_provider_default_tags(result: Any) -> None:
    assert policies_on(result, "unknown-policy") == {"policy-exemption-valid"}
    assert policies_on(result, "default-tag-does-not-exempt") == {"log-group-cmk"}


def test_residency_cannot_be_exempted(result: Any) -> None:
    assert policies_on(result, "personal-abroad") == {"residency-personal-region", "policy-exemption-valid"}
    [v] = [v for v in result.on("personal-abroad") if v.policy == "policy-exemption-valid"]
    assert "cannot be exempted" in v.message


def test_unencrypted_personal_data_cannot_be_exempted_but_internal_can(result: Any) -> None:
    assert policies_on(result, "personal-unencrypted") == {"rds-storage-encrypted", "policy-exemption-valid"}
    assert policies_on(result, "internal-unencrypted") == set()
    assert _exemptions(result)[("rds-storage-encrypted", "internal-unencrypted")] == "legacy"


def test_stack_rules_honour_exemptions(result: Any) -> None:
    assert policies_on(result, "vpc-exempt-stack-rule") == set()
    assert ("vpc-flow-logs", "vpc-exempt-stack-rule") in _exemptions(result)


def test_config_overrides_schema_defaults(plan: dict[str, Any], result: Any) -> None:
    assert policies_on(result, "short-retention") == {"log-group-retention"}
    relaxed = check(plan, {"log-group-retention": {"minRetentionDays": 5},
                           "required-tags": {"requiredTags": ["azora:team", "owner"]}})
    assert policies_on(relaxed, "short-retention") == {"required-tags"}
    # residency cannot be relaxed by config (tests/test_adversarial_pack.py): still reported
    assert "residency-personal-region" in policies_on(relaxed, "personal-abroad")
    # exemptions are config of policy-exemptions only: without it, the config exemptions are gone
    assert "log-group-cmk" in policies_on(relaxed, "config-by-urn")
