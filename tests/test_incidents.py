"""Incident Manager (one per account, primary stack), the Slack channel, the alerting events, and the
`azora:observability` / `azora:incidents` config: errors name the file and the field."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from azora_infra.compose.incidents import build_incidents, incident_plan_arns
from azora_infra.config import ConfigError, parse_config
from azora_infra.plan.model import Plan
from azora_infra.provider import region_provider
from components.alarm_catalog import EVENTS
from components.alarms import AlarmActions
from components.alerting import AlertTopics, AlertTopicsArgs, Subscriber
from components.chat import ChatChannel, ChatChannelArgs
from components.event_alerts import EventAlerts, EventAlertsArgs
from components.incidents import ContactSpec, EscalationStage, IncidentResponseArgs, ResponsePlanSpec
from tests.harness import ALERTING, ROOT, record
from tests.test_config import _with

PAGE, TICKET = "arn:aws:sns:af-south-1:123456789012:page", "arn:aws:sns:af-south-1:123456789012:ticket"
INCIDENTS = {"enabled": True,
             "contacts": {"first": {"name": "First", "email": "first@azora.example", "sms": "+27210000001"},
                          "second": {"name": "Second", "email": "second@azora.example"}},
             "escalation": {"page": [{"contacts": ["first"], "minutes": 5}, {"contacts": ["second"], "minutes": 10}],
                            "ticket": [{"contacts": ["second"], "minutes": 30}]}}


def _error(raw: dict[str, Any], name: str = "Pulumi.africa.yaml") -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, name)
    return str(info.value)


@pytest.fixture(scope="module")
def primary() -> Plan:
    def program() -> None:
        cfg = parse_config(_with(azora__incidents=INCIDENTS, azora__alerting={
            **ALERTING, "slack": {"teamId": "T0123ABCD", "channelId": "C0123ABCD"}}),
            "Pulumi.africa.yaml")
        provider = region_provider(cfg)
        alerts = AlertTopics("alerts", AlertTopicsArgs(
            region=cfg.region, name_prefix="azora-africa", allow_unsubscribed=("ticket",),
            subscribers={"page": [Subscriber("email", "oncall@azora.example", "oncall")]}), provider)
        inc = build_incidents(cfg, "africa", provider, alerts, project_dir=ROOT)
        assert inc is not None
        inc.response_plan_arns["page"].apply(PRIMARY_PAGE_PLAN.append)
    return record(program)


PRIMARY_PAGE_PLAN: list[str] = []


def test_replication_set_spans_the_environments_regions(primary: Plan) -> None:
    (rs,) = primary.of_type("aws:ssmincidents/replicationSet:ReplicationSet")
    assert [r["name"] for r in rs.inputs["regions"]] == ["af-south-1", "ap-southeast-1", "eu-west-1"]
    assert rs.options["protect"] is True


def test_contacts_channels_and_escalation_in_order(primary: Plan) -> None:
    contacts = {c.inputs["alias"]: c for c in primary.of_type("aws:ssmcontacts/contact:Contact")}
    assert set(contacts) == {"azora-prod-first", "azora-prod-second", "azora-prod-page-escalation",
                             "azora-prod-ticket-escalation"}
    channels = {(c.inputs["name"], c.inputs["type"])
                for c in primary.of_type("aws:ssmcontacts/contactChannel:ContactChannel")}
    assert channels == {("first-email", "EMAIL"), ("first-sms", "SMS"), ("second-email", "EMAIL")}
    escalation = primary.named("aws:ssmcontacts/plan:Plan", "incidents-escalation-page").inputs
    stages = [([t["contactTargetInfo"]["contactId"] for t in s["targets"]], s["durationInMinutes"])
              for s in escalation["stages"]]
    assert stages == [([contacts["azora-prod-first"].outputs["arn"]], 5),
                      ([contacts["azora-prod-second"].outputs["arn"]], 10)]


def test_response_plans_per_severity_notify_and_engage(primary: Plan) -> None:
    plans = {p.inputs["name"]: p.inputs for p in primary.of_type("aws:ssmincidents/responsePlan:ResponsePlan")}
    assert set(plans) == {"azora-prod-page", "azora-prod-ticket"}
    page = plans["azora-prod-page"]
    topic = primary.named("aws:sns/topic:Topic", "alerts-page").outputs["arn"]
    assert page["incidentTemplate"]["impact"] == 1 and plans["azora-prod-ticket"]["incidentTemplate"]["impact"] == 3
    assert page["incidentTemplate"]["notificationTargets"] == [{"snsTopicArn": topic}]
    assert page["chatChannels"] == [topic]
    escalation = primary.named("aws:ssmcontacts/contact:Contact", "incidents-escalation-page")
    assert page["engagements"] == [escalation.outputs["arn"]]
    assert "docs/runbooks/post-mortem-template.md" in page["incidentTemplate"]["summary"]
    assert PRIMARY_PAGE_PLAN == ["arn:aws:ssm-incidents::123456789012:response-plan/azora-prod-page"]


def test_a_secondary_reads_the_primarys_plans() -> None:
    asked: list[str] = []
    seen: list[str] = []

    def outputs(ref: str) -> dict[str, Any]:
        asked.append(ref)
        return {"incidentResponsePlanArns": {"page": "arn:aws:ssm-incidents::1:response-plan/azora-prod-page"}}

    def program() -> None:
        cfg = parse_config(_with(aws__region="eu-west-1", azora__region="eu-west-1", azora__role="secondary",
                                 azora__incidents={"enabled": True}), "Pulumi.europe.yaml")
        assert build_incidents(cfg, "europe", region_provider(cfg), None, project_dir=ROOT) is None  # type: ignore[arg-type]
        plans = incident_plan_arns(cfg, None)
        pulumi.Output.from_input(plans["page"]).apply(seen.append)
    plan = record(program, stack="europe", region="eu-west-1", stack_outputs=outputs)
    assert asked == ["organization/azora-platform/africa"]
    assert seen == ["arn:aws:ssm-incidents::1:response-plan/azora-prod-page"]
    assert not plan.of_type("aws:ssmincidents/responsePlan:ResponsePlan")


@pytest.mark.parametrize(("incidents", "field", "text"), [
    ({"enabled": True}, "azora:incidents", "needs contacts and an escalation for page"),
    ({"enabled": True, "contacts": {"a": {"name": "A"}}}, "azora:incidents.contacts.a", "needs a channel"),
    ({"enabled": True, "contacts": {"a": {"name": "A", "sms": "0821234567"}}}, "azora:incidents.contacts.a.sms",
     "E.164"),
    ({**INCIDENTS, "escalation": {"page": [{"contacts": ["nobody"]}]}}, "azora:incidents.escalation.page[0].contacts",
     "unknown contacts nobody"),
    ({**INCIDENTS, "impact": {"page": 9}}, "azora:incidents.impact", "impact must be 1"),
    ({**INCIDENTS, "contacts": {"Bad Key": {"name": "x", "email": "x@azora.example"}}}, "azora:incidents.contacts",
     "contact key"),
])
def test_incident_config_errors_name_the_field(incidents: dict[str, Any], field: str, text: str) -> None:
    msg = _error(_with(azora__incidents=incidents))
    assert msg.startswith(f"Pulumi.africa.yaml: {field}: ") and text in msg, msg


def test_people_belong_in_the_primary_stack() -> None:
    msg = _error(_with(aws__region="eu-west-1", azora__region="eu-west-1", azora__role="secondary",
                       azora__incidents=INCIDENTS), "Pulumi.europe.yaml")
    assert msg.startswith("Pulumi.europe.yaml: azora:incidents: contacts and escalation belong in the primary")


@pytest.mark.parametrize(("observability", "field", "text"), [
    ({"thresholds": {"aurora-cpu": 90, "no-such": 1}}, "azora:observability.thresholds", "unknown alarms no-such"),
    ({"runbookBaseUrl": "http://wiki/runbooks"}, "azora:observability.runbookBaseUrl", "must end with docs/runbooks"),
    ({"runbookBaseUrl": "ftp://x/docs/runbooks"}, "azora:observability.runbookBaseUrl", "https://"),
    ({"slo": {"availabilityPercent": 100}}, "azora:observability.slo.availabilityPercent", "less than 100"),
    ({"canary": {"apiPath": "api"}}, "azora:observability.canary.apiPath", "absolute URL path"),
    ({"canary": {"runtimeVersion": "syn-python-selenium-6.0"}}, "azora:observability.canary.runtimeVersion",
     "syn-nodejs"),
    ({"telemetry": {"logRetentionDays": {"personal": 90}}}, "azora:observability.telemetry.logRetentionDays",
     "missing public"),
    ({"telemetry": {"logRetentionDays": {"personal": 91, "internal": 90, "confidential": 365, "public": 30}}},
     "azora:observability.telemetry.logRetentionDays", "not a CloudWatch Logs retention"),
    ({"telemetry": {"apiEndpoints": {"x": "no-slash"}}}, "azora:observability.telemetry.apiEndpoints",
     "not a path pattern"),
    ({"telemetry": {"metricsIntervalSeconds": 20}}, "azora:observability.telemetry.metricsIntervalSeconds", ""),
    ({"prometheus": {"scrapeIntervalSeconds": 1}}, "azora:observability.prometheus.scrapeIntervalSeconds", ""),
    ({"dashboard": True}, "azora:observability.dashboard", "not a known setting"),
])
def test_observability_config_errors_name_the_field(observability: dict[str, Any], field: str, text: str) -> None:
    msg = _error(_with(azora__observability=observability))
    assert msg.startswith(f"Pulumi.africa.yaml: {field}: ") and text in msg, msg


def test_prometheus_needs_the_cluster() -> None:
    msg = _error(_with(azora__observability={"prometheus": {"enabled": True}}, azora__eks={"enabled": False}))
    assert msg.startswith("Pulumi.africa.yaml: azora:observability.prometheus.enabled: needs azora:eks.enabled")


def test_slack_ids_are_checked() -> None:
    msg = _error(_with(azora__alerting={**ALERTING, "slack": {"teamId": "bad", "channelId": "C0123ABCD"}}))
    assert msg.startswith("Pulumi.africa.yaml: azora:alerting.slack.teamId: ")


def test_component_args_refuse_what_config_would() -> None:
    plan = ResponsePlanSpec(impact=1, title="t", escalation=[EscalationStage(["a"], 5)])
    ok = IncidentResponseArgs(name_prefix="azora-prod", regions=["af-south-1"],
                              contacts={"a": ContactSpec("A", email="a@azora.example")}, plans={"page": plan})
    ok.validate()
    for kw, message in (({"regions": ["a", "b", "c", "d"]}, "1-3 distinct regions"),
                        ({"plans": {"ticket": plan}}, "a page response plan is required"),
                        ({"contacts": {"a": ContactSpec("A")}}, "has no channel"),
                        ({"name_prefix": "Azora Prod"}, "not a contact alias prefix")):
        with pytest.raises(ValueError, match=message):
            IncidentResponseArgs(**{**ok.__dict__, **kw}).validate()


def test_chat_channel_posts_the_topics_from_us_east_2() -> None:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        ChatChannel("chat", ChatChannelArgs(name="azora-t-alerts", slack_team_id="T0123ABCD",
                                            slack_channel_id="C0123ABCD", topic_arns=[PAGE, TICKET]), provider)
    plan = record(program)
    (cfg,) = plan.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    assert cfg.inputs["region"] == "us-east-2" and cfg.inputs["snsTopicArns"] == [PAGE, TICKET]
    assert cfg.inputs["guardrailPolicyArns"] == ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]
    assert cfg.inputs["userAuthorizationRequired"] is True
    with pytest.raises(ValueError, match="Slack channel id"):
        ChatChannelArgs(name="x", slack_team_id="T0123ABCD", slack_channel_id="#alerts", topic_arns=[PAGE]).validate()


def test_alerting_events_reach_the_severity_topic_and_page_events_open_incidents() -> None:
    plan_arn = "arn:aws:ssm-incidents::123456789012:response-plan/azora-prod-page"

    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        EventAlerts("events", EventAlertsArgs(name_prefix="azora-t", actions=AlarmActions(
            topics={"page": PAGE, "ticket": TICKET}, incident_plans={"page": plan_arn})), provider)
    plan = record(program)
    rules = {r.inputs["name"]: r for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert set(rules) == {f"azora-t-{k}" for k in EVENTS}
    targets: dict[str, set[str]] = {}
    for t in plan.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        targets.setdefault(t.inputs["rule"], set()).add(t.inputs["arn"])
    for key, event in EVENTS.items():
        rule = rules[f"azora-t-{key}"]
        assert json.loads(rule.inputs["eventPattern"]) == event.pattern
        assert f"docs/runbooks/{event.runbook}.md" in rule.inputs["description"]
        topic = PAGE if event.severity == "page" else TICKET
        assert targets[rule.outputs["name"]] == ({topic, plan_arn} if event.severity == "page" else {topic})
    role = json.loads(plan.named("aws:iam/rolePolicy:RolePolicy", "events-incidents-start").inputs["policy"])
    assert role["Statement"][0] == {"Sid": "StartIncidents", "Effect": "Allow", "Action": "ssm-incidents:StartIncident",
                                    "Resource": [plan_arn]}
