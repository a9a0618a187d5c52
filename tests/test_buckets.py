"""private_bucket: the one way a component builds a private S3 bucket — every child named after the
owner's role for it, parented to the owner with its region provider, public access blocked, ACLs
off, encrypted (KMS with a bucket key, or SSE-S3), versioned, with one lifecycle rule; EventBridge
and Object Lock only when asked."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from azora_infra.plan.model import Plan
from components.base import AzoraComponent
from components.buckets import (
    BucketOptions,
    Lifecycle,
    ObjectLock,
    PrivateBucket,
    Transition,
    deny_insecure_transport,
    private_bucket,
)
from tests.harness import record

KEY = "arn:aws:kms:af-south-1:123456789012:key/data"
S3 = "aws:s3/"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"


class Owner(AzoraComponent):
    """A component that owns one private bucket (what audit, canary, chaos, cost and edge do)."""

    def __init__(self, name: str, role: str, options: BucketOptions, provider: pulumi.ProviderResource) -> None:
        super().__init__("azora:test:Owner", name, provider)
        self.made: PrivateBucket = private_bucket(self, role, options)
        self.register_outputs({})


def _plan(role: str, **kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        Owner("owner", role, BucketOptions(**kw), provider)
    return record(program)


@pytest.fixture(scope="module")
def kms() -> Plan:
    """The audit archive's shape: KMS, transitions, EventBridge, Object Lock, protected."""
    return _plan("archive", bucket_name="azora-t-archive-123456789012", kms_key_arn=KEY,
                 tags={"Name": "azora-t-archive", "azora:data-class": "personal"},
                 lifecycle=Lifecycle(rule_id="archive-then-expire", expiration_days=2557, noncurrent_days=2557,
                                     transitions=(Transition(days=90, storage_class="DEEP_ARCHIVE"),)),
                 eventbridge=True, object_lock=ObjectLock(years=7), protect=True)


@pytest.fixture(scope="module")
def sse_s3() -> Plan:
    """The ALB access-log bucket's shape: SSE-S3, a prefix-scoped rule, nothing optional."""
    return _plan("access-logs", bucket_name="azora-t-alb-logs", force_destroy=True,
                 lifecycle=Lifecycle(rule_id="expire-access-logs", prefix="alb/", expiration_days=90,
                                     noncurrent_days=7))


def test_every_child_is_named_for_the_role_and_parented_to_the_owner_with_its_provider(kms: Plan) -> None:
    (owner,) = kms.of_type("azora:test:Owner")
    children = [r for r in kms if r.type.startswith(S3)]
    assert sorted(r.type for r in children) == sorted([BUCKET, PAB, OWNERSHIP, SSE, VERSIONING, LIFECYCLE,
                                                       NOTIFICATION, LOCK])
    for r in children:
        assert (r.name, r.parent) == ("owner-archive", owner.urn), r.urn
        assert r.provider is not None and (r.provider["name"], r.provider["region"]) == ("aws-af-south-1",
                                                                                         "af-south-1")


def test_public_access_is_blocked_four_ways_and_acls_are_off(kms: Plan, sse_s3: Plan) -> None:
    for plan, name in ((kms, "owner-archive"), (sse_s3, "owner-access-logs")):
        pab = plan.named(PAB, name).inputs
        assert {k: pab[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                    "restrictPublicBuckets")} == dict.fromkeys(
            ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)
        assert plan.named(OWNERSHIP, name).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        assert plan.named(VERSIONING, name).inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_a_key_gives_sse_kms_with_a_bucket_key(kms: Plan) -> None:
    (rule,) = kms.named(SSE, "owner-archive").inputs["rules"]
    assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY},
                    "bucketKeyEnabled": True}


def test_no_key_gives_sse_s3_without_a_bucket_key(sse_s3: Plan) -> None:
    (rule,) = sse_s3.named(SSE, "owner-access-logs").inputs["rules"]
    assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}


def test_lifecycle_rule_carries_prefix_transitions_expiry_and_waits_for_versioning(kms: Plan, sse_s3: Plan) -> None:
    archive = kms.named(LIFECYCLE, "owner-archive")
    (rule,) = archive.inputs["rules"]
    assert rule == {"id": "archive-then-expire", "status": "Enabled", "filter": {"prefix": ""},
                    "transitions": [{"days": 90, "storageClass": "DEEP_ARCHIVE"}],
                    "expiration": {"days": 2557}, "noncurrentVersionExpiration": {"noncurrentDays": 2557},
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}
    assert kms.named(VERSIONING, "owner-archive").urn in archive.raw["dependencies"]
    (logs,) = sse_s3.named(LIFECYCLE, "owner-access-logs").inputs["rules"]
    assert logs["filter"] == {"prefix": "alb/"} and "transitions" not in logs
    assert (logs["expiration"], logs["noncurrentVersionExpiration"]) == ({"days": 90}, {"noncurrentDays": 7})


def test_eventbridge_and_object_lock_only_when_asked(kms: Plan, sse_s3: Plan) -> None:
    assert kms.named(NOTIFICATION, "owner-archive").inputs["eventbridge"] is True
    lock = kms.named(LOCK, "owner-archive")
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "years": 7}}
    assert kms.named(VERSIONING, "owner-archive").urn in lock.raw["dependencies"]
    assert kms.named(BUCKET, "owner-archive").inputs["objectLockEnabled"] is True
    assert not sse_s3.of_type(NOTIFICATION) and not sse_s3.of_type(LOCK)
    assert "objectLockEnabled" not in sse_s3.named(BUCKET, "owner-access-logs").inputs


def test_bucket_takes_name_tags_protect_and_force_destroy_from_the_options(kms: Plan, sse_s3: Plan) -> None:
    archive = kms.named(BUCKET, "owner-archive")
    assert archive.inputs["bucket"] == "azora-t-archive-123456789012"
    assert archive.inputs["tags"] == {"Name": "azora-t-archive", "azora:data-class": "personal"}
    assert (archive.options["protect"], archive.inputs["forceDestroy"]) == (True, False)
    assert not kms.named(PAB, "owner-archive").options["protect"]  # only the bucket itself is protected
    logs = sse_s3.named(BUCKET, "owner-access-logs")
    assert (logs.options["protect"], logs.inputs["forceDestroy"]) == (False, True)


def test_result_hands_back_what_callers_depend_on() -> None:
    made: list[PrivateBucket] = []

    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        owner = Owner("owner", "reports", BucketOptions(
            bucket_name="azora-t-reports", kms_key_arn=KEY,
            lifecycle=Lifecycle(rule_id="expire-reports", expiration_days=400, noncurrent_days=30)), provider)
        made.append(owner.made)
        # a caller's policy waits on the public access block, as canary, chaos, cost and edge do
        aws.s3.BucketPolicy(owner.child_name("reports"), bucket=owner.made.bucket.id, policy="{}",
                            opts=owner.child_opts(depends_on=[owner.made.public_access_block]))

    plan = record(program)
    (result,) = made
    assert result.notification is None and result.object_lock is None
    policy = plan.named("aws:s3/bucketPolicy:BucketPolicy", "owner-reports")
    assert plan.named(PAB, "owner-reports").urn in policy.raw["dependencies"]


def test_deny_insecure_transport_refuses_plain_http_to_bucket_and_objects() -> None:
    arn = "arn:aws:s3:::azora-t"
    statement = deny_insecure_transport(arn)
    assert statement == {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                         "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
