"""Cost as code: cost-allocation tags, budgets, anomaly alerts and the CUR 2.0 export.

- `CostAllocationTags`: activates tag keys for cost allocation, so Cost Explorer, budgets, anomaly
  monitors and the cost and usage export can filter and group by them. An account-wide setting (the
  primary stack). AWS accepts a key only once billing has seen it on a resource (up to 24 hours
  after the first tagged resource exists).
- `CostBudgets`: AWS Budgets, monthly, filtered by a cost-allocation tag (``user:<key>$<value>``) and,
  optionally, by region; each notifies ``notify_topic_arn`` at every threshold, once on actual and
  once on forecast spend.
- `CostAnomalyDetection`: anomaly monitors by AWS service and by cost center (tag), and one
  subscription that notifies ``notify_topic_arn`` immediately when an anomaly's impact reaches the
  threshold. Account-wide (the primary stack).
- `CostExport`: a CUR 2.0 data export (hourly, Parquet, resource ids and tags) into a bucket of the
  stack's region, encrypted with a key of its own. The Data Exports API lives in us-east-1: pass a
  provider for it as ``export_provider``; the data itself lands in the bucket's region.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from azora_infra.regions import DataClass
from azora_infra.tags import COST_CENTER, data_tags

from .base import AzoraComponent
from .buckets import BucketOptions, Lifecycle, deny_insecure_transport, private_bucket
from .kms import account_administers

#: the region whose endpoint serves Data Exports (and Cost Explorer)
BILLING_API_REGION = "us-east-1"
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
#: the CUR 2.0 columns exported (table COST_AND_USAGE_REPORT)
CUR_COLUMNS: tuple[str, ...] = (
    "bill_billing_period_start_date", "bill_payer_account_id", "line_item_usage_account_id",
    "line_item_line_item_type", "line_item_usage_start_date", "line_item_usage_end_date",
    "line_item_product_code", "line_item_usage_type", "line_item_operation", "line_item_resource_id",
    "line_item_usage_amount", "line_item_unblended_cost", "line_item_blended_cost", "pricing_unit",
    "product_region_code", "resource_tags", "cost_category",
)


def tag_filter_value(tag_key: str, tag_value: str) -> str:
    """The Budgets ``TagKeyValue`` filter value of a user-defined cost-allocation tag."""
    return f"user:{tag_key}${tag_value}"


# --- cost-allocation tags ------------------------------------------------------------------------
class CostAllocationTags(AzoraComponent):
    """Outputs: ``tag_keys`` (the activated keys)."""

    def __init__(self, name: str, tag_keys: Sequence[str], provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        if not tag_keys or len(set(tag_keys)) != len(tag_keys):
            raise ValueError("CostAllocationTags: give distinct tag keys")
        super().__init__("azora:cost:CostAllocationTags", name, provider, opts)
        self.tags = {k: aws.costexplorer.CostAllocationTag(
            self.child_name(k.replace(":", "-")), tag_key=k, status="Active", opts=self.child_opts())
            for k in tag_keys}
        self.tag_keys = list(tag_keys)
        self.register_outputs({"tagKeys": self.tag_keys})


# --- budgets ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetSpec:
    """A monthly cost budget over the resources tagged ``tag_key`` = ``tag_value``."""

    amount_usd: float
    tag_key: str
    tag_value: str


@dataclass(frozen=True)
class CostBudgetsArgs:
    #: prefix of the budget names (unique in the account), e.g. ``azora-africa``
    name_prefix: str
    #: budget key (stable, ``[a-z0-9-]``) -> spec
    budgets: Mapping[str, BudgetSpec]
    notify_topic_arn: pulumi.Input[str]
    #: the region the budgets cover (a ``Region`` filter); None: every region
    region: str | None = None
    thresholds: Sequence[int] = (80, 100)

    def validate(self) -> None:
        for key, spec in self.budgets.items():
            if not _KEY.match(key):
                raise ValueError(f"CostBudgets: budget key {key!r}: lower-case letters, digits and dashes")
            if spec.amount_usd <= 0:
                raise ValueError(f"CostBudgets: budget {key} must be a positive amount")
        if not self.thresholds or any(t <= 0 for t in self.thresholds):
            raise ValueError("CostBudgets: thresholds are positive percentages")


class CostBudgets(AzoraComponent):
    """Outputs: ``budget_names`` (key -> name)."""

    def __init__(self, name: str, args: CostBudgetsArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:cost:CostBudgets", name, provider, opts)
        notifications = [
            aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN", threshold=float(t), threshold_type="PERCENTAGE",
                notification_type=kind, subscriber_sns_topic_arns=[args.notify_topic_arn])
            for kind in ("ACTUAL", "FORECASTED") for t in sorted(args.thresholds)]
        self.budgets: dict[str, aws.budgets.Budget] = {}
        for key, spec in sorted(args.budgets.items()):
            filters = [aws.budgets.BudgetCostFilterArgs(
                name="TagKeyValue", values=[tag_filter_value(spec.tag_key, spec.tag_value)])]
            if args.region:
                filters.append(aws.budgets.BudgetCostFilterArgs(name="Region", values=[args.region]))
            self.budgets[key] = aws.budgets.Budget(
                self.child_name(key), name=f"{args.name_prefix}-{key}", budget_type="COST", time_unit="MONTHLY",
                limit_amount=f"{spec.amount_usd:.2f}", limit_unit="USD", cost_filters=filters,
                notifications=notifications, opts=self.child_opts())
        self.budget_names: dict[str, pulumi.Output[str]] = {k: b.name for k, b in self.budgets.items()}
        self.register_outputs({"budgetNames": self.budget_names})


# --- anomaly detection --------------------------------------------------------------------------
@dataclass(frozen=True)
class CostAnomalyDetectionArgs:
    name_prefix: str
    notify_topic_arn: pulumi.Input[str]
    #: one tag monitor per cost center (in addition to the per-service monitor)
    cost_centers: Sequence[str] = ()
    threshold_usd: float = 100.0

    def validate(self) -> None:
        if self.threshold_usd <= 0:
            raise ValueError("CostAnomalyDetection: threshold_usd must be positive")
        if len(set(self.cost_centers)) != len(self.cost_centers):
            raise ValueError("CostAnomalyDetection: cost centers repeat")


def tag_monitor_specification(tag_key: str, value: str) -> str:
    return json.dumps({"Tags": {"Key": tag_key, "Values": [value], "MatchOptions": ["EQUALS"]}})


class CostAnomalyDetection(AzoraComponent):
    """Outputs: ``monitor_arns`` (key -> ARN), ``subscription_arn``."""

    def __init__(self, name: str, args: CostAnomalyDetectionArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:cost:CostAnomalyDetection", name, provider, opts)
        monitors = {"services": aws.costexplorer.AnomalyMonitor(
            self.child_name("services"), name=f"{args.name_prefix}-services", monitor_type="DIMENSIONAL",
            monitor_dimension="SERVICE", opts=self.child_opts())}
        for cc in sorted(args.cost_centers):
            slug = re.sub(r"[^a-z0-9-]+", "-", cc.lower()).strip("-")
            monitors[f"cost-center-{slug}"] = aws.costexplorer.AnomalyMonitor(
                self.child_name("cost-center", slug), name=f"{args.name_prefix}-cost-center-{slug}",
                monitor_type="CUSTOM", monitor_specification=tag_monitor_specification(COST_CENTER, cc),
                opts=self.child_opts())
        self.monitors = monitors
        # SNS subscribers receive IMMEDIATE alerts (daily/weekly digests go to e-mail only)
        self.subscription = aws.costexplorer.AnomalySubscription(
            self.child_name("alerts"), name=f"{args.name_prefix}-anomalies", frequency="IMMEDIATE",
            monitor_arn_lists=[m.arn for m in monitors.values()],
            subscribers=[aws.costexplorer.AnomalySubscriptionSubscriberArgs(type="SNS", address=args.notify_topic_arn)],
            threshold_expression=aws.costexplorer.AnomalySubscriptionThresholdExpressionArgs(
                dimension=aws.costexplorer.AnomalySubscriptionThresholdExpressionDimensionArgs(
                    key="ANOMALY_TOTAL_IMPACT_ABSOLUTE", match_options=["GREATER_THAN_OR_EQUAL"],
                    values=[f"{args.threshold_usd:g}"])),
            opts=self.child_opts())
        self.monitor_arns: dict[str, pulumi.Output[str]] = {k: m.arn for k, m in monitors.items()}
        self.subscription_arn: pulumi.Output[str] = self.subscription.arn
        self.register_outputs({"monitorArns": self.monitor_arns, "subscriptionArn": self.subscription_arn})


# --- CUR 2.0 export -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CostExportArgs:
    #: the bucket's region (the data stays here)
    region: str
    name_prefix: str
    #: days the export files are kept
    retention_days: int = 400
    key_deletion_window_days: int = 30
    protect: bool = True
    extra_tags: Mapping[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if self.retention_days < 31:
            raise ValueError("CostExport: keep the export at least 31 days")
        if not 7 <= self.key_deletion_window_days <= 30:
            raise ValueError("CostExport: key_deletion_window_days must be 7-30")


def export_sources(account: str) -> dict[str, object]:
    return {"StringLike": {"aws:SourceAccount": account, "aws:SourceArn": [
        f"arn:aws:cur:{BILLING_API_REGION}:{account}:definition/*",
        f"arn:aws:bcm-data-exports:{BILLING_API_REGION}:{account}:export/*"]}}


def export_bucket_policy(bucket_arn: str, account: str) -> str:
    """The Data Exports bucket policy (AWS Data Exports user guide), plus TLS only."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "EnableAWSDataExportsToWriteToS3AndCheckPolicy", "Effect": "Allow",
         "Principal": {"Service": ["billingreports.amazonaws.com", "bcm-data-exports.amazonaws.com"]},
         "Action": ["s3:PutObject", "s3:GetBucketPolicy"], "Resource": [f"{bucket_arn}/*", bucket_arn],
         "Condition": export_sources(account)},
        deny_insecure_transport(bucket_arn),
    ]})


