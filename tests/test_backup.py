"""RegionalBackup: locked encrypted vault, per-class plans, residency-bound copies, restore tests."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra import regions
from azora_infra.config import ConfigError, parse_config
from azora_infra.config.backup import BackupConfig
from azora_infra.config.project import peer_regions
from azora_infra.plan.model import Plan
from components.backup import (
    DENIED_ACTIONS,
    NOTIFICATION_EVENTS,
    AuroraRestoreTest,
    RegionalBackup,
    RegionalBackupArgs,
    copy_plan,
    vault_arn,
    vault_policy,
)
from tests.harness import ALERTING, ROOT, record

KEY = "arn:aws:kms:af-south-1:123456789012:key/backup"
DATA_KEY = "arn:aws:kms:af-south-1:123456789012:key/data"
RESIDENT = "arn:aws:rds:af-south-1:123456789012:cluster:azora-africa-resident"
GLOBAL = "arn:aws:rds:af-south-1:123456789012:cluster:azora-africa-global"
RESTORE_TESTS = {"personal": AuroraRestoreTest([RESIDENT], ["sg-resident"]),
                 "internal": AuroraRestoreTest([GLOBAL], ["sg-global"])}
RESTORE_ARGS: dict[str, Any] = {"restore_tests": RESTORE_TESTS, "restore_subnet_group_name": "azora-db",
                                "restore_kms_key_arn": DATA_KEY}
PLAN = "aws:backup/plan:Plan"
RESTORE_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
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
    return _record("af-south-1", ("eu-west-1", "ap-southeast-1"), **RESTORE_ARGS)


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
    # global classes go to every other region that may hold data (none from a region without data)
    expected = [r for r in regions.data_regions() if r != home] if regions.REGIONS[home].holds_data else []
    assert dests["public"] == expected


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
    tests = {t.inputs["name"]: t.inputs for t in africa.of_type(RESTORE_SELECTION)}
    assert set(tests) == {"aurora_internal", "aurora_personal"}
    for t in tests.values():
        assert t["protectedResourceType"] == "Aurora"
        assert t["restoreTestingPlanName"] == "azora_af_south_1_monthly"
        assert t["validationWindowHours"] == 4


def test_restore_tests_name_their_clusters_and_placement(africa: Plan) -> None:
    """No "every Aurora cluster", no AWS default placement: each data class restores exactly its
    clusters, into the given subnet group, with its source's security group and the data key."""
    tests = {t.inputs["name"]: t.inputs for t in africa.of_type(RESTORE_SELECTION)}
    personal, internal = tests["aurora_personal"], tests["aurora_internal"]
    assert personal["protectedResourceArns"] == [RESIDENT] and internal["protectedResourceArns"] == [GLOBAL]
    assert personal["restoreMetadataOverrides"] == {
        "dbSubnetGroupName": "azora-db", "vpcSecurityGroupIds": '["sg-resident"]', "kmsKeyId": DATA_KEY}
    assert json.loads(internal["restoreMetadataOverrides"]["vpcSecurityGroupIds"]) == ["sg-global"]
    for t in tests.values():
        assert "*" not in t["protectedResourceArns"]


def test_without_restore_tests_nothing_is_restored() -> None:
    plan = _record("af-south-1", ())
    assert plan.of_type(RESTORE_SELECTION) == []


@pytest.mark.parametrize(("change", "message"), [
    ({"restore_subnet_group_name": None}, "need restore_subnet_group_name and restore_kms_key_arn"),
    ({"restore_kms_key_arn": None}, "need restore_subnet_group_name and restore_kms_key_arn"),
    ({"restore_metadata_overrides": {"VPCSecurityGroupIds": '["sg-open"]'}}, "may not set"),
    ({"restore_metadata_overrides": {"kmskeyid": "alias/aws/rds"}}, "may not set"),
    ({"restore_tests": {"personal": AuroraRestoreTest(
        ["arn:aws:rds:eu-west-1:123456789012:cluster:azora-europe-resident"], ["sg-1"])}}, "only in its own region"),
    ({"restore_tests": {"personal": AuroraRestoreTest(["*"], ["sg-1"])}}, "not an Aurora cluster in af-south-1"),
    ({"restore_tests": {"secret": AuroraRestoreTest([RESIDENT], ["sg-1"])}}, "not one of the backed-up"),
    ({"restore_tests": {"personal": AuroraRestoreTest([], ["sg-1"])}}, "1-30 cluster ARNs"),
    ({"restore_tests": {"personal": AuroraRestoreTest([RESIDENT] * 31, ["sg-1"])}}, "1-30 cluster ARNs"),
    ({"restore_tests": {"personal": AuroraRestoreTest([RESIDENT], [])}}, "security groups"),
])
def test_restore_test_args_are_validated(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RegionalBackupArgs(region="af-south-1", kms_key_arn=KEY, **{**RESTORE_ARGS, **change}).validate()


def test_only_this_vault_may_publish_its_events(africa: Plan) -> None:
    policy = json.loads(africa.named("aws:sns/topicPolicy:TopicPolicy", "backup-events-policy").inputs["policy"])
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    vault = africa.named("aws:backup/vault:Vault", "backup-vault")
    assert allow["Principal"] == {"Service": "backup.amazonaws.com"}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"},
                                  "ArnEquals": {"aws:SourceArn": vault.outputs["arn"]}}


@pytest.mark.parametrize(("stack", "region"), [("africa", "af-south-1"), ("europe", "eu-west-1"),
                                                ("asia", "ap-southeast-1")])
def test_repo_stack_restores_its_own_clusters_in_its_region(repo_plan: Any, stack: str, region: str) -> None:
    """Each stack's monthly restore test restores its own clusters (the personal one included)
    from its own vault, in its own region, with the databases' subnet group, the clusters' own
    security groups and the data key; and nothing copies personal recovery points out."""
    plan = Plan(repo_plan(stack))
    clusters = {c.name.removesuffix("-cluster"): c for c in plan.of_type("aws:rds/cluster:Cluster")}
    by_class = {c.tags["azora:data-class"]: c for c in clusters.values()}
    assert "personal" in by_class
    subnet_group = plan.named("aws:rds/subnetGroup:SubnetGroup", "network-database").outputs["name"]
    data_key = plan.named("aws:kms/key:Key", "keys-data").outputs["arn"]
    restore_plan = plan.named("aws:backup/restoreTestingPlan:RestoreTestingPlan", "backup-restore-test")
    assert restore_plan.region == region
    vault = plan.named("aws:backup/vault:Vault", "backup-vault")
    assert restore_plan.inputs["recoveryPointSelection"]["includeVaults"] == [vault.outputs["arn"]]
    tests = {t.inputs["name"].removeprefix("aurora_"): t for t in plan.of_type(RESTORE_SELECTION)}
    assert set(tests) == set(by_class)
    for cls, test in tests.items():
        cluster = by_class[cls]
        assert test.region == region
        assert test.inputs["protectedResourceArns"] == [cluster.outputs["arn"]]
        assert f":rds:{region}:" in cluster.outputs["arn"]
        overrides = test.inputs["restoreMetadataOverrides"]
        assert overrides["dbSubnetGroupName"] == subnet_group
        assert json.loads(overrides["vpcSecurityGroupIds"]) == cluster.inputs["vpcSecurityGroupIds"]
        assert overrides["kmsKeyId"] == data_key == cluster.inputs["kmsKeyId"]
    assert _copies(plan)["personal"] == []


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
    "azora:alerting": ALERTING,
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
