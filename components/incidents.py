"""`IncidentResponse`: AWS Systems Manager Incident Manager for the account: the replication set,
on-call contacts with their channels, an escalation plan per severity and a response plan per
severity. A ``page`` alarm whose actions name the page response plan opens an incident (MTTR is
the incident's duration in Incident Manager; its post-incident analysis holds the action items).

**One per account.** Incident Manager has one replication set per account and its contacts and
response plans are account-wide (their ARNs carry no region), so only ONE stack of an environment
creates this component: the primary stack. The other stacks read the response plan ARNs from the
primary's ``incidentResponsePlanArns`` export. The replication set lists the environment's regions
(at most three); Incident Manager opens an incident in the alarm's region, or in a replication-set
region when that one is unavailable.

Contact channels must be activated once by their owners (Incident Manager sends a code to each
e-mail address and phone number): outside IaC. Since 7 November 2025 Incident Manager is closed to
new customers: an account that never onboarded cannot create the replication set (then keep
``azora:incidents.enabled: false`` and rely on the pager subscription of the page topic).

Outputs: ``replication_set_arn``, ``response_plan_arns`` (severity -> ARN), ``contact_arns``,
``escalation_plan_arns``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .alarm_catalog import RUNBOOK_DIR, runbook_path
from .base import AzoraComponent

_ALIAS = re.compile(r"^[a-z0-9_-]{1,255}$")
#: Incident Manager's impact scale: 1 critical ... 5 no impact
IMPACTS = range(1, 6)


@dataclass(frozen=True)
class ContactSpec:
    """A person on call and the channels Incident Manager engages them on (all at once)."""

    name: str
    email: str | None = None
    #: E.164 phone numbers
    sms: str | None = None
    voice: str | None = None
    #: minutes before Incident Manager engages the channels again while nobody acknowledged
    retry_minutes: int = 5

    def channels(self) -> dict[str, str]:
        return {kind: address for kind, address in (("EMAIL", self.email), ("SMS", self.sms),
                                                     ("VOICE", self.voice)) if address}


@dataclass(frozen=True)
class EscalationStage:
    #: contact keys engaged in this stage
    contacts: Sequence[str]
    #: minutes this stage waits for an acknowledgement before the next one
    minutes: int


@dataclass(frozen=True)
class ResponsePlanSpec:
    impact: int
    title: str
    escalation: Sequence[EscalationStage]
    #: SNS topics Incident Manager notifies when it opens an incident
    notification_topic_arns: Sequence[pulumi.Input[str]] = ()
    #: SNS topics of chat channels (Amazon Q Developer in chat applications) for the incident
    chat_topic_arns: Sequence[pulumi.Input[str]] = ()


@dataclass(frozen=True)
class IncidentResponseArgs:
    #: response plan and contact names start with it, e.g. ``azora-prod``
    name_prefix: str
    #: the replication set: the environment's regions (1-3)
    regions: Sequence[str]
    contacts: Mapping[str, ContactSpec]
    #: severity -> its response plan
    plans: Mapping[str, ResponsePlanSpec]
    runbook_base: str = RUNBOOK_DIR
    tags: Mapping[str, str] = field(default_factory=dict)
    #: Pulumi `protect` on the replication set: deleting it deletes every incident record
    protect: bool = True

    def validate(self) -> None:
        if not 1 <= len(self.regions) <= 3 or len(set(self.regions)) != len(self.regions):
            raise ValueError("IncidentResponse: the replication set takes 1-3 distinct regions")
        if not _ALIAS.match(self.name_prefix):
            raise ValueError(f"IncidentResponse: {self.name_prefix!r} is not a contact alias prefix")
        for key, contact in self.contacts.items():
            if not _ALIAS.match(key):
                raise ValueError(f"IncidentResponse: contact key {key!r}: lowercase letters, digits, - and _")
            if not contact.channels():
                raise ValueError(f"IncidentResponse: contact {key} has no channel (email, sms or voice)")
        if "page" not in self.plans:
            raise ValueError("IncidentResponse: a page response plan is required (page alarms open incidents)")
        for severity, plan in self.plans.items():
            if plan.impact not in IMPACTS:
                raise ValueError(f"IncidentResponse: {severity}: impact must be 1-5")
            if not plan.escalation:
                raise ValueError(f"IncidentResponse: {severity}: the escalation plan needs a stage")
            for stage in plan.escalation:
                unknown = sorted(set(stage.contacts) - set(self.contacts))
                if unknown or not stage.contacts:
                    raise ValueError(f"IncidentResponse: {severity}: escalation names unknown contacts {unknown}"
                                     if unknown else f"IncidentResponse: {severity}: an empty escalation stage")
                if not 0 <= stage.minutes <= 30:
                    raise ValueError(f"IncidentResponse: {severity}: stage minutes must be 0-30")


class IncidentResponse(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: IncidentResponseArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:incidents:IncidentResponse", name, provider, opts)
        self._args = args
        self.replication_set = aws.ssmincidents.ReplicationSet(
            self.child_name("replication-set"),
            regions=[aws.ssmincidents.ReplicationSetRegionArgs(name=r) for r in args.regions],
            tags=dict(args.tags), opts=self.child_opts(protect=args.protect))
        self.contacts: dict[str, aws.ssmcontacts.Contact] = {}
        for key, spec in sorted(args.contacts.items()):
            self.contacts[key] = self._contact(key, spec)
        self.escalations: dict[str, aws.ssmcontacts.Contact] = {}
        self.response_plans: dict[str, aws.ssmincidents.ResponsePlan] = {}
        for severity, plan in sorted(args.plans.items()):
            self._plan(severity, plan)
        self.replication_set_arn: pulumi.Output[str] = self.replication_set.arn
        self.response_plan_arns: dict[str, pulumi.Output[str]] = {s: p.arn for s, p in self.response_plans.items()}
        self.contact_arns: dict[str, pulumi.Output[str]] = {k: c.arn for k, c in self.contacts.items()}
        self.escalation_plan_arns: dict[str, pulumi.Output[str]] = {k: c.arn for k, c in self.escalations.items()}
        self.register_outputs({"replicationSetArn": self.replication_set_arn,
                               "responsePlanArns": self.response_plan_arns, "contactArns": self.contact_arns,
                               "escalationPlanArns": self.escalation_plan_arns})

    def _contact(self, key: str, spec: ContactSpec) -> aws.ssmcontacts.Contact:
        args = self._args
        after_set = self.child_opts(depends_on=[self.replication_set])
        contact = aws.ssmcontacts.Contact(
            self.child_name("contact", key), alias=f"{args.name_prefix}-{key}", type="PERSONAL",
            display_name=spec.name, tags=dict(args.tags), opts=after_set)
        channels = [aws.ssmcontacts.ContactChannel(
            self.child_name("contact", key, kind.lower()), contact_id=contact.arn, name=f"{key}-{kind.lower()}",
            type=kind, delivery_address=aws.ssmcontacts.ContactChannelDeliveryAddressArgs(simple_address=address),
            opts=self.child_opts()) for kind, address in spec.channels().items()]
        aws.ssmcontacts.Plan(
            self.child_name("contact", key, "engagement"), contact_id=contact.arn,
            stages=[aws.ssmcontacts.PlanStageArgs(duration_in_minutes=0, targets=[
                aws.ssmcontacts.PlanStageTargetArgs(
                    channel_target_info=aws.ssmcontacts.PlanStageTargetChannelTargetInfoArgs(
                        contact_channel_id=ch.arn, retry_interval_in_minutes=spec.retry_minutes))
                for ch in channels])],
            opts=self.child_opts())
        return contact

    def _plan(self, severity: str, plan: ResponsePlanSpec) -> None:
        args = self._args
        escalation = aws.ssmcontacts.Contact(
            self.child_name("escalation", severity), alias=f"{args.name_prefix}-{severity}-escalation",
            type="ESCALATION", display_name=f"Azora {severity} escalation", tags=dict(args.tags),
            opts=self.child_opts(depends_on=[self.replication_set]))
        aws.ssmcontacts.Plan(
            self.child_name("escalation", severity), contact_id=escalation.arn,
            stages=[aws.ssmcontacts.PlanStageArgs(duration_in_minutes=stage.minutes, targets=[
                aws.ssmcontacts.PlanStageTargetArgs(contact_target_info=aws.ssmcontacts.PlanStageTargetContactTargetInfoArgs(
                    contact_id=self.contacts[c].arn, is_essential=True)) for c in stage.contacts])
                for stage in plan.escalation],
            opts=self.child_opts())
        self.escalations[severity] = escalation
        self.response_plans[severity] = aws.ssmincidents.ResponsePlan(
            self.child_name("response-plan", severity), name=f"{args.name_prefix}-{severity}",
            display_name=f"Azora {severity}",
            incident_template=aws.ssmincidents.ResponsePlanIncidentTemplateArgs(
                title=plan.title, impact=plan.impact,
                summary=(f"Opened by a {severity} alarm. Follow the runbook named in the alarm's description "
                         f"({args.runbook_base}/); write the post-mortem from "
                         f"{runbook_path('post-mortem-template', args.runbook_base)}."),
                incident_tags={"azora:severity": severity},
                notification_targets=[aws.ssmincidents.ResponsePlanIncidentTemplateNotificationTargetArgs(
                    sns_topic_arn=t) for t in plan.notification_topic_arns] or None),
            engagements=[escalation.arn], chat_channels=list(plan.chat_topic_arns) or None,
            tags={**args.tags, "azora:severity": severity},
            opts=self.child_opts(depends_on=[self.replication_set]))
