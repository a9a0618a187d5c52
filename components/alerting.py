"""`AlertTopics`: where a region's alarms and notifications go, and who they reach.

One KMS-encrypted SNS topic per severity (``page``: wake someone now; ``ticket``: look at it in
working hours), each with its subscribers: e-mail addresses and, for ``page``, an HTTPS pager
endpoint (a PagerDuty or Opsgenie events URL, passed as a Pulumi secret). An alarm that names a
topic with no subscriber reaches nobody, so a severity without subscribers is refused unless the
caller says it may stay silent (``allow_unsubscribed``).

The topics are encrypted with a key of their own: the AWS services that publish alarms and
notifications (CloudWatch, EventBridge, AWS Budgets, Cost Anomaly Detection) must be able to use
the key, and granting them that on the region's data key would widen who can read data. Each
publisher is scoped to this account (and, where the service sends it, to its own source ARNs) in
both the topic policy and the key policy: EventBridge does not send ``aws:SourceAccount`` /
``aws:SourceArn`` to KMS (AWS SNS developer guide, "Enable compatibility between event sources
from AWS services and encrypted topics"), so its key statement is scoped instead by the encryption
context SNS sends, ``aws:sns:topicArn`` = one of these topics. The account administers the key
with explicit actions (`components.kms.POLICY_OWNER_ACTIONS`), not ``kms:*``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from .base import AzoraComponent
from .kms import account_administers

#: the severities, most urgent first
SEVERITIES: tuple[str, ...] = ("page", "ticket")


@dataclass(frozen=True)
class Publisher:
    """An AWS service that publishes to the topics."""

    principal: str
    #: aws:SourceArn pattern (``{region}`` and ``{account}`` are filled in); None: not sent
    source_arn: str | None
    #: the service sends aws:SourceAccount/aws:SourceArn on its KMS calls too
    conditions_on_kms: bool = True


#: what may publish to alert topics, by key (``AlertTopicsArgs.publishers``)
PUBLISHERS: dict[str, Publisher] = {
    "cloudwatch": Publisher("cloudwatch.amazonaws.com", "arn:aws:cloudwatch:{region}:{account}:alarm:*"),
    "events": Publisher("events.amazonaws.com", "arn:aws:events:{region}:{account}:rule/*",
                        conditions_on_kms=False),
    "budgets": Publisher("budgets.amazonaws.com", "arn:aws:budgets::{account}:*"),
    "costalerts": Publisher("costalerts.amazonaws.com", None),
}


@dataclass(frozen=True)
class Subscriber:
    """One endpoint a severity's notifications reach."""

    protocol: Literal["email", "https"]
    endpoint: pulumi.Input[str]
    #: stable part of the subscription's logical name (an address, ``pager``); never an index
    key: str


@dataclass(frozen=True)
class AlertTopicsArgs:
    region: str
    #: prefix of the topic names, e.g. ``azora-africa`` -> ``azora-africa-page``
    name_prefix: str
    #: severity -> its subscribers (severities not in SEVERITIES are refused)
    subscribers: Mapping[str, Sequence[Subscriber]] = field(default_factory=dict)
    #: the services allowed to publish (keys of PUBLISHERS)
    publishers: Sequence[str] = tuple(PUBLISHERS)
    #: severities that may have no subscriber (dev stacks); any other empty severity is refused
    allow_unsubscribed: Sequence[str] = ()
    #: days a scheduled deletion of the topics' key waits (7-30)
    key_deletion_window_days: int = 30
    #: Pulumi `protect` on the key: its deletion would silence every alarm of the region
    protect: bool = True
    #: create the topics in ``region`` with pulumi-aws v7's per-resource ``region`` instead of the
    #: provider's (e.g. us-east-1, where Route 53 health-check alarms must notify a local topic)
    override_region: bool = False

    def validate(self) -> None:
        unknown = sorted(set(self.subscribers) - set(SEVERITIES))
        if unknown:
            raise ValueError(f"AlertTopics: unknown severities {unknown} (known: {', '.join(SEVERITIES)})")
        bad = sorted(set(self.publishers) - set(PUBLISHERS))
        if bad:
            raise ValueError(f"AlertTopics: unknown publishers {bad} (known: {', '.join(PUBLISHERS)})")
        for severity in SEVERITIES:
            subs = self.subscribers.get(severity, ())
            if not subs and severity not in self.allow_unsubscribed:
                raise ValueError(f"AlertTopics: the {severity} topic has no subscriber, so its alarms would "
                                 "reach nobody (add one, or list it in allow_unsubscribed)")
            keys = [s.key for s in subs]
            if len(set(keys)) != len(keys):
                raise ValueError(f"AlertTopics: subscriber keys of {severity} repeat: {keys}")
        if not 7 <= self.key_deletion_window_days <= 30:
            raise ValueError("AlertTopics: key_deletion_window_days must be 7-30")


def _source(publisher: Publisher, region: str, account: str) -> dict[str, object]:
    cond: dict[str, object] = {"StringEquals": {"aws:SourceAccount": account}}
    if publisher.source_arn:
        cond["ArnLike"] = {"aws:SourceArn": publisher.source_arn.format(region=region, account=account)}
    return cond


