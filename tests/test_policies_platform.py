"""Policy pack, platform services: EKS, KMS, Secrets Manager, CloudWatch Logs, CloudTrail.

One plan, one pack run: compliant baselines reported by nothing, one broken copy per rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policy_plans import PlanBuilder, check, policies_on

KEY = "arn:aws:kms:af-south-1:123456789012:key/k"
POLICY = json.dumps({"Statement": [{"Sid": "Admin", "Effect": "Allow",
                                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
                                    "Resource": "*"}]})
EKS = {"roleArn": "arn:aws:iam::123456789012:role/eks", "version": "1.33", "deletionProtection": True,
       "vpcConfig": {"subnetIds": ["a", "b"], "endpointPublicAccess": False, "endpointPrivateAccess": True},
       "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}},
       "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]}
KMS = {"description": "Azora data key", "enableKeyRotation": True, "policy": POLICY}
SECRET = {"description": "Azora cache auth token", "kmsKeyId": KEY}
LOGS = {"kmsKeyId": KEY, "retentionInDays": 365}
TRAIL = {"s3BucketName": "trail", "kmsKeyId": KEY, "enableLogFileValidation": True,
         "cloudWatchLogsGroupArn": "arn:aws:logs:af-south-1:123456789012:log-group:trail:*",
         "cloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/trail", "isMultiRegionTrail": True,
         "snsTopicName": "trail"}


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {k: v for k, v in base.items() if k not in changes}
    out.update({k: v for k, v in changes.items() if v is not None})
    return out


T_EKS, T_KEY, T_SECRET = "aws:eks/cluster:Cluster", "aws:kms/key:Key", "aws:secretsmanager/secret:Secret"
T_LOG, T_TRAIL = "aws:cloudwatch/logGroup:LogGroup", "aws:cloudtrail/trail:Trail"
CASES: list[tuple[str, str, dict[str, Any], bool, set[str]]] = [
    ("eks-public-bad", T_EKS, variant(EKS, vpcConfig={"subnetIds": ["a", "b"], "publicAccessCidrs": ["1.2.3.4/32"]}),
     False, {"eks-endpoint-not-public"}),
    ("eks-world-bad", T_EKS, variant(EKS, vpcConfig={"subnetIds": ["a", "b"], "endpointPublicAccess": True}),
     False, {"eks-endpoint-not-public", "eks-public-cidrs-restricted"}),
    ("eks-secrets-bad", T_EKS, variant(EKS, encryptionConfig=None), False, {"eks-secrets-encryption"}),
    ("eks-logging-bad", T_EKS, variant(EKS, enabledClusterLogTypes=["api", "audit"]), False,
     {"eks-control-plane-logging"}),
    ("eks-version-bad", T_EKS, variant(EKS, version="1.24"), False, {"eks-supported-version"}),
    ("eks-deletion-protection-bad", T_EKS, variant(EKS, deletionProtection=None), False, {"eks-deletion-protection"}),
    ("nodegroup-ssh-bad", "aws:eks/nodeGroup:NodeGroup",
     {"clusterName": "c", "nodeRoleArn": "r", "subnetIds": ["a"], "scalingConfig": {"desiredSize": 1, "maxSize": 1,
                                                                                    "minSize": 1},
      "remoteAccess": {"ec2SshKey": "k"}}, False, {"eks-nodegroup-no-open-ssh"}),
    ("kms-rotation-bad", T_KEY, variant(KMS, enableKeyRotation=None), True, {"kms-key-rotation"}),
    ("kms-bypass-bad", T_KEY, variant(KMS, bypassPolicyLockoutSafetyCheck=True), True,
     {"kms-no-bypass-lockout-check"}),
    ("kms-description-bad", T_KEY, variant(KMS, description="k"), True, {"kms-description"}),
    ("kms-wildcard-bad", T_KEY, variant(KMS, policy=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]})), True,
     {"kms-policy-no-wildcard-principal"}),
    ("kms-no-policy-bad", T_KEY, variant(KMS, policy=None), True, {"kms-key-policy-defined"}),
    ("kms-disabled-bad", T_KEY, variant(KMS, isEnabled=False), True, {"kms-key-enabled"}),
    ("secret-cmk-bad", T_SECRET, variant(SECRET, kmsKeyId=None), False, {"secret-cmk"}),
    ("secret-description-bad", T_SECRET, variant(SECRET, description=None), False, {"secret-description"}),
    ("secret-unrotated-bad", T_SECRET, dict(SECRET), False, {"secret-rotation"}),
    ("log-group-cmk-bad", T_LOG, variant(LOGS, kmsKeyId=None), False, {"log-group-cmk"}),
    ("log-group-retention-bad", T_LOG, variant(LOGS, retentionInDays=None), False, {"log-group-retention"}),
    ("log-group-short-retention-bad", T_LOG, variant(LOGS, retentionInDays=7), False, {"log-group-retention"}),
    ("trail-kms-bad", T_TRAIL, variant(TRAIL, kmsKeyId=None), False, {"cloudtrail-kms"}),
    ("trail-validation-bad", T_TRAIL, variant(TRAIL, enableLogFileValidation=None), False,
     {"cloudtrail-log-file-validation"}),
    ("trail-cwl-bad", T_TRAIL, variant(TRAIL, cloudWatchLogsGroupArn=None), False, {"cloudtrail-cloudwatch-logs"}),
    ("trail-multi-region-bad", T_TRAIL, variant(TRAIL, isMultiRegionTrail=False), False, {"cloudtrail-multi-region"}),
    ("trail-logging-bad", T_TRAIL, variant(TRAIL, enableLogging=False), False, {"cloudtrail-logging-enabled"}),
    ("trail-sns-bad", T_TRAIL, variant(TRAIL, snsTopicName=None), False, {"cloudtrail-sns-topic"}),
    ("event-data-store-bad", "aws:cloudtrail/eventDataStore:EventDataStore", {"name": "eds"}, False,
     {"cloudtrail-event-data-store-cmk"}),
]
PASSES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("eks-ok", T_EKS, EKS, False),
    ("nodegroup-ok", "aws:eks/nodeGroup:NodeGroup",
     {"clusterName": "c", "nodeRoleArn": "r", "subnetIds": ["a"],
      "scalingConfig": {"desiredSize": 1, "maxSize": 1, "minSize": 1}}, False),
    ("kms-ok", T_KEY, KMS, True),
    ("kms-asymmetric-ok", T_KEY, variant(KMS, enableKeyRotation=None, customerMasterKeySpec="RSA_2048",
                                         keyUsage="SIGN_VERIFY"), True),
    ("secret-ok", T_SECRET, SECRET, False),
    ("log-group-ok", T_LOG, LOGS, False),
    ("trail-ok", T_TRAIL, TRAIL, False),
    ("event-data-store-ok", "aws:cloudtrail/eventDataStore:EventDataStore", {"name": "eds", "kmsKeyId": KEY}, False),
]


def build_plan() -> dict[str, Any]:
    """The bad and good resources of this module, in one plan (tests/test_fastpath.py reuses it)."""
    b = PlanBuilder("policies-platform")
    for name, type_, inputs, protect, _ in CASES:
        b.add(type_, name, inputs, protect=protect)
    for name, type_, inputs, protect in PASSES:
        b.add(type_, name, inputs, protect=protect)
    secret = b.urn(T_SECRET, "secret-ok")
    b.add("aws:secretsmanager/secretRotation:SecretRotation", "rotation-ok",
          {"secretId": "x", "rotationLambdaArn": "arn", "rotationRules": {"automaticallyAfterDays": 30}},
          deps={"secretId": secret})
    for name in ("secret-cmk-bad", "secret-description-bad"):
        b.add("aws:secretsmanager/secretRotation:SecretRotation", f"{name}-rotation",
              {"secretId": "x", "rotationRules": {"scheduleExpression": "rate(30 days)"}},
              deps={"secretId": b.urn(T_SECRET, name)})
    b.add("aws:secretsmanager/secretRotation:SecretRotation", "rotation-slow-bad",
          {"secretId": "y", "rotationRules": {"automaticallyAfterDays": 90}})
    b.add("aws:kms/keyPolicy:KeyPolicy", "standalone-key-policy-ok", {"keyId": "kms-policy-elsewhere-ok",
                                                                       "policy": POLICY},
          deps={"keyId": b.add(T_KEY, "kms-policy-elsewhere-ok", variant(KMS, policy=None), protect=True)})
    return b.plan()


@pytest.fixture(scope="module")
def result() -> Any:
    return check(build_plan())


@pytest.mark.parametrize("name,expected", [(c[0], c[4]) for c in CASES] +
                         [("rotation-slow-bad", {"secret-rotation-max-days"})],
                         ids=[c[0] for c in CASES] + ["rotation-slow-bad"])
def test_failing_resource_is_reported_by_exactly_its_rule(result: Any, name: str, expected: set[str]) -> None:
    assert policies_on(result, name) == expected


@pytest.mark.parametrize("name", [p[0] for p in PASSES] +
                         ["rotation-ok", "standalone-key-policy-ok", "kms-policy-elsewhere-ok"])
def test_compliant_resource_is_reported_by_nothing(result: Any, name: str) -> None:
    assert policies_on(result, name) == set()
