"""Master credentials of an Aurora PostgreSQL cluster: a generated password kept in Secrets
Manager, rotated on a schedule by the AWS-published rotation function.

Why not RDS-managed master passwords (``manage_master_user_password``)? They are not supported
on clusters in an Aurora global database, so the library generates the password itself
(`pulumi_random.RandomPassword`), stores it in a Secrets Manager secret encrypted with the
region's ``secrets`` KMS key, and deploys the AWS Serverless Application Repository app
``SecretsManagerRDSPostgreSQLRotationSingleUser`` to rotate it (every 30 days by default). The
same scheme serves the resident (regional) database so both databases are operated alike.
Secondary clusters of the global database take no credentials: they share the primary's users.

After creation the rotation function owns the password: the cluster ignores changes to
``masterPassword`` and the secret version ignores changes to ``secretString``, so a later
`pulumi up` never writes the original (stale) password back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from .base import AzoraComponent

ROTATION_APP_ID = ("arn:aws:serverlessrepo:us-east-1:297356227824:applications/"
                   "SecretsManagerRDSPostgreSQLRotationSingleUser")
#: the app version pinned (the version AWS CDK pins for the `aws` partition)
ROTATION_APP_VERSION = "1.1.671"
#: the IAM and resource-policy capabilities the app's template needs (its role and the
#: permission that lets Secrets Manager invoke the function)
ROTATION_APP_CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY")
#: special characters a generated master password may contain: RDS refuses / @ " and space,
#: and ' and \\ are left out so the password survives shells and connection strings
PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?.,~^"
#: what the rotation function must never put in a new password (same rule as above)
EXCLUDE_CHARACTERS = "/@\"'\\ "
PASSWORD_LENGTH = 40
PORT = 5432


def master_password(name: str, opts: pulumi.ResourceOptions, length: int = PASSWORD_LENGTH) -> random.RandomPassword:
    """A password RDS accepts as a master password (>= 32 characters, none of / @ " or space)."""
    if length < 32:
        raise ValueError("master passwords are at least 32 characters")
    return random.RandomPassword(
        name, length=length, special=True, override_special=PASSWORD_SPECIALS,
        min_lower=2, min_upper=2, min_numeric=2, min_special=2, opts=opts)


def secret_document(*, username: str, password: str, host: str, port: int, cluster_identifier: str,
                    dbname: str) -> str:
    """The secret's JSON in the structure the AWS rotation functions expect for Aurora PostgreSQL."""
    return json.dumps({
        "engine": "postgres", "host": host, "port": port, "username": username, "password": password,
        "dbname": dbname, "dbClusterIdentifier": cluster_identifier,
    })


@dataclass(frozen=True)
class SecretRotationArgs:
    region: str
    #: the secret to rotate (its JSON follows `secret_document`)
    secret_arn: pulumi.Input[str]
    #: the KMS key encrypting the secret (the function gets decrypt/encrypt on it)
    secrets_key_arn: pulumi.Input[str]
    #: subnets the function runs in (the database subnets; they reach Secrets Manager and KMS
    #: through the VPC's interface endpoints)
    subnet_ids: Sequence[pulumi.Input[str]]
    #: the function's security group (created by the caller so the database can admit it)
    function_security_group_id: pulumi.Input[str]
    #: the database's security group (the function connects to it on 5432)
    database_security_group_id: pulumi.Input[str]
    #: the Lambda function name (<= 64 characters, unique in the region)
    function_name: str
    #: the interface endpoints' security group: HTTPS egress goes only there. Unset: HTTPS egress
    #: to anywhere (subnets with a NAT route and no endpoints).
    endpoint_security_group_id: pulumi.Input[str] | None = None
    rotation_days: int = 30
    app_version: str = ROTATION_APP_VERSION


class SecretRotation(AzoraComponent):
    """Rotates an Aurora PostgreSQL master secret with the AWS-published single-user function.

    Creates the function's egress rules (5432 to the database, 443 to the API endpoints), the
    Serverless Application Repository stack (`aws.serverlessrepository.CloudFormationStack`) and
    the `aws.secretsmanager.SecretRotation` schedule.

    Outputs: ``function_arn``, ``stack_id``.
    """

    def __init__(self, name: str, args: SecretRotationArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:database:SecretRotation", name, provider, opts)
        if not 1 <= args.rotation_days <= 365:
            raise ValueError("SecretRotation: rotation_days must be 1-365")
        if not 1 <= len(args.function_name) <= 64:
            raise ValueError(f"SecretRotation: function name {args.function_name!r} must be 1-64 characters")
        aws.vpc.SecurityGroupEgressRule(
            self.child_name("to-database"), security_group_id=args.function_security_group_id,
            ip_protocol="tcp", from_port=PORT, to_port=PORT,
            referenced_security_group_id=args.database_security_group_id,
            description="PostgreSQL to the database it rotates", opts=self.child_opts())
        if args.endpoint_security_group_id is not None:
            aws.vpc.SecurityGroupEgressRule(
                self.child_name("to-endpoints"), security_group_id=args.function_security_group_id,
                ip_protocol="tcp", from_port=443, to_port=443,
                referenced_security_group_id=args.endpoint_security_group_id,
                description="HTTPS to the Secrets Manager and KMS interface endpoints", opts=self.child_opts())
        else:
            aws.vpc.SecurityGroupEgressRule(
                self.child_name("to-aws-apis"), security_group_id=args.function_security_group_id,
                ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0",
                description="HTTPS to the Secrets Manager and KMS APIs", opts=self.child_opts())
        subnets = pulumi.Output.all(*args.subnet_ids).apply(lambda ids: ",".join(str(i) for i in ids))
        self.stack = aws.serverlessrepository.CloudFormationStack(
            self.child_name("function"),
            # SAR prefixes the CloudFormation stack name with "serverlessrepo-"
            name=args.function_name,
            application_id=ROTATION_APP_ID,
            semantic_version=args.app_version,
            capabilities=list(ROTATION_APP_CAPABILITIES),
            parameters={
                "endpoint": f"https://secretsmanager.{args.region}.amazonaws.com",
                "functionName": args.function_name,
                "vpcSubnetIds": subnets,
                "vpcSecurityGroupIds": args.function_security_group_id,
                "kmsKeyArn": args.secrets_key_arn,
                "excludeCharacters": EXCLUDE_CHARACTERS,
            },
            opts=self.child_opts())
        self.function_arn: pulumi.Output[str] = self.stack.outputs.apply(lambda o: str(o["RotationLambdaARN"]))
        self.rotation = aws.secretsmanager.SecretRotation(
            self.child_name("schedule"),
            secret_id=args.secret_arn,
            rotation_lambda_arn=self.function_arn,
            rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                automatically_after_days=args.rotation_days),
            opts=self.child_opts())
        self.stack_id: pulumi.Output[str] = self.stack.id
        self.register_outputs({"functionArn": self.function_arn, "stackId": self.stack_id})
