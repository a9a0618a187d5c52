"""Policy pack, alarms that reach people: alarms per resource, actions, subscribed topics, runbooks.

One synthetic plan through the real pack: each resource is either correct (no finding) or misses one
piece (exactly its rule fires), joined by value and by dependency as a preview would see them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_plans import COST_TAGS, PlanBuilder, check, policies_on

ALARM, COMPOSITE = "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC, SUB = "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription"
LB, RDS = "aws:lb/loadBalancer:LoadBalancer", "aws:rds/cluster:Cluster"
CACHE, HC = "aws:elasticache/replicationGroup:ReplicationGroup", "aws:route53/healthCheck:HealthCheck"
RUNBOOK = "Runbook: docs/runbooks/alb.md"
TOPIC_ARN = "arn:aws:sns:af-south-1:123456789012:page"


def _alarm(b: PlanBuilder, name: str, metric: str, dims: dict[str, Any], *, deps: dict[str, Any] | None = None,
           actions: list[str] | None = None, description: str = RUNBOOK, provider: str | None = None,
           **extra: Any) -> str:
    inputs = {"name": name, "namespace": "AWS/X", "metricName": metric, "dimensions": dims, "statistic": "Maximum",
              "period": 60, "evaluationPeriods": 1, "threshold": 1, "comparisonOperator": "GreaterThanThreshold",
              "alarmDescription": description, "alarmActions": [TOPIC_ARN] if actions is None else actions,
              **extra}
    return b.add(ALARM, name, inputs, deps=deps, provider=provider)


@pytest.fixture(scope="module")
def result() -> Any:
    b = PlanBuilder("alarms")
    page = b.add(TOPIC, "page", {"name": "page"}, arn=TOPIC_ARN)
    b.add(SUB, "page-oncall", {"topic": TOPIC_ARN, "protocol": "email", "endpoint": "o@azora.example"},
          deps={"topic": page})
    # ALBs: one alarmed on both required metrics through dependencies only (values unknown at preview)
    alb_ok = b.add(LB, "alb-ok", {"loadBalancerType": "application"}, outputs={"arnSuffix": "app/ok/1"})
    for metric in ("HTTPCode_Target_5XX_Count", "TargetResponseTime"):
        _alarm(b, f"alb-ok-{metric}", metric, {}, deps={"dimensions": alb_ok})
    b.add(LB, "alb-half", {}, outputs={"arnSuffix": "app/half/2"})
    _alarm(b, "alb-half-5xx", "HTTPCode_Target_5XX_Count", {"LoadBalancer": "app/half/2"})
    b.add(LB, "nlb", {"loadBalancerType": "network"}, outputs={"arnSuffix": "net/nlb/3"})
    # caches: node-level dimensions <group>-NNNN-NNN name the group
    b.add(CACHE, "cache-ok", {"replicationGroupId": "cache-ok"}, id="cache-ok")
    for metric in ("EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions"):
        b.add(ALARM, f"cache-ok-{metric}", {
            "name": f"cache-ok-{metric}", "alarmDescription": RUNBOOK, "alarmActions": [TOPIC_ARN],
            "metricQueries": [{"id": "n1", "metric": {"metricName": metric,
                                                      "dimensions": {"CacheClusterId": "cache-ok-0001-001"}}},
                              {"id": "value", "expression": "MAX([n1])", "returnData": True}]})
    b.add(CACHE, "cache-bare", {"replicationGroupId": "cache-bare"}, id="cache-bare")
    # health checks
    b.add(HC, "hc-ok", {"type": "HTTPS"}, id="hc-ok-id")
    _alarm(b, "hc-ok-status", "HealthCheckStatus", {"HealthCheckId": "hc-ok-id"})
    b.add(HC, "hc-bare", {"type": "HTTPS"}, id="hc-bare-id")
    # Aurora: the primary's member (global cluster in this stack) and a secondary member without its lag alarm
    b.add("aws:rds/globalCluster:GlobalCluster", "global", {"globalClusterIdentifier": "g1"}, id="g1")
    for name, gid in (("primary", "g1"), ("secondary", "g2")):
        b.add(RDS, name, {"clusterIdentifier": name, "globalClusterIdentifier": gid}, id=name)
        for metric in ("CPUUtilization", "FreeableMemory", "DatabaseConnections"):
            _alarm(b, f"{name}-{metric}", metric, {"DBClusterIdentifier": name})
    # actions: a burn-rate window evaluated by a composite with actions; a window nobody evaluates
    _alarm(b, "window-long", "RequestCount", {}, actions=[])
    _alarm(b, "window-short", "RequestCount", {}, actions=[])
    b.add(COMPOSITE, "burn", {"alarmName": "burn", "alarmRule": 'ALARM("window-long") AND ALARM("window-short")',
                              "alarmActions": [TOPIC_ARN], "alarmDescription": RUNBOOK})
    _alarm(b, "orphan-window", "RequestCount", {}, actions=[])
    _alarm(b, "disabled", "RequestCount", {}, actionsEnabled=False)
    b.add(COMPOSITE, "no-runbook", {"alarmName": "no-runbook", "alarmRule": 'ALARM("orphan-window")',
                                    "alarmActions": [TOPIC_ARN], "alarmDescription": "burning"})
    # topics: prod without a subscriber (mandatory), staging without one (advisory), prod with a chat channel
    lonely = b.add(TOPIC, "lonely", {"name": "lonely"}, arn="arn:aws:sns:af-south-1:123456789012:lonely")
    _alarm(b, "to-lonely", "RequestCount", {}, actions=["arn:aws:sns:af-south-1:123456789012:lonely"],
           deps={"alarmActions": lonely})
    staging = b.provider("aws-staging", "af-south-1", {**COST_TAGS, "azora:environment": "staging"})
    quiet = b.add(TOPIC, "quiet", {"name": "quiet"}, provider=staging)
    _alarm(b, "to-quiet", "RequestCount", {}, actions=[], deps={"alarmActions": quiet}, provider=staging)
    chat = b.add(TOPIC, "chat", {"name": "chat"}, arn="arn:aws:sns:af-south-1:123456789012:chat")
    _alarm(b, "to-chat", "RequestCount", {}, actions=["arn:aws:sns:af-south-1:123456789012:chat"])
    b.add("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", "slack",
          {"configurationName": "s", "snsTopicArns": ["arn:aws:sns:af-south-1:123456789012:chat"]},
          deps={"snsTopicArns": chat})
    return check(b.plan())


ALARM_RULES = {"alarms-per-resource", "alarm-actions", "alarm-topic-subscribed", "alarm-topic-subscribed-nonprod",
               "alarm-runbook"}


#: resource name -> the alarm rules that must fire on it (and no other)
CASES: list[tuple[str, set[str]]] = [
    ("alb-ok", set()), ("alb-half", {"alarms-per-resource"}), ("nlb", set()),
    ("cache-ok", set()), ("cache-bare", {"alarms-per-resource"}),
    ("hc-ok", set()), ("hc-bare", {"alarms-per-resource"}),
    ("primary", set()), ("secondary", {"alarms-per-resource"}),
    ("window-long", set()), ("burn", set()), ("orphan-window", set()), ("disabled", {"alarm-actions"}),
    ("no-runbook", {"alarm-runbook"}), ("page", set()), ("lonely", {"alarm-topic-subscribed"}),
    ("quiet", {"alarm-topic-subscribed-nonprod"}), ("chat", set()),
]


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_each_missing_piece_is_caught_by_its_rule(result: Any, name: str, expected: set[str]) -> None:
    assert policies_on(result, name) & ALARM_RULES == expected


def test_messages_say_what_is_missing(result: Any) -> None:
    by = {v.policy: v.message for v in result.on("alb-half") if v.policy == "alarms-per-resource"}
    assert "no alarm on TargetResponseTime" in by["alarms-per-resource"]
    (lag,) = [v.message for v in result.on("secondary") if v.policy == "alarms-per-resource"]
    assert "AuroraGlobalDBReplicationLag" in lag
    (bare,) = [v.message for v in result.on("cache-bare") if v.policy == "alarms-per-resource"]
    assert "DatabaseMemoryUsagePercentage, EngineCPUUtilization, Evictions" in bare


def test_nonprod_topics_are_advisory_prod_topics_mandatory(result: Any) -> None:
    levels = {v.policy: v.enforcement_level for v in [*result.on("quiet"), *result.on("lonely")]
              if v.policy.startswith("alarm-topic-subscribed")}
    assert levels == {"alarm-topic-subscribed": "mandatory", "alarm-topic-subscribed-nonprod": "advisory"}


def test_orphan_window_without_actions_is_caught_when_its_composite_has_none() -> None:
    b = PlanBuilder("orphans")
    _alarm(b, "child", "RequestCount", {}, actions=[])
    b.add(COMPOSITE, "silent", {"alarmName": "silent", "alarmRule": 'ALARM("child")', "alarmActions": [],
                                "alarmDescription": RUNBOOK})
    result = check(b.plan())
    assert policies_on(result, "child") & ALARM_RULES == {"alarm-actions"}
    assert policies_on(result, "silent") & ALARM_RULES == {"alarm-actions"}
