"""A tiny, compliant program for `azora-infra check` tests: one explicit regional provider with
default tags, a KMS key, and a private, KMS-encrypted S3 bucket (v7 side resources)."""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
region = aws.config.region or "af-south-1"
provider = aws.Provider(
    "regional",
    region=region,
    default_tags=aws.ProviderDefaultTagsArgs(tags={"azora:team": config.require("team")}),
)
opts = pulumi.ResourceOptions(provider=provider)
key = aws.kms.Key("data", description="bucket key", enable_key_rotation=True,
                  deletion_window_in_days=30, opts=opts)
bucket = aws.s3.Bucket("data", tags={"azora:data-class": "internal"},
                       opts=pulumi.ResourceOptions(provider=provider, protect=True))
aws.s3.BucketServerSideEncryptionConfiguration(
    "data",
    bucket=bucket.id,
    rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=aws.s3.
        BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=key.arn),
        bucket_key_enabled=True)],
    opts=opts,
)
aws.s3.BucketPublicAccessBlock("data", bucket=bucket.id, block_public_acls=True,
                               block_public_policy=True, ignore_public_acls=True,
                               restrict_public_buckets=True, opts=opts)
pulumi.export("bucket", bucket.id)
