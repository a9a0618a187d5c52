"""Cost as code: budgets per environment and cost center at 80/100 % actual and forecast to the ticket topic,
anomaly monitors by service and cost center, the CUR 2.0 export into an in-region bucket, the cost-allocation
tag keys - the account-wide parts in the primary only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra.plan.model import Plan
from components.cost import (
    CUR_COLUMNS,
    BudgetSpec,
    CostAnomalyDetection,
    CostAnomalyDetectionArgs,
    CostBudgets,
    CostBudgetsArgs,
    CostExport,
    CostExportArgs,
    tag_filter_value,
)
from tests.harness import record

TICKET = "arn:aws:sns:af-south-1:123456789012:azora-africa-ticket"
BUDGET = "aws:budgets/budget:Budget"


def test_budget_filters_on_the_cost_allocation_tag_and_region_and_notifies_at_each_threshold() -> None:
    def program() -> None:
        CostBudgets("budgets", CostBudgetsArgs(
            name_prefix="azora-africa", region="af-south-1", notify_topic_arn=TICKET,
            budgets={"cost-center-cc-2001-data": BudgetSpec(10000, "azora:cost-center", "cc-2001-data")}),
            aws.Provider("aws-af-south-1", region="af-south-1"))
    (budget,) = record(program).of_type(BUDGET)
    i = budget.inputs
    assert i["name"] == "azora-africa-cost-center-cc-2001-data"
    assert (i["budgetType"], i["timeUnit"], i["limitAmount"], i["limitUnit"]) == ("COST", "MONTHLY", "10000.00", "USD")
    assert i["costFilters"] == [{"name": "TagKeyValue", "values": ["user:azora:cost-center$cc-2001-data"]},
                                {"name": "Region", "values": ["af-south-1"]}]
    notes = {(n["notificationType"], n["threshold"]) for n in i["notifications"]}
    assert notes == {(kind, t) for kind in ("ACTUAL", "FORECASTED") for t in (80.0, 100.0)}
    assert all(n["subscriberSnsTopicArns"] == [TICKET] and n["comparisonOperator"] == "GREATER_THAN"
               and n["thresholdType"] == "PERCENTAGE" for n in i["notifications"])


def test_anomaly_monitors_by_service_and_cost_center_notify_immediately() -> None:
    def program() -> None:
        CostAnomalyDetection("cost-anomaly", CostAnomalyDetectionArgs(
            name_prefix="azora-prod", notify_topic_arn=TICKET, cost_centers=["cc-1", "cc-2"], threshold_usd=250),
            aws.Provider("billing", region="us-east-1"))
    plan = record(program, region="us-east-1")
    monitors = {m.name: m.inputs for m in plan.of_type("aws:costexplorer/anomalyMonitor:AnomalyMonitor")}
    assert monitors["cost-anomaly-services"] == {"name": "azora-prod-services", "monitorType": "DIMENSIONAL",
                                                  "monitorDimension": "SERVICE"}
    spec = json.loads(monitors["cost-anomaly-cost-center-cc-1"]["monitorSpecification"])
    assert spec == {"Tags": {"Key": "azora:cost-center", "Values": ["cc-1"], "MatchOptions": ["EQUALS"]}}
    (sub,) = plan.of_type("aws:costexplorer/anomalySubscription:AnomalySubscription")
    assert sub.inputs["frequency"] == "IMMEDIATE"  # SNS subscribers take immediate alerts only
    assert sub.inputs["subscribers"] == [{"type": "SNS", "address": TICKET}]
    assert len(sub.inputs["monitorArnLists"]) == 3
    assert sub.inputs["thresholdExpression"]["dimension"] == {
        "key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE", "matchOptions": ["GREATER_THAN_OR_EQUAL"], "values": ["250"]}


def test_cur_export_is_hourly_parquet_into_an_in_region_bucket_through_the_us_east_1_api() -> None:
    def program() -> None:
        CostExport("cost-export", CostExportArgs(region="af-south-1", name_prefix="azora-africa"),
                   aws.Provider("aws-af-south-1", region="af-south-1"),
                   export_provider=aws.Provider("billing", region="us-east-1"))
    plan = record(program)
    bucket = plan.named("aws:s3/bucket:Bucket", "cost-export-bucket")
    assert bucket.region == "af-south-1" and bucket.tags["azora:data-class"] == "confidential"
    export = plan.named("aws:bcmdata/export:Export", "cost-export-cur")
    assert export.region == "us-east-1"
    e = export.inputs["export"]
    (query,) = e["dataQueries"]
    assert query["tableConfigurations"]["COST_AND_USAGE_REPORT"]["TIME_GRANULARITY"] == "HOURLY"
    assert query["tableConfigurations"]["COST_AND_USAGE_REPORT"]["INCLUDE_RESOURCES"] == "TRUE"
    assert query["queryStatement"].startswith("SELECT ") and query["queryStatement"].endswith(
        " FROM COST_AND_USAGE_REPORT")
    assert all(c in query["queryStatement"] for c in ("resource_tags", "line_item_resource_id"))
    (dest,) = e["destinationConfigurations"][0]["s3Destinations"]
    assert (dest["s3Bucket"], dest["s3Region"]) == (bucket.outputs["bucket"], "af-south-1")
    assert dest["s3OutputConfigurations"] == [{"compression": "PARQUET", "format": "PARQUET", "outputType": "CUSTOM",
                                               "overwrite": "OVERWRITE_REPORT"}]
    policy = json.loads(plan.named("aws:s3/bucketPolicy:BucketPolicy", "cost-export-bucket").inputs["policy"])
    write = policy["Statement"][0]
    assert set(write["Principal"]["Service"]) == {"billingreports.amazonaws.com", "bcm-data-exports.amazonaws.com"}
    assert write["Condition"]["StringLike"]["aws:SourceArn"] == [
        "arn:aws:cur:us-east-1:123456789012:definition/*", "arn:aws:bcm-data-exports:us-east-1:123456789012:export/*"]
    assert policy["Statement"][1]["Sid"] == "DenyInsecureTransport"
    assert len(set(CUR_COLUMNS)) == len(CUR_COLUMNS)


@pytest.mark.parametrize(("args", "message"), [
    (CostBudgetsArgs("p", {"Bad Key": BudgetSpec(1, "k", "v")}, TICKET), "lower-case letters"),
    (CostBudgetsArgs("p", {"ok": BudgetSpec(0, "k", "v")}, TICKET), "positive amount"),
    (CostAnomalyDetectionArgs("p", TICKET, cost_centers=["a", "a"]), "repeat"),
    (CostExportArgs("af-south-1", "p", retention_days=7), "at least 31 days"),
])
def test_bad_arguments_are_refused(args: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args.validate()


def test_tag_filter_value_is_the_user_tag_form() -> None:
    assert tag_filter_value("azora:cost-center", "cc-1") == "user:azora:cost-center$cc-1"


def test_repo_stacks_budget_every_cost_center_they_carry(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    for stack, region in (("africa", "af-south-1"), ("europe", "eu-west-1"), ("asia", "ap-southeast-1")):
        plan = Plan(repo_plan(stack))
        carried = {r.tags.get("azora:cost-center") for r in plan if r.custom and r.type.startswith("aws:")} - {None}
        budgets = plan.of_type(BUDGET)
        filtered = {f["values"][0] for b in budgets for f in b.inputs["costFilters"] if f["name"] == "TagKeyValue"}
        assert {tag_filter_value("azora:cost-center", cc) for cc in carried} <= filtered, stack
        assert tag_filter_value("azora:environment", "prod") in filtered
        ticket = plan.named("aws:sns/topic:Topic", "alerts-ticket").outputs["arn"]
        assert all(n["subscriberSnsTopicArns"] == [ticket] for b in budgets for n in b.inputs["notifications"])
        assert all({"name": "Region", "values": [region]} in b.inputs["costFilters"] for b in budgets)


def test_account_wide_cost_settings_live_in_the_primary_only(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    africa = Plan(repo_plan("africa"))
    tags = {t.inputs["tagKey"] for t in africa.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag")}
    assert tags == {"azora:team", "azora:service", "azora:cost-center", "azora:environment"}
    assert all(t.region == "us-east-1" and t.inputs["status"] == "Active"
               for t in africa.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag"))
    monitors = africa.of_type("aws:costexplorer/anomalyMonitor:AnomalyMonitor")
    assert {m.inputs["name"] for m in monitors} == {"azora-prod-services"} | {
        f"azora-prod-cost-center-{cc}" for cc in ("cc-1001-platform", "cc-2001-data", "cc-3001-security",
                                                  "cc-4001-identity")}
    (sub,) = africa.of_type("aws:costexplorer/anomalySubscription:AnomalySubscription")
    ticket = africa.named("aws:sns/topic:Topic", "alerts-ticket").outputs["arn"]
    assert sub.inputs["subscribers"][0]["address"] == ticket
    assert africa.of_type("aws:bcmdata/export:Export")
    for stack in ("europe", "asia"):
        secondary = Plan(repo_plan(stack))
        for t in ("aws:costexplorer/costAllocationTag:CostAllocationTag",
                  "aws:costexplorer/anomalyMonitor:AnomalyMonitor", "aws:bcmdata/export:Export"):
            assert not secondary.of_type(t), (stack, t)
