"""The repo's three stacks, joined from plan data: each ALB, cluster, replication group and health check
has its alarms (their dimensions name the real resources); every alarm reaches a person (alarm ->
topic -> subscription); no topic anywhere is left without a subscriber; composite rules name existing
alarms; page alarms open incidents; the dashboards draw only metrics and alarms that exist."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azora_infra.plan.model import Plan, Resource
from components.alarm_catalog import BURN_RATE_ALERTS, SLOS

STACKS = ("africa", "europe", "asia")
ALARM, COMPOSITE = "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC, SUB = "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription"
RULE, TARGET = "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
_CHILD = re.compile(r'ALARM\("([^"]+)"\)')


@pytest.fixture(scope="module")
def plans(repo_plan: Callable[[str], dict[str, Any]]) -> dict[str, Plan]:
    return {s: Plan(repo_plan(s)) for s in STACKS}


def _metrics(alarm: Resource) -> list[tuple[str, str, dict[str, str]]]:
    i = alarm.inputs
    if "metricName" in i:
        return [(i["namespace"], i["metricName"], dict(i.get("dimensions") or {}))]
    return [(q["metric"]["namespace"], q["metric"]["metricName"], dict(q["metric"].get("dimensions") or {}))
            for q in i.get("metricQueries") or [] if q.get("metric")]


def _keys_on(plan: Plan, dim: str, value: str) -> set[str]:
    """The catalog keys of the alarms one of whose metrics has dimension ``dim`` = ``value``."""
    return {a.tags["azora:alarm"] for a in plan.of_type(ALARM)
            if any(d.get(dim) == value or str(d.get(dim, "")).startswith(f"{value}-") for _, _, d in _metrics(a))}


@pytest.mark.parametrize("stack", STACKS)
def test_each_resource_has_its_alarms(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    (alb,) = plan.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert {"alb-5xx-ratio", "alb-target-p95"} <= _keys_on(plan, "LoadBalancer", alb.outputs["arnSuffix"])
    for tg in plan.of_type("aws:lb/targetGroup:TargetGroup"):
        assert {"alb-no-healthy-targets", "alb-unhealthy-targets"} <= _keys_on(plan, "TargetGroup",
                                                                                tg.outputs["arnSuffix"])
    for cluster in plan.of_type("aws:rds/cluster:Cluster"):
        keys = _keys_on(plan, "DBClusterIdentifier", cluster.outputs["clusterIdentifier"])
        assert {"aurora-cpu", "aurora-freeable-memory", "aurora-connections", "aurora-deadlocks"} <= keys
        secondary = cluster.inputs.get("globalClusterIdentifier") and stack != "africa"
        assert ("aurora-replication-lag" in keys) == bool(secondary), cluster.name
    (rg,) = plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    keys = _keys_on(plan, "CacheClusterId", rg.outputs["replicationGroupId"])
    assert {"cache-engine-cpu", "cache-memory", "cache-evictions"} <= keys
    assert ("cache-replication-lag" in keys) == (stack != "africa")
    (hc,) = plan.of_type("aws:route53/healthCheck:HealthCheck")
    (hc_alarm,) = [a for a in plan.of_type(ALARM) if a.tags["azora:alarm"] == "dns-health-check"]
    assert hc_alarm.inputs["dimensions"] == {"HealthCheckId": hc.outputs["id"]} and hc_alarm.region == "us-east-1"
    (cluster_name,) = [e.outputs["name"] for e in plan.of_type("aws:eks/cluster:Cluster")]
    assert {"eks-nodes-not-ready", "eks-pod-restarts"} <= _keys_on(plan, "ClusterName", cluster_name)


def _reached_topics(plan: Plan) -> set[str]:
    subscribed = {s.inputs["topic"] for s in plan.of_type(SUB)}
    return {t.outputs["arn"] for t in plan.of_type(TOPIC) if t.outputs["arn"] in subscribed}


@pytest.mark.parametrize("stack", STACKS)
def test_every_alarm_reaches_a_person(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    reached = _reached_topics(plan)
    composites = {c.inputs["alarmName"]: c for c in plan.of_type(COMPOSITE)}
    parent = {child: name for name, c in composites.items() for child in _CHILD.findall(c.inputs["alarmRule"])}
    for alarm in [*plan.of_type(ALARM), *composites.values()]:
        name = alarm.inputs.get("name") or alarm.inputs["alarmName"]
        via = composites[parent[name]] if not alarm.inputs.get("alarmActions") else alarm
        assert via.inputs.get("actionsEnabled") is not False
        topics = [a for a in via.inputs["alarmActions"] if ":sns:" in a]
        assert topics and all(t in reached for t in topics), name
        # the alarm's topic lives in the alarm's own region
        assert all(t.split(":")[3] == (alarm.region or plan.config["aws:region"]) for t in topics), name
    targets = {t.inputs["rule"]: t.inputs["arn"] for t in plan.of_type(TARGET) if ":sns:" in t.inputs["arn"]}
    alerting = [r for r in plan.of_type(RULE) if "azora:alarm" in r.tags]
    assert len(alerting) == 4
    for rule in alerting:
        assert targets[rule.outputs["name"]] in reached, rule.name


@pytest.mark.parametrize("stack", STACKS)
def test_no_topic_is_left_without_a_subscriber(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    unsubscribed = {t.name for t in plan.of_type(TOPIC)} - {t.name for t in plan.of_type(TOPIC)
                                                             if t.outputs["arn"] in _reached_topics(plan)}
    assert unsubscribed == set()
    # the health-check alarm's topics in us-east-1 carry the same people as the region's
    assert {t.region for t in plan.of_type(TOPIC)} == {plan.config["aws:region"], "us-east-1"}
    people: dict[str, set[str]] = {}
    for sub in plan.of_type(SUB):
        people.setdefault(sub.inputs["topic"], set()).add(sub.inputs["endpoint"])
    for severity in ("page", "ticket"):
        regional = plan.named(TOPIC, f"alerts-{severity}").outputs["arn"]
        us_east = plan.named(TOPIC, f"alerts-route53-{severity}").outputs["arn"]
        assert people[regional] and people[regional] <= people[us_east]


@pytest.mark.parametrize("stack", STACKS)
def test_slo_composites_name_existing_windows_and_are_exported(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    alarms = {a.inputs["name"] for a in plan.of_type(ALARM)}
    composites = plan.of_type(COMPOSITE)
    assert len(composites) == len(SLOS) * len(BURN_RATE_ALERTS)
    for c in composites:
        children = _CHILD.findall(c.inputs["alarmRule"])
        assert len(children) == 2 and set(children) <= alarms, c.name
    assert sorted(plan.outputs["sloAlarmArns"].values()) == sorted(c.outputs["arn"] for c in composites)


@pytest.mark.parametrize("stack", STACKS)
def test_page_alarms_open_the_primarys_incidents(plans: dict[str, Plan], stack: str) -> None:
    (page_plan,) = [p for p in plans["africa"].of_type("aws:ssmincidents/responsePlan:ResponsePlan")
                    if p.inputs["name"] == "azora-prod-page"]
    plan = plans[stack]
    for alarm in [*plan.of_type(ALARM), *plan.of_type(COMPOSITE)]:
        actions = alarm.inputs.get("alarmActions") or []
        if not actions:
            continue  # a burn-rate window: its composite pages
        assert (page_plan.outputs["arn"] in actions) == (alarm.tags["azora:severity"] == "page"), alarm.name
    assert bool(plan.of_type("aws:ssmincidents/replicationSet:ReplicationSet")) == (stack == "africa")


def _all_alarm_arns(plans: dict[str, Plan]) -> set[str]:
    return {a.outputs["arn"] for p in plans.values() for a in [*p.of_type(ALARM), *p.of_type(COMPOSITE)]}


def _alarm_metrics(plan: Plan) -> set[tuple[str, str, str]]:
    return {(ns, name, json.dumps(dims, sort_keys=True)) for a in plan.of_type(ALARM) for ns, name, dims in _metrics(a)}


def _widget_metrics(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for w in body["widgets"]:
        for row in w.get("properties", {}).get("metrics", []):
            if isinstance(row[0], dict):
                continue  # an expression over the rows above
            dims = dict(zip(row[2:-1:2], row[3:-1:2], strict=True))
            out.append((row[0], row[1], json.dumps(dims, sort_keys=True)))
    return out


@pytest.mark.parametrize("stack", STACKS)
def test_dashboards_draw_only_metrics_and_alarms_that_exist(plans: dict[str, Plan], stack: str) -> None:
    plan, arns = plans[stack], _all_alarm_arns(plans)
    dashboards = {d.inputs["dashboardName"]: json.loads(d.inputs["dashboardBody"]) for d in plan.of_type(DASHBOARD)}
    assert set(dashboards) == ({f"azora-{stack}", f"azora-{stack}-global"} if stack == "africa" else {f"azora-{stack}"})
    region = dashboards[f"azora-{stack}"]
    metrics = _widget_metrics(region)
    assert metrics and set(metrics) <= _alarm_metrics(plan)
    shown = {a for w in region["widgets"] if w["type"] == "alarm" for a in w["properties"]["alarms"]}
    windows = {child for c in plan.of_type(COMPOSITE) for child in _CHILD.findall(c.inputs["alarmRule"])}
    own = {a.outputs["arn"] for a in [*plan.of_type(ALARM), *plan.of_type(COMPOSITE)]
           if a.inputs.get("name") not in windows}
    assert shown == own  # every alarm of the region that notifies (the windows through their composite)
    titles = [w["properties"]["markdown"] for w in region["widgets"] if w["type"] == "text"]
    assert {"## Error budget", "## Errors", "## Latency", "## Saturation"} <= set(titles)
    if stack == "africa":
        glob = dashboards["azora-africa-global"]
        referenced = {a for w in glob["widgets"] for a in [*w["properties"].get("alarms", []),
                                                            *w["properties"].get("annotations", {}).get("alarms", [])]}
        assert referenced and referenced <= arns
        regions = {w["properties"]["region"] for w in glob["widgets"] if w["type"] == "alarm"}
        assert regions == {"af-south-1", "eu-west-1", "ap-southeast-1", "us-east-1"}


@pytest.mark.parametrize("stack", STACKS)
def test_canary_telemetry_and_prometheus_in_every_stack(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    (canary,) = plan.of_type("aws:synthetics/canary:Canary")
    assert canary.inputs["schedule"]["expression"] == "rate(1 minute)"
    assert canary.inputs["runConfig"]["environmentVariables"]["AZORA_HOST"] == f"{stack}.azora.example"
    (addon,) = [a for a in plan.of_type("aws:eks/addon:Addon")
                if a.inputs["addonName"] == "amazon-cloudwatch-observability"]
    assert json.loads(addon.inputs["configurationValues"])["agent"]["config"]["logs"]["metrics_collected"][
        "kubernetes"]["metrics_collection_interval"] == 15
    (scraper,) = plan.of_type("aws:amp/scraper:Scraper")
    assert "scrape_interval: 15s" in scraper.inputs["scrapeConfiguration"]
    usage = {f.inputs["metricTransformation"]["name"]
             for f in plan.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
             if f.inputs["metricTransformation"]["namespace"] != "Azora/CIS"}
    assert usage == {"requests", "requests.education", "requests.marketplace", "requests.ai"}
    # the DNS and backup components no longer create topics of their own (nobody subscribed to them)
    assert not [t for t in plan.of_type(TOPIC) if t.name in ("dns-endpoint-alarms", "backup-events")]


@pytest.mark.parametrize("stack", STACKS)
def test_every_alarm_names_a_runbook_that_exists(plans: dict[str, Plan], stack: str) -> None:
    root = Path(__file__).resolve().parents[1]
    plan = plans[stack]
    described = [(a.name, a.inputs["alarmDescription"]) for a in [*plan.of_type(ALARM), *plan.of_type(COMPOSITE)]]
    described += [(r.name, r.inputs["description"]) for r in plan.of_type(RULE) if "azora:alarm" in r.tags]
    for name, text in described:
        (path,) = re.findall(r"(docs/runbooks/[\w.-]+\.md)", text)
        assert (root / path).is_file(), f"{name}: {path}"


@pytest.mark.parametrize("stack", STACKS)
def test_mesh_tracing_names_a_provider_istiod_knows(plans: dict[str, Plan], stack: str) -> None:
    """Istio reads tracing providers only from the mesh config: the `Telemetry` resource's provider
    is an OpenTelemetry extension provider of the istiod release, sending to the telemetry add-on's
    agent on a port the traced namespaces may reach."""
    plan = plans[stack]
    named = {p["name"] for r in plan.of_type("kubernetes:telemetry.istio.io/v1:Telemetry")
             for t in r.inputs["spec"].get("tracing", []) for p in t["providers"]}
    (istiod,) = [r for r in plan.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "istiod"]
    known = {p["name"]: p for p in istiod.inputs["values"]["meshConfig"]["extensionProviders"]}
    assert named and named <= set(known), (named, sorted(known))
    agent_ports = {p["port"] for n in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                   if n.inputs["metadata"]["name"] == "allow-telemetry-egress"
                   for rule in n.inputs["spec"]["egress"] for p in rule["ports"]}
    for name in named:
        otel = known[name]["opentelemetry"]
        assert otel["service"] == "cloudwatch-agent.amazon-cloudwatch.svc.cluster.local"
        assert otel["port"] in agent_ports and otel["http"]["path"] == "/v1/traces"
