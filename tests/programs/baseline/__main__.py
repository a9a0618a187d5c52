"""A small Azora region stack in eu-west-1, built from the library's components: alert topics, the audit
trail and its object-locked archive, the security posture services, a budget, the jurisdiction's user pools,
and AWS Backup for the personal-data archive (selected by data-class tag).

Config `baseline:plant` plants exactly one defect (tests/test_check_programs.py says which rule catches it):
trail-stopped | governance-lock | guardduty-off | no-budget | foreign-user-pool. Unset (stack `clean`): none."""

import json

import pulumi
import pulumi_aws as aws

from components.alerting import AlertTopics, AlertTopicsArgs, Subscriber
from components.audit import AuditTrail, AuditTrailArgs
from components.cost import BudgetSpec, CostBudgets, CostBudgetsArgs
from components.identity import AppClient, RegionalUserDirectory, RegionalUserDirectoryArgs
from components.posture import SecurityPosture, SecurityPostureArgs

plant = pulumi.Config("baseline").get("plant") or ""
HOME = "eu-west-1"
TAGS = {"azora:team": "platform", "azora:service": "learning", "azora:cost-center": "cc-100",
        "azora:environment": "prod"}
provider = aws.Provider("regional", region=HOME, default_tags=aws.ProviderDefaultTagsArgs(tags=TAGS))


def planted(type_token: str, change: dict[str, object]) -> pulumi.ResourceOptions:
    """Options whose transformation changes the inputs of the component's child of ``type_token``."""
    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ != type_token:
            return None
        return pulumi.ResourceTransformationResult({**args.props, **change}, args.opts)
    return pulumi.ResourceOptions(transformations=[transform])


alerts = AlertTopics("alerts", AlertTopicsArgs(region=HOME, name_prefix="learning", subscribers={
    "page": [Subscriber("email", "oncall@azora.example", "oncall")],
    "ticket": [Subscriber("email", "platform@azora.example", "platform")]}), provider)

audit_opts = None
if plant == "trail-stopped":
    audit_opts = planted("aws:cloudtrail/trail:Trail", {"enable_logging": False})
if plant == "governance-lock":
    audit_opts = planted("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", {
        "rule": aws.s3.BucketObjectLockConfigurationRuleArgs(
            default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(mode="GOVERNANCE",
                                                                                           years=7))})
audit = AuditTrail("audit", AuditTrailArgs(region=HOME, name_prefix="learning", page_topic_arn=alerts.page_topic_arn),
                   provider, opts=audit_opts)

SecurityPosture("posture", SecurityPostureArgs(
    region=HOME, name_prefix="learning", page_topic_arn=alerts.page_topic_arn,
    config_bucket_name=audit.archive_bucket_name, config_key_arn=audit.key_arn, depends_on=audit.ready),
    provider, opts=planted("aws:guardduty/detector:Detector", {"enable": False}) if plant == "guardduty-off" else None)

if plant != "no-budget":
    budget = BudgetSpec(500, "azora:cost-center", "cc-100")
    CostBudgets("budgets", CostBudgetsArgs(name_prefix="learning", region=HOME, budgets={"cost-center-cc-100": budget},
                                           notify_topic_arn=alerts.ticket_topic_arn), provider)

pool_provider = provider
if plant == "foreign-user-pool":
    pool_provider = aws.Provider("us-east-1", region="us-east-1", default_tags=aws.ProviderDefaultTagsArgs(tags=TAGS))
RegionalUserDirectory("identity", RegionalUserDirectoryArgs(
    region=HOME, name_prefix="learning", domain_prefix="learning-eu",
    clients={"web": AppClient(callback_urls=["https://learn.azora.example/auth/callback"])},
    auth_log_bucket_arn=audit.archive_bucket_arn, depends_on=audit.ready), pool_provider)

# AWS Backup for the data stores the stack tags (the archive holds personal data: copies stay in the region)
key = aws.kms.Key("backup", description="learning backup key", enable_key_rotation=True, deletion_window_in_days=30,
                  opts=pulumi.ResourceOptions(provider=provider, protect=True))
vault = aws.backup.Vault("backup", kms_key_arn=key.arn, opts=pulumi.ResourceOptions(provider=provider, protect=True))
aws.backup.VaultLockConfiguration("backup", backup_vault_name=vault.name, changeable_for_days=3, min_retention_days=7,
                                  max_retention_days=400, opts=pulumi.ResourceOptions(provider=provider))
role = aws.iam.Role("backup", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "backup.amazonaws.com"}}]}),
    opts=pulumi.ResourceOptions(provider=provider))
aws.iam.RolePolicyAttachment("backup", role=role.name,
                             policy_arn="arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                             opts=pulumi.ResourceOptions(provider=provider))
backup_plan = aws.backup.Plan("backup", rules=[aws.backup.PlanRuleArgs(
    rule_name="continuous", target_vault_name=vault.name, schedule="cron(0 3 * * ? *)", enable_continuous_backup=True,
    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=35))], opts=pulumi.ResourceOptions(provider=provider))
aws.backup.Selection("backup-personal", name="backup-personal", plan_id=backup_plan.id, iam_role_arn=role.arn,
                     selection_tags=[aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key="azora:data-class",
                                                                          value="personal")],
                     opts=pulumi.ResourceOptions(provider=provider))

pulumi.export("trailArn", audit.trail_arn)
