"""`EventAlerts`: EventBridge rules that send a region's alerting events to its severity topics.

From `components.alarm_catalog.EVENTS`: failed AWS Backup jobs, copy jobs and restore jobs
(including the monthly restore test), and KMS keys scheduled for deletion or disabled (a CloudTrail
API event: EventBridge receives it only while a trail records the region's management events).
Each rule's description names its runbook; its target is the topic of its severity (the topics'
policy and key admit ``events.amazonaws.com``, see `components.alerting`), and for a severity with
an Incident Manager response plan also that plan (EventBridge starts the incident with a role
allowed only ``ssm-incidents:StartIncident`` on those plans).

Outputs: ``rules`` (key -> EventRule), ``rule_arns``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .alarm_catalog import EVENTS, RUNBOOK_DIR, EventDefinition, runbook_path
from .alarms import AlarmActions
from .base import AzoraComponent


@dataclass(frozen=True)
class EventAlertsArgs:
    #: rule names start with it, e.g. ``azora-africa``
    name_prefix: str
    actions: AlarmActions
    runbook_base: str = RUNBOOK_DIR
    events: Mapping[str, EventDefinition] = field(default_factory=lambda: dict(EVENTS))

    def validate(self) -> None:
        self.actions.validate()
        if not self.events:
            raise ValueError("EventAlerts: no events to route")


class EventAlerts(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: EventAlertsArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:event-alerts:EventAlerts", name, provider, opts)
        self.rules: dict[str, aws.cloudwatch.EventRule] = {}
        plans = dict(args.actions.incident_plans)
        role = self._incident_role(args.name_prefix, plans) if plans else None
        for key, event in sorted(args.events.items()):
            rule = aws.cloudwatch.EventRule(
                self.child_name(key), name=f"{args.name_prefix}-{key}",
                description=(f"{event.title}. Severity {event.severity}. "
                             f"Runbook: {runbook_path(event.runbook, args.runbook_base)}")[:512],
                event_pattern=json.dumps(event.pattern, sort_keys=True), state="ENABLED",
                tags={"azora:alarm": key, "azora:severity": event.severity,
                      **({"azora:criteria": " ".join(event.criteria)} if event.criteria else {})},
                opts=self.child_opts())
            aws.cloudwatch.EventTarget(
                self.child_name(key), rule=rule.name, target_id=f"{event.severity}-topic",
                arn=args.actions.topics[event.severity],
                retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=3600, maximum_retry_attempts=10),
                opts=self.child_opts())
            plan = plans.get(event.severity)
            if plan is not None and role is not None:
                aws.cloudwatch.EventTarget(
                    self.child_name(key, "incident"), rule=rule.name, target_id=f"{event.severity}-incident",
                    arn=plan, role_arn=role.arn, opts=self.child_opts())
            self.rules[key] = rule
        self.rule_arns: dict[str, pulumi.Output[str]] = {k: r.arn for k, r in self.rules.items()}
        self.register_outputs({"ruleArns": self.rule_arns})

    def _incident_role(self, prefix: str, plans: Mapping[str, pulumi.Input[str]]) -> aws.iam.Role:
        invoke = pulumi.InvokeOutputOptions(provider=self.provider)
        identity, region = aws.get_caller_identity_output(opts=invoke), aws.get_region_output(opts=invoke)
        role = aws.iam.Role(
            self.child_name("incidents"), description=f"{prefix}: EventBridge starts Incident Manager incidents",
            # only this account's rules of this component (EventBridge sends aws:SourceAccount and
            # aws:SourceArn, the rule's ARN, when it assumes a target's role)
            assume_role_policy=pulumi.Output.all(identity.account_id, region.region).apply(
                lambda v: json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": v[0]},
                                  "ArnLike": {"aws:SourceArn": f"arn:aws:events:{v[1]}:{v[0]}:rule/{prefix}-*"}}}]})),
            opts=self.child_opts())
        aws.iam.RolePolicy(
            self.child_name("incidents", "start"), role=role.id,
            policy=pulumi.Output.all(*plans.values()).apply(lambda arns: json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "StartIncidents", "Effect": "Allow", "Action": "ssm-incidents:StartIncident",
                    "Resource": sorted(set(arns))}]})),
            opts=self.child_opts())
        return role
