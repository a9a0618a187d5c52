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

from ..config import StackConfig
from ..config.alerting import SeverityConfig
from ..config.presets import Environment


def subscribers(severity: SeverityConfig, pager_url: str | None) -> list[Subscriber]:
    subs = [Subscriber(protocol="email", endpoint=address, key=address) for address in severity.emails]
    if severity.pager is not None and pager_url:
        subs.append(Subscriber(protocol="https", endpoint=pulumi.Output.secret(pager_url), key=severity.pager))
    return subs


def build_alerting(cfg: StackConfig, stack: str, provider: aws.Provider) -> AlertTopics:
    a = cfg.alerting
    by_severity = {"page": subscribers(a.page, cfg.pager_url), "ticket": subscribers(a.ticket, cfg.pager_url)}
    return AlertTopics("alerts", AlertTopicsArgs(
        region=cfg.region, name_prefix=f"azora-{stack}", subscribers=by_severity,
        # prod is refused at validation without a page subscriber; elsewhere silence is allowed
        allow_unsubscribed=() if cfg.environment is Environment.PROD else SEVERITIES,
        key_deletion_window_days=cfg.kms.deletion_window_days, protect=cfg.preset.protect,
    ), provider)


def alerting_outputs(alerts: AlertTopics) -> dict[str, Any]:
    """Stack exports: the topic per severity (other stacks and ops tooling publish or subscribe)."""
    return {"alertTopicArns": alerts.topic_arns, "alertSubscriberCounts": alerts.subscriber_counts}
