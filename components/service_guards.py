"""`ServiceGuards`: the autoscaling and disruption guards every Azora service Deployment gets.

A HorizontalPodAutoscaler (autoscaling/v2) that targets 70 % average CPU, scales up with no
stabilization window fast enough to reach ``max_replicas`` within two minutes, and scales down
only after ten minutes of lower load; and a PodDisruptionBudget so node rotations (managed node
group updates at 33 %, Karpenter consolidation, spot interruptions) never take more than one pod
of the service at a time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .base import AzoraComponent


@dataclass(frozen=True)
class ScalePolicy:
    """One HPA scaling policy: at most ``value`` pods or percent per ``period_seconds``."""

    type: str  # "Pods" or "Percent"
    value: int
    period_seconds: int


#: scale-up: double, or add 4 pods, every 15 s (whichever is more)
DEFAULT_SCALE_UP = (ScalePolicy("Percent", 100, 15), ScalePolicy("Pods", 4, 15))
#: scale-down (after the 10-minute window): at most a quarter of the pods a minute
DEFAULT_SCALE_DOWN = (ScalePolicy("Percent", 25, 60),)


def seconds_to_reach(min_replicas: int, max_replicas: int, policies: Sequence[ScalePolicy]) -> int:
    """Seconds the HPA needs, at best, to go from ``min_replicas`` to ``max_replicas`` when every
    period allows the largest step any policy allows (``selectPolicy: Max``)."""
    replicas, elapsed = max(min_replicas, 1), 0
    if not policies:
        raise ValueError("at least one scale-up policy is required")
    period = min(p.period_seconds for p in policies)
    while replicas < max_replicas:
        step = max(p.value if p.type == "Pods" else math.ceil(replicas * p.value / 100) for p in policies)
        if step <= 0:
            raise ValueError("scale-up policies never add a pod")
        replicas += step
        elapsed += period
    return elapsed


@dataclass(frozen=True)
class ServiceGuardsArgs:
    #: the Deployment to guard (name and namespace)
    deployment: str
    namespace: str
    #: the Deployment's pod labels (the PodDisruptionBudget selects pods with them)
    selector: Mapping[str, str]
    k8s_provider: pulumi.ProviderResource
    min_replicas: int = 3
    max_replicas: int = 30
    #: average CPU utilisation (percent of requests) the HPA holds
    target_cpu_percent: int = 70
    #: scale-up must be able to reach max_replicas within this many seconds
    scale_up_within_seconds: int = 120
    #: lower load must last this long before pods are removed
    scale_down_stabilization_seconds: int = 600
    scale_up_policies: Sequence[ScalePolicy] = DEFAULT_SCALE_UP
    scale_down_policies: Sequence[ScalePolicy] = DEFAULT_SCALE_DOWN
    #: PodDisruptionBudget: pods that may be down at once (or set min_available instead)
    max_unavailable: int | str | None = 1
    min_available: int | str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    #: what the HPA and PDB wait for (their namespace, the Deployment)
    depends_on: Sequence[pulumi.Resource] = ()

    def validate(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError(f"ServiceGuards {self.deployment}: need 1 <= min_replicas <= max_replicas "
                             f"(got {self.min_replicas}, {self.max_replicas})")
        if not 1 <= self.target_cpu_percent <= 100:
            raise ValueError(f"ServiceGuards {self.deployment}: target_cpu_percent must be 1-100")
        if not 0 <= self.scale_down_stabilization_seconds <= 3600:
            raise ValueError(f"ServiceGuards {self.deployment}: scale_down_stabilization_seconds must be 0-3600")
        for p in (*self.scale_up_policies, *self.scale_down_policies):
            if p.type not in ("Pods", "Percent") or p.value < 1 or not 1 <= p.period_seconds <= 1800:
                raise ValueError(f"ServiceGuards {self.deployment}: invalid scaling policy {p}")
        needed = seconds_to_reach(self.min_replicas, self.max_replicas, self.scale_up_policies)
        if needed > self.scale_up_within_seconds:
            raise ValueError(f"ServiceGuards {self.deployment}: the scale-up policies need {needed}s to go from "
                             f"{self.min_replicas} to {self.max_replicas} replicas "
                             f"(limit {self.scale_up_within_seconds}s)")
        if (self.max_unavailable is None) == (self.min_available is None):
            raise ValueError(f"ServiceGuards {self.deployment}: set exactly one of max_unavailable, min_available")
        if self.min_available is not None and isinstance(self.min_available, int) \
                and self.min_available >= self.min_replicas:
            raise ValueError(f"ServiceGuards {self.deployment}: min_available {self.min_available} >= "
                             f"min_replicas {self.min_replicas} would block every node drain")
        if isinstance(self.max_unavailable, int) and self.max_unavailable < 1:
            raise ValueError(f"ServiceGuards {self.deployment}: max_unavailable 0 would block every node drain")
        if not self.selector:
            raise ValueError(f"ServiceGuards {self.deployment}: a pod selector is required")


def _policies(policies: Sequence[ScalePolicy]) -> list[k8s.autoscaling.v2.HPAScalingPolicyArgs]:
    return [k8s.autoscaling.v2.HPAScalingPolicyArgs(type=p.type, value=p.value, period_seconds=p.period_seconds)
            for p in policies]


class ServiceGuards(AzoraComponent):
    """HPA + PDB for one Deployment. Outputs: ``hpa_name``, ``pdb_name``."""

    def __init__(self, name: str, args: ServiceGuardsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:k8s:ServiceGuards", name, args.k8s_provider, opts)
        labels = {"app.kubernetes.io/name": args.deployment, **args.labels}
        k8s_opts = self.child_opts(provider=args.k8s_provider, depends_on=args.depends_on)
        self.hpa = k8s.autoscaling.v2.HorizontalPodAutoscaler(
            self.child_name("hpa"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.deployment, namespace=args.namespace, labels=labels),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=args.deployment),
                min_replicas=args.min_replicas,
                max_replicas=args.max_replicas,
                metrics=[k8s.autoscaling.v2.MetricSpecArgs(
                    type="Resource",
                    resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                        name="cpu", target=k8s.autoscaling.v2.MetricTargetArgs(
                            type="Utilization", average_utilization=args.target_cpu_percent)))],
                behavior=k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs(
                    scale_up=k8s.autoscaling.v2.HPAScalingRulesArgs(
                        stabilization_window_seconds=0, select_policy="Max",
                        policies=_policies(args.scale_up_policies)),
                    scale_down=k8s.autoscaling.v2.HPAScalingRulesArgs(
                        stabilization_window_seconds=args.scale_down_stabilization_seconds, select_policy="Max",
                        policies=_policies(args.scale_down_policies)),
                ),
            ),
            opts=k8s_opts)
        self.pdb = k8s.policy.v1.PodDisruptionBudget(
            self.child_name("pdb"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.deployment, namespace=args.namespace, labels=labels),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=args.max_unavailable, min_available=args.min_available,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args.selector)),
                # pods that never became ready may be evicted: a broken rollout cannot block a drain
                unhealthy_pod_eviction_policy="AlwaysAllow"),
            opts=k8s_opts)
        self.hpa_name = self.hpa.metadata.name
        self.pdb_name = self.pdb.metadata.name
        self.register_outputs({"hpaName": self.hpa_name, "pdbName": self.pdb_name})
