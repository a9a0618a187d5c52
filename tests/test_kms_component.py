"""RegionKeys: one rotating CMK per purpose, explicit key policy, aliases, protect."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from azora_infra.config import ConfigError, parse_config
from components.kms import ADMIN_ACTIONS, POLICY_OWNER_ACTIONS, PURPOSES, RegionKeys, RegionKeysArgs, key_policy
from tests.harness import ALERTING, record

ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
USER = "arn:aws:iam::123456789012:role/app"
DEPLOYER = "arn:aws:iam::123456789012:role/pulumi-deployer"
#: every KMS action that uses a key or lets the caller give itself (or anyone) use of it
USE_OR_GRANT_USE = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair", "kms:CreateGrant",
                    "kms:PutKeyPolicy", "kms:ReplicateKey", "kms:ImportKeyMaterial", "kms:UpdateAlias",
                    "kms:CreateAlias", "kms:TagResource", "kms:UntagResource", "kms:DisableKeyRotation"}


def _keys(**kw: object):
    def program() -> None:
        provider = aws.Provider("aws-eu-west-1", region="eu-west-1")
        RegionKeys("keys", RegionKeysArgs(region="eu-west-1", **kw), provider)  # type: ignore[arg-type]
    return record(program, region="eu-west-1")


@pytest.fixture(scope="module")
def plan():
    return _keys(administrators=[ADMIN], users=[USER], key_policy_owners=[DEPLOYER])


def test_one_key_per_purpose_with_rotation_and_30_day_window(plan) -> None:
    keys = {k.inputs["tags"]["azora:key-purpose"]: k for k in plan.of_type("aws:kms/key:Key")}
    assert set(keys) == set(PURPOSES)
    for k in keys.values():
        assert k.inputs["enableKeyRotation"] is True
        assert k.inputs["deletionWindowInDays"] == 30
        assert k.inputs["keyUsage"] == "ENCRYPT_DECRYPT"
        assert k.options["protect"] is True
        assert k.provider and k.provider["region"] == "eu-west-1"


def test_aliases_point_at_their_keys(plan) -> None:
    keys = {k.name: k for k in plan.of_type("aws:kms/key:Key")}
    aliases = {a.inputs["name"]: a for a in plan.of_type("aws:kms/alias:Alias")}
    assert set(aliases) == {f"alias/azora/{p}" for p in PURPOSES}
    assert aliases["alias/azora/data"].inputs["targetKeyId"] == keys["keys-data"].outputs["keyId"]


def test_key_policy_names_administrators_and_users(plan) -> None:
    data = plan.named("aws:kms/key:Key", "keys-data")
    statements = {s["Sid"]: s for s in json.loads(data.inputs["policy"])["Statement"]}
    assert statements["KeyAdministration"]["Principal"]["AWS"] == [ADMIN]
    assert statements["KeyAdministration"]["Action"] == ADMIN_ACTIONS
    assert statements["KeyPolicyOwners"]["Principal"]["AWS"] == [DEPLOYER]
    assert statements["KeyPolicyOwners"]["Action"] == POLICY_OWNER_ACTIONS
    assert statements["KeyUsage"]["Principal"]["AWS"] == [USER]
    assert statements["GrantsForAwsResources"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    via = statements["UseThroughAwsServices"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert "rds.eu-west-1.amazonaws.com" in via


def test_logs_and_backup_keys_trust_their_service() -> None:
    logs = json.loads(key_policy("123456789012", "af-south-1", "logs", (), ()))
    sids = {s["Sid"]: s for s in logs["Statement"]}
    assert sids["CloudWatchLogs"]["Principal"] == {"Service": "logs.af-south-1.amazonaws.com"}
    assert sids["KeyAdministration"]["Principal"]["AWS"] == ["arn:aws:iam::123456789012:root"]
    backup = {s["Sid"]: s for s in json.loads(key_policy("1" * 12, "af-south-1", "backup", (), ()))["Statement"]}
    assert backup["AwsBackupService"]["Principal"] == {"Service": "backup.amazonaws.com"}
    assert "KeyUsage" not in backup


def test_dev_keys_are_not_protected_and_window_is_configurable() -> None:
    plan = _keys(protect=False, deletion_window_days=7, purposes=("data",))
    (key,) = plan.of_type("aws:kms/key:Key")
    assert key.options["protect"] is False and key.inputs["deletionWindowInDays"] == 7


@pytest.mark.parametrize(("kw", "msg"), [({"purposes": ("nope",)}, "unknown purpose"),
                                         ({"deletion_window_days": 3}, "7-30")])
def test_bad_args_are_refused(kw: dict[str, object], msg: str) -> None:
    with pytest.raises(Exception, match=msg):
        _keys(**kw)


def test_unknown_purpose_lookup_names_the_known_ones() -> None:
    captured: list[RegionKeys] = []

    def program() -> None:
        provider = aws.Provider("p", region="eu-west-1")
        captured.append(RegionKeys("k", RegionKeysArgs(region="eu-west-1", purposes=("data",)), provider))

    record(program, region="eu-west-1")
    with pytest.raises(KeyError, match=r"has no 'logs' key \(has: \['data'\]\)"):
        captured[0].arn("logs")


def _matches(pattern: str, action: str) -> bool:
    return action == pattern or (pattern.endswith("*") and action.startswith(pattern[:-1]))


@pytest.mark.parametrize("purpose", sorted(PURPOSES))
def test_administrators_cannot_use_or_grant_themselves_use(purpose: str) -> None:
    """The way it was found: read the admin statement for anything that uses the key or grants use."""
    doc = json.loads(key_policy("123456789012", "af-south-1", purpose, [ADMIN], [USER], [DEPLOYER]))
    granted = [a for s in doc["Statement"] if ADMIN in s["Principal"].get("AWS", []) for a in s["Action"]]
    assert granted == ADMIN_ACTIONS
    assert not any(a.endswith("*") for a in granted), "explicit actions only: no Create*/Put*/Update* wildcard"
    assert not [a for a in USE_OR_GRANT_USE if any(_matches(g, a) for g in granted)]
    # only the key-policy owners may change the policy, the aliases and the tags
    owners = {s["Sid"]: s for s in doc["Statement"]}["KeyPolicyOwners"]
    assert owners["Principal"] == {"AWS": [DEPLOYER]}
    assert {"kms:PutKeyPolicy", "kms:CreateAlias", "kms:TagResource"} <= set(owners["Action"])
    assert not {"kms:CreateGrant", "kms:Decrypt", "kms:Encrypt"} & set(owners["Action"])


def test_default_owner_is_the_account_so_iam_decides() -> None:
    doc = {s["Sid"]: s for s in json.loads(key_policy("123456789012", "af-south-1", "data", (), ()))["Statement"]}
    root = ["arn:aws:iam::123456789012:root"]
    assert doc["KeyAdministration"]["Principal"]["AWS"] == root
    # KMS refuses a policy its creator could not change again: without owners, the account can
    assert doc["KeyPolicyOwners"]["Principal"]["AWS"] == root and "kms:PutKeyPolicy" in doc["KeyPolicyOwners"]["Action"]


def test_an_administrator_that_also_owns_the_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be both a key administrator and a key-policy owner"):
        key_policy("123456789012", "af-south-1", "data", [ADMIN], [], [ADMIN, DEPLOYER])
    with pytest.raises(Exception, match="cannot be both"):
        _keys(administrators=[ADMIN], key_policy_owners=[ADMIN], purposes=("data",))


def test_config_refuses_an_administrator_that_owns_the_policy() -> None:
    raw = {"aws:region": "af-south-1", "azora:region": "af-south-1", "azora:role": "primary",
           "azora:primaryStack": "africa", "azora:network": {"cidr": "10.10.0.0/16"},
           "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
           "azora:alerting": ALERTING,
           "azora:kms": {"administrators": [ADMIN], "keyPolicyOwners": [ADMIN]}}
    with pytest.raises(ConfigError) as err:
        parse_config(raw, "Pulumi.africa.yaml")
    assert str(err.value).startswith("Pulumi.africa.yaml: azora:kms.keyPolicyOwners: ")
    assert "keep the two lists apart" in str(err.value)
    raw["azora:kms"] = {"administrators": [ADMIN], "keyPolicyOwners": [DEPLOYER]}
    assert parse_config(raw, "Pulumi.africa.yaml").kms.key_policy_owners == (DEPLOYER,)