def topic_arn(region: str, account: str, name_prefix: str, severity: str) -> str:
    """A severity topic's ARN, known before the topic exists (the key policy names it)."""
    return f"arn:aws:sns:{region}:{account}:{name_prefix}-{severity}"


def key_policy(account: str, region: str, publishers: Sequence[str], topic_arns: Sequence[str] = ()) -> str:
    """The topics' key: the account administers it through IAM (explicit actions); each publisher
    may generate data keys and decrypt, scoped to this account where the service sends
    ``aws:Source*`` to KMS, else to ``topic_arns`` by SNS's encryption context."""
    statements: list[dict[str, object]] = [
        account_administers(account),
    ]
    for name in publishers:
        p = PUBLISHERS[name]
        statement: dict[str, object] = {
            "Sid": f"Publish{name.capitalize()}", "Effect": "Allow", "Principal": {"Service": p.principal},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}
        if p.conditions_on_kms:
            statement["Condition"] = _source(p, region, account)
        elif topic_arns:
            statement["Condition"] = {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": sorted(topic_arns)}}
        statements.append(statement)
    return json.dumps({"Version": "2012-10-17", "Id": "azora-alerts", "Statement": statements})


def topic_policy(topic_arn: str, account: str, region: str, publishers: Sequence[str]) -> str:
    """Only this account and its own publishers may publish; nothing over plain HTTP."""
    statements: list[dict[str, object]] = [
        {"Sid": "AccountManagesTopic", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
         "Resource": topic_arn},
    ]
    for name in publishers:
        p = PUBLISHERS[name]
        statements.append({"Sid": f"Publish{name.capitalize()}", "Effect": "Allow",
                           "Principal": {"Service": p.principal}, "Action": "sns:Publish",
                           "Resource": topic_arn, "Condition": _source(p, region, account)})
    statements.append(deny_insecure_publish(topic_arn))
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def deny_insecure_publish(topic_arn: str) -> dict[str, object]:
    """The topic-policy statement every Azora topic carries: no publishing over plain HTTP."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
            "Resource": topic_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


class AlertTopics(AzoraComponent):
    """The region's ``page`` and ``ticket`` topics with their subscribers.

    Outputs: ``topic_arns`` (severity -> ARN), ``page_topic_arn``, ``ticket_topic_arn``,
    ``key_arn``, ``subscriber_counts`` (severity -> number of subscriptions; an alarm on a topic
    with 0 reaches nobody).
    """

    def __init__(self, name: str, args: AlertTopicsArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:alerting:AlertTopics", name, provider, opts)
        self._args = args
        self._region = args.region if args.override_region else None
        self._account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
        self.key = self._key()
        self.topics = {severity: self._topic(severity) for severity in SEVERITIES}
        self.topic_arns: dict[str, pulumi.Output[str]] = {s: t.arn for s, t in self.topics.items()}
        self.subscriber_counts = {s: len(args.subscribers.get(s, ())) for s in SEVERITIES}
        self.key_arn = self.key.arn
        self.register_outputs({"topicArns": self.topic_arns, "keyArn": self.key_arn,
                               "subscriberCounts": self.subscriber_counts})

    @property
    def page_topic_arn(self) -> pulumi.Output[str]:
        return self.topic_arns["page"]

    @property
    def ticket_topic_arn(self) -> pulumi.Output[str]:
        return self.topic_arns["ticket"]

    def _key(self) -> aws.kms.Key:
        args = self._args
        key = aws.kms.Key(
            self.child_name("key"),
            description=f"Azora alert topics ({args.region})",
            enable_key_rotation=True,
            deletion_window_in_days=args.key_deletion_window_days,
            policy=self._account.apply(lambda account: key_policy(
                account, args.region, args.publishers,
                [topic_arn(args.region, account, args.name_prefix, s) for s in SEVERITIES])),
            tags={"azora:key-purpose": "alerts"}, region=self._region,
            opts=self.child_opts(protect=args.protect))
        aws.kms.Alias(self.child_name("key", "alias"), name=f"alias/{args.name_prefix}/alerts",
                      target_key_id=key.key_id, region=self._region, opts=self.child_opts())
        return key

    def _topic(self, severity: str) -> aws.sns.Topic:
        args = self._args
        topic = aws.sns.Topic(
            self.child_name(severity), name=f"{args.name_prefix}-{severity}",
            display_name=f"Azora {severity} ({args.region})", kms_master_key_id=self.key.arn,
            tags={"azora:severity": severity}, region=self._region, opts=self.child_opts())
        aws.sns.TopicPolicy(
            self.child_name(severity, "policy"), arn=topic.arn, region=self._region,
            policy=pulumi.Output.all(topic.arn, self._account).apply(
                lambda v: topic_policy(v[0], v[1], args.region, args.publishers)),
            opts=self.child_opts())
        for sub in args.subscribers.get(severity, ()):
            aws.sns.TopicSubscription(
                self.child_name(severity, sub.key), topic=topic.arn, protocol=sub.protocol,
                endpoint=sub.endpoint,
                # a pager's events endpoint accepts SNS's JSON envelope; keep it (no raw delivery)
                endpoint_auto_confirms=sub.protocol == "https" or None, region=self._region,
                opts=self.child_opts())
        return topic
