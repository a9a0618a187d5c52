"""RegionKeys: one rotating CMK per purpose, explicit key policy, aliases, protect."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from components.kms import PURPOSES, RegionKeys, RegionKeysArgs, key_policy
from tests.harness import record

ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
USER = "arn:aws:iam::123456789012:role/app"


def _keys(**kw: object):
    def program() -> None:
        provider = aws.Provider("aws-eu-west-1", region="eu-west-1")
        RegionKeys("keys", RegionKeysArgs(region="eu-west-1", **kw), provider)  # type: ignore[arg-type]
    return record(program, region="eu-west-1")


@pytest.fixture(scope="module")
def plan():
    return _keys(administrators=[ADMIN], users=[USER])


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
    assert "kms:Decrypt" not in statements["KeyAdministration"]["Action"]
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
