"""`ChatChannel`: Amazon Q Developer in chat applications (formerly AWS Chatbot) posting a region's
alert topics to a Slack channel.

The Slack workspace must be authorised once in the console (an OAuth step with no API): its team
id and the channel id then come from config. The service is global and its API lives in
us-east-2, so the configuration is created there with pulumi-aws v7's per-resource ``region``; it
may subscribe topics of any region. Notifications carry alarm names and states, no Azora data.
Its role can only read CloudWatch, and so can anyone in the channel (guardrail policy; users must
also be authorised individually).

Outputs: ``configuration_arn``, ``role_arn``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .base import AzoraComponent

CHATBOT_REGION = "us-east-2"
READ_ONLY = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"


@dataclass(frozen=True)
class ChatChannelArgs:
    #: the configuration's name, e.g. ``azora-africa-alerts``
    name: str
    slack_team_id: str
    slack_channel_id: str
    topic_arns: Sequence[pulumi.Input[str]]
    logging_level: str = "ERROR"

    def validate(self) -> None:
        if not re.fullmatch(r"T[A-Z0-9]{4,}", self.slack_team_id):
            raise ValueError(f"ChatChannel: {self.slack_team_id!r} is not a Slack team id (T...)")
        if not re.fullmatch(r"[CG][A-Z0-9]{4,}", self.slack_channel_id):
            raise ValueError(f"ChatChannel: {self.slack_channel_id!r} is not a Slack channel id (C... or G...)")
        if not self.topic_arns:
            raise ValueError("ChatChannel: no topic to post")


class ChatChannel(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: ChatChannelArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:chat:ChatChannel", name, provider, opts)
        self.role = aws.iam.Role(
            self.child_name("role"), description=f"{args.name}: chat notifications (read-only CloudWatch)",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "chatbot.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            opts=self.child_opts())
        attachment = aws.iam.RolePolicyAttachment(
            self.child_name("role", "read-only"), role=self.role.name, policy_arn=READ_ONLY, opts=self.child_opts())
        self.configuration = aws.chatbot.SlackChannelConfiguration(
            self.child_name("slack"), region=CHATBOT_REGION, configuration_name=args.name,
            iam_role_arn=self.role.arn, slack_team_id=args.slack_team_id, slack_channel_id=args.slack_channel_id,
            sns_topic_arns=list(args.topic_arns), guardrail_policy_arns=[READ_ONLY],
            logging_level=args.logging_level, user_authorization_required=True,
            opts=self.child_opts(depends_on=[attachment]))
        self.configuration_arn: pulumi.Output[str] = self.configuration.chat_configuration_arn
        self.role_arn: pulumi.Output[str] = self.role.arn
        self.register_outputs({"configurationArn": self.configuration_arn, "roleArn": self.role_arn})
