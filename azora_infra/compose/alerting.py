"""Wiring of the region's alert topics (`AlertTopics`) from `azora:alerting`.

Every alarm the stack creates notifies one of these topics: ``page`` for what needs a person
now, ``ticket`` for what can wait for working hours. Outside prod a severity may stay without
subscribers (config validation refuses that in prod).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerting import SEVERITIES, AlertTopics, AlertTopicsArgs, Subscriber
from components.dns import ROUTE53_METRICS_REGION

from ..config import StackConfig
from ..config.alerting import SeverityConfig
from ..config.presets import Environment


def subscribers(severity: SeverityConfig, pager_url: str | None) -> list[Subscriber]:
    subs = [Subscriber(protocol="email", endpoint=address, key=address) for address in severity.emails]
    if severity.pager is not None and pager_url:
        subs.append(Subscriber(protocol="https", endpoint=pulumi.Output.secret(pager_url), key=severity.pager))
    return subs


def _by_severity(cfg: StackConfig) -> dict[str, list[Subscriber]]:
    a = cfg.alerting
    return {"page": subscribers(a.page, cfg.pager_url), "ticket": subscribers(a.ticket, cfg.pager_url)}


def build_alerting(cfg: StackConfig, stack: str, provider: aws.Provider) -> AlertTopics:
    return AlertTopics("alerts", AlertTopicsArgs(
        region=cfg.region, name_prefix=f"azora-{stack}", subscribers=_by_severity(cfg),
        # prod is refused at validation without a page subscriber; elsewhere silence is allowed
        allow_unsubscribed=() if cfg.environment is Environment.PROD else SEVERITIES,
        key_deletion_window_days=cfg.kms.deletion_window_days, protect=cfg.preset.protect,
    ), provider)


def build_route53_alerting(cfg: StackConfig, stack: str, provider: aws.Provider) -> AlertTopics | None:
    """The same page and ticket topics, with the same subscribers, in us-east-1: Route 53 publishes
    health-check metrics only there and an alarm notifies topics of its own region. The addresses
    of `azora:dns.alarms.emails` are paged too. None when the health-check alarm is off."""
    if not cfg.dns.alarms.enabled or not cfg.joins_global:
        return None  # no health check to alarm on (a standalone stack has no latency record)
    by_severity = _by_severity(cfg)
    known = {s.key for s in by_severity["page"]}
    by_severity["page"] += [Subscriber(protocol="email", endpoint=e, key=e) for e in cfg.dns.alarms.emails
                            if e not in known]
    return AlertTopics("alerts-route53", AlertTopicsArgs(
        region=ROUTE53_METRICS_REGION, override_region=True, name_prefix=f"azora-{stack}", subscribers=by_severity,
        publishers=("cloudwatch",),
        allow_unsubscribed=() if cfg.environment is Environment.PROD else SEVERITIES,
        key_deletion_window_days=cfg.kms.deletion_window_days, protect=cfg.preset.protect,
    ), provider)


def alerting_outputs(alerts: AlertTopics, route53: AlertTopics | None = None) -> dict[str, Any]:
    """Stack exports: the topic per severity (other stacks and ops tooling publish or subscribe),
    and the us-east-1 ones the health-check alarm notifies."""
    out: dict[str, Any] = {"alertTopicArns": alerts.topic_arns, "alertSubscriberCounts": alerts.subscriber_counts}
    if route53 is not None:
        out["route53AlertTopicArns"] = route53.topic_arns
    return out
