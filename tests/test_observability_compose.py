"""From config to plan: switching parts of `azora:observability` off (and Slack on) changes exactly what
the stack creates; the global dashboard's columns come from the project's stack files."""

from __future__ import annotations

from typing import Any

import pytest

from azora_infra.compose.observability import global_column, global_columns
from azora_infra.config import load_project, parse_config
from azora_infra.plan.model import Plan
from azora_infra.stack import build_region_stack
from tests.harness import ROOT, record
from tests.test_config import _with

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.fixture(scope="module")
def lean() -> Plan:
    """A staging primary with the canary, dashboards, telemetry, health-check alarm and Incident
    Manager off, and a Slack channel on."""
    raw = _with(azora__environment="staging", azora__alerting={
        "page": {"emails": ["oncall@azora.example"]}, "ticket": {"emails": ["team@azora.example"]},
        "slack": {"teamId": "T0123ABCD", "channelId": "C0123ABCD", "severities": ["page"]}},
        azora__dns={"alarms": {"enabled": False}},
        azora__observability={"canary": {"enabled": False}, "dashboards": False, "telemetry": {"enabled": False},
                               "thresholds": {"aurora-cpu": 90}})

    def program() -> None:
        cfg = parse_config(raw, "Pulumi.staging-africa.yaml")
        build_region_stack(cfg, "staging-africa")
    return record(program, stack="staging-africa")


def test_switched_off_parts_are_absent(lean: Plan) -> None:
    assert not lean.of_type("aws:synthetics/canary:Canary")
    assert not lean.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert not [a for a in lean.of_type("aws:eks/addon:Addon")
                if a.inputs["addonName"] == "amazon-cloudwatch-observability"]
    assert not lean.of_type("aws:ssmincidents/responsePlan:ResponsePlan")
    names = {a.inputs["name"] for a in lean.of_type(ALARM)}
    assert not any("dns-health-check" in n or "canary" in n for n in names)
    assert {t.region for t in lean.of_type("aws:sns/topic:Topic")} == {"af-south-1"}  # no us-east-1 topics


def test_alarms_stay_and_follow_the_config(lean: Plan) -> None:
    alarms = {a.inputs["name"]: a for a in lean.of_type(ALARM)}
    assert alarms["azora-staging-africa-aurora-cpu-global"].inputs["threshold"] == 90
    page = alarms["azora-staging-africa-alb-5xx-ratio"].inputs["alarmActions"]
    assert len(page) == 1 and ":ssm-incidents:" not in page[0]  # no Incident Manager: the topic only
    assert len(lean.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")) == 8  # ALB SLIs; no canary SLI


def test_slack_posts_the_chosen_severities(lean: Plan) -> None:
    (chat,) = lean.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    page = lean.named("aws:sns/topic:Topic", "alerts-page").outputs["arn"]
    assert chat.inputs["snsTopicArns"] == [page] and chat.inputs["configurationName"] == "azora-staging-africa-alerts"


def _mesh_tracing(plan: Plan) -> tuple[set[str], set[str]]:
    """(providers the Telemetry resources name, OpenTelemetry providers istiod defines)."""
    named = {p["name"] for t in plan.of_type("kubernetes:telemetry.istio.io/v1:Telemetry")
             for tracing in t.inputs["spec"].get("tracing", []) for p in tracing["providers"]}
    (istiod,) = [r for r in plan.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "istiod"]
    defined = {p["name"] for p in istiod.inputs["values"]["meshConfig"]["extensionProviders"] if "opentelemetry" in p}
    return named, defined


def test_without_telemetry_istiod_defines_no_tracing_provider(lean: Plan) -> None:
    assert _mesh_tracing(lean) == (set(), set())


@pytest.mark.parametrize(("provider", "expected"), [("mesh-traces", {"mesh-traces"}), (None, set())])
def test_mesh_tracing_provider_from_config_reaches_both_sides(provider: str | None, expected: set[str]) -> None:
    """A config change to a plan change: renaming (or switching off) the mesh tracing provider
    changes the Telemetry resource and istiod's mesh config together."""
    raw = _with(azora__observability={"telemetry": {"meshTracingProvider": provider}})

    def program() -> None:
        build_region_stack(parse_config(raw, "Pulumi.africa.yaml"), "africa")
    assert _mesh_tracing(record(program, stack="africa")) == (expected, expected)


def test_global_columns_come_from_the_project() -> None:
    stacks = load_project(ROOT)
    columns = global_columns(stacks["africa"], "africa", ROOT)
    assert list(columns) == ["africa", "asia", "europe"]
    europe = columns["europe"]
    assert europe.region == "eu-west-1"
    assert "azora-europe-aurora-replication-lag-global" in europe.graph_alarms
    assert "azora-africa-aurora-replication-lag-global" not in columns["africa"].graph_alarms
    assert europe.remote_alarms == {"us-east-1": ["azora-europe-dns-health-check"]}
    assert "azora-europe-slo-availability-fast-burn" in europe.status_alarms


def test_a_stack_without_stack_files_shows_only_itself(tmp_path: Any) -> None:
    cfg = parse_config(_with(), "Pulumi.africa.yaml")
    assert list(global_columns(cfg, "africa", tmp_path)) == ["africa"]
    assert global_column(cfg, "africa").status_alarms[0] == "azora-africa-slo-availability-fast-burn"
