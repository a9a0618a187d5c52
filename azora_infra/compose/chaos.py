"""Wiring of the FIS experiments (`ChaosExperiments`) and the daily random run (`ChaosSchedule`)
from `azora:chaos` (see components/chaos.py, docs/chaos.md).

- Templates in every environment where `azora:chaos.enabled` (default), for the faults whose
  targets the stack has: EKS faults only with EKS, the reader reboot only with readers, the cache
  fault only with a cache, API throttling only with Karpenter (its controller's EC2 calls).
- The schedule only when `azora:chaos.schedule.enabled` (default: the preset's `chaos` flag:
  staging); config validation refuses one in prod without `allowInProd.reason`.
- Stop conditions: `stop_alarm_arns(...)` is the seam. Today it returns no alarm of its own and
  the component adds its steady-state guard (ALB 5xx rate of this region); the SLO burn-rate
  alarms of the observability work (`sloAlarmArns`) are to be added there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.cache import RegionalCache
from components.chaos import EXPERIMENTS, ChaosExperiments, ChaosExperimentsArgs
from components.chaos_schedule import ChaosSchedule, ChaosScheduleArgs
from components.edge import RegionalEdge
from components.kms import RegionKeys

from ..config import Role, StackConfig
from ..config.database import InstanceRole
from .database import RegionDatabase
from .kubernetes import RegionKubernetes


@dataclass
class RegionChaos:
    experiments: ChaosExperiments
    schedule: ChaosSchedule | None = None


#: FIS takes at most this many stop conditions per experiment template
FIS_MAX_STOP_CONDITIONS = 5


def stop_alarm_arns(cfg: StackConfig, extra: list[pulumi.Input[str]] | None = None,
                    guard: bool = False) -> list[pulumi.Input[str]]:
    """The in-region alarms every experiment stops on: the observability composition's ALB 5xx
    alarm and SLO fast-burn composites (``extra``), or, without it, the component's own ALB guard
    (``guard``). The Route 53 health-check alarm is not usable: Route 53 metrics, and so its alarm,
    live in us-east-1, and FIS reads stop conditions in the experiment's region."""
    return list(extra or [])[:FIS_MAX_STOP_CONDITIONS - int(guard)]


def _has_readers(cfg: StackConfig) -> bool:
    db = cfg.database
    clusters = [c for c in (db.resident, db.global_database) if c.enabled]
    return any(any(i.role is InstanceRole.READER for i in c.instances.values())
               or (c.autoscaling.enabled and c.autoscaling.min_readers > 0) for c in clusters)


def experiments_for(cfg: StackConfig, kube: RegionKubernetes, database: RegionDatabase | None,
                    cache: RegionalCache | None) -> list[str]:
    wanted = cfg.chaos.experiments or list(EXPERIMENTS)
    possible = {"az-network-disruption"}
    if database is not None and (database.resident is not None or database.global_member is not None):
        possible.add("aurora-writer-failover")
        if _has_readers(cfg):
            possible.add("aurora-reader-reboot")
    if cache is not None:
        possible.add("cache-az-power")
    if kube.eks is not None:
        possible |= {"eks-node-termination", "eks-pod-delete", "eks-pod-cpu-stress", "eks-pod-network-latency"}
    if kube.karpenter is not None:
        possible.add("api-throttle")
    if cfg.role is Role.SECONDARY and (database is None or database.resident is None):
        possible.discard("aurora-writer-failover")  # a secondary's global member has no writer to fail over
    return [e for e in wanted if e in possible]


def build_chaos(cfg: StackConfig, stack: str, provider: pulumi.ProviderResource, keys: RegionKeys,
                kube: RegionKubernetes, database: RegionDatabase | None, cache: RegionalCache | None,
                edge: RegionalEdge | None, alert_actions: list[pulumi.Input[str]] | None = None,
                slo_alarm_arns: list[pulumi.Input[str]] | None = None) -> RegionChaos | None:
    c = cfg.chaos
    if not c.enabled:
        return None
    names = experiments_for(cfg, kube, database, cache)
    if not names:
        return None
    prefix = f"azora-{stack}"
    # the component's own 5xx guard only where the region's alarms do not already stop experiments
    guard = edge.arn_suffix if edge is not None and not slo_alarm_arns else None
    failover_tags: dict[str, str] = {}
    if cfg.role is Role.SECONDARY and database is not None and database.resident is not None:
        failover_tags = {"azora:data-class": cfg.database.resident.data_class.value}
    eks = kube.eks
    experiments = ChaosExperiments("chaos", ChaosExperimentsArgs(
        region=cfg.region, name_prefix=prefix,
        target_tags={"azora:environment": cfg.environment.value, "azora:service": cfg.tags.service},
        stop_alarm_arns=stop_alarm_arns(cfg, slo_alarm_arns, guard=guard is not None),
        guard_load_balancer_arn_suffix=guard,
        guard_alarm_actions=list(alert_actions or []),
        logs_key_arn=keys.logs_key_arn, reports_key_arn=keys.data_key_arn,
        availability_zone=c.availability_zone or cfg.azs[0], experiments=names,
        log_retention_days=cfg.preset.log_retention_days, aurora_failover_tags=failover_tags,
        eks_cluster_name=eks.cluster_name if eks is not None else None,
        eks_cluster_arn=eks.cluster_arn if eks is not None else None,
        k8s_provider=eks.k8s_provider if eks is not None else None,
        pod_namespace=c.pod_namespace or next(iter(cfg.eks.namespaces), "default"),
        pod_selector=c.pod_selector,
        api_throttle_role_arns=[kube.karpenter.controller_role_arn] if kube.karpenter is not None else [],
        protect=cfg.preset.protect,
    ), provider)
    schedule = None
    if c.schedule_enabled(cfg.preset.chaos):
        schedule = ChaosSchedule("chaos-schedule", ChaosScheduleArgs(
            region=cfg.region, name_prefix=prefix, template_ids=list(experiments.template_ids.values()),
            logs_key_arn=keys.logs_key_arn, schedule_expression=c.schedule.expression,
            timezone=c.schedule.timezone, log_retention_days=cfg.preset.log_retention_days), provider)
    return RegionChaos(experiments=experiments, schedule=schedule)


def chaos_outputs(chaos: RegionChaos | None) -> dict[str, Any]:
    """Stack exports: the template ids (the chaos report reads their history), the stop alarms."""
    if chaos is None:
        return {}
    out: dict[str, Any] = {"chaosTemplateIds": chaos.experiments.template_ids,
                           "chaosStopAlarmArns": chaos.experiments.stop_alarm_arns}
    if chaos.schedule is not None:
        out["chaosScheduleArn"] = chaos.schedule.schedule_arn
    return out
