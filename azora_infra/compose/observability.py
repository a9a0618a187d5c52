"""The region's operating layer from `azora:observability` (and `azora:alerting.slack`): alarms with
runbooks, SLO burn-rate alerts, the canary, alerting events, telemetry out of the cluster,
Prometheus, dashboards and the Slack channel. Every alarm notifies the severity topics of
`compose/alerting.py` (the health-check alarm those in us-east-1) and a page alarm also opens an
Incident Manager incident when `azora:incidents.enabled` (`compose/incidents.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarm_catalog import BURN_RATE_ALERTS, SLOS, alarm_name, slo_alert_key
from components.alarms import AlarmActions, AuroraTarget, CacheTarget, HealthCheckTarget, RegionAlarms, RegionAlarmsArgs
from components.alerting import AlertTopics
from components.cache import RegionalCache
from components.canary import ApiCanary, ApiCanaryArgs
from components.chat import ChatChannel, ChatChannelArgs
from components.dashboards import (
    GlobalDashboard,
    GlobalDashboardArgs,
    GlobalRegion,
    RegionDashboard,
    RegionDashboardArgs,
)
from components.dns import ROUTE53_METRICS_REGION
from components.edge import RegionalEdge
from components.event_alerts import EventAlerts, EventAlertsArgs
from components.kms import RegionKeys
from components.network import RegionalNetwork
from components.prometheus import MeshMetrics, MeshMetricsArgs
from components.slo import SloAlarms, SloAlarmsArgs, SloObjectives
from components.telemetry import AccessLogFields, ClusterTelemetry, ClusterTelemetryArgs

from ..config import Role, StackConfig, load_project, stack_files
from .cache_edge import cache_global_role
from .database import RegionDatabase
from .dns_backup import RegionDns
from .kubernetes import RegionKubernetes, mesh_tracing_provider


@dataclass
class RegionObservability:
    alarms: RegionAlarms
    slo: SloAlarms
    events: EventAlerts
    canary: ApiCanary | None = None
    telemetry: ClusterTelemetry | None = None
    prometheus: MeshMetrics | None = None
    dashboard: RegionDashboard | None = None
    global_dashboard: GlobalDashboard | None = None
    chat: ChatChannel | None = None

    def stop_alarm_arns(self) -> list[pulumi.Input[str]]:
        """What a chaos experiment must stop on: the ALB's 5xx-ratio alarm (5 % over a minute), then
        the SLO fast-burn composites (1 h / 5 min at 14.4x: they page), one per SLO, in a stable order."""
        five_xx = [s.arn for s in self.alarms.specs if s.definition.key == "alb-5xx-ratio"]
        return [*five_xx, *(arn for key, arn in sorted(self.slo.composite_arns.items()) if key.endswith("-fast"))]


@dataclass(frozen=True)
class RegionParts:
    """What the operating layer watches (built earlier by stack.py)."""

    keys: RegionKeys
    network: RegionalNetwork
    alerts: AlertTopics
    route53_alerts: AlertTopics | None
    edge: RegionalEdge
    dns: RegionDns
    database: RegionDatabase
    cache: RegionalCache | None
    kube: RegionKubernetes
    #: severity -> Incident Manager response plan ARN (empty: no incidents)
    incident_plans: Mapping[str, pulumi.Input[str]]
    #: alarms other parts of the region created (the audit trail's CIS alarms): on the dashboard too
    other_alarm_arns: Sequence[pulumi.Input[str]] = ()


def prefix(stack: str) -> str:
    return f"azora-{stack}"


def _actions(topics: Mapping[str, pulumi.Input[str]], plans: Mapping[str, pulumi.Input[str]]) -> AlarmActions:
    # only page alarms open incidents (issue 11); tickets stay tickets
    return AlarmActions(topics=dict(topics), incident_plans={k: v for k, v in plans.items() if k == "page"})


def _aurora(cfg: StackConfig, db: RegionDatabase) -> dict[str, AuroraTarget]:
    out: dict[str, AuroraTarget] = {}
    if db.resident is not None:
        out["resident"] = AuroraTarget(db.resident.cluster_identifier)
    if db.global_member is not None:
        source: pulumi.Input[str] | None = None
        if not cfg.is_primary and db.primary_ref is not None:
            source = pulumi.Output.from_input(db.primary_ref.require_output("region")).apply(str)
        out["global"] = AuroraTarget(db.global_member.cluster_identifier, source_region=source)
    return out


def _alarms(cfg: StackConfig, stack: str, provider: aws.Provider, parts: RegionParts,
            canary: ApiCanary | None) -> RegionAlarms:
    o = cfg.observability
    health = None
    if parts.dns.endpoint is not None and parts.route53_alerts is not None:
        health = HealthCheckTarget(parts.dns.endpoint.health_check_id,
                                   _actions(parts.route53_alerts.topic_arns, parts.incident_plans),
                                   evaluation_periods=cfg.dns.alarms.evaluation_periods)
    cache = None
    if parts.cache is not None:
        cache = CacheTarget(parts.cache.replication_group_id, cfg.cache.shards, cfg.cache.replicas_per_shard,
                            global_secondary=cache_global_role(cfg) == "secondary")
    thresholds = {"canary-api-latency": o.slo.latency_ms, **o.thresholds}
    return RegionAlarms("alarms", RegionAlarmsArgs(
        region=cfg.region, name_prefix=prefix(stack), actions=_actions(parts.alerts.topic_arns, parts.incident_plans),
        runbook_base=o.runbook_base_url, alb_arn_suffix=parts.edge.arn_suffix,
        target_group_arn_suffixes=parts.edge.target_group_arn_suffixes, web_acl_name=parts.edge.web_acl.name,
        aurora_clusters=_aurora(cfg, parts.database), cache=cache,
        eks_cluster_name=parts.kube.eks.cluster_name if parts.kube.eks is not None else None,
        health_check=health, certificate_arn=parts.edge.certificate_arn,
        canary_name=canary.canary_name if canary is not None else None, thresholds=thresholds,
    ), provider)


def _canary(cfg: StackConfig, stack: str, provider: aws.Provider, parts: RegionParts) -> ApiCanary | None:
    c = cfg.observability.canary
    if not c.enabled:
        return None
    vpc = c.placement == "vpc"
    return ApiCanary("canary", ApiCanaryArgs(
        region=cfg.region, name=f"{prefix(stack)}-api", host=cfg.edge.host(stack, cfg.dns.domain),
        data_key_arn=parts.keys.data_key_arn, health_path=c.health_path, api_path=c.api_path,
        runtime_version=c.runtime_version, placement=c.placement,
        vpc_id=parts.network.vpc_id if vpc else None,
        subnet_ids=list(parts.network.private_subnet_ids) if vpc else (),
        artifact_retention_days=c.artifact_retention_days, protect=cfg.preset.protect,
    ), provider)


def _telemetry(cfg: StackConfig, stack: str, provider: aws.Provider, parts: RegionParts) -> ClusterTelemetry | None:
    t, eks = cfg.observability.telemetry, parts.kube.eks
    if not t.enabled or eks is None:
        return None
    a, tracing = t.access_log, mesh_tracing_provider(cfg)
    return ClusterTelemetry("telemetry", ClusterTelemetryArgs(
        region=cfg.region, name_prefix=prefix(stack), cluster_name=eks.cluster_name, cluster_arn=eks.cluster_arn,
        logs_key_arn=parts.keys.logs_key_arn,
        log_retention_days={dc.value: d for dc, d in t.log_retention_days.items()},
        addon_version=t.addon_version, metrics_interval_seconds=t.metrics_interval_seconds,
        application_signals=t.application_signals, sampling_percent=t.tracing_sampling_percent,
        k8s_provider=eks.k8s_provider, k8s_depends_on=[parts.kube.baseline] if parts.kube.baseline else [],
        mesh_tracing_provider=tracing.name if tracing else None, traced_namespaces=tuple(cfg.eks.namespaces),
        api_endpoints=t.api_endpoints, gateway_namespace=t.gateway_namespace,
        access_log=AccessLogFields(version=a.version, path=a.path, status=a.status, duration=a.duration),
    ), provider)


def _prometheus(cfg: StackConfig, stack: str, provider: aws.Provider, parts: RegionParts) -> MeshMetrics | None:
    p, eks = cfg.observability.prometheus, parts.kube.eks
    if not p.enabled or eks is None:
        return None
    return MeshMetrics("prometheus", MeshMetricsArgs(
        region=cfg.region, name_prefix=prefix(stack), cluster_name=eks.cluster_name, cluster_arn=eks.cluster_arn,
        vpc_id=parts.network.vpc_id, subnet_ids=parts.network.private_subnet_ids,
        node_security_group_id=eks.node_security_group_id,
        cluster_security_group_id=eks.cluster_security_group.id, k8s_provider=eks.k8s_provider,
        scraped_namespaces=tuple(cfg.eks.namespaces), vpc_cidr=cfg.network.cidr,
        scrape_interval_seconds=p.scrape_interval_seconds, retention_days=p.retention_days,
        key_deletion_window_days=cfg.kms.deletion_window_days, protect=cfg.preset.protect,
    ), provider)


def global_column(cfg: StackConfig, stack: str) -> GlobalRegion:
    """A region's column on the global dashboard: alarm names only (deterministic in every stack)."""
    p = prefix(stack)
    slos = [k for k, s in SLOS.items() if s.source == "alb" or cfg.observability.canary.enabled]
    status = [alarm_name(p, slo_alert_key(s, a.key)) for s in slos for a in BURN_RATE_ALERTS]
    graphs = [alarm_name(p, "alb-5xx-ratio"), alarm_name(p, "alb-target-p95")]
    if cfg.role is Role.SECONDARY and cfg.database.global_database.enabled:
        graphs.append(alarm_name(p, "aurora-replication-lag", "global"))
    health_checked = cfg.dns.alarms.enabled and cfg.joins_global
    remote = {ROUTE53_METRICS_REGION: [alarm_name(p, "dns-health-check")]} if health_checked else {}
    return GlobalRegion(region=cfg.region, status_alarms=[*status, *graphs], graph_alarms=graphs,
                        remote_alarms=remote)


