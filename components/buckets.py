"""A private S3 bucket built the one way the platform builds them.

Five components keep data in S3 (the audit archive and its access logs, the canary's artifacts, the
chaos reports, the cost export, the ALB access logs). Each bucket gets the same children, named
after the owning component's role for it (``<component>-<role>``) and parented to that component
with its region provider (`AzoraComponent.child_opts`):

- the `Bucket` (Object Lock enabled at creation when `ObjectLock` is asked for),
- a `BucketPublicAccessBlock` with all four blocks on,
- `BucketOwnershipControls` = ``BucketOwnerEnforced`` (ACLs off),
- default encryption: SSE-KMS with the given key and an S3 bucket key, or SSE-S3 (``AES256``) when
  no key is given (what ALB access logs require),
- `BucketVersioning` = ``Enabled``,
- one `BucketLifecycleConfiguration` rule: optional transitions, expiry of current and noncurrent
  versions, abort of incomplete multipart uploads (after versioning exists),
- optionally `BucketNotification` to EventBridge and a default `BucketObjectLockConfiguration`.

The bucket policy differs per bucket (who may write) and stays with the caller; its TLS-only
statement is `deny_insecure_transport`. Server access logging (`BucketLogging`) needs a policy on
the target bucket that names this bucket, so it stays with the caller too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from .base import AzoraComponent


@dataclass(frozen=True)
class Transition:
    """Move current versions to ``storage_class`` ``days`` after creation."""

    days: int
    storage_class: str


@dataclass(frozen=True)
class Lifecycle:
    """The bucket's one lifecycle rule, applied to keys under ``prefix`` ("" = every key)."""

    rule_id: str
    expiration_days: int
    noncurrent_days: int
    prefix: str = ""
    transitions: tuple[Transition, ...] = ()
    abort_multipart_days: int = 7


@dataclass(frozen=True)
class ObjectLock:
    """Default retention of every new object version (Object Lock is enabled at bucket creation)."""

    years: int
    mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"


@dataclass(frozen=True)
class BucketOptions:
    """What differs between the platform's private buckets.

    ``kms_key_arn`` None encrypts with SSE-S3 (``AES256``, no bucket key); otherwise SSE-KMS with
    that key and an S3 bucket key.
    """

    bucket_name: pulumi.Input[str]
    lifecycle: Lifecycle
    tags: Mapping[str, str] = field(default_factory=dict)
    kms_key_arn: pulumi.Input[str] | None = None
    eventbridge: bool = False
    object_lock: ObjectLock | None = None
    protect: bool = False
    force_destroy: bool = False


@dataclass(frozen=True)
class PrivateBucket:
    """The bucket and the children a caller may need to depend on."""

    bucket: aws.s3.Bucket
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    versioning: aws.s3.BucketVersioning
    lifecycle: aws.s3.BucketLifecycleConfiguration
    notification: aws.s3.BucketNotification | None
    object_lock: aws.s3.BucketObjectLockConfiguration | None


def deny_insecure_transport(bucket_arn: str) -> dict[str, object]:
    """The bucket-policy statement every private bucket carries: nothing over plain HTTP."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def private_bucket(owner: AzoraComponent, role: str, options: BucketOptions) -> PrivateBucket:
    """Create the bucket ``owner.child_name(role)`` and its children, all parented to ``owner``."""
    name = owner.child_name(role)
    bucket = aws.s3.Bucket(
        name, bucket=options.bucket_name, object_lock_enabled=True if options.object_lock else None,
        force_destroy=options.force_destroy, tags=dict(options.tags),
        opts=owner.child_opts(protect=options.protect))
    public_access_block = aws.s3.BucketPublicAccessBlock(
        name, bucket=bucket.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True, opts=owner.child_opts())
    ownership = aws.s3.BucketOwnershipControls(
        name, bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=owner.child_opts())
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        name, bucket=bucket.id, rules=[_encryption_rule(options.kms_key_arn)], opts=owner.child_opts())
    versioning = aws.s3.BucketVersioning(
        name, bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=owner.child_opts())
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        name, bucket=bucket.id, rules=[_lifecycle_rule(options.lifecycle)],
        opts=owner.child_opts(depends_on=[versioning]))
    notification = (aws.s3.BucketNotification(name, bucket=bucket.id, eventbridge=True, opts=owner.child_opts())
                    if options.eventbridge else None)
    object_lock = None
    if options.object_lock is not None:
        object_lock = aws.s3.BucketObjectLockConfiguration(
            name, bucket=bucket.id, object_lock_enabled="Enabled",
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode=options.object_lock.mode, years=options.object_lock.years)),
            opts=owner.child_opts(depends_on=[versioning]))
    return PrivateBucket(bucket=bucket, public_access_block=public_access_block, ownership=ownership,
                         encryption=encryption, versioning=versioning, lifecycle=lifecycle,
                         notification=notification, object_lock=object_lock)


def _encryption_rule(kms_key_arn: pulumi.Input[str] | None) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgs:
    if kms_key_arn is None:
        return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=(
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256")))
    return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=(
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn)),
        bucket_key_enabled=True)


def _lifecycle_rule(rule: Lifecycle) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule.rule_id, status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=rule.prefix),
        transitions=[aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=t.days, storage_class=t.storage_class)
                     for t in rule.transitions] or None,
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=rule.expiration_days),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=rule.noncurrent_days),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=rule.abort_multipart_days))
