"""RegionAlarms and SloAlarms on their own: one alarm per definition and target with the target's
dimensions, its runbook and its actions; burn-rate windows and composites as the workbook says."""

from __future__ import annotations

import re
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra.plan.model import Plan, Resource
from components.alarm_catalog import ALARMS, BURN_RATE_ALERTS, SLOS
from components.alarms import (
    AlarmActions,
    AuroraTarget,
    CacheTarget,
    HealthCheckTarget,
    RegionAlarms,
    RegionAlarmsArgs,
    cache_node_ids,
)
from components.slo import SloAlarms, SloAlarmsArgs, SloObjectives
from tests.harness import record

ALARM, COMPOSITE = "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"
PAGE, TICKET = "arn:aws:sns:af-south-1:123456789012:page", "arn:aws:sns:af-south-1:123456789012:ticket"
PLAN = "arn:aws:ssm-incidents::123456789012:response-plan/azora-prod-page"
US_PAGE = "arn:aws:sns:us-east-1:123456789012:page"
ACTIONS = AlarmActions(topics={"page": PAGE, "ticket": TICKET}, incident_plans={"page": PLAN})


def _args(**kw: Any) -> RegionAlarmsArgs:
    base: dict[str, Any] = dict(
        region="af-south-1", name_prefix="azora-t", actions=ACTIONS, alb_arn_suffix="app/alb/1",
        target_group_arn_suffixes={"gateway": "targetgroup/gw/2"}, web_acl_name="azora-t-edge",
        aurora_clusters={"global": AuroraTarget("azora-t-global", source_region="af-south-1"),
                         "resident": AuroraTarget("azora-t-resident")},
        cache=CacheTarget("azora-t-cache", shards=2, replicas_per_shard=1, global_secondary=True),
        eks_cluster_name="azora-t", certificate_arn="arn:aws:acm:af-south-1:123456789012:certificate/c",
        canary_name="azora-t-api",
        health_check=HealthCheckTarget("hc-1", AlarmActions(topics={"page": US_PAGE, "ticket": US_PAGE}),
                                       evaluation_periods=2))
    base.update(kw)
    return RegionAlarmsArgs(**base)


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        RegionAlarms("alarms", _args(thresholds={"aurora-connections": 3000}), provider)
        SloAlarms("slo", SloAlarmsArgs(region="af-south-1", name_prefix="azora-t", actions=ACTIONS,
                                       alb_arn_suffix="app/alb/1", canary_name="azora-t-api"), provider)
    return record(program)


def _alarms(plan: Plan) -> dict[str, Resource]:
    return {str(a.inputs["name"]): a for a in plan.of_type(ALARM)}


def _dims(alarm: Resource) -> list[dict[str, str]]:
    i = alarm.inputs
    if "dimensions" in i:
        return [i["dimensions"]]
    return [q["metric"]["dimensions"] for q in i.get("metricQueries", []) if "metric" in q]


def test_one_alarm_per_definition_and_target(plan: Plan) -> None:
    names = {n for n in _alarms(plan) if "-slo-" not in n}
    expected = set()
    for d in ALARMS.values():
        targets = {"target-group": ["gateway"], "aurora-cluster": ["global", "resident"],
                   "aurora-secondary": ["global"]}.get(d.target, [None])
        expected |= {"-".join(p for p in ("azora-t", d.key, t) if p) for t in targets}
    assert names == expected


def test_dimensions_name_the_targets(plan: Plan) -> None:
    a = _alarms(plan)
    assert _dims(a["azora-t-alb-5xx-ratio"]) == [{"LoadBalancer": "app/alb/1"}] * 3
    assert _dims(a["azora-t-alb-no-healthy-targets-gateway"]) == [
        {"TargetGroup": "targetgroup/gw/2", "LoadBalancer": "app/alb/1"}]
    assert _dims(a["azora-t-aurora-replication-lag-global"]) == [
        {"DBClusterIdentifier": "azora-t-global", "SourceRegion": "af-south-1"}]
    assert _dims(a["azora-t-waf-blocked-spike"]) == [{"WebACL": "azora-t-edge", "Region": "af-south-1", "Rule": "ALL"}]
    nodes = [d["CacheClusterId"] for d in _dims(a["azora-t-cache-memory"])]
    assert nodes == cache_node_ids("azora-t-cache", 2, 1) == [
        "azora-t-cache-0001-001", "azora-t-cache-0001-002", "azora-t-cache-0002-001", "azora-t-cache-0002-002"]
    value = a["azora-t-cache-evictions"].inputs["metricQueries"][-1]
    assert value["expression"] == "SUM([n1, n2, n3, n4])" and value["returnData"] is True


def test_descriptions_name_runbooks_and_tags_name_the_definition(plan: Plan) -> None:
    for name, alarm in _alarms(plan).items():
        assert "Runbook: docs/runbooks/" in alarm.inputs["alarmDescription"], name
        key = alarm.inputs["tags"]["azora:alarm"]
        assert key in ALARMS or re.fullmatch(
            r"slo-(availability|latency|canary-availability)-(fast|medium|slow|slowest)-\d+[mhd]", key), key


