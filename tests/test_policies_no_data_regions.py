"""Regions that hold no Azora data (`Region.holds_data` false, e.g. us-east-1 where only global
edge/ACM resources live) are refused for personal data by the pack itself, not only by stack
validation: a program checked by the pack whose home *and* resource are in us-east-1 (same
jurisdiction, so a plain jurisdiction comparison would pass it) is reported, and a backup copy into
such a region is refused too."""

from __future__ import annotations

from typing import Any

import pytest

from azora_infra import regions
from tests.policy_plans import PlanBuilder, check, policies_on

T_CLUSTER = "aws:rds/cluster:Cluster"
T_PLAN = "aws:backup/plan:Plan"
PERSONAL = {"azora:data-class": "personal"}
INTERNAL = {"azora:data-class": "internal"}
CLUSTER = {"engine": "aurora-postgresql", "storageEncrypted": True, "deletionProtection": True,
           "iamDatabaseAuthenticationEnabled": True, "port": 5433, "backupRetentionPeriod": 14,
           "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k", "finalSnapshotIdentifier": "final",
           "enabledCloudwatchLogsExports": ["postgresql"], "copyTagsToSnapshot": True,
           "availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]}


def _rule_result(region: str, tags: dict[str, str]) -> Any:
    b = PlanBuilder(f"home-{region}", region=region)
    b.add(T_CLUSTER, "db", {**CLUSTER, "tags": tags}, protect=True)
    return check(b.plan())


def test_the_catalog_names_us_east_1_as_holding_no_data() -> None:
    doc = regions.residency_document()
    assert doc["noData"] == ["us-east-1"]
    assert not regions.may_store("personal", "us-east-1", "us-east-1")


def test_personal_data_at_home_in_a_no_data_region_is_refused() -> None:
    result = _rule_result("us-east-1", PERSONAL)
    assert "residency-personal-region" in policies_on(result, "db")
    [v] = [v for v in result.on("db") if v.policy == "residency-personal-region"]
    assert "us-east-1 holds no Azora data" in v.message and v.enforcement_level == "mandatory"


@pytest.mark.parametrize("region,tags", [("us-east-1", INTERNAL), ("af-south-1", PERSONAL)])
def test_other_data_or_a_data_region_is_not_reported(region: str, tags: dict[str, str]) -> None:
    result = _rule_result(region, {**tags})
    assert "residency-personal-region" not in policies_on(result, "db")


def test_personal_backup_copy_into_a_no_data_region_is_refused() -> None:
    b = PlanBuilder("copy", region="af-south-1")
    rule = {"ruleName": "daily", "targetVaultName": "v", "scheduleExpression": "cron(0 3 * * ? *)",
            "copyActions": [{"destinationVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:v"}]}
    b.add(T_PLAN, "personal-plan", {"name": "p", "rules": [rule], "tags": PERSONAL})
    result = check(b.plan())
    [v] = [v for v in result.on("personal-plan") if v.policy == "residency-backup-copy"]
    assert "us-east-1 (holds no Azora data)" in v.message
