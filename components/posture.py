"""`SecurityPosture`: the region's security services, each enabled by the region's own stack.

- **AWS Config**: a recorder for every supported resource type (global types such as IAM only where
  ``record_global_types``: the primary stack, so they are recorded once), a delivery channel to the
  audit archive (KMS), and AWS managed rules that mirror the policy pack's critical rules, so drift
  made outside Pulumi on the live account is seen too (`MANAGED_RULES` names the pack rule each mirrors).
- **GuardDuty**: a detector with the chosen features (EKS audit logs, runtime monitoring with the
  EKS agent managed as an add-on, RDS login events, S3 data events, malware protection for EBS);
  findings at or above ``page_severity`` reach the page topic through an EventBridge rule.
- **Security Hub** with the chosen standards (AWS Foundational Security Best Practices, CIS).
- **IAM Access Analyzer** (account zone of trust), **Amazon Inspector** (ECR and EC2 scanning),
  **Amazon Macie** with a weekly sensitive-data discovery job over the personal-data buckets.

GuardDuty, Security Hub, Access Analyzer, Inspector and Macie are per region and per account: every
region stack enables its own (the policy pack checks that each region has GuardDuty, a Config
recorder and Security Hub).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .base import AzoraComponent

#: AWS Config managed rule -> the policy-pack rules it mirrors on the live account
MANAGED_RULES: dict[str, tuple[str, ...]] = {
    "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED": ("s3-public-access-block",),
    "S3_BUCKET_PUBLIC_READ_PROHIBITED": ("s3-no-public-read-acl",),
    "S3_BUCKET_PUBLIC_WRITE_PROHIBITED": ("s3-no-public-write-acl",),
    "S3_BUCKET_SSL_REQUESTS_ONLY": ("s3-ssl-requests-only",),
    "RDS_STORAGE_ENCRYPTED": ("rds-storage-encrypted",),
    "RDS_INSTANCE_PUBLIC_ACCESS_CHECK": ("rds-not-public",),
    "RDS_SNAPSHOTS_PUBLIC_PROHIBITED": ("rds-not-public",),
    "INCOMING_SSH_DISABLED": ("sg-no-world-ssh",),
    "RESTRICTED_INCOMING_TRAFFIC": ("sg-no-world-rdp", "sg-no-world-common-ports"),
    "KMS_CMK_NOT_SCHEDULED_FOR_DELETION": ("kms-key-enabled",),
    "ELASTICACHE_REPL_GRP_ENCRYPTED_IN_TRANSIT": ("elasticache-in-transit-encryption",),
    "ELASTICACHE_REPL_GRP_ENCRYPTED_AT_REST": ("elasticache-at-rest-encryption",),
    "EKS_ENDPOINT_NO_PUBLIC_ACCESS": ("eks-endpoint-not-public",),
    "CMK_BACKING_KEY_ROTATION_ENABLED": ("kms-key-rotation",),
    "CLOUD_TRAIL_ENCRYPTION_ENABLED": ("cloudtrail-kms",),
    "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED": ("cloudtrail-log-file-validation",),
}
#: rules about global (account-wide) resources: evaluated where global types are recorded only
GLOBAL_RULES: dict[str, str] = {
    "ROOT_ACCOUNT_MFA_ENABLED": "root account has MFA",
    "IAM_ROOT_ACCESS_KEY_CHECK": "root account has no access keys",
}
#: GuardDuty runtime monitoring: the agent configurations this component may manage
RUNTIME_AGENTS = ("EKS_ADDON_MANAGEMENT",)


@dataclass(frozen=True)
class SecurityPostureArgs:
    region: str
    #: prefix of the names AWS shows, e.g. ``azora-africa``
    name_prefix: str
    #: where high-severity GuardDuty findings go (AlertTopics.page_topic_arn)
    page_topic_arn: pulumi.Input[str]
    #: the Config delivery channel's bucket, key prefix and KMS key (the audit archive)
    config_bucket_name: pulumi.Input[str]
    config_key_arn: pulumi.Input[str]
    config_prefix: str = "config"
    #: record global resource types (IAM): in exactly one region (the primary)
    record_global_types: bool = False
    config_rules: bool = True
    guardduty_features: Sequence[str] = ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION",
                                         "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING")
    manage_eks_agent: bool = True
    #: GuardDuty severity (1.0-8.9) from which a finding pages
    page_severity: float = 7.0
    security_hub_standards: Sequence[str] = ("aws-foundational-security-best-practices/v/1.0.0",
                                             "cis-aws-foundations-benchmark/v/3.0.0")
    access_analyzer: bool = True
    inspector_resource_types: Sequence[str] = ("ECR", "EC2")
    #: buckets holding personal data: Macie scans them weekly; empty (or ``macie`` False): no job
    macie: bool = True
    macie_bucket_names: Sequence[pulumi.Input[str]] = ()
    #: resources the recorder waits for (the delivery bucket's policy)
    depends_on: Sequence[pulumi.Resource] = ()

    def validate(self) -> None:
        if "EKS_RUNTIME_MONITORING" in self.guardduty_features and "RUNTIME_MONITORING" in self.guardduty_features:
            raise ValueError("SecurityPosture: EKS_RUNTIME_MONITORING and RUNTIME_MONITORING are exclusive")
        if not 1.0 <= self.page_severity <= 8.9:
            raise ValueError("SecurityPosture: page_severity is a GuardDuty severity, 1.0-8.9")


def finding_pattern(min_severity: float) -> str:
    """EventBridge pattern of GuardDuty findings at or above ``min_severity`` (7.0 = high)."""
    return json.dumps({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"],
                       "detail": {"severity": [{"numeric": [">=", min_severity]}]}})


def config_role_policy(bucket: str, prefix: str, key_arn: str, account: str) -> str:
    """The recorder's role delivers to its prefix of the archive, encrypting with the archive's key."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DeliverToArchive", "Effect": "Allow", "Action": "s3:PutObject*",
         "Resource": f"arn:aws:s3:::{bucket}/{prefix}/AWSLogs/{account}/*",
         "Condition": {"StringLike": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
        {"Sid": "CheckArchiveAcl", "Effect": "Allow", "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "EncryptWithArchiveKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
         "Resource": key_arn},
    ]})


