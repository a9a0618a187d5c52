"""A primary exports a key ARN; each secondary reads it through a StackReference and uses it.

``referencing:runLog`` (optional): a file the program appends its stack name and the planner's
parent pid to each time it runs, so a test can count how often each stack was planned and by whom."""

import os

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
log = config.get("runLog")
if log:
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"{pulumi.get_stack()} {os.getppid()}\n")
if config.require("role") == "primary":
    key = aws.kms.Key("shared", enable_key_rotation=True, description="shared by the secondaries")
    pulumi.export("keyArn", key.arn)
    pulumi.export("region", config.require("region"))
else:
    primary = pulumi.StackReference("primary", stack_name=config.require("primaryStack"))
    key_arn = primary.get_output("keyArn")
    aws.cloudwatch.LogGroup("logs", retention_in_days=30, kms_key_id=key_arn)
    pulumi.export("primaryKeyArn", key_arn)