def global_columns(cfg: StackConfig, stack: str, project_dir: Path | None = None) -> dict[str, GlobalRegion]:
    """This stack's column, then those of the project's other stacks of the same environment."""
    columns = {stack: global_column(cfg, stack)}
    directory = project_dir or Path.cwd()
    if stack_files(directory):
        for name, other in sorted(load_project(directory).items()):
            if name != stack and other.environment == cfg.environment and other.region != cfg.region:
                columns[name] = global_column(other, name)
    return dict(list(columns.items())[:6])


def _dashboards(cfg: StackConfig, stack: str, provider: aws.Provider, alarms: RegionAlarms, slo: SloAlarms,
                project_dir: Path | None, other_alarm_arns: Sequence[pulumi.Input[str]] = (),
                ) -> tuple[RegionDashboard | None, GlobalDashboard | None]:
    if not cfg.observability.dashboards:
        return None, None
    region = RegionDashboard("dashboard", RegionDashboardArgs(
        name=prefix(stack), region=cfg.region, alarms=alarms.specs, slos=slo.slo_specs,
        extra_alarm_arns=[*slo.composite_arns.values(), *other_alarm_arns]), provider)
    glob = None
    if cfg.leads_environment:
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
        glob = GlobalDashboard("dashboard-global", GlobalDashboardArgs(
            name=f"{prefix(stack)}-global", regions=global_columns(cfg, stack, project_dir), account_id=account),
            provider)
    return region, glob