class SecurityPosture(AzoraComponent):
    """Config, GuardDuty, Security Hub, Access Analyzer, Inspector and Macie in one region.

    Outputs: ``recorder_name``, ``config_rule_names``, ``detector_id``, ``finding_rule_arn``,
    ``security_hub_standards`` (ARNs), ``analyzer_arn``, ``macie_job_id``.
    """

    def __init__(self, name: str, args: SecurityPostureArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:posture:SecurityPosture", name, provider, opts)
        self._args = args
        self._account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
        self.recorder_status = self._config_recorder()
        self.config_rules = self._config_rules() if args.config_rules else {}
        self.detector = self._guardduty()
        self.security_hub, self.standards = self._security_hub()
        self.analyzer = aws.accessanalyzer.Analyzer(
            self.child_name("access-analyzer"), analyzer_name=f"{args.name_prefix}-account", type="ACCOUNT",
            opts=self.child_opts()) if args.access_analyzer else None
        self.inspector = aws.inspector2.Enabler(
            self.child_name("inspector"), account_ids=[self._account],
            resource_types=list(args.inspector_resource_types),
            opts=self.child_opts()) if args.inspector_resource_types else None
        self.macie_job = self._macie() if args.macie else None
        self.recorder_name: pulumi.Output[str] = self.recorder.name
        self.config_rule_names: dict[str, pulumi.Output[str]] = {k: r.name for k, r in self.config_rules.items()}
        self.detector_id: pulumi.Output[str] = self.detector.id
        self.finding_rule_arn: pulumi.Output[str] = self.finding_rule.arn
        self.security_hub_standards: list[pulumi.Output[str]] = [s.standards_arn for s in self.standards]
        self.analyzer_arn = self.analyzer.arn if self.analyzer is not None else None
        self.register_outputs({
            "recorderName": self.recorder_name, "configRuleNames": self.config_rule_names,
            "detectorId": self.detector_id, "findingRuleArn": self.finding_rule_arn,
            "securityHubStandards": self.security_hub_standards, "analyzerArn": self.analyzer_arn,
        })

    # --- AWS Config ----------------------------------------------------------------------------
    def _config_recorder(self) -> aws.cfg.RecorderStatus:
        args = self._args
        role = aws.iam.Role(
            self.child_name("config"), description=f"AWS Config recorder of {args.name_prefix} ({args.region})",
            assume_role_policy=self._account.apply(lambda a: json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": a}}}]})),
            opts=self.child_opts())
        aws.iam.RolePolicyAttachment(
            self.child_name("config"), role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWS_ConfigRole", opts=self.child_opts())
        delivery_policy = aws.iam.RolePolicy(
            self.child_name("config-delivery"), role=role.id,
            policy=pulumi.Output.all(args.config_bucket_name, args.config_key_arn, self._account).apply(
                lambda v: config_role_policy(v[0], args.config_prefix, v[1], v[2])),
            opts=self.child_opts())
        self.recorder = aws.cfg.Recorder(
            self.child_name("config"), name=f"{args.name_prefix}-recorder", role_arn=role.arn,
            recording_group=aws.cfg.RecorderRecordingGroupArgs(
                all_supported=True, include_global_resource_types=args.record_global_types),
            opts=self.child_opts())
        channel = aws.cfg.DeliveryChannel(
            self.child_name("config"), name=f"{args.name_prefix}-delivery", s3_bucket_name=args.config_bucket_name,
            s3_key_prefix=args.config_prefix, s3_kms_key_arn=args.config_key_arn,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency="TwentyFour_Hours"),
            opts=self.child_opts(depends_on=[self.recorder, delivery_policy, *args.depends_on]))
        return aws.cfg.RecorderStatus(
            self.child_name("config"), name=self.recorder.name, is_enabled=True,
            opts=self.child_opts(depends_on=[channel]))

    def _config_rules(self) -> dict[str, aws.cfg.Rule]:
        args = self._args
        wanted: dict[str, str] = {rid: "mirrors " + ", ".join(rules) for rid, rules in MANAGED_RULES.items()}
        if args.record_global_types:
            wanted.update(GLOBAL_RULES)
        rules: dict[str, aws.cfg.Rule] = {}
        for rule_id, why in wanted.items():
            slug = rule_id.lower().replace("_", "-")
            rules[rule_id] = aws.cfg.Rule(
                self.child_name("rule", slug), name=f"{args.name_prefix}-{slug}",
                description=f"Azora drift check: {why}",
                source=aws.cfg.RuleSourceArgs(owner="AWS", source_identifier=rule_id),
                opts=self.child_opts(depends_on=[self.recorder_status]))
        return rules

    # --- GuardDuty -----------------------------------------------------------------------------
    def _guardduty(self) -> aws.guardduty.Detector:
        args = self._args
        detector = aws.guardduty.Detector(
            self.child_name("guardduty"), enable=True, finding_publishing_frequency="FIFTEEN_MINUTES",
            opts=self.child_opts())
        for feature in args.guardduty_features:
            extra = None
            if feature == "RUNTIME_MONITORING":
                extra = [aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(
                    name=agent, status="ENABLED" if args.manage_eks_agent else "DISABLED") for agent in RUNTIME_AGENTS]
            aws.guardduty.DetectorFeature(
                self.child_name("guardduty", feature.lower().replace("_", "-")), detector_id=detector.id,
                name=feature, status="ENABLED", additional_configurations=extra, opts=self.child_opts())
        self.finding_rule = aws.cloudwatch.EventRule(
            self.child_name("guardduty-findings"), name=f"{args.name_prefix}-guardduty-high",
            description=f"GuardDuty findings of severity >= {args.page_severity} page on-call",
            event_pattern=finding_pattern(args.page_severity), opts=self.child_opts())
        aws.cloudwatch.EventTarget(
            self.child_name("guardduty-findings"), rule=self.finding_rule.name, arn=args.page_topic_arn,
            target_id="page", opts=self.child_opts())
        return detector

    # --- Security Hub --------------------------------------------------------------------------
    def _security_hub(self) -> tuple[aws.securityhub.Account, list[aws.securityhub.StandardsSubscription]]:
        args = self._args
        hub = aws.securityhub.Account(
            self.child_name("security-hub"), enable_default_standards=False, auto_enable_controls=True,
            control_finding_generator="SECURITY_CONTROL", opts=self.child_opts())
        standards = [
            aws.securityhub.StandardsSubscription(
                self.child_name("standard", standard.split("/")[0]),
                standards_arn=f"arn:aws:securityhub:{args.region}::standards/{standard}",
                opts=self.child_opts(depends_on=[hub]))
            for standard in args.security_hub_standards]
        return hub, standards

    # --- Macie ---------------------------------------------------------------------------------
    def _macie(self) -> aws.macie2.ClassificationJob | None:
        args = self._args
        account = aws.macie2.Account(self.child_name("macie"), status="ENABLED",
                                     finding_publishing_frequency="FIFTEEN_MINUTES", opts=self.child_opts())
        if not args.macie_bucket_names:
            return None
        return aws.macie2.ClassificationJob(
            self.child_name("macie-personal-data"), name=f"{args.name_prefix}-personal-data", job_type="SCHEDULED",
            schedule_frequency=aws.macie2.ClassificationJobScheduleFrequencyArgs(weekly_schedule="MONDAY"),
            s3_job_definition=aws.macie2.ClassificationJobS3JobDefinitionArgs(bucket_definitions=[
                aws.macie2.ClassificationJobS3JobDefinitionBucketDefinitionArgs(
                    account_id=self._account, buckets=list(args.macie_bucket_names))]),
            opts=self.child_opts(depends_on=[account]))
