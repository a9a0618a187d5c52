"""ApiCanary: the script calls the health route and one API route every minute, runs the uploaded
version, writes artifacts to a private KMS-encrypted TLS-only bucket, and its role can do no more
than that."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra.plan.model import Plan
from components.canary import ARTIFACT_PREFIX, CANARY_SCRIPT, HANDLER, SCRIPT_PATH, STEPS, ApiCanary, ApiCanaryArgs
from tests.harness import record

KEY = "arn:aws:kms:af-south-1:123456789012:key/data"
CANARY = "aws:synthetics/canary:Canary"


def _canary(**kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        ApiCanary("canary", ApiCanaryArgs(**{"region": "af-south-1", "name": "azora-t-api",
                                             "host": "africa.azora.example", "data_key_arn": KEY, **kw}), provider)
    return record(program)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _canary()


def test_runs_the_uploaded_script_every_minute(plan: Plan) -> None:
    (canary,) = plan.of_type(CANARY)
    code = plan.named("aws:s3/bucketObjectv2:BucketObjectv2", "canary-code")
    i = canary.inputs
    assert i["schedule"]["expression"] == "rate(1 minute)" and i["startCanary"] is True
    assert (i["handler"], i["s3Key"], i["s3Version"]) == (HANDLER, code.inputs["key"], code.outputs["versionId"])
    assert i["runtimeVersion"].startswith("syn-nodejs-puppeteer-")
    env = i["runConfig"]["environmentVariables"]
    assert env == {"AZORA_HOST": "africa.azora.example", "AZORA_HEALTH_PATH": "/healthz",
                   "AZORA_API_PATH": "/api/v1/status"}
    assert i["runConfig"]["timeoutInSeconds"] <= 60 and "vpcConfig" not in i  # public placement
    archive = code.inputs["source"]
    assert SCRIPT_PATH in json.dumps(archive)
    for step in STEPS:
        assert f"['{step}'," in CANARY_SCRIPT
    assert "executeHttpStep" in CANARY_SCRIPT and "restrictedHeaders: ['authorization', 'cookie']" in CANARY_SCRIPT


def test_artifacts_are_private_encrypted_tls_only(plan: Plan) -> None:
    (canary,) = plan.of_type(CANARY)
    bucket = plan.named("aws:s3/bucket:Bucket", "canary-artifacts")
    name = bucket.outputs["bucket"]
    assert canary.inputs["artifactS3Location"] == f"s3://{name}/{ARTIFACT_PREFIX}/"
    assert canary.inputs["artifactConfig"]["s3Encryption"] == {"encryptionMode": "SSE_KMS", "kmsKeyArn": KEY}
    sse = plan.named("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                     "canary-artifacts").inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    pab = plan.named("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "canary-artifacts").inputs
    assert all(pab[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                        "restrictPublicBuckets"))
    policy = json.loads(plan.named("aws:s3/bucketPolicy:BucketPolicy", "canary-artifacts").inputs["policy"])
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    versioning = plan.named("aws:s3/bucketVersioning:BucketVersioning", "canary-artifacts").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    rule = plan.named("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                      "canary-artifacts").inputs["rules"][0]
    assert rule["expiration"]["days"] == 30


def test_role_is_least_privilege(plan: Plan) -> None:
    statements = {s["Sid"]: s for s in json.loads(
        plan.named("aws:iam/rolePolicy:RolePolicy", "canary-role-canary").inputs["policy"])["Statement"]}
    bucket = plan.named("aws:s3/bucket:Bucket", "canary-artifacts").outputs["arn"]
    assert statements["Artifacts"]["Resource"] == f"{bucket}/{ARTIFACT_PREFIX}/*"
    assert statements["Artifacts"]["Action"] == ["s3:PutObject"]
    assert statements["Metrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}}
    assert statements["DataKeyThroughS3"]["Resource"] == KEY
    via = statements["DataKeyThroughS3"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == "s3.af-south-1.amazonaws.com"
    assert statements["Logs"]["Resource"].endswith(":log-group:/aws/lambda/cwsyn-azora-t-api-*")
    assert "VpcEnis" not in statements
    assert all(s["Resource"] != "*" or s["Sid"] in ("ListBuckets", "Metrics", "Traces") for s in statements.values())


def test_vpc_placement_gets_its_own_https_only_group() -> None:
    plan = _canary(placement="vpc", vpc_id="vpc-1", subnet_ids=["subnet-a", "subnet-b"])
    (canary,) = plan.of_type(CANARY)
    sg = plan.named("aws:ec2/securityGroup:SecurityGroup", "canary-canary")
    assert canary.inputs["vpcConfig"]["subnetIds"] == ["subnet-a", "subnet-b"]
    assert canary.inputs["vpcConfig"]["securityGroupIds"] == [sg.outputs["id"]]
    assert [(e["fromPort"], e["toPort"]) for e in sg.inputs["egress"]] == [(443, 443)] and not sg.inputs.get("ingress")
    statements = json.loads(plan.named("aws:iam/rolePolicy:RolePolicy", "canary-role-canary").inputs["policy"])
    assert any(s["Sid"] == "VpcEnis" for s in statements["Statement"])


@pytest.mark.parametrize(("kw", "message"), [
    ({"name": "Azora API"}, "not a canary name"),
    ({"api_path": "api/v1"}, "not an absolute URL path"),
    ({"health_path": "/x'; rm -rf /"}, "not an absolute URL path"),
    ({"runtime_version": "syn-python-selenium-6.0"}, "Node.js"),
    ({"placement": "vpc"}, "needs vpc_id and subnet_ids"),
    ({"timeout_seconds": 120}, "timeout_seconds"),
])
def test_refuses_bad_args(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ApiCanaryArgs(**{"region": "af-south-1", "name": "azora-t-api", "host": "h", "data_key_arn": KEY,
                         **kw}).validate()
