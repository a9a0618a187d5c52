"""AlertTopics and `azora:alerting`: every alarm topic reaches a person."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from azora_infra.config import ConfigError, parse_config
from azora_infra.plan.model import Plan
from components.alerting import PUBLISHERS, SEVERITIES, AlertTopics, AlertTopicsArgs, Subscriber
from tests.harness import ALERTING, record
from tests.test_config import _with

SUBSCRIBERS = {
    "page": (Subscriber("email", "oncall@azora.example", "oncall@azora.example"),
             Subscriber("https", pulumi.Output.secret("https://events.pagerduty.com/integration/k/enqueue"),
                        "pagerduty")),
    "ticket": (Subscriber("email", "platform@azora.example", "platform@azora.example"),),
}
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def _topics(**kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        AlertTopics("alerts", AlertTopicsArgs(**{"region": "af-south-1", "name_prefix": "azora-test",
                                                 "subscribers": SUBSCRIBERS, **kw}), provider)
    return record(program)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _topics()


def _statements(doc: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(doc)["Statement"]}


def test_one_encrypted_topic_per_severity_with_its_own_key(plan: Plan) -> None:
    topics = {t.inputs["name"]: t for t in plan.of_type(TOPIC)}
    assert set(topics) == {f"azora-test-{s}" for s in SEVERITIES}
    (key,) = plan.of_type("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True and key.options["protect"] is True
    assert all(t.inputs["kmsMasterKeyId"] == key.outputs["arn"] for t in topics.values())


def test_each_subscriber_is_subscribed_to_its_severity(plan: Plan) -> None:
    arn = {t.inputs["name"].rsplit("-", 1)[1]: t.outputs["arn"] for t in plan.of_type(TOPIC)}
    by_topic: dict[str, set[str]] = {}
    for sub in plan.of_type(SUBSCRIPTION):
        by_topic.setdefault(sub.inputs["topic"], set()).add(sub.inputs["protocol"])
    assert by_topic == {arn["page"]: {"email", "https"}, arn["ticket"]: {"email"}}
    pager = next(s for s in plan.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "https")
    assert pager.name == "alerts-page-pagerduty" and pager.inputs["endpointAutoConfirms"] is True


def test_publishers_are_scoped_to_the_account(plan: Plan) -> None:
    policy = plan.of_type("aws:sns/topicPolicy:TopicPolicy")[0].inputs["policy"]
    statements = _statements(policy)
    for name, publisher in PUBLISHERS.items():
        s = statements[f"Publish{name.capitalize()}"]
        assert s["Principal"] == {"Service": publisher.principal} and s["Action"] == "sns:Publish"
        assert s["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert statements["PublishCloudwatch"]["Condition"]["ArnLike"]["aws:SourceArn"] == \
        "arn:aws:cloudwatch:af-south-1:123456789012:alarm:*"
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"


def test_key_lets_publishers_encrypt_with_conditions_where_the_service_sends_them(plan: Plan) -> None:
    statements = _statements(plan.of_type("aws:kms/key:Key")[0].inputs["policy"])
    assert statements["PublishCloudwatch"]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    # EventBridge sends no aws:SourceAccount/SourceArn to KMS: scoped to our topics by SNS's
    # encryption context instead
    topics = sorted(t.outputs["arn"] for t in plan.of_type(TOPIC))
    assert statements["PublishEvents"]["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topics}}
    assert set(statements["PublishEvents"]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert "kms:*" not in statements["AccountAdministersThroughIam"]["Action"]


@pytest.mark.parametrize(("kw", "message"), [
    ({"subscribers": {"ticket": SUBSCRIBERS["ticket"]}}, "the page topic has no subscriber"),
    ({"subscribers": {**SUBSCRIBERS, "sev1": ()}}, "unknown severities ['sev1']"),
    ({"publishers": ("cloudwatch", "s3")}, "unknown publishers ['s3']"),
    ({"subscribers": {**SUBSCRIBERS, "ticket": SUBSCRIBERS["ticket"] * 2}}, "subscriber keys of ticket repeat"),
])
def test_refuses_topics_that_would_reach_nobody_or_unknown_names(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        AlertTopicsArgs(region="af-south-1", name_prefix="x", **{"subscribers": SUBSCRIBERS, **kw}).validate()


def test_silence_is_allowed_only_where_asked() -> None:
    plan = _topics(subscribers={}, allow_unsubscribed=SEVERITIES)
    assert not plan.of_type(SUBSCRIPTION) and len(plan.of_type(TOPIC)) == 2


# -- config ----------------------------------------------------------------------------------------

def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "Pulumi.africa.yaml")
    return str(info.value)


@pytest.mark.parametrize(("alerting", "severity"), [
    ({"ticket": {"emails": ["t@azora.example"]}}, "page"),
    ({"page": {"emails": ["p@azora.example"]}}, "ticket"),
])
def test_prod_without_a_subscriber_per_severity_is_refused(alerting: dict[str, Any], severity: str) -> None:
    msg = _error(_with(azora__alerting=alerting))
    assert msg.startswith(f"Pulumi.africa.yaml: azora:alerting.{severity}: a prod stack needs a {severity} "
                          "subscriber")


def test_staging_may_stay_silent() -> None:
    cfg = parse_config(_with(azora__environment="staging", azora__alerting=None), "Pulumi.staging.yaml")
    assert not cfg.alerting.page.subscribed


@pytest.mark.parametrize(("changes", "field", "text"), [
    ({"azora__alerting": {**ALERTING, "page": {"pager": "pagerduty"}}}, "azora:pagerUrl", "is required"),
    ({"azora__pagerUrl": "https://events.pagerduty.com/x"}, "azora:pagerUrl", "no azora:alerting severity"),
    ({"azora__alerting": {**ALERTING, "page": {"pager": "pagerduty"}}, "azora__pagerUrl": "http://insecure"},
     "azora:pagerUrl", "https://"),
    ({"azora__alerting": {"page": {"emails": ["not-an-address"]}}}, "azora:alerting.page.emails", "e-mail"),
    ({"azora__alerting": {"page": {"emails": ["a@azora.example", "a@azora.example"]}}},
     "azora:alerting.page.emails", "twice"),
    ({"azora__alerting": {"page": {"pager": "pagerduty"}, "ticket": {"sms": ["+27"]}}},
     "azora:alerting.ticket.sms", "not a known setting"),
])
def test_alerting_errors_name_the_field(changes: dict[str, Any], field: str, text: str) -> None:
    msg = _error(_with(**changes))
    assert msg.startswith(f"Pulumi.africa.yaml: {field}: ") and text in msg, msg


def test_pager_url_never_appears_in_an_error() -> None:
    secret = "http://events.pagerduty.com/integration/SECRETKEY/enqueue"
    msg = _error(_with(azora__alerting={**ALERTING, "page": {"pager": "pagerduty"}}, azora__pagerUrl=secret))
    assert "SECRETKEY" not in msg


# -- the repo's stacks: an alarm reaches a person --------------------------------------------------

@pytest.mark.parametrize("stack", ["africa", "europe", "asia"])
def test_every_alert_topic_of_each_stack_has_a_subscriber(repo_plan: Callable[[str], dict[str, Any]],
                                                           stack: str) -> None:
    plan = Plan(repo_plan(stack))
    subscribed = {s.inputs["topic"] for s in plan.of_type(SUBSCRIPTION)}
    alert_topics = [t for t in plan.of_type(TOPIC) if t.inputs.get("tags", {}).get("azora:severity")]
    assert {t.inputs["tags"]["azora:severity"] for t in alert_topics} == set(SEVERITIES)
    assert all(t.outputs["arn"] in subscribed for t in alert_topics)
    assert plan.outputs["alertSubscriberCounts"]["page"] >= 1


def test_topics_can_live_in_another_region_with_the_regions_provider() -> None:
    # Route 53 health-check alarms notify topics in us-east-1: same people, same default tags
    plan = _topics(region="us-east-1", override_region=True, publishers=("cloudwatch",))
    for r in [*plan.of_type(TOPIC), *plan.of_type(SUBSCRIPTION), *plan.of_type("aws:kms/key:Key"),
              *plan.of_type("aws:sns/topicPolicy:TopicPolicy"), *plan.of_type("aws:kms/alias:Alias")]:
        assert r.region == "us-east-1" and r.provider is not None and r.provider["region"] == "af-south-1", r.name
    policy = _statements(plan.of_type("aws:sns/topicPolicy:TopicPolicy")[0].inputs["policy"])
    assert policy["PublishCloudwatch"]["Condition"]["ArnLike"]["aws:SourceArn"] == \
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"
    assert "PublishEvents" not in policy
