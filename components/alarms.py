"""`RegionAlarms`: the CloudWatch metric alarms of one region, built from `components.alarm_catalog`.

For every definition of the catalog whose target the caller passes (the ALB and its target groups,
the WAF web ACL, the Aurora clusters, the cache replication group, the EKS cluster, the Route 53
health check, the ALB certificate, the canary) one alarm, named deterministically
(``<prefix>-<key>[-<target>]``), described with its runbook (``docs/runbooks/<file>.md``), tagged
with its definition key, severity and the seed criteria it covers, and with actions: the topic of
its severity and, for ``page``, the Incident Manager response plan that opens an incident.

The Route 53 health-check alarm lives in us-east-1 (Route 53 publishes its metrics only there),
created with pulumi-aws v7's per-resource ``region`` and notifying that region's topics
(`HealthCheckTarget.actions`).

Outputs: ``alarms`` (name -> MetricAlarm), ``alarm_arns``, ``specs`` (what the dashboards draw:
definition, region, concrete metrics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pulumi
import pulumi_aws as aws

from .alarm_catalog import (
    ALARMS,
    RUNBOOK_DIR,
    AlarmDefinition,
    Metric,
    alarm_name,
    runbook_path,
    validate_catalog,
)
from .alerting import SEVERITIES
from .base import AzoraComponent

#: CloudWatch takes at most 10 metrics and expressions per alarm: 9 node metrics + the aggregate
MAX_NODE_METRICS = 9


@dataclass(frozen=True)
class AlarmActions:
    """Where an alarm of each severity goes: its SNS topic, and (``page``) the response plan that
    opens an Incident Manager incident."""

    topics: Mapping[str, pulumi.Input[str]]
    incident_plans: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def validate(self) -> None:
        missing = [s for s in SEVERITIES if s not in self.topics]
        if missing:
            raise ValueError(f"AlarmActions: no topic for {', '.join(missing)}: its alarms would have no action")
        unknown = sorted((set(self.topics) | set(self.incident_plans)) - set(SEVERITIES))
        if unknown:
            raise ValueError(f"AlarmActions: unknown severities {unknown}")

    def on_alarm(self, severity: str) -> list[pulumi.Input[str]]:
        plan = self.incident_plans.get(severity)
        return [self.topics[severity], *([plan] if plan is not None else [])]

    def on_ok(self, severity: str) -> list[pulumi.Input[str]]:
        return [self.topics[severity]]


@dataclass(frozen=True)
class AuroraTarget:
    cluster_identifier: pulumi.Input[str]
    #: the primary region when this cluster is a secondary of a global database (lag alarm)
    source_region: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class CacheTarget:
    replication_group_id: pulumi.Input[str]
    shards: int
    replicas_per_shard: int
    #: a secondary member of a global datastore (replication-lag alarm)
    global_secondary: bool = False


@dataclass(frozen=True)
class HealthCheckTarget:
    health_check_id: pulumi.Input[str]
    #: topics in the health check's metrics region (us-east-1)
    actions: AlarmActions
    #: consecutive minutes unhealthy before the alarm (None: the catalog's)
    evaluation_periods: int | None = None


@dataclass(frozen=True)
class SeriesSpec:
    """One concrete metric of an alarm (for dashboards)."""

    metric: Metric
    dimensions: Mapping[str, pulumi.Input[str]]


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    definition: AlarmDefinition
    region: str
    series: tuple[SeriesSpec, ...]
    #: the metric math expression the alarm evaluates (None: the single series)
    expression: str | None
    arn: pulumi.Output[str]


def cache_node_ids(replication_group_id: str, shards: int, replicas_per_shard: int) -> list[str]:
    """The member cluster ids ElastiCache gives a cluster-mode replication group's nodes
    (``<group>-<shard:04>-<node:03>``): the ``CacheClusterId`` dimension of its node metrics."""
    return [f"{replication_group_id}-{s:04d}-{n:03d}"
            for s in range(1, shards + 1) for n in range(1, replicas_per_shard + 2)]


def _node(nodes: pulumi.Output[list[str]], index: int) -> pulumi.Output[str]:
    return nodes.apply(lambda ids: ids[index])


def description(d: AlarmDefinition, runbook_base: str, extra: str = "") -> str:
    return (f"{d.title}{extra}. Severity {d.severity}. Runbook: {runbook_path(d.runbook, runbook_base)}")


def alarm_tags(key: str, severity: str, criteria: Sequence[str]) -> dict[str, str]:
    tags = {"azora:alarm": key, "azora:severity": severity}
    if criteria:
        tags["azora:criteria"] = " ".join(criteria)
    return tags


def metric_query(metric: Metric, dimensions: Mapping[str, pulumi.Input[str]], period: int, *,
                 return_data: bool, stat: str | None = None) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=metric.id, return_data=return_data,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace=metric.namespace, metric_name=metric.name, stat=stat or metric.stat, period=period,
            dimensions=dict(dimensions)))


@dataclass(frozen=True)
class RegionAlarmsArgs:
    region: str
    #: alarm names start with it, e.g. ``azora-africa``
    name_prefix: str
    actions: AlarmActions
    #: where descriptions point: the repo path or a URL ending in ``docs/runbooks``
    runbook_base: str = RUNBOOK_DIR
    alb_arn_suffix: pulumi.Input[str] | None = None
    #: target group key -> its ARN suffix (``targetgroup/<name>/<id>``)
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    web_acl_name: pulumi.Input[str] | None = None
    #: cluster key (``resident``, ``global``) -> the cluster
    aurora_clusters: Mapping[str, AuroraTarget] = field(default_factory=dict)
    cache: CacheTarget | None = None
    eks_cluster_name: pulumi.Input[str] | None = None
    health_check: HealthCheckTarget | None = None
    certificate_arn: pulumi.Input[str] | None = None
    #: the canary and the step whose latency is alarmed
    canary_name: pulumi.Input[str] | None = None
    canary_step: str = "api"
    #: definition key -> threshold replacing the catalog's
    thresholds: Mapping[str, float] = field(default_factory=dict)
    #: the definitions to apply (default: the whole catalog)
    definitions: Mapping[str, AlarmDefinition] = field(default_factory=lambda: dict(ALARMS))

    def validate(self) -> None:
        self.actions.validate()
        unknown = sorted(set(self.thresholds) - set(self.definitions))
        if unknown:
            raise ValueError(f"RegionAlarms: thresholds for unknown alarms {unknown}")
        validate_catalog(self.definitions.values())
        if not self.name_prefix:
            raise ValueError("RegionAlarms: name_prefix is required")
        if self.health_check is not None:
            self.health_check.actions.validate()
        if self.cache is not None and (self.cache.shards < 1 or self.cache.replicas_per_shard < 0):
            raise ValueError("RegionAlarms: a cache needs at least one shard")


class RegionAlarms(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: RegionAlarmsArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:alarms:RegionAlarms", name, provider, opts)
        self._args = args
        self.alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self.specs: list[AlarmSpec] = []
        self._edge()
        self._aurora()
        self._cache()
        self._singletons()
        self.alarm_arns: dict[str, pulumi.Output[str]] = {n: a.arn for n, a in self.alarms.items()}
        self.register_outputs({"alarmArns": self.alarm_arns})

    # --- targets ---------------------------------------------------------------------------------
    def _of(self, *targets: str) -> list[AlarmDefinition]:
        return [d for d in self._args.definitions.values() if d.target in targets]

    def _edge(self) -> None:
        a = self._args
        if a.alb_arn_suffix is not None:
            for d in self._of("alb"):
                self._simple(d, None, {"LoadBalancer": a.alb_arn_suffix})
            for key, suffix in sorted(a.target_group_arn_suffixes.items()):
                for d in self._of("target-group"):
                    self._simple(d, key, {"TargetGroup": suffix, "LoadBalancer": a.alb_arn_suffix})
        if a.web_acl_name is not None:
            for d in self._of("web-acl"):
                self._simple(d, None, {"WebACL": a.web_acl_name, "Region": a.region, "Rule": "ALL"})

    def _aurora(self) -> None:
        for key, cluster in sorted(self._args.aurora_clusters.items()):
            for d in self._of("aurora-cluster"):
                self._simple(d, key, {"DBClusterIdentifier": cluster.cluster_identifier})
            if cluster.source_region is not None:
                for d in self._of("aurora-secondary"):
                    self._simple(d, key, {"DBClusterIdentifier": cluster.cluster_identifier,
                                          "SourceRegion": cluster.source_region})

    def _cache(self) -> None:
        c = self._args.cache
        if c is None:
            return
        kinds = ("cache-node", "cache-secondary-node") if c.global_secondary else ("cache-node",)
        nodes = pulumi.Output.from_input(c.replication_group_id).apply(
            lambda rg: cache_node_ids(rg, c.shards, c.replicas_per_shard))
        count = c.shards * (c.replicas_per_shard + 1)
        per_shard = c.replicas_per_shard + 1
        # one alarm over every node when CloudWatch's 10-query limit allows, else one per shard
        groups = ([(None, list(range(count)))] if count <= MAX_NODE_METRICS else
                  [(f"shard{s + 1}", list(range(s * per_shard, (s + 1) * per_shard))) for s in range(c.shards)])
        for d in self._of(*kinds):
            for group_key, indexes in groups:
                self._over_nodes(d, group_key, nodes, indexes)

    def _singletons(self) -> None:
        a = self._args
        if a.eks_cluster_name is not None:
            for d in self._of("eks"):
                self._simple(d, None, {"ClusterName": a.eks_cluster_name})
        if a.certificate_arn is not None:
            for d in self._of("certificate"):
                self._simple(d, None, {"CertificateArn": a.certificate_arn})
        if a.canary_name is not None:
            for d in self._of("canary-step"):
                self._simple(d, None, {"CanaryName": a.canary_name, "StepName": a.canary_step})
        hc = a.health_check
        if hc is not None:
            for d in self._of("health-check"):
                if hc.evaluation_periods is not None:
                    d = replace(d, evaluation_periods=hc.evaluation_periods)
                self._simple(d, None, {"HealthCheckId": hc.health_check_id}, actions=hc.actions)

    # --- alarms ----------------------------------------------------------------------------------
    def _definition(self, d: AlarmDefinition) -> AlarmDefinition:
        override = self._args.thresholds.get(d.key)
        return d if override is None else d.with_threshold(override)

    def _simple(self, d: AlarmDefinition, target_key: str | None, dims: Mapping[str, pulumi.Input[str]],
                actions: AlarmActions | None = None) -> None:
        d = self._definition(d)
        series = tuple(SeriesSpec(m, {k: dims[k] for k in d.dimension_names(m)}) for m in d.metrics)
        queries: list[aws.cloudwatch.MetricAlarmMetricQueryArgs] | None = None
        expression = d.expression
        if d.band is not None:
            (s,) = series
            queries = [metric_query(s.metric, s.dimensions, d.period, return_data=True),
                       aws.cloudwatch.MetricAlarmMetricQueryArgs(
                           id="band", expression=f"ANOMALY_DETECTION_BAND({s.metric.id}, {d.band:g})",
                           label="expected", return_data=True)]
            expression = f"ANOMALY_DETECTION_BAND({s.metric.id}, {d.band:g})"
        elif expression is not None:
            queries = [metric_query(s.metric, s.dimensions, d.period, return_data=False) for s in series]
            queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="value", expression=expression, label=d.title, return_data=True))
        self._create(d, target_key, series, expression, queries, actions)

    def _over_nodes(self, d: AlarmDefinition, group_key: str | None, nodes: pulumi.Output[list[str]],
                    indexes: Sequence[int]) -> None:
        d = self._definition(d)
        (metric,) = d.metrics
        series = tuple(SeriesSpec(Metric(f"n{i + 1}", metric.namespace, metric.name, metric.stat),
                                  {"CacheClusterId": _node(nodes, i)}) for i in indexes)
        aggregate = d.expression or "MAX"
        expression = f"{aggregate}([{', '.join(s.metric.id for s in series)}])"
        queries = [metric_query(s.metric, s.dimensions, d.period, return_data=False) for s in series]
        queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="value", expression=expression, label=d.title, return_data=True))
        self._create(d, group_key, series, expression, queries, None)

    def _create(self, d: AlarmDefinition, target_key: str | None, series: tuple[SeriesSpec, ...],
                expression: str | None, queries: list[aws.cloudwatch.MetricAlarmMetricQueryArgs] | None,
                actions: AlarmActions | None) -> None:
        a = self._args
        acts = actions or a.actions
        name = alarm_name(a.name_prefix, d.key, target_key)
        extra = f" ({target_key})" if target_key else ""
        kwargs: dict[str, object] = {}
        if queries is not None:
            kwargs["metric_queries"] = queries
            if d.band is not None:
                kwargs["threshold_metric_id"] = "band"
            else:
                kwargs["threshold"] = d.threshold
        else:
            (s,) = series
            kwargs.update(namespace=s.metric.namespace, metric_name=s.metric.name, period=d.period,
                          dimensions=dict(s.dimensions), threshold=d.threshold)
            kwargs["extended_statistic" if s.metric.extended else "statistic"] = s.metric.stat
        region = d.region if d.region and d.region != a.region else None
        alarm = aws.cloudwatch.MetricAlarm(  # kwargs built above
            self.child_name(d.key, *([target_key] if target_key else [])),
            name=name, alarm_description=description(d, a.runbook_base, extra),
            comparison_operator=d.comparison, evaluation_periods=d.evaluation_periods,
            datapoints_to_alarm=d.datapoints_to_alarm, treat_missing_data=d.treat_missing_data,
            actions_enabled=True, alarm_actions=acts.on_alarm(d.severity), ok_actions=acts.on_ok(d.severity),
            tags=alarm_tags(d.key, d.severity, d.criteria), region=region,
            opts=self.child_opts(), **kwargs)
        self.alarms[name] = alarm
        self.specs.append(AlarmSpec(name, d, d.region or a.region, series, expression, alarm.arn))
