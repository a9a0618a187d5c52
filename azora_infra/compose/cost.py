"""Wiring of cost as code from `azora:cost` and the stack's owners.

- Every stack: budgets for its region, one per cost center its resources carry (amounts from
  `azora:cost.budgets.costCenters`) and one for its environment.
- The primary stack: the cost-allocation tag keys, the anomaly monitors and their subscription, and
  the CUR 2.0 export into a bucket of its region (account-wide settings live once).

Budget and anomaly notifications go to the region's ``ticket`` topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.alerting import AlertTopics
from components.cost import (
    BudgetSpec,
    CostAllocationTags,
    CostAnomalyDetection,
    CostAnomalyDetectionArgs,
    CostBudgets,
    CostBudgetsArgs,
    CostExport,
    CostExportArgs,
)

from ..config import StackConfig
from ..tags import COST_ALLOCATION_TAGS, COST_CENTER, CUSTOMER, ENVIRONMENT
from .ownership import OwnerProviders, billing_provider, slug


@dataclass
class RegionCost:
    budgets: CostBudgets | None = None
    tags: CostAllocationTags | None = None
    anomaly: CostAnomalyDetection | None = None
    export: CostExport | None = None


def budget_specs(cfg: StackConfig) -> dict[str, BudgetSpec]:
    b = cfg.cost.budgets
    specs = {f"cost-center-{slug(cc)}": BudgetSpec(amount, COST_CENTER, cc) for cc, amount in b.cost_centers.items()}
    if b.environment:
        env = cfg.environment.value
        specs[f"environment-{env}"] = BudgetSpec(b.environment, ENVIRONMENT, env)
    return specs


def _customers(cfg: StackConfig) -> bool:
    return bool(cfg.tags.customer or any(o.customer for o in cfg.ownership.owners().values()))


def build_cost(cfg: StackConfig, stack: str, owners: OwnerProviders, alerts: AlertTopics) -> RegionCost:
    c = cfg.cost
    prefix = f"azora-{stack}"
    out = RegionCost()
    provider = owners.of("cost")
    specs = budget_specs(cfg)
    if specs:
        out.budgets = CostBudgets("budgets", CostBudgetsArgs(
            name_prefix=prefix, budgets=specs, notify_topic_arn=alerts.ticket_topic_arn, region=cfg.region,
            thresholds=c.thresholds), provider)
    if not cfg.leads_environment:
        return out
    billing = billing_provider(cfg, owners.tags("cost"))
    if c.activate_tags:
        keys = [*COST_ALLOCATION_TAGS, *([CUSTOMER] if _customers(cfg) else [])]
        out.tags = CostAllocationTags("cost-tags", keys, billing)
    if c.anomaly.enabled:
        out.anomaly = CostAnomalyDetection("cost-anomaly", CostAnomalyDetectionArgs(
            name_prefix=cfg.global_names.account_prefix, notify_topic_arn=alerts.ticket_topic_arn,
            cost_centers=sorted({*cfg.cost_centers(), *c.budgets.cost_centers}),
            threshold_usd=c.anomaly.threshold_usd), billing)
    if c.export:
        out.export = CostExport("cost-export", CostExportArgs(
            region=cfg.region, name_prefix=prefix, key_deletion_window_days=cfg.kms.deletion_window_days,
            protect=cfg.preset.protect), provider, export_provider=billing)
    return out


def cost_outputs(cost: RegionCost) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if cost.budgets is not None:
        out["budgetNames"] = cost.budgets.budget_names
    if cost.export is not None:
        out["costExportBucket"] = cost.export.bucket_name
    if cost.anomaly is not None:
        out["anomalySubscriptionArn"] = cost.anomaly.subscription_arn
    return out


def export_bucket_arns(cost: RegionCost) -> list[pulumi.Output[str]]:
    """Buckets of the cost part holding confidential data (the trail records their object events)."""
    return [cost.export.bucket_arn] if cost.export is not None else []
