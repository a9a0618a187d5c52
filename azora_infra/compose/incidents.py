"""Incident Manager from `azora:incidents` (components/incidents.py).

Incident Manager is one per account, so only the primary stack builds `IncidentResponse` (the
replication set over the environment's regions, the contacts, an escalation plan and a response
plan per severity); it exports ``incidentResponsePlanArns``. A secondary stack with
``incidents.enabled`` reads that export through a StackReference: its page alarms open incidents
with the primary's page plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerting import AlertTopics
from components.incidents import ContactSpec, EscalationStage, IncidentResponse, IncidentResponseArgs, ResponsePlanSpec

from ..config import StackConfig
from ..config.project import peer_regions
from .references import primary_stack_name

TITLES = {"page": "Azora: a page alarm fired (user-facing impact or imminent)",
          "ticket": "Azora: a ticket alarm fired (degradation, no user impact yet)"}


def incident_regions(cfg: StackConfig, stack: str, project_dir: Path | None = None) -> list[str]:
    """The replication set: this (primary) region, then the environment's other regions (at most 3)."""
    return [cfg.region, *peer_regions(stack, cfg.region, project_dir or Path.cwd())][:3]


def build_incidents(cfg: StackConfig, stack: str, provider: aws.Provider, alerts: AlertTopics,
                    project_dir: Path | None = None) -> IncidentResponse | None:
    """The account's Incident Manager (primary stack with `incidents.enabled` only)."""
    inc = cfg.incidents
    if not inc.enabled or not cfg.leads_environment:
        return None
    chat = cfg.alerting.slack
    plans: dict[str, ResponsePlanSpec] = {
        severity: ResponsePlanSpec(
            impact=inc.impact.get(severity, 3), title=TITLES[severity],
            escalation=[EscalationStage(contacts=s.contacts, minutes=s.minutes) for s in stages],
            notification_topic_arns=[alerts.topic_arns[severity]],
            chat_topic_arns=[alerts.topic_arns[severity]] if chat and severity in chat.severities else [])
        for severity, stages in inc.escalation.items()
    }
    return IncidentResponse("incidents", IncidentResponseArgs(
        name_prefix=cfg.global_names.account_prefix, regions=incident_regions(cfg, stack, project_dir),
        contacts={k: ContactSpec(name=c.name, email=c.email, sms=c.sms, voice=c.voice)
                  for k, c in inc.contacts.items()},
        plans=plans, runbook_base=cfg.observability.runbook_base_url,
        protect=cfg.preset.protect), provider)


def incident_plan_arns(cfg: StackConfig, incidents: IncidentResponse | None,
                       primary_ref: pulumi.StackReference | None = None) -> Mapping[str, pulumi.Input[str]]:
    """Severity -> response plan ARN for the alarms' actions: the primary's own plans, or (secondary)
    its export read by StackReference; empty when Incident Manager is off."""
    if not cfg.incidents.enabled:
        return {}
    if incidents is not None:
        return dict(incidents.response_plan_arns)
    ref = primary_ref or pulumi.StackReference("incidents-primary", stack_name=primary_stack_name(cfg))
    exported = pulumi.Output.from_input(ref.require_output("incidentResponsePlanArns"))
    return {"page": exported.apply(lambda arns: str(arns["page"]))}


def incidents_outputs(incidents: IncidentResponse | None) -> dict[str, Any]:
    if incidents is None:
        return {}
    return {"incidentResponsePlanArns": incidents.response_plan_arns,
            "incidentReplicationSetArn": incidents.replication_set_arn}
