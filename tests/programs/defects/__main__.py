"""A small, compliant prod data-store setup in eu-west-1 (KMS key, encrypted Aurora PostgreSQL, private
KMS-encrypted S3 bucket with versioning, AWS Backup by data-class tag, the cluster's alarms to a subscribed
encrypted topic) for `azora-infra check` tests.

Config `defects:plant` plants exactly one defect (tests/test_check_programs.py says which rule catches it):
unencrypted | untagged | public-bucket | unprotected | residency | no-alarm | no-action | unsubscribed |
no-runbook. Unset (stack `clean`): no defect."""

import json

import pulumi
import pulumi_aws as aws

plant = pulumi.Config().get("plant") or ""
HOME = "eu-west-1"
cost_tags = {"azora:team": "platform", "azora:service": "learning", "azora:cost-center": "cc-100",
             "azora:environment": "prod"}
if plant == "untagged":
    cost_tags = {"azora:environment": "prod"}  # the cost-allocation tags are missing
provider = aws.Provider("regional", region=HOME, default_tags=aws.ProviderDefaultTagsArgs(tags=cost_tags))
opts = pulumi.ResourceOptions(provider=provider)
keep = pulumi.ResourceOptions(provider=provider, protect=True)

key = aws.kms.Key("data", description="data key", enable_key_rotation=True, deletion_window_in_days=30,
                  opts=keep)

unprotected = plant == "unprotected"
db_class = "personal" if plant == "residency" else "confidential"
db = aws.rds.Cluster(
    "db",
    engine="aurora-postgresql",
    engine_version="16.4",
    master_username="azora",
    manage_master_user_password=True,
    storage_encrypted=plant != "unencrypted",
    kms_key_id=key.arn,
    deletion_protection=not unprotected,
    skip_final_snapshot=False,
    final_snapshot_identifier="db-final",
    backup_retention_period=14,
    iam_database_authentication_enabled=True,
    enabled_cloudwatch_logs_exports=["postgresql"],
    copy_tags_to_snapshot=True,
    # residency: personal data placed outside the stack's home jurisdiction (EU) by a region override
    region="af-south-1" if plant == "residency" else None,
    tags={"azora:data-class": db_class},
    opts=opts if unprotected else keep,
)

bucket = aws.s3.Bucket("files", tags={"azora:data-class": "internal"}, opts=keep)
aws.s3.BucketServerSideEncryptionConfiguration(
    "files",
    bucket=bucket.id,
    rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=aws.s3.
        BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=key.arn),
        bucket_key_enabled=True)],
    opts=opts,
)
aws.s3.BucketPublicAccessBlock("files", bucket=bucket.id, block_public_acls=True,
                               block_public_policy=plant != "public-bucket", ignore_public_acls=True,
                               restrict_public_buckets=True, opts=opts)
aws.s3.BucketPolicy("files", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                   "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
})), opts=opts)
aws.s3.BucketVersioning("files", bucket=bucket.id,
                        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                        opts=opts)

vault = aws.backup.Vault("backup", kms_key_arn=key.arn, opts=keep)
aws.backup.VaultLockConfiguration("backup", backup_vault_name=vault.name, changeable_for_days=3,
                                  min_retention_days=7, max_retention_days=400, opts=opts)
backup_role = aws.iam.Role(
    "backup",
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "backup.amazonaws.com"}}]}),
    opts=opts,
)
aws.iam.RolePolicyAttachment(
    "backup", role=backup_role.name,
    policy_arn="arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup", opts=opts)
backup_plan = aws.backup.Plan("backup", rules=[aws.backup.PlanRuleArgs(
    rule_name="daily", target_vault_name=vault.name, schedule="cron(0 3 * * ? *)",
    enable_continuous_backup=True, lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=35))],
    opts=opts)
for data_class in ("confidential", "personal", "internal"):
    aws.backup.Selection(
        f"backup-{data_class}", name=f"backup-{data_class}", plan_id=backup_plan.id, iam_role_arn=backup_role.arn,
        selection_tags=[aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key="azora:data-class",
                                                             value=data_class)],
        opts=opts)

# the cluster's alarms (CPU, memory, connections) to an encrypted topic someone is subscribed to
alerts = aws.sns.Topic("alerts", kms_master_key_id=key.arn, opts=opts)
if plant != "unsubscribed":
    aws.sns.TopicSubscription("alerts-oncall", topic=alerts.arn, protocol="email", endpoint="oncall@azora.example",
                              opts=opts)
for metric, threshold, op in (("CPUUtilization", 80, "GreaterThanThreshold"),
                              ("FreeableMemory", 1024 ** 3, "LessThanThreshold"),
                              ("DatabaseConnections", 1500, "GreaterThanThreshold")):
    if plant == "no-alarm" and metric == "FreeableMemory":
        continue  # the cluster's memory is watched by nobody
    planted = metric == "CPUUtilization"
    aws.cloudwatch.MetricAlarm(
        f"db-{metric.lower()}", name=f"db-{metric.lower()}", namespace="AWS/RDS", metric_name=metric,
        dimensions={"DBClusterIdentifier": db.cluster_identifier}, statistic="Maximum", period=300,
        evaluation_periods=3, threshold=threshold, comparison_operator=op,
        alarm_description=f"{metric} of the cluster" + (
            "" if plant == "no-runbook" and planted else ". Runbook: docs/runbooks/aurora.md"),
        alarm_actions=[] if plant == "no-action" and planted else [alerts.arn],
        ok_actions=[alerts.arn], opts=opts)

pulumi.export("cluster", db.id)
pulumi.export("bucket", bucket.id)
