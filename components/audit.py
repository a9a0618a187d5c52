"""`AuditTrail`: the region's CloudTrail trail, its immutable in-region archive and the CIS alarms.

One trail per region (not a multi-region trail): a region's audit logs hold IP addresses and
identities, so they stay in the region's jurisdiction, in a bucket of that region. The trade-off:
each region stack must have its own trail (the policy pack checks it), and only the primary's
trail records the global services (IAM, STS global endpoint, CloudFront, Route 53) - so the IAM
and root-sign-in alarms fire in the primary region only.

- **Archive bucket**: S3 Object Lock in compliance mode (default retention ``retention_years``; set
  when the bucket is created, it cannot be shortened or removed, not even by the account root),
  versioning, SSE-KMS with the trail's own key, TLS-only policy, public access block, lifecycle to an
  archive storage class, server access logging into a second bucket of its own.
- **Trail**: management events (read and write), object-level data events on the buckets given in
  ``data_event_bucket_arns`` (advanced event selectors), log-file validation (signed digests), KMS,
  and a copy to CloudWatch Logs, where the CIS metric filters and their alarms watch it.
- **Other writers**: AWS Config (``config/``) and log delivery (``AWSLogs/``: Cognito auth events)
  may write to the archive too (``allow_config_delivery``, ``allow_log_delivery``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from azora_infra.regions import DataClass
from azora_infra.tags import EXEMPT_PREFIX, data_tags

from .alarm_catalog import TRAIL_ALARMS, runbook_path
from .alarms import alarm_tags
from .base import AzoraComponent
from .buckets import BucketOptions, Lifecycle, ObjectLock, Transition, deny_insecure_transport, private_bucket
from .kms import account_administers

TRAIL_PREFIX = "cloudtrail"
CONFIG_PREFIX = "config"
#: CloudWatch namespace of the CIS metric filters
CIS_NAMESPACE = "Azora/CIS"
#: 7 years of days, leap days included (the Object Lock retention is given in years)
DAYS_PER_YEAR = 365.25

#: CIS AWS Foundations Benchmark monitoring controls (Security Hub CloudWatch.1-14): name -> filter
CIS_FILTERS: dict[str, str] = {
    "root-usage": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
                  '&& $.eventType != "AwsServiceEvent" }',
    "unauthorized-api-calls": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    "console-login-without-mfa": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
                                 '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = '
                                 '"Success") }',
    "iam-policy-changes": "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || "
                          "($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = "
                          "PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || "
                          "($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = "
                          "DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = "
                          "DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy)"
                          " || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }",
    "kms-key-disable-or-deletion": "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
                                   "($.eventName = ScheduleKeyDeletion)) }",
    "security-group-changes": "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = "
                              "AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || "
                              "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || "
                              "($.eventName = DeleteSecurityGroup) }",
    "nacl-changes": "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = "
                    "DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = "
                    "ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
    "cloudtrail-changes": "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = "
                          "DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
}

#: why this trail is not multi-region (an exemption of the pack's advisory rule, with its reason)
SINGLE_REGION_REASON = "one trail per region keeps audit logs with IP addresses and identities in their jurisdiction"
#: S3 server access logging refuses a target bucket with an Object Lock default retention
ACCESS_LOG_LOCK_REASON = "S3 server access logging cannot deliver to a bucket with an Object Lock default retention"


@dataclass(frozen=True)
class AuditTrailArgs:
    region: str
    #: prefix of the names AWS shows, e.g. ``azora-africa`` (trail, buckets, log group, alarms)
    name_prefix: str
    #: the topic the CIS alarms notify (AlertTopics.page_topic_arn)
    page_topic_arn: pulumi.Input[str]
    #: the Incident Manager response plan a CIS alarm also opens an incident with (None: no incidents)
    incident_plan_arn: pulumi.Input[str] | None = None
    #: where the alarms' descriptions point for their runbook (a repo path or a URL ending in it)
    runbook_base: str = "docs/runbooks"
    #: buckets whose object-level reads and writes are recorded (personal and confidential data)
    data_event_bucket_arns: Sequence[pulumi.Input[str]] = ()
    #: record the global services' events (IAM, STS, CloudFront): exactly one trail should (the primary)
    include_global_service_events: bool = False
    retention_years: int = 7
    archive_after_days: int = 90
    archive_storage_class: str = "DEEP_ARCHIVE"
    #: the CloudWatch Logs copy the CIS filters read
    log_retention_days: int = 365
    cis_alarms: bool = True
    #: let AWS Config deliver configuration history and snapshots under ``config/``
    allow_config_delivery: bool = True
    #: let vended log delivery (Cognito auth events) write under ``AWSLogs/``
    allow_log_delivery: bool = True
    key_deletion_window_days: int = 30
    #: Pulumi ``protect`` on the key and both buckets
    protect: bool = True

    def validate(self) -> None:
        if self.retention_years < 1:
            raise ValueError("AuditTrail: retention_years must be at least 1")
        if not 7 <= self.key_deletion_window_days <= 30:
            raise ValueError("AuditTrail: key_deletion_window_days must be 7-30")
        if self.archive_after_days >= self.retention_days:
            raise ValueError("AuditTrail: archive_after_days must be shorter than the retention")
        if len(self.name_prefix) > 30:
            raise ValueError("AuditTrail: name_prefix longer than 30 characters makes bucket names over 63")

    @property
    def retention_days(self) -> int:
        return int(self.retention_years * DAYS_PER_YEAR + 0.5)


def trail_name(prefix: str) -> str:
    return f"{prefix}-audit"


def trail_arn(region: str, account: str, prefix: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{trail_name(prefix)}"


def key_policy(account: str, region: str, prefix: str) -> str:
    """The audit key: the account administers it through IAM; CloudTrail encrypts this trail's log
    files; CloudWatch Logs the trail's log group; Config, S3 server access logging and log delivery
    write with it; reading goes through S3 (and AWS Backup) on an IAM principal's behalf."""
    source = {"StringEquals": {"aws:SourceAccount": account}}
    this_trail = trail_arn(region, account, prefix)
    statements: list[dict[str, object]] = [
        account_administers(account),
        {"Sid": "CloudTrailEncryptsThisTrail", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceArn": this_trail},
                       "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                      f"arn:aws:cloudtrail:*:{account}:trail/*"}}},
        {"Sid": "CloudTrailDescribesKey", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "kms:DescribeKey", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceArn": this_trail}}},
        {"Sid": "CloudWatchLogs", "Effect": "Allow", "Principal": {"Service": f"logs.{region}.amazonaws.com"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*", "Condition": {"ArnLike": {
             "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"}}},
    ]
    writers = (("ConfigDelivery", "config.amazonaws.com"), ("S3ServerAccessLogs", "logging.s3.amazonaws.com"),
               ("LogDelivery", "delivery.logs.amazonaws.com"))
    for sid, principal in writers:
        statements.append({"Sid": sid, "Effect": "Allow", "Principal": {"Service": principal},
                           "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*", "Condition": source})
    statements.append({
        "Sid": "ReadThroughS3AndBackup", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"], "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": account, "kms:ViaService": [
            f"s3.{region}.amazonaws.com", f"backup.{region}.amazonaws.com"]}}})
    return json.dumps({"Version": "2012-10-17", "Id": "azora-audit", "Statement": statements})


def archive_bucket_policy(bucket_arn: str, account: str, region: str, prefix: str, *, config: bool,
                          log_delivery: bool) -> str:
    """Who may write to the archive: this region's trail (its own prefix), AWS Config and log delivery
    of this account; nothing over plain HTTP."""
    trail = {"StringEquals": {"aws:SourceArn": trail_arn(region, account, prefix)}}
    source = {"StringEquals": {"aws:SourceAccount": account}}
    owner_acl = {"s3:x-amz-acl": "bucket-owner-full-control"}
    statements: list[dict[str, object]] = [
        {"Sid": "CloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": bucket_arn, "Condition": trail},
        {"Sid": "CloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{TRAIL_PREFIX}/AWSLogs/{account}/*",
         "Condition": {"StringEquals": {**owner_acl, **trail["StringEquals"]}}},
    ]
    if config:
        statements += [
            {"Sid": "ConfigAclCheck", "Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"},
             "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": bucket_arn, "Condition": source},
            {"Sid": "ConfigWrite", "Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{CONFIG_PREFIX}/AWSLogs/{account}/Config/*",
             "Condition": {"StringEquals": {**owner_acl, "aws:SourceAccount": account}}},
        ]
    if log_delivery:
        delivery = {"StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account}:*"}}
        statements += [
            {"Sid": "LogDeliveryAclCheck", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
             "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": bucket_arn, "Condition": delivery},
            {"Sid": "LogDeliveryWrite", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": f"{bucket_arn}/AWSLogs/{account}/*",
             "Condition": {"StringEquals": {**owner_acl, "aws:SourceAccount": account},
                           "ArnLike": delivery["ArnLike"]}},
        ]
    statements.append(deny_insecure_transport(bucket_arn))
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def access_log_bucket_policy(bucket_arn: str, source_bucket_arn: str, account: str) -> str:
    """S3 server access logging of the archive (and only of it) may write here; TLS only."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"{bucket_arn}/*",
         "Condition": {"ArnLike": {"aws:SourceArn": source_bucket_arn},
                       "StringEquals": {"aws:SourceAccount": account}}},
        deny_insecure_transport(bucket_arn),
    ]})


def cloudtrail_logs_role_policy(log_group_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TrailWritesItsLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{log_group_arn}:log-stream:*"}]})


def event_selectors(
        data_bucket_arns: Sequence[pulumi.Input[str]]) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgs]:
    """All management events; object-level events on the given buckets only (every data event costs)."""
    selectors = [aws.cloudtrail.TrailAdvancedEventSelectorArgs(
        name="management-events", field_selectors=[
            aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Management"])])]
    if data_bucket_arns:
        selectors.append(aws.cloudtrail.TrailAdvancedEventSelectorArgs(
            name="personal-and-confidential-objects", field_selectors=[
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Data"]),
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="resources.type",
                                                                          equals=["AWS::S3::Object"]),
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                    field="resources.ARN",
                    starts_withs=[pulumi.Output.concat(arn, "/") for arn in data_bucket_arns]),
            ]))
    return selectors


class AuditTrail(AzoraComponent):
    """The region's trail, archive and CIS alarms.

    Outputs: ``trail_arn``, ``archive_bucket_name`` / ``archive_bucket_arn``, ``access_log_bucket_name``,
    ``key_arn``, ``log_group_name``, ``alarm_names`` (CIS filter -> alarm name), ``config_prefix``.
    """

    def __init__(self, name: str, args: AuditTrailArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:audit:AuditTrail", name, provider, opts)
        self._args = args
        self._account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
        self.key = self._key()
        self.access_log_bucket = self._bucket("access-logs", f"{args.name_prefix}-audit-access", lock=False)
        self.archive_bucket = self._bucket("archive", f"{args.name_prefix}-audit", lock=True)
        archive_policy = self._archive_policy()
        self.log_group = aws.cloudwatch.LogGroup(
            self.child_name("trail"), name=f"/aws/cloudtrail/{args.name_prefix}",
            retention_in_days=args.log_retention_days, kms_key_id=self.key.arn, opts=self.child_opts())
        self.trail = self._trail(archive_policy)
        self.alarms = self._cis_alarms() if args.cis_alarms else {}
        self.trail_arn: pulumi.Output[str] = self.trail.arn
        self.archive_bucket_name: pulumi.Output[str] = self.archive_bucket.bucket
        self.archive_bucket_arn: pulumi.Output[str] = self.archive_bucket.arn
        self.access_log_bucket_name: pulumi.Output[str] = self.access_log_bucket.bucket
        self.key_arn: pulumi.Output[str] = self.key.arn
        self.log_group_name: pulumi.Output[str] = self.log_group.name
        self.alarm_names: dict[str, pulumi.Output[str]] = {k: a.name for k, a in self.alarms.items()}
        self.config_prefix = CONFIG_PREFIX
        #: the archive accepts writes only once its policy is in place: writers depend on it
        self.ready: list[pulumi.Resource] = [archive_policy]
        self.register_outputs({
            "trailArn": self.trail_arn, "archiveBucketName": self.archive_bucket_name,
            "archiveBucketArn": self.archive_bucket_arn, "accessLogBucketName": self.access_log_bucket_name,
            "keyArn": self.key_arn, "logGroupName": self.log_group_name, "alarmNames": self.alarm_names,
        })

    # --- steps ---------------------------------------------------------------------------------
    def _key(self) -> aws.kms.Key:
        args = self._args
        key = aws.kms.Key(
            self.child_name("key"), description=f"Azora audit trail and archive ({args.region})",
            enable_key_rotation=True, deletion_window_in_days=args.key_deletion_window_days,
            policy=self._account.apply(lambda account: key_policy(account, args.region, args.name_prefix)),
            tags={"azora:key-purpose": "audit"}, opts=self.child_opts(protect=args.protect))
        aws.kms.Alias(self.child_name("key", "alias"), name=f"alias/{args.name_prefix}/audit",
                      target_key_id=key.key_id, opts=self.child_opts())
        return key

    def _bucket(self, role: str, base: str, *, lock: bool) -> aws.s3.Bucket:
        """A private, versioned, KMS-encrypted bucket; the archive with Object Lock (set at creation)."""
        args = self._args
        tags: dict[str, str] = {"Name": base, **data_tags(DataClass.PERSONAL.value)}
        if not lock:
            tags[f"{EXEMPT_PREFIX}s3-object-lock"] = ACCESS_LOG_LOCK_REASON
        made = private_bucket(self, role, BucketOptions(
            bucket_name=self._account.apply(lambda a: f"{base}-{a}"), tags=tags, kms_key_arn=self.key.arn,
            # Object Lock keeps every version until its retention ends; expiry only ever removes
            # what the lock no longer protects
            lifecycle=Lifecycle(
                rule_id="archive-then-expire", expiration_days=args.retention_days,
                noncurrent_days=args.retention_days,
                transitions=(Transition(days=args.archive_after_days, storage_class=args.archive_storage_class),)),
            eventbridge=True, object_lock=ObjectLock(years=args.retention_years, mode="COMPLIANCE") if lock else None,
            protect=args.protect))
        if lock:
            aws.s3.BucketLogging(
                self.child_name(role), bucket=made.bucket.id, target_bucket=self.access_log_bucket.id,
                target_prefix="archive/", opts=self.child_opts(depends_on=[self._access_policy(made.bucket)]))
        return made.bucket

    def _access_policy(self, source: aws.s3.Bucket) -> aws.s3.BucketPolicy:
        return aws.s3.BucketPolicy(
            self.child_name("access-logs"), bucket=self.access_log_bucket.id,
            policy=pulumi.Output.all(self.access_log_bucket.arn, source.arn, self._account).apply(
                lambda v: access_log_bucket_policy(v[0], v[1], v[2])),
            opts=self.child_opts())

    def _archive_policy(self) -> aws.s3.BucketPolicy:
        args = self._args
        return aws.s3.BucketPolicy(
            self.child_name("archive"), bucket=self.archive_bucket.id,
            policy=pulumi.Output.all(self.archive_bucket.arn, self._account).apply(
                lambda v: archive_bucket_policy(v[0], v[1], args.region, args.name_prefix,
                                                config=args.allow_config_delivery,
                                                log_delivery=args.allow_log_delivery)),
            opts=self.child_opts())

    def _trail(self, archive_policy: aws.s3.BucketPolicy) -> aws.cloudtrail.Trail:
        args = self._args
        role = aws.iam.Role(
            self.child_name("trail-logs"), description=f"CloudTrail {trail_name(args.name_prefix)} -> CloudWatch Logs",
            assume_role_policy=self._account.apply(lambda a: json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn(args.region, a, args.name_prefix)}}}]})),
            opts=self.child_opts())
        role_policy = aws.iam.RolePolicy(
            self.child_name("trail-logs"), role=role.id,
            policy=self.log_group.arn.apply(cloudtrail_logs_role_policy), opts=self.child_opts())
        return aws.cloudtrail.Trail(
            self.child_name("trail"), name=trail_name(args.name_prefix), s3_bucket_name=self.archive_bucket.id,
            s3_key_prefix=TRAIL_PREFIX, kms_key_id=self.key.arn, enable_log_file_validation=True,
            enable_logging=True, is_multi_region_trail=False,
            include_global_service_events=args.include_global_service_events,
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=role.arn,
            advanced_event_selectors=event_selectors(args.data_event_bucket_arns),
            tags={f"{EXEMPT_PREFIX}cloudtrail-multi-region": SINGLE_REGION_REASON},
            opts=self.child_opts(depends_on=[archive_policy, role_policy]))

    def _cis_alarms(self) -> Mapping[str, aws.cloudwatch.MetricAlarm]:
        args = self._args
        alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        for key, pattern in CIS_FILTERS.items():
            d = TRAIL_ALARMS[f"cis-{key}"]
            metric = f"{args.name_prefix}-{key}"
            aws.cloudwatch.LogMetricFilter(
                self.child_name("cis", key), name=metric, log_group_name=self.log_group.name, pattern=pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=metric, namespace=CIS_NAMESPACE, value="1", default_value="0"),
                opts=self.child_opts())
            alarms[key] = aws.cloudwatch.MetricAlarm(
                self.child_name("cis", key), name=f"{args.name_prefix}-cis-{key}",
                alarm_description=f"{d.title} in {args.region} (CIS, trail {trail_name(args.name_prefix)}). "
                                  f"Runbook: {runbook_path(d.runbook, args.runbook_base)}",
                tags=alarm_tags(d.key, d.severity, d.criteria),
                namespace=CIS_NAMESPACE, metric_name=metric, statistic="Sum", period=d.period,
                evaluation_periods=d.evaluation_periods,
                threshold=1, comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
                alarm_actions=[args.page_topic_arn, *([args.incident_plan_arn] if args.incident_plan_arn else [])],
                opts=self.child_opts())
        return alarms
