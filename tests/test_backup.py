"""RegionalBackup: locked encrypted vault, per-class plans, residency-bound copies, restore tests."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra import regions
from azora_infra.config import ConfigError, parse_config
from azora_infra.config.backup import BackupConfig, peer_regions
from azora_infra.plan.model import Plan
from components.backup import (
    DENIED_ACTIONS,
    NOTIFICATION_EVENTS,
    RegionalBackup,
    RegionalBackupArgs,
    copy_plan,
    vault_arn,
    vault_policy,
)
from tests.harness import ROOT, record

KEY = "arn:aws:kms:af-south-1:123456789012:key/backup"
PLAN = "aws:backup/plan:Plan"
CLASSES = ("public", "internal", "confidential", "personal")


def _record(region: str, peers: tuple[str, ...], **extra: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider(f"aws-{region}", region=region,
                                default_tags=aws.ProviderDefaultTagsArgs(tags={"azora:team": "platform"}))
        RegionalBackup("backup", RegionalBackupArgs(region=region, kms_key_arn=KEY, peer_regions=peers,
                                                    **{"notification_emails": ("ops@azora.example",), **extra}),
                       provider)
    return record(program, region=region)


@pytest.fixture(scope="module")
def africa() -> Plan:
    return _record("af-south-1", ("eu-west-1", "ap-southeast-1"))


@pytest.fixture(scope="module")
def ireland_with_frankfurt() -> Plan:
    """Synthetic deployment: a second EU region exists, so personal data may be copied there."""
    return _record("eu-west-1", ("af-south-1", "eu-central-1", "ap-southeast-1"))


def _copies(plan: Plan) -> dict[str, list[str]]:
    out = {}
    for p in plan.of_type(PLAN):
        dests: list[str] = []
        for rule in p.inputs["rules"]:
            dests += [c["destinationVaultArn"] for c in rule.get("copyActions") or []]
        out[p.tags["azora:data-class"]] = dests
    return out


def test_vault_is_encrypted_locked_and_protected(africa: Plan) -> None:
    vault = africa.named("aws:backup/vault:Vault", "backup-vault")
    assert vault.inputs["name"] == "azora-af-south-1"
    assert vault.inputs["kmsKeyArn"] == KEY and vault.inputs["forceDestroy"] is False
    assert vault.options["protect"] is True
    lock = africa.named("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "backup-lock")
    assert lock.inputs["backupVaultName"] == "azora-af-south-1"
    # changeable_for_days set = compliance mode (AWS minimum cooling-off 3 days)
    i = lock.inputs
    assert (i["changeableForDays"], i["minRetentionDays"], i["maxRetentionDays"]) == (3, 7, 365)
    assert lock.options["protect"] is True


def test_lock_mode_is_compliance_or_governance() -> None:
    args = RegionalBackupArgs(region="af-south-1", kms_key_arn=KEY, lock_mode="governance")
    args.validate()
    with pytest.raises(ValueError, match="compliance or governance"):
        RegionalBackupArgs(region="af-south-1", kms_key_arn=KEY, lock_mode="none").validate()


def test_vault_policy_denies_deletion_to_everyone(africa: Plan) -> None:
    pol = africa.named("aws:backup/vaultPolicy:VaultPolicy", "backup-policy")
    doc = json.loads(pol.inputs["policy"])
    (st,) = doc["Statement"]
    assert st["Effect"] == "Deny" and st["Principal"] == {"AWS": "*"} and "Condition" not in st
    for action in ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle",
                   "backup:PutBackupVaultAccessPolicy"):
        assert action in st["Action"]
    # the deny goes on last: after the lock and notifications it would otherwise block
    lock = africa.named("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "backup-lock")
    notes = africa.named("aws:backup/vaultNotifications:VaultNotifications", "backup-notifications")
    assert {lock.urn, notes.urn} <= set(pol.raw["dependencies"])


def test_break_glass_admins_only_exempt_from_policy_changes() -> None:
    doc = json.loads(vault_policy("arn:vault", ["arn:aws:iam::123456789012:role/break-glass"]))
    deny_all, policy_change = doc["Statement"]
    assert "backup:DeleteRecoveryPoint" in deny_all["Action"] and "Condition" not in deny_all
    assert "backup:PutBackupVaultAccessPolicy" not in deny_all["Action"]
    assert policy_change["Action"] == ["backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy"]
    assert policy_change["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/break-glass"]}}
    assert set(deny_all["Action"]) | set(policy_change["Action"]) == set(DENIED_ACTIONS)


def test_failure_notifications_to_an_encrypted_topic(africa: Plan) -> None:
    topic = africa.named("aws:sns/topic:Topic", "backup-events")
    assert topic.inputs["kmsMasterKeyId"] == KEY
    notes = africa.named("aws:backup/vaultNotifications:VaultNotifications", "backup-notifications")
    assert notes.inputs["snsTopicArn"] == topic.outputs["arn"]
    assert set(notes.inputs["backupVaultEvents"]) == set(NOTIFICATION_EVENTS)
    assert "COPY_JOB_FAILED" in notes.inputs["backupVaultEvents"]
    pol = json.loads(africa.named("aws:sns/topicPolicy:TopicPolicy", "backup-events-policy").inputs["policy"])
    assert pol["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    sub = africa.named("aws:sns/topicSubscription:TopicSubscription", "backup-events-ops@azora.example")
    assert json.loads(sub.inputs["filterPolicy"]) == {"State": [{"anything-but": "COMPLETED"}]}


def test_backup_role_has_the_managed_policies_and_snapshot_cleanup(africa: Plan) -> None:
    role = africa.named("aws:iam/role:Role", "backup-role")
    assert "backup.amazonaws.com" in role.inputs["assumeRolePolicy"]
    arns = {a.inputs["policyArn"] for a in africa.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert arns == {"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"}
    cleanup = africa.named("aws:iam/rolePolicy:RolePolicy", "backup-role-snapshot-cleanup")
    assert "rds:DeleteDBClusterSnapshot" in cleanup.inputs["policy"]


def test_a_plan_per_class_with_continuous_and_hourly_rules(africa: Plan) -> None:
    plans = {p.tags["azora:data-class"]: p for p in africa.of_type(PLAN)}
    assert set(plans) == set(CLASSES)
    for cls, p in plans.items():
        assert p.inputs["name"] == f"azora-af-south-1-{cls}"
        rules = {r["ruleName"]: r for r in p.inputs["rules"]}
        assert rules["continuous"]["enableContinuousBackup"] is True
        assert rules["continuous"]["lifecycle"] == {"deleteAfter": 35}
        assert rules["hourly"]["schedule"] == "cron(0 * ? * * *)"
        assert not rules["hourly"].get("enableContinuousBackup")
        assert all(r["targetVaultName"] == "azora-af-south-1" for r in rules.values())


def test_global_classes_copied_to_both_other_regions_personal_never(africa: Plan) -> None:
    copies = _copies(africa)
    others = [vault_arn(r, "123456789012") for r in ("eu-west-1", "ap-southeast-1")]
    for cls in ("public", "internal", "confidential"):
        assert copies[cls] == others
    assert copies["personal"] == []
    comp = africa.named("azora:backup:RegionalBackup", "backup")
    assert comp.outputs["copyDestinations"]["personal"] == []
    assert comp.outputs["copyDestinations"]["public"] == ["eu-west-1", "ap-southeast-1"]
    assert comp.outputs["residencyNotes"]["personal"].startswith("residency-limited: personal data stays in ZA")


def test_personal_copy_made_inside_the_jurisdiction(ireland_with_frankfurt: Plan) -> None:
    copies = _copies(ireland_with_frankfurt)
    assert copies["personal"] == [vault_arn("eu-central-1", "123456789012")]
    assert len(copies["public"]) == 3
    comp = ireland_with_frankfurt.named("azora:backup:RegionalBackup", "backup")
    assert "copied within EU to eu-central-1" in comp.outputs["residencyNotes"]["personal"]


@pytest.mark.parametrize("home", sorted(regions.REGIONS))
def test_personal_backups_never_leave_their_jurisdiction(home: str) -> None:
    dests, _ = copy_plan(home, sorted(regions.REGIONS), list(regions.DataClass))
    home_j = regions.region(home).jurisdiction
    assert all(regions.region(r).jurisdiction == home_j for r in dests["personal"])
    assert home not in dests["personal"]
    assert dests["public"] == [r for r in sorted(regions.REGIONS) if r != home]


def test_selections_by_data_class_tag(africa: Plan) -> None:
    plans = {p.outputs["id"]: p.tags["azora:data-class"] for p in africa.of_type(PLAN)}
    role = africa.named("aws:iam/role:Role", "backup-role")
    sels = africa.of_type("aws:backup/selection:Selection")
    assert len(sels) == 4
    for s in sels:
        cls = plans[s.inputs["planId"]]
        assert s.inputs["selectionTags"] == [{"type": "STRINGEQUALS", "key": "azora:data-class", "value": cls}]
        assert s.inputs["iamRoleArn"] == role.outputs["arn"]
        assert "resources" not in s.inputs


def test_monthly_aurora_restore_test(africa: Plan) -> None:
    plan = africa.named("aws:backup/restoreTestingPlan:RestoreTestingPlan", "backup-restore-test")
    assert plan.inputs["name"] == "azora_af_south_1_monthly"
    assert plan.inputs["scheduleExpression"] == "cron(0 5 1 * ? *)"
    sel = plan.inputs["recoveryPointSelection"]
    assert sel["algorithm"] == "LATEST_WITHIN_WINDOW"
    vault = africa.named("aws:backup/vault:Vault", "backup-vault")
    assert sel["includeVaults"] == [vault.outputs["arn"]]
    test = africa.named("aws:backup/restoreTestingSelection:RestoreTestingSelection", "backup-restore-test-aurora")
    assert test.inputs["protectedResourceType"] == "Aurora"
    assert test.inputs["restoreTestingPlanName"] == "azora_af_south_1_monthly"
    assert test.inputs["validationWindowHours"] == 4


def test_children_use_the_region_provider(africa: Plan) -> None:
    comp = africa.named("azora:backup:RegionalBackup", "backup")
    for child in africa.descendants(comp.urn):
        assert child.parent == comp.urn
        assert child.provider is not None and child.provider["name"] == "aws-af-south-1"


@pytest.mark.parametrize(("change", "message"), [
    ({"snapshot_retention_days": 3}, "within the vault lock"),
    ({"changeable_for_days": 2}, "at least 3"),
    ({"continuous_retention_days": 36}, "1-35"),
    ({"snapshot_schedule": "rate(1 hour)"}, "six-field cron"),
])
def test_component_args_are_validated(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RegionalBackupArgs(region="af-south-1", kms_key_arn=KEY, **change).validate()


RAW: dict[str, Any] = {
    "aws:region": "af-south-1", "azora:region": "af-south-1", "azora:role": "primary",
    "azora:primaryStack": "africa", "azora:network": {"cidr": "10.10.0.0/16"},
    "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
    "azora:alerting": {"page": {"emails": ["oncall@azora.example"]}},
}


def test_backup_defaults_validate_without_a_section() -> None:
    cfg = parse_config(RAW, "Pulumi.africa.yaml")
    assert cfg.backup == BackupConfig()
    b = cfg.backup
    assert (b.lock_mode, b.min_retention_days, b.changeable_for_days) == ("compliance", 7, 3)
    assert b.continuous_backup and b.continuous_retention_days == 35
    assert b.snapshot_schedule == "cron(0 * ? * * *)" and b.copy_regions is None


@pytest.mark.parametrize(("backup", "field", "message"), [
    ({"minRetentionDays": 6}, "azora:backup.minRetentionDays", ""),
    ({"minRetentionDays": 30, "maxRetentionDays": 20}, "azora:backup.maxRetentionDays", "less than minRetentionDays"),
    ({"minRetentionDays": 40}, "azora:backup.continuousRetentionDays", "outside the vault lock"),
    ({"maxRetentionDays": 30}, "azora:backup.continuousRetentionDays", "outside the vault lock"),
    ({"changeableForDays": 2}, "azora:backup.changeableForDays", ""),
    ({"continuousRetentionDays": 36}, "azora:backup.continuousRetentionDays", ""),
    ({"snapshotSchedule": "hourly"}, "azora:backup.snapshotSchedule", "cron expression"),
    ({"copyRegions": ["mars-1"]}, "azora:backup.copyRegions", "unknown region"),
    ({"lockMode": "none"}, "azora:backup.lockMode", ""),
])
def test_backup_config_errors_name_the_field(backup: dict[str, Any], field: str, message: str) -> None:
    raw = copy.deepcopy(RAW)
    raw["azora:backup"] = backup
    with pytest.raises(ConfigError) as err:
        parse_config(raw, "Pulumi.africa.yaml")
    assert f"Pulumi.africa.yaml: {field}" in str(err.value)
    assert message in str(err.value)


def test_peer_regions_come_from_the_other_stack_files() -> None:
    assert peer_regions("africa", "af-south-1", ROOT) == ("ap-southeast-1", "eu-west-1")
    assert peer_regions("europe", "eu-west-1", ROOT) == ("af-south-1", "ap-southeast-1")
    assert peer_regions("africa", "af-south-1", ROOT / "docs") == ()


def test_no_notification_topic_without_recipients() -> None:
    # a topic nobody reads would hide failures: without e-mails there is none; failed jobs reach the
    # region's ticket topic through EventBridge (components/event_alerts.py) instead
    plan = _record("af-south-1", ("eu-west-1",), notification_emails=())
    assert not plan.of_type("aws:sns/topic:Topic")
    assert not plan.of_type("aws:backup/vaultNotifications:VaultNotifications")
    policy = plan.named("aws:backup/vaultPolicy:VaultPolicy", "backup-policy")
    lock = plan.named("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "backup-lock")
    assert lock.urn in policy.raw["dependencies"]