def _chat(cfg: StackConfig, stack: str, provider: aws.Provider, parts: RegionParts) -> ChatChannel | None:
    slack = cfg.alerting.slack
    if slack is None:
        return None
    topics = [parts.alerts.topic_arns[s] for s in slack.severities]
    if parts.route53_alerts is not None:
        topics += [parts.route53_alerts.topic_arns[s] for s in slack.severities]
    return ChatChannel("chat", ChatChannelArgs(name=f"{prefix(stack)}-alerts", slack_team_id=slack.team_id,
                                               slack_channel_id=slack.channel_id, topic_arns=topics), provider)


def build_observability(cfg: StackConfig, stack: str, provider: aws.Provider, parts: RegionParts,
                        project_dir: Path | None = None) -> RegionObservability:
    o = cfg.observability
    canary = _canary(cfg, stack, provider, parts)
    alarms = _alarms(cfg, stack, provider, parts, canary)
    slo = SloAlarms("slo", SloAlarmsArgs(
        region=cfg.region, name_prefix=prefix(stack), actions=_actions(parts.alerts.topic_arns, parts.incident_plans),
        objectives=SloObjectives(availability=o.availability, latency_ms=o.slo.latency_ms,
                                 latency_percentile=o.slo.latency_percentile),
        runbook_base=o.runbook_base_url, alb_arn_suffix=parts.edge.arn_suffix,
        canary_name=canary.canary_name if canary is not None else None), provider)
    events = EventAlerts("event-alerts", EventAlertsArgs(
        name_prefix=prefix(stack), actions=_actions(parts.alerts.topic_arns, parts.incident_plans),
        runbook_base=o.runbook_base_url), provider)
    dashboard, global_dashboard = _dashboards(cfg, stack, provider, alarms, slo, project_dir,
                                              parts.other_alarm_arns)
    return RegionObservability(
        alarms=alarms, slo=slo, events=events, canary=canary, telemetry=_telemetry(cfg, stack, provider, parts),
        prometheus=_prometheus(cfg, stack, provider, parts), dashboard=dashboard,
        global_dashboard=global_dashboard, chat=_chat(cfg, stack, provider, parts))


def observability_outputs(obs: RegionObservability | None) -> dict[str, Any]:
    """Stack exports: the SLO burn-rate alarms (chaos experiments stop on them), every alarm, the
    dashboards, the canary, the telemetry log groups and the Prometheus workspace."""
    if obs is None:
        return {}
    out: dict[str, Any] = {
        "sloAlarmArns": obs.slo.composite_arns,
        "alarmArns": obs.alarms.alarm_arns,
        "eventRuleArns": obs.events.rule_arns,
    }
    if obs.dashboard is not None:
        out["dashboardNames"] = [obs.dashboard.dashboard_name,
                                 *([obs.global_dashboard.dashboard_name] if obs.global_dashboard else [])]
    if obs.canary is not None:
        out["canaryName"] = obs.canary.canary_name
    if obs.telemetry is not None:
        out["telemetryLogGroups"] = obs.telemetry.log_group_names
    if obs.prometheus is not None:
        out["prometheusWorkspaceArn"] = obs.prometheus.workspace_arn
        out["prometheusEndpoint"] = obs.prometheus.prometheus_endpoint
    return out