def export_key_policy(account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Id": "azora-cost-export", "Statement": [
        account_administers(account),
        {"Sid": "DataExportsEncrypt", "Effect": "Allow",
         "Principal": {"Service": ["billingreports.amazonaws.com", "bcm-data-exports.amazonaws.com"]},
         "Action": ["kms:GenerateDataKey*", "kms:Encrypt"], "Resource": "*", "Condition": export_sources(account)},
    ]})


def cur_query() -> str:
    return f"SELECT {', '.join(CUR_COLUMNS)} FROM COST_AND_USAGE_REPORT"


class CostExport(AzoraComponent):
    """Outputs: ``bucket_name``, ``bucket_arn``, ``export_arn``, ``key_arn``."""

    def __init__(self, name: str, args: CostExportArgs, provider: pulumi.ProviderResource,
                 export_provider: pulumi.ProviderResource, opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:cost:CostExport", name, provider, opts)
        self._args = args
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
        self.key = aws.kms.Key(
            self.child_name("key"), description=f"Azora cost and usage export ({args.region})",
            enable_key_rotation=True, deletion_window_in_days=args.key_deletion_window_days,
            policy=account.apply(export_key_policy), tags={"azora:key-purpose": "cost-export"},
            opts=self.child_opts(protect=args.protect))
        self.bucket = self._bucket(account)
        self.export = aws.bcmdata.Export(
            self.child_name("cur"), export=aws.bcmdata.ExportExportArgs(
                name=f"{args.name_prefix}-cur2", description="Azora CUR 2.0: hourly, resources and tags, Parquet",
                data_queries=[aws.bcmdata.ExportExportDataQueryArgs(
                    query_statement=cur_query(),
                    table_configurations={"COST_AND_USAGE_REPORT": {
                        "TIME_GRANULARITY": "HOURLY", "INCLUDE_RESOURCES": "TRUE",
                        "INCLUDE_SPLIT_COST_ALLOCATION_DATA": "TRUE",
                        "INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY": "FALSE"}})],
                destination_configurations=[aws.bcmdata.ExportExportDestinationConfigurationArgs(
                    s3_destinations=[aws.bcmdata.ExportExportDestinationConfigurationS3DestinationArgs(
                        s3_bucket=self.bucket.bucket, s3_prefix="cur2", s3_region=args.region,
                        s3_output_configurations=[
                            aws.bcmdata.ExportExportDestinationConfigurationS3DestinationS3OutputConfigurationArgs(
                                compression="PARQUET", format="PARQUET", output_type="CUSTOM",
                                overwrite="OVERWRITE_REPORT")])])],
                refresh_cadences=[aws.bcmdata.ExportExportRefreshCadenceArgs(frequency="SYNCHRONOUS")]),
            opts=self.child_opts(provider=export_provider, depends_on=[self._policy]))
        self.bucket_name: pulumi.Output[str] = self.bucket.bucket
        self.bucket_arn: pulumi.Output[str] = self.bucket.arn
        self.export_arn: pulumi.Output[str] = self.export.arn
        self.key_arn: pulumi.Output[str] = self.key.arn
        self.register_outputs({"bucketName": self.bucket_name, "bucketArn": self.bucket_arn,
                               "exportArn": self.export_arn, "keyArn": self.key_arn})

    def _bucket(self, account: pulumi.Output[str]) -> aws.s3.Bucket:
        args = self._args
        made = private_bucket(self, "bucket", BucketOptions(
            bucket_name=account.apply(lambda a: f"{args.name_prefix}-cur-{a}"),
            tags={"Name": f"{args.name_prefix}-cur", **data_tags(DataClass.CONFIDENTIAL.value), **args.extra_tags},
            kms_key_arn=self.key.arn,
            lifecycle=Lifecycle(rule_id="expire-exports", expiration_days=args.retention_days, noncurrent_days=7),
            eventbridge=True, protect=args.protect))
        self._policy = aws.s3.BucketPolicy(
            self.child_name("bucket"), bucket=made.bucket.id,
            policy=pulumi.Output.all(made.bucket.arn, account).apply(lambda v: export_bucket_policy(v[0], v[1])),
            opts=self.child_opts(depends_on=[made.public_access_block]))
        return made.bucket
