"""`ChaosSchedule` (`azora:chaos:ChaosSchedule`): start one FIS experiment template, picked at random,
on a schedule (staging: daily).

EventBridge Scheduler cannot choose among targets, so the schedule starts a small Step Functions
state machine that picks one template with the `States.MathRandom(0, n)` intrinsic (start
inclusive, end exclusive) and calls FIS `StartExperiment` through the AWS SDK integration. No code
to deploy or patch; the state machine's role may only start these templates, the scheduler's role
may only start this state machine. Executions log to a KMS-encrypted log group.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .base import AzoraComponent


@dataclass(frozen=True)
class ChaosScheduleArgs:
    region: str
    name_prefix: str
    #: the experiment template ids to pick from
    template_ids: Sequence[pulumi.Input[str]]
    logs_key_arn: pulumi.Input[str]
    #: EventBridge Scheduler expression; default: 10:00 on weekdays (people are there to watch)
    schedule_expression: str = "cron(0 10 ? * MON-FRI *)"
    timezone: str = "UTC"
    log_retention_days: int = 90

    def validate(self) -> None:
        if not self.template_ids:
            raise ValueError("ChaosSchedule: no experiment templates to pick from")
        if not self.schedule_expression.startswith(("cron(", "rate(", "at(")):
            raise ValueError(f"ChaosSchedule: {self.schedule_expression!r} is not a Scheduler expression")


def state_machine_definition(template_ids: Sequence[str]) -> str:
    """Pick one of ``template_ids`` uniformly at random, start it."""
    return json.dumps({
        "Comment": "Start one FIS experiment template picked at random",
        "StartAt": "Pick",
        "States": {
            "Pick": {"Type": "Pass",
                     "Parameters": {"templates": list(template_ids),
                                    "index.$": f"States.MathRandom(0, {len(template_ids)})"},
                     "Next": "Start"},
            "Start": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:fis:startExperiment",
                      "Parameters": {"ExperimentTemplateId.$": "States.ArrayGetItem($.templates, $.index)",
                                     "ClientToken.$": "States.UUID()"},
                      "End": True},
        },
    })


def _assume(service: str, account: str, source_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": source_arn}}}]})


def picker_policy(region: str, account: str, template_ids: Sequence[str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "StartTheseTemplates", "Effect": "Allow", "Action": "fis:StartExperiment",
         "Resource": [*[f"arn:aws:fis:{region}:{account}:experiment-template/{t}" for t in template_ids],
                      f"arn:aws:fis:{region}:{account}:experiment/*"]},
        # Step Functions log delivery (AWS requires these on "*")
        {"Sid": "LogDelivery", "Effect": "Allow",
         "Action": ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups"], "Resource": "*"},
    ]})


class ChaosSchedule(AzoraComponent):
    """Outputs: ``schedule_arn``, ``state_machine_arn``."""

    def __init__(self, name: str, args: ChaosScheduleArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:chaos:ChaosSchedule", name, provider, opts)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
        sm_name = f"{args.name_prefix}-chaos-pick"
        log_group = aws.cloudwatch.LogGroup(
            self.child_name("logs"), name=f"/aws/vendedlogs/states/{sm_name}", kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days, opts=self.child_opts())
        ids = pulumi.Output.all(*args.template_ids)
        sm_role = aws.iam.Role(
            self.child_name("picker"), name=f"{sm_name}"[:64], description="Starts one chaos experiment at random",
            assume_role_policy=account.apply(lambda a: _assume(
                "states.amazonaws.com", a, f"arn:aws:states:{args.region}:{a}:stateMachine:{sm_name}")),
            opts=self.child_opts())
        sm_policy = aws.iam.RolePolicy(
            self.child_name("picker"), role=sm_role.id,
            policy=pulumi.Output.all(account, ids).apply(lambda v: picker_policy(args.region, v[0], v[1])),
            opts=self.child_opts())
        self.state_machine = aws.sfn.StateMachine(
            self.child_name("picker"), name=sm_name, role_arn=sm_role.arn, type="STANDARD",
            definition=ids.apply(state_machine_definition),
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                level="ALL", include_execution_data=True,
                log_destination=log_group.arn.apply(lambda arn: f"{arn}:*")),
            tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=True),
            opts=self.child_opts(depends_on=[sm_policy]))
        scheduler_role = aws.iam.Role(
            self.child_name("scheduler"), name=f"{args.name_prefix}-chaos-schedule"[:64],
            description="EventBridge Scheduler: starts the chaos picker",
            assume_role_policy=account.apply(lambda a: _assume(
                "scheduler.amazonaws.com", a, f"arn:aws:scheduler:{args.region}:{a}:schedule/default/*")),
            opts=self.child_opts())
        scheduler_policy = aws.iam.RolePolicy(
            self.child_name("scheduler"), role=scheduler_role.id,
            policy=self.state_machine.arn.apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "states:StartExecution", "Resource": arn}]})),
            opts=self.child_opts())
        self.schedule = aws.scheduler.Schedule(
            self.child_name("daily"), name=f"{args.name_prefix}-chaos-daily"[:64],
            description="Starts one FIS experiment template picked at random",
            schedule_expression=args.schedule_expression, schedule_expression_timezone=args.timezone,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=self.state_machine.arn, role_arn=scheduler_role.arn, input="{}",
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=0)),
            opts=self.child_opts(depends_on=[scheduler_policy]))
        self.schedule_arn = self.schedule.arn
        self.state_machine_arn = self.state_machine.arn
        self.register_outputs({"scheduleArn": self.schedule_arn, "stateMachineArn": self.state_machine_arn})
