"""Alarms that reach people: every ALB, Aurora cluster, cache replication group and Route 53 health
check has its alarms; every alarm has actions and names its runbook; every topic an alarm notifies
has a subscriber (mandatory in prod).

Joins (planned state): an alarm is ON a resource when one of its metrics' dimensions names it (by
value: the ALB's ``arnSuffix``, the cluster's identifier, the replication group's id or a node id
``<group>-NNNN-NNN``, the health check's id) or its ``dimensions`` / ``metricQueries`` depend on the
resource (unknown values at preview join through the dependency). An alarm without actions of its
own is fine when a composite alarm with actions names it in its rule (the SRE workbook's windows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res, as_list, dig
from .rules import Stack, peek, resource_rule, stack_rule

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
ALARMS = (METRIC_ALARM, COMPOSITE_ALARM)
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
CHATBOT = ("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
           "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration")

#: registry config default: resource type -> metric names it must have an alarm on
REQUIRED_METRICS: dict[str, list[str]] = {
    "aws:lb/loadBalancer:LoadBalancer": ["HTTPCode_Target_5XX_Count", "TargetResponseTime"],
    "aws:rds/cluster:Cluster": ["CPUUtilization", "FreeableMemory", "DatabaseConnections"],
    T.CACHE_GROUP: ["EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions"],
    T.HEALTH_CHECK: ["HealthCheckStatus"],
}
#: a secondary member of an Aurora global database also needs its replication lag alarmed
SECONDARY_METRICS = ["AuroraGlobalDBReplicationLag"]
RUNBOOK_PATTERN = r"docs/runbooks/[A-Za-z0-9._-]+\.md"
_RULE_NAMES = re.compile(r'ALARM\(\s*"?([^")\s]+)"?\s*\)')


# --- reading alarms ----------------------------------------------------------------------------
def metrics_of(alarm: Res) -> list[tuple[str, dict[str, Any]]]:
    """(metric name, dimensions) of every metric an alarm reads."""
    out: list[tuple[str, dict[str, Any]]] = []
    name = peek(alarm, "metricName")
    if isinstance(name, str):
        dims = peek(alarm, "dimensions")
        out.append((name, dict(dims) if isinstance(dims, Mapping) else {}))
    for q in as_list(peek(alarm, "metricQueries")):
        metric = dig(q, "metric")
        mname = dig(metric, "metricName")
        if isinstance(mname, str):
            dims = dig(metric, "dimensions")
            out.append((mname, dict(dims) if isinstance(dims, Mapping) else {}))
    return out


def _identifiers(r: Res) -> set[str]:
    ids = {v for v in (r.id, r.arn, peek(r, "arnSuffix"), peek(r, "clusterIdentifier"),
                       peek(r, "replicationGroupId")) if isinstance(v, str) and v}
    return ids


def _names(dim_value: Any, ids: set[str], node_prefix: bool) -> bool:
    if not isinstance(dim_value, str):
        return False
    return dim_value in ids or (node_prefix and any(dim_value.startswith(f"{i}-") for i in ids))


def alarmed_metrics(stack: Stack, r: Res) -> set[str]:
    """The metric names of the alarms on resource ``r``."""
    ids = _identifiers(r)
    node_prefix = r.type == T.CACHE_GROUP
    found: set[str] = set()
    for alarm in stack.of_type(METRIC_ALARM):
        deps = {*alarm.property_dependencies.get("dimensions", []),
                *alarm.property_dependencies.get("metricQueries", [])}
        metrics = metrics_of(alarm)
        for metric, dims in metrics:
            if any(_names(v, ids, node_prefix) for v in dims.values()):
                found.add(metric)
        if r.urn in deps:
            found.update(m for m, _ in metrics)
    return found


def _is_application_lb(r: Res) -> bool:
    return (peek(r, "loadBalancerType") or "application") == "application"


def _secondary_member(stack: Stack, r: Res) -> bool:
    """A cluster joining a global cluster that this stack does not own (the primary owns it)."""
    gid = peek(r, "globalClusterIdentifier")
    if not gid and not r.property_dependencies.get("globalClusterIdentifier"):
        return False
    owned = any(g.urn in r.property_dependencies.get("globalClusterIdentifier", []) or
                peek(g, "globalClusterIdentifier") == gid for g in stack.of_type(T.RDS_GLOBAL))
    return not owned


@stack_rule("alarms-per-resource")
def alarms_per_resource(stack: Stack, cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    required: Mapping[str, Any] = cfg.get("requiredMetrics") or REQUIRED_METRICS
    types = {"aws:lb/loadBalancer:LoadBalancer": T.LB}
    for type_, metrics in required.items():
        for r in stack.of_type(*types.get(type_, (type_,))):
            if r.type in T.LB and not _is_application_lb(r):
                continue
            want = list(as_list(metrics))
            if r.type == T.RDS_CLUSTER and _secondary_member(stack, r):
                want += list(as_list(cfg.get("secondaryClusterMetrics") or SECONDARY_METRICS))
            missing = sorted(set(want) - alarmed_metrics(stack, r))
            if missing:
                yield r, (f"{r.label()} has no alarm on {', '.join(missing)}: add a CloudWatch alarm whose "
                          "dimensions name it (components.alarms.RegionAlarms does)")


# --- actions -----------------------------------------------------------------------------------
def _composite_children(stack: Stack) -> set[str]:
    """Names (and ARNs) of alarms that a composite alarm WITH actions evaluates."""
    out: set[str] = set()
    for c in stack.of_type(COMPOSITE_ALARM):
        if not _has_actions(c):
            continue
        rule = peek(c, "alarmRule")
        if isinstance(rule, str):
            out.update(n.rsplit(":alarm:", 1)[-1] for n in _RULE_NAMES.findall(rule))
    return out


def _has_actions(alarm: Res) -> bool:
    enabled = peek(alarm, "actionsEnabled")
    actions = as_list(peek(alarm, "alarmActions")) or alarm.property_dependencies.get("alarmActions", [])
    return enabled is not False and bool(actions)


def _alarm_name(alarm: Res) -> str | None:
    name = peek(alarm, "name") or peek(alarm, "alarmName")
    return name if isinstance(name, str) else None


@stack_rule("alarm-actions")
def alarm_actions(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    children = _composite_children(stack)
    for alarm in stack.of_type(*ALARMS):
        if _has_actions(alarm):
            continue
        if alarm.type == METRIC_ALARM and _alarm_name(alarm) in children:
            continue
        yield alarm, ("alarm with no action reaches nobody: set alarmActions to the severity's SNS topic (and "
                      "actionsEnabled true), or evaluate it in a composite alarm that has actions")


# --- topics reach people -----------------------------------------------------------------------
def _alarm_topics(stack: Stack) -> dict[str, tuple[Res, Res]]:
    """Topic URN -> (topic, first alarm notifying it), for topics of this stack."""
    topics = stack.of_type(TOPIC)
    by_arn = {t.arn: t for t in topics if t.arn}
    by_urn = {t.urn: t for t in topics}
    out: dict[str, tuple[Res, Res]] = {}
    for alarm in stack.of_type(*ALARMS):
        refs = [*alarm.property_dependencies.get("alarmActions", []),
                *[a for a in as_list(peek(alarm, "alarmActions")) if isinstance(a, str)]]
        for ref in refs:
            topic = by_urn.get(ref) or by_arn.get(ref)
            if topic is not None and topic.urn not in out:
                out[topic.urn] = (topic, alarm)
    return out


def _subscribed(stack: Stack, topic: Res) -> bool:
    if stack.referrers(topic, "topic", SUBSCRIPTION):
        return True
    for chat in stack.of_type(*CHATBOT):
        if topic.urn in chat.property_dependencies.get("snsTopicArns", []) or \
                (topic.arn and topic.arn in as_list(peek(chat, "snsTopicArns"))):
            return True
    return False


def _unsubscribed(stack: Stack, prod: bool) -> Iterator[tuple[Res, str]]:
    for topic, alarm in _alarm_topics(stack).values():
        if topic.is_prod != prod or _subscribed(stack, topic):
            continue
        yield topic, (f"topic notified by {alarm.label()} has no subscription, so the alarm reaches nobody: add an "
                      "aws.sns.TopicSubscription (e-mail, pager HTTPS endpoint) or a chat channel for it")


@stack_rule("alarm-topic-subscribed")
def alarm_topic_subscribed(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    yield from _unsubscribed(stack, prod=True)


@stack_rule("alarm-topic-subscribed-nonprod")
def alarm_topic_subscribed_nonprod(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    yield from _unsubscribed(stack, prod=False)


# --- runbooks ----------------------------------------------------------------------------------
@resource_rule("alarm-runbook", *ALARMS)
def alarm_runbook(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    pattern = str(cfg.get("runbookPattern") or RUNBOOK_PATTERN)
    description = r.get("alarmDescription")
    if not isinstance(description, str) or not re.search(pattern, description):
        yield ("the alarm's description names no runbook: add 'Runbook: docs/runbooks/<file>.md' (a file that "
               "says how to detect, diagnose, act, verify and roll back)")
