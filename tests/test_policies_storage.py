"""Policy pack, storage: S3 (v7 side resources), AWS Backup, the stack joins, KMS/S3/Backup residency.

One plan, one pack run: compliant baselines reported by nothing, one broken copy per rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policy_plans import COST_TAGS, PlanBuilder, check, policies_on

DATA_KEY = "arn:aws:kms:af-south-1:123456789012:key/data"
BACKUP_KEY = "arn:aws:kms:af-south-1:123456789012:key/backup"
EU_VAULT = "arn:aws:backup:eu-west-1:123456789012:backup-vault:azora"
AF_VAULT = "arn:aws:backup:af-south-1:123456789012:backup-vault:azora"
T_BUCKET = "aws:s3/bucket:Bucket"


def tls_policy(bucket: str, *extra: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}, *extra]})


SIDES = ("sse", "pab", "versioning", "logging", "lifecycle", "notification", "policy")


def add_bucket(b: PlanBuilder, name: str, data_class: str | None = "internal", *, skip: tuple[str, ...] = (),
               override: dict[str, dict[str, Any]] | None = None, provider: str | None = None,
               log_target: str = "logs-ok", **inputs: Any) -> str:
    """A bucket and its side resources (all compliant unless skipped / overridden)."""
    tags = {"azora:data-class": data_class} if data_class else {}
    urn = b.add(T_BUCKET, name, {"bucket": name, "tags": tags, **inputs}, protect=True, provider=provider,
                arn=f"arn:aws:s3:::{name}")
    sides: dict[str, tuple[str, dict[str, Any]]] = {
        "sse": ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms",
                                                                   "kmsMasterKeyId": DATA_KEY},
                            "bucketKeyEnabled": True}]}),
        "pab": ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
                 "restrictPublicBuckets": True}),
        "versioning": ("aws:s3/bucketVersioning:BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}}),
        "logging": ("aws:s3/bucketLogging:BucketLogging", {"targetBucket": log_target, "targetPrefix": f"{name}/"}),
        "lifecycle": ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                      {"rules": [{"id": "abort", "status": "Enabled",
                                  "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}]}),
        "notification": ("aws:s3/bucketNotification:BucketNotification", {"eventbridge": True}),
        "policy": ("aws:s3/bucketPolicy:BucketPolicy", {"policy": tls_policy(name)}),
    }
    for key, (type_, props) in sides.items():
        if key in skip or (key == "logging" and name == log_target):
            continue
        b.add(type_, f"{name}-{key}", {"bucket": name, **props, **(override or {}).get(key, {})},
              provider=provider, deps={"bucket": urn})
    return urn


RULE = {"ruleName": "daily", "targetVaultName": "azora", "schedule": "cron(0 3 * * ? *)",
        "enableContinuousBackup": True, "lifecycle": {"deleteAfter": 35},
        "copyActions": [{"destinationVaultArn": EU_VAULT, "lifecycle": {"deleteAfter": 35}}]}

#: (resource name, expected policies) - built in the fixture
CASES: list[tuple[str, set[str]]] = [
    ("sse-missing-bad", {"s3-default-encryption"}),
    ("sse-aes-bad", {"s3-encryption-kms"}),
    ("sse-no-cmk-bad", {"s3-encryption-cmk"}),
    ("bucket-key-bad-sse", {"s3-bucket-key"}),
    ("pab-missing-bad", {"s3-public-access-block"}),
    ("pab-flag-bad-pab", {"s3-public-access-block"}),
    ("acl-public-read-bad", {"s3-no-public-read-acl"}),
    ("acl-public-write-bad", {"s3-no-public-write-acl"}),
    ("ownership-bad", {"s3-acls-disabled"}),
    ("no-tls-policy-bad", {"s3-ssl-requests-only"}),
    ("public-principal-bad-policy", {"s3-policy-no-public-principal"}),
    ("lockout-bad-policy", {"s3-policy-no-lockout"}),
    ("versioning-missing-bad", {"s3-versioning"}),
    ("versioning-suspended-bad-versioning", {"s3-versioning"}),
    ("replication-disabled-bad", {"s3-replication"}),
    ("object-lock-bad", {"s3-object-lock"}),
    ("access-logging-bad", {"s3-access-logging"}),
    ("lifecycle-missing-bad", {"s3-lifecycle-configured"}),
    ("abort-mpu-bad-lifecycle", {"s3-lifecycle-abort-mpu"}),
    ("notification-missing-bad", {"s3-event-notifications"}),
    ("access-point-bad", {"s3-access-point-block-public"}),
    ("object-cmk-bad", {"s3-object-cmk"}),
    ("unselected-bucket-bad", {"data-store-backup-selected"}),
    ("replicate-personal-eu-bad", {"residency-s3-replication"}),
    ("replicate-personal-unknown-bad", {"residency-s3-replication"}),
    ("replica-of-personal-key-bad", {"residency-kms-replica"}),
    ("vault-cmk-bad", {"backup-vault-cmk"}),
    ("vault-lock-missing-bad", {"backup-vault-lock"}),
    ("vault-lock-governance-bad-lock", {"backup-vault-lock"}),
    ("plan-retention-bad", {"backup-plan-retention"}),
    ("plan-continuous-bad", {"backup-continuous"}),
    ("plan-copy-bad", {"backup-copy-actions"}),
    ("plan-unclassified-bad", {"backup-copy-actions"}),
    ("plan-staging-copy-bad", {"backup-copy-actions"}),
    ("plan-personal-copy-bad", {"residency-backup-copy"}),
]
PASSES = ["logs-ok", "bucket-ok", "eu-bucket-ok", "za-replica-target-ok", "personal-bucket-ok",
          "replicate-personal-home-ok", "confidential-locked-ok", "alb-logs-ok", "key-ok", "internal-key-ok",
          "replica-of-internal-key-ok", "vault-ok", "vault-ok-lock", "plan-ok", "plan-personal-ok",
          "plan-dev-no-copy-ok", "access-point-ok", "object-ok", "ownership-ok", "bucket-ok-sse", "bucket-ok-policy"]


def build_plan() -> dict[str, Any]:
    """The bad and good resources of this module, in one plan (tests/test_fastpath.py reuses it)."""
    b = PlanBuilder("policies-storage")
    eu = b.provider("aws-eu-west-1", "eu-west-1", COST_TAGS)
    b.add("aws:backup/selection:Selection", "selection-ok",
          {"name": "all", "planId": "p", "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
           "selectionTags": [{"type": "STRINGEQUALS", "key": "azora:data-class", "value": v}
                             for v in ("internal", "confidential", "personal")]})
    b.add("aws:backup/selection:Selection", "selection-eu-ok",
          {"name": "all", "planId": "p", "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
           "selectionTags": [{"type": "STRINGEQUALS", "key": "azora:data-class", "value": "internal"}]}, provider=eu)
    # --- S3 baselines
    add_bucket(b, "logs-ok")
    add_bucket(b, "bucket-ok")
    add_bucket(b, "eu-bucket-ok", provider=eu)
    add_bucket(b, "za-replica-target-ok", "personal", objectLockEnabled=True)
    add_bucket(b, "personal-bucket-ok", "personal", objectLockEnabled=True)
    add_bucket(b, "confidential-locked-ok", "confidential", objectLockEnabled=True)
    add_bucket(b, "alb-logs-ok", override={"sse": {"rules": [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "AES256"}, "bucketKeyEnabled": True}]}})
    b.add("aws:lb/loadBalancer:LoadBalancer", "alb-writing-logs",
          {"internal": True, "accessLogs": {"enabled": True, "bucket": "alb-logs-ok"}})
    # --- S3 failures
    add_bucket(b, "sse-missing-bad", skip=("sse",))
    add_bucket(b, "sse-aes-bad", override={"sse": {"rules": [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "AES256", "kmsMasterKeyId": DATA_KEY}, "bucketKeyEnabled": True}]}})
    add_bucket(b, "sse-no-cmk-bad", override={"sse": {"rules": [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": True}]}})
    add_bucket(b, "bucket-key", override={"sse": {"rules": [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": DATA_KEY}, "bucketKeyEnabled": False}]}})
    _rename(b, "bucket-key-sse", "bucket-key-bad-sse")
    add_bucket(b, "pab-missing-bad", skip=("pab",))
    add_bucket(b, "pab-flag", override={"pab": {"ignorePublicAcls": False}})
    _rename(b, "pab-flag-pab", "pab-flag-bad-pab")
    b.add("aws:s3/bucketAcl:BucketAcl", "acl-public-read-bad", {"bucket": "bucket-ok", "acl": "public-read"})
    b.add("aws:s3/bucketAcl:BucketAcl", "acl-public-write-bad", {"bucket": "bucket-ok", "accessControlPolicy": {
        "owner": {"id": "o"}, "grants": [{"grantee": {"type": "Group",
                                                      "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
                                          "permission": "WRITE"}]}})
    b.add("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "ownership-bad",
          {"bucket": "bucket-ok", "rule": {"objectOwnership": "ObjectWriter"}})
    b.add("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "ownership-ok",
          {"bucket": "bucket-ok", "rule": {"objectOwnership": "BucketOwnerEnforced"}})
    add_bucket(b, "no-tls-policy-bad", override={"policy": {"policy": json.dumps({"Statement": []})}})
    add_bucket(b, "public-principal", override={"policy": {"policy": tls_policy(
        "public-principal", {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
                             "Resource": "arn:aws:s3:::public-principal/*"})}})
    _rename(b, "public-principal-policy", "public-principal-bad-policy")
    add_bucket(b, "lockout", override={"policy": {"policy": tls_policy(
        "lockout", {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::lockout"})}})
    _rename(b, "lockout-policy", "lockout-bad-policy")
    add_bucket(b, "versioning-missing-bad", skip=("versioning",))
    add_bucket(b, "versioning-suspended", override={"versioning": {"versioningConfiguration": {"status": "Suspended"}}})
    _rename(b, "versioning-suspended-versioning", "versioning-suspended-bad-versioning")
    b.add("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "replication-disabled-bad",
          {"bucket": "bucket-ok", "role": "arn:aws:iam::123456789012:role/r", "rules": [
              {"id": "r", "status": "Disabled", "destination": {"bucket": "arn:aws:s3:::eu-bucket-ok"}}]},
          deps={"bucket": b.urn(T_BUCKET, "bucket-ok")})
    add_bucket(b, "object-lock-bad", "confidential")
    add_bucket(b, "access-logging-bad", skip=("logging",))
    add_bucket(b, "lifecycle-missing-bad", skip=("lifecycle",))
    add_bucket(b, "abort-mpu", override={"lifecycle": {"rules": [{"id": "x", "status": "Enabled",
                                                                  "expiration": {"days": 30}}]}})
    _rename(b, "abort-mpu-lifecycle", "abort-mpu-bad-lifecycle")
    add_bucket(b, "notification-missing-bad", skip=("notification",))
    b.add("aws:s3/accessPoint:AccessPoint", "access-point-bad",
          {"bucket": "bucket-ok", "publicAccessBlockConfiguration": {"blockPublicPolicy": False}})
    b.add("aws:s3/accessPoint:AccessPoint", "access-point-ok", {"bucket": "bucket-ok"})
    b.add("aws:s3/bucketObjectv2:BucketObjectv2", "object-cmk-bad", {"bucket": "bucket-ok", "key": "a"})
    b.add("aws:s3/bucketObjectv2:BucketObjectv2", "object-ok", {"bucket": "bucket-ok", "key": "b",
                                                                "kmsKeyId": DATA_KEY})
    add_bucket(b, "unselected-bucket-bad", "public")
    # --- residency: S3 replication
    personal = b.urn(T_BUCKET, "personal-bucket-ok")
    for name, dest in (("replicate-personal-eu-bad", "arn:aws:s3:::eu-bucket-ok"),
                       ("replicate-personal-unknown-bad", "arn:aws:s3:::somewhere-else"),
                       ("replicate-personal-home-ok", "arn:aws:s3:::za-replica-target-ok")):
        b.add("aws:s3/bucketReplicationConfig:BucketReplicationConfig", name,
              {"bucket": "personal-bucket-ok", "role": "arn:aws:iam::123456789012:role/r",
               "rules": [{"id": "r", "status": "Enabled", "destination": {"bucket": dest}}]},
              deps={"bucket": personal})
    # --- residency: KMS replica keys
    key = {"description": "Azora data key", "enableKeyRotation": True, "policy": json.dumps({"Statement": []})}
    b.add("aws:kms/key:Key", "key-ok", {**key, "tags": {"azora:data-class": "personal"}}, protect=True,
          arn="arn:aws:kms:af-south-1:123456789012:key/personal")
    b.add("aws:kms/key:Key", "internal-key-ok", key, protect=True,
          arn="arn:aws:kms:af-south-1:123456789012:key/internal")
    replica = {"description": "Azora data key replica"}
    b.add("aws:kms/replicaKey:ReplicaKey", "replica-of-personal-key-bad",
          {**replica, "primaryKeyArn": "arn:aws:kms:af-south-1:123456789012:key/personal"}, protect=True, provider=eu,
          deps={"primaryKeyArn": b.urn("aws:kms/key:Key", "key-ok")})
    b.add("aws:kms/replicaKey:ReplicaKey", "replica-of-internal-key-ok",
          {**replica, "primaryKeyArn": "arn:aws:kms:af-south-1:123456789012:key/internal"}, protect=True, provider=eu,
          deps={"primaryKeyArn": b.urn("aws:kms/key:Key", "internal-key-ok")})
    # --- backup
    lock = {"changeableForDays": 3, "minRetentionDays": 7, "maxRetentionDays": 2555}
    for name, inputs, with_lock in (("vault-ok", {"kmsKeyArn": BACKUP_KEY}, lock),
                                    ("vault-cmk-bad", {}, lock),
                                    ("vault-lock-missing-bad", {"kmsKeyArn": BACKUP_KEY}, None),
                                    ("vault-lock-governance", {"kmsKeyArn": BACKUP_KEY},
                                     {"minRetentionDays": 7, "maxRetentionDays": 30})):
        vault = b.add("aws:backup/vault:Vault", name, {"name": name, **inputs}, protect=True)
        if with_lock is not None:
            lock_name = f"{name}-lock" if name != "vault-lock-governance" else "vault-lock-governance-bad-lock"
            b.add("aws:backup/vaultLockConfiguration:VaultLockConfiguration", lock_name,
                  {"backupVaultName": name, **with_lock}, deps={"backupVaultName": vault})
    plans = {
        "plan-ok": ({"azora:data-class": "internal"}, [RULE]),
        "plan-retention-bad": ({"azora:data-class": "internal"}, [{**RULE, "lifecycle": {"deleteAfter": 3}}]),
        "plan-continuous-bad": ({"azora:data-class": "internal"}, [{**RULE, "enableContinuousBackup": False}]),
        "plan-copy-bad": ({"azora:data-class": "internal"}, [{**RULE, "copyActions": []}]),
        "plan-unclassified-bad": ({}, [RULE]),
        # dev is one region (nowhere to copy to); staging has its other regions, like prod
        "plan-dev-no-copy-ok": ({"azora:data-class": "internal", "azora:environment": "dev"},
                                [{**RULE, "copyActions": []}]),
        "plan-staging-copy-bad": ({"azora:data-class": "internal", "azora:environment": "staging"},
                                  [{**RULE, "copyActions": []}]),
        "plan-personal-copy-bad": ({}, [RULE]),
        "plan-personal-ok": ({}, [{**RULE, "copyActions": [{"destinationVaultArn": AF_VAULT,
                                                            "lifecycle": {"deleteAfter": 35}}]}]),
    }
    for name, (tags, rules) in plans.items():
        purn = b.add("aws:backup/plan:Plan", name, {"name": name, "rules": rules, "tags": tags})
        if "personal" in name:
            b.add("aws:backup/selection:Selection", f"{name}-selection",
                  {"name": name, "planId": name, "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
                   "selectionTags": [{"type": "STRINGEQUALS", "key": "azora:data-class", "value": "personal"}]},
                  deps={"planId": purn})
    return b.plan()


@pytest.fixture(scope="module")
def result() -> Any:
    return check(build_plan())


def _rename(b: PlanBuilder, old: str, new: str) -> None:
    for r in b.resources:
        if r["name"] == old:
            r["urn"] = r["urn"].rsplit("::", 1)[0] + "::" + new
            r["name"] = new


@pytest.mark.parametrize("name,expected", CASES, ids=[c[0] for c in CASES])
def test_failing_resource_is_reported_by_exactly_its_rule(result: Any, name: str, expected: set[str]) -> None:
    assert policies_on(result, name) == expected


@pytest.mark.parametrize("name", PASSES)
def test_compliant_resource_is_reported_by_nothing(result: Any, name: str) -> None:
    assert policies_on(result, name) == set()


def test_residency_messages_name_both_jurisdictions(result: Any) -> None:
    [v] = result.on("plan-personal-copy-bad")
    assert "af-south-1 (ZA)" in v.message and "eu-west-1 (EU)" in v.message
    [v] = result.on("replicate-personal-unknown-bad")
    assert "not managed in this stack" in v.message