def test_page_alarms_notify_the_page_topic_and_open_an_incident(plan: Plan) -> None:
    for name, alarm in _alarms(plan).items():
        if "-slo-" in name:
            continue
        d = ALARMS[alarm.inputs["tags"]["azora:alarm"]]
        actions, ok = alarm.inputs["alarmActions"], alarm.inputs["okActions"]
        if d.key == "dns-health-check":
            assert (actions, alarm.inputs["region"]) == ([US_PAGE], "us-east-1")
        elif d.severity == "page":
            assert actions == [PAGE, PLAN] and ok == [PAGE], name
        else:
            assert actions == [TICKET] and ok == [TICKET], name


def test_thresholds_and_overrides(plan: Plan) -> None:
    a = _alarms(plan)
    assert a["azora-t-aurora-connections-global"].inputs["threshold"] == 3000
    assert a["azora-t-alb-5xx-ratio"].inputs["threshold"] == 5
    assert a["azora-t-dns-health-check"].inputs["evaluationPeriods"] == 2  # the config's, not the catalog's
    spike = a["azora-t-waf-blocked-spike"].inputs
    assert spike["thresholdMetricId"] == "band" and "threshold" not in spike
    assert spike["comparisonOperator"] == "GreaterThanUpperThreshold"
    assert a["azora-t-alb-target-p95"].inputs["extendedStatistic"] == "p95"


def test_burn_rate_windows_and_composites(plan: Plan) -> None:
    a = _alarms(plan)
    composites = {c.inputs["alarmName"]: c for c in plan.of_type(COMPOSITE)}
    assert len(composites) == len(SLOS) * len(BURN_RATE_ALERTS)
    fast = composites["azora-t-slo-availability-fast-burn"].inputs
    assert fast["alarmRule"] == ('ALARM("azora-t-slo-availability-fast-1h") AND '
                                 'ALARM("azora-t-slo-availability-fast-5m")')
    assert fast["alarmActions"] == [PAGE, PLAN]
    assert composites["azora-t-slo-latency-slowest-burn"].inputs["alarmActions"] == [TICKET]
    for c in composites.values():  # every child exists
        children = re.findall(r'ALARM\("([^"]+)"\)', c.inputs["alarmRule"])
        assert len(children) == 2 and all(child in a for child in children)
    long_ = a["azora-t-slo-availability-fast-1h"].inputs
    assert long_["threshold"] == pytest.approx(14.4 * 0.0001) and long_["evaluationPeriods"] == 1
    assert {q["metric"]["period"] for q in long_["metricQueries"] if "metric" in q} == {3600}
    assert not long_.get("alarmActions")  # the composite carries the actions
    slowest = a["azora-t-slo-availability-slowest-3d"].inputs
    assert {q["metric"]["period"] for q in slowest["metricQueries"] if "metric" in q} == {259200}
    latency = a["azora-t-slo-latency-fast-1h"].inputs
    assert latency["threshold"] == pytest.approx(14.4 * 0.05)
    assert latency["metricQueries"][0]["metric"]["stat"] == "PR(:0.1)"
    # the canary runs once a minute: its short windows need 2 bad minutes, not one lost probe
    canary = a["azora-t-slo-canary-availability-fast-5m"].inputs
    assert (canary["evaluationPeriods"], canary["datapointsToAlarm"]) == (5, 2)
    assert canary["metricQueries"][0]["metric"]["period"] == 60


@pytest.mark.parametrize(("kw", "message"), [
    ({"actions": AlarmActions(topics={"page": PAGE})}, "no topic for ticket"),
    ({"actions": AlarmActions(topics={"page": PAGE, "ticket": TICKET, "sev0": PAGE})}, "unknown severities"),
    ({"thresholds": {"no-such-alarm": 1}}, "thresholds for unknown alarms"),
    ({"name_prefix": ""}, "name_prefix is required"),
    ({"cache": CacheTarget("c", shards=0, replicas_per_shard=1)}, "at least one shard"),
])
def test_region_alarms_refuse_bad_args(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _args(**kw).validate()


@pytest.mark.parametrize(("objectives", "message"), [
    (SloObjectives(availability=1.0), "availability"),
    (SloObjectives(latency_percentile=100), "latency_percentile"),
])
def test_slo_refuses_impossible_objectives(objectives: SloObjectives, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SloAlarmsArgs(region="r", name_prefix="p", actions=ACTIONS, objectives=objectives).validate()


def test_big_caches_get_one_alarm_per_shard() -> None:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        RegionAlarms("alarms", RegionAlarmsArgs(
            region="af-south-1", name_prefix="azora-big", actions=ACTIONS,
            cache=CacheTarget("big", shards=4, replicas_per_shard=2)), provider)
    plan = record(program)
    names = sorted(str(a.inputs["name"]) for a in plan.of_type(ALARM) if "cache-memory" in a.inputs["name"])
    assert names == [f"azora-big-cache-memory-shard{i}" for i in range(1, 5)]
    shard2 = next(a for a in plan.of_type(ALARM) if a.inputs["name"] == "azora-big-cache-memory-shard2")
    assert [d["CacheClusterId"] for d in _dims(shard2)] == ["big-0002-001", "big-0002-002", "big-0002-003"]
