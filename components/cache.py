"""`RegionalCache`: the region's ElastiCache (Valkey / Redis OSS) cluster, optionally a member of
a global datastore.

One replication group in cluster mode (keys spread over ``shards`` node groups, each with
``replicas_per_shard`` read replicas in other AZs), Multi-AZ with automatic failover, encrypted
at rest with the region's data key and in transit (TLS required), reachable on 6379 only from the
security groups given (the EKS nodes), authenticated with RBAC users whose password lives in
Secrets Manager, slow and engine logs in KMS-encrypted CloudWatch log groups.

Global datastore (``global_role``):

- ``"primary"``: creates the replication group, then the `GlobalReplicationGroup` from it;
  engine version, node type and shard count are then managed through the global group.
- ``"secondary"``: joins an existing global group (``global_replication_group_id``, read from
  the primary stack). AWS inherits engine, version, node type, shard count, parameter group and
  both encryption flags from the primary, and refuses them on a secondary, so they are omitted;
  the KMS key is this region's own data key. A global datastore has at most two secondaries.
- ``"none"``: a regional cache (the only choice for data classified ``personal``).

Cross-region failover is manual (`FailoverGlobalReplicationGroup`, run by the ops tooling); the
fields it rewrites are in ``ignore_changes`` so a later `pulumi up` does not fight it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from azora_infra.regions import DataClass
from azora_infra.tags import EXEMPT_PREFIX, data_tags

from .base import AzoraComponent
from .cache_catalog import (
    MAX_GLOBAL_SECONDARIES,
    global_datastore_region_error,
    global_node_type_error,
    parameter_group_family,
)

PORT = 6379
LOG_TYPES = ("slow-log", "engine-log")
#: what the application user may do: every key and channel, every command except the
#: @dangerous category (FLUSHALL, KEYS, CONFIG, DEBUG, ...)
APP_ACCESS_STRING = "on ~* &* +@all -@dangerous"
#: the mandatory ``default`` user is replaced by one that is switched off and can run nothing
DISABLED_ACCESS_STRING = "off -@all"
#: characters a generated ElastiCache password may contain besides letters and digits
#: (ElastiCache refuses space, ", / and @)
PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?"

#: fields AWS or the global group rewrite on the primary once it is in a global datastore:
#: engine, version and parameter group (the global group manages them), and after a failover
#: the group becomes a secondary. Scale through the global group instead.
PRIMARY_IGNORE = ["engine", "engineVersion", "parameterGroupName", "nodeType", "numNodeGroups",
                  "globalReplicationGroupId"]
#: after a cross-region failover the global group's primary is another region's group
GLOBAL_GROUP_IGNORE = ["primaryReplicationGroupId"]
#: a secondary inherits Multi-AZ and failover from the global group; its id never changes
SECONDARY_IGNORE = ["globalReplicationGroupId", "multiAzEnabled", "automaticFailoverEnabled"]

#: why the app secret has no SecretRotation yet (policy `secret-rotation`, exempted by tag):
#: AWS publishes no rotation function for ElastiCache RBAC users; see docs/components/cache.md
ROTATION_EXEMPTION = ("no AWS-published rotation function for ElastiCache RBAC users - "
                      "follow-up in docs/components/cache.md")

GlobalRole = Literal["none", "primary", "secondary"]
_IDENTIFIER = re.compile(r"^(?!.*--)[a-z][a-z0-9-]{0,38}[a-z0-9]$")


@dataclass(frozen=True)
class RegionalCacheArgs:
    region: str
    #: the replication group id (and prefix of the RBAC user ids): lowercase, <= 40 chars
    identifier: str
    vpc_id: pulumi.Input[str]
    #: the network's cache subnet group (isolated subnets, no route out)
    subnet_group_name: pulumi.Input[str]
    #: security groups allowed to connect on 6379 (the EKS node security group). Empty: nobody.
    allowed_security_group_ids: Sequence[pulumi.Input[str]]
    #: the region's KMS keys: data (at rest), logs (log groups), secrets (the app password)
    data_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    engine: Literal["valkey", "redis"] = "valkey"
    engine_version: str = "8.0"
    node_type: str = "cache.r7g.large"
    shards: int = 2
    replicas_per_shard: int = 1
    snapshot_retention_days: int = 7
    snapshot_window: str = "01:00-02:00"
    maintenance_window: str = "sun:03:00-sun:04:00"
    data_class: DataClass | str = DataClass.CONFIDENTIAL
    log_retention_days: int = 365
    global_role: GlobalRole = "none"
    #: secondaries: the global group id the primary stack exports (`cacheGlobalReplicationGroupId`)
    global_replication_group_id: pulumi.Input[str] | None = None
    #: primaries: the global group's id suffix (AWS prefixes it with a region-independent code)
    global_suffix: str | None = None
    app_user_name: str = "azora-app"
    app_access_string: str = APP_ACCESS_STRING
    #: Pulumi `protect` on the replication group and global group (and a final snapshot on delete)
    protect: bool = True


def _validate(args: RegionalCacheArgs) -> None:
    data_class = DataClass(args.data_class)
    if args.global_role != "none" and data_class is DataClass.PERSONAL:
        raise ValueError(
            "RegionalCache: a cache with data class 'personal' cannot be in a global datastore "
            "(personal data stays in its jurisdiction); use global_role='none'")
    if args.global_role == "secondary" and args.global_replication_group_id is None:
        raise ValueError("RegionalCache: a secondary needs global_replication_group_id "
                         "(from the primary stack)")
    if args.global_role != "secondary" and args.global_replication_group_id is not None:
        raise ValueError("RegionalCache: global_replication_group_id is only for global_role='secondary'")
    if args.shards < 1 or args.replicas_per_shard < 1:
        raise ValueError("RegionalCache: shards >= 1 and replicas_per_shard >= 1 "
                         "(Multi-AZ failover needs a replica)")
    if not 1 <= args.snapshot_retention_days <= 35:
        raise ValueError("RegionalCache: snapshot_retention_days must be 1-35")
    if args.global_role != "none":
        reason = global_datastore_region_error(args.region)
        if reason is None and args.global_role == "primary":
            # a secondary inherits the primary's node type
            reason = global_node_type_error(args.node_type)
        if reason:
            raise ValueError(f"RegionalCache: {reason}; use global_role='none' (a regional cache)")
    if not _IDENTIFIER.match(args.identifier):
        raise ValueError(f"RegionalCache: identifier {args.identifier!r} must be lowercase letters, "
                         "digits and single hyphens, start with a letter, <= 40 chars")


class RegionalCache(AzoraComponent):
    """A cluster-mode, Multi-AZ, encrypted ElastiCache replication group with RBAC.

    Outputs: ``replication_group_id``, ``arn``, ``configuration_endpoint`` (cluster-mode clients
    connect here, TLS on ``port``), ``port``, ``security_group_id``, ``user_group_id``,
    ``app_secret_arn`` (JSON: username, password, host, port, tls), ``log_group_names``
    (log type -> name) and, for the primary of a global datastore,
    ``global_replication_group_id`` (export it as ``cacheGlobalReplicationGroupId``).
    """

    def __init__(self, name: str, args: RegionalCacheArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:cache:RegionalCache", name, provider, opts)
        _validate(args)
        self._args = args
        self._tags = data_tags(DataClass(args.data_class).value)
        self._security_group()
        self._logs()
        app_password = self._users()
        self._replication_group()
        self.global_group: aws.elasticache.GlobalReplicationGroup | None = None
        if args.global_role == "primary":
            self._global_group()

        self.replication_group_id: pulumi.Output[str] = self.replication_group.id
        self.arn: pulumi.Output[str] = self.replication_group.arn
        self.configuration_endpoint: pulumi.Output[str] = (
            self.replication_group.configuration_endpoint_address)
        self.port = PORT
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        self.user_group_id: pulumi.Output[str] = self.user_group.user_group_id
        self.log_group_names = {t: g.name for t, g in self.log_groups.items()}
        self.global_replication_group_id: pulumi.Output[str] | None = (
            self.global_group.global_replication_group_id if self.global_group else None)
        self._app_secret(app_password)
        self.app_secret_arn: pulumi.Output[str] = self.app_secret.arn

        outputs: dict[str, object] = {
            "replicationGroupId": self.replication_group_id, "arn": self.arn,
            "configurationEndpoint": self.configuration_endpoint, "port": self.port,
            "securityGroupId": self.security_group_id, "userGroupId": self.user_group_id,
            "appSecretArn": self.app_secret_arn, "logGroupNames": self.log_group_names,
        }
        if self.global_replication_group_id is not None:
            outputs["globalReplicationGroupId"] = self.global_replication_group_id
        self.register_outputs(outputs)

    def _security_group(self) -> None:
        args = self._args
        self.security_group = aws.ec2.SecurityGroup(
            self.child_name("sg"), vpc_id=args.vpc_id,
            description=f"ElastiCache {args.identifier}: {PORT} from the allowed security groups only",
            ingress=[aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=PORT, to_port=PORT,
                security_groups=list(args.allowed_security_group_ids),
                description="Valkey/Redis (TLS) from the application nodes")]
            if args.allowed_security_group_ids else [],
            egress=[],
            tags={"Name": self.child_name("sg")}, opts=self.child_opts())

    def _logs(self) -> None:
        """Slow log and engine log, JSON, each in its own KMS-encrypted group."""
        args = self._args
        self.log_groups: dict[str, aws.cloudwatch.LogGroup] = {}
        for log_type in LOG_TYPES:
            self.log_groups[log_type] = aws.cloudwatch.LogGroup(
                self.child_name(log_type), name=f"/aws/elasticache/{args.identifier}/{log_type}",
                retention_in_days=args.log_retention_days, kms_key_id=args.logs_key_arn,
                tags=self._tags, opts=self.child_opts())

    def _users(self) -> random.RandomPassword:
        """RBAC: the mandatory "default" user, switched off; an application user whose password is
        generated here (returned) and kept only in Secrets Manager (`_app_secret`)."""
        args, tags = self._args, self._tags
        user_engine = args.engine
        default_password = random.RandomPassword(
            self.child_name("default-user"), length=64, special=True,
            override_special=PASSWORD_SPECIALS, opts=pulumi.ResourceOptions(parent=self))
        self.default_user = aws.elasticache.User(
            self.child_name("default-user"), user_id=f"{args.identifier}-default-off",
            user_name="default", engine=user_engine, access_string=DISABLED_ACCESS_STRING,
            authentication_mode=aws.elasticache.UserAuthenticationModeArgs(
                type="password", passwords=[default_password.result]),
            tags=tags, opts=self.child_opts())
        app_password = random.RandomPassword(
            self.child_name("app-user"), length=64, special=True,
            override_special=PASSWORD_SPECIALS, opts=pulumi.ResourceOptions(parent=self))
        self.app_user = aws.elasticache.User(
            self.child_name("app-user"), user_id=f"{args.identifier}-app", user_name=args.app_user_name,
            engine=user_engine, access_string=args.app_access_string,
            authentication_mode=aws.elasticache.UserAuthenticationModeArgs(
                type="password", passwords=[app_password.result]),
            tags=tags, opts=self.child_opts())
        self.user_group = aws.elasticache.UserGroup(
            self.child_name("users"), user_group_id=f"{args.identifier}-users", engine=user_engine,
            user_ids=[self.default_user.user_id, self.app_user.user_id],
            tags=tags, opts=self.child_opts())
        return app_password

    def _replication_group(self) -> None:
        """The cluster-mode parameter group (not on a secondary) and the replication group."""
        args, tags = self._args, self._tags
        secondary = args.global_role == "secondary"
        family = parameter_group_family(args.engine, args.engine_version)
        self.parameter_group: aws.elasticache.ParameterGroup | None = None
        if not secondary:
            self.parameter_group = aws.elasticache.ParameterGroup(
                self.child_name("params"), name=f"{args.identifier}-{family.replace('.', '-')}", family=family,
                description=f"{args.identifier}: cluster mode ({family})",
                parameters=[aws.elasticache.ParameterGroupParameterArgs(name="cluster-enabled", value="yes")],
                tags=tags, opts=self.child_opts())
        ignore = {"primary": PRIMARY_IGNORE, "secondary": SECONDARY_IGNORE, "none": None}[args.global_role]
        # A secondary takes engine, version, node type, shard count, parameter group and both
        # encryption flags from the global datastore (AWS refuses them there): they stay unset.
        self.replication_group = aws.elasticache.ReplicationGroup(
            self.child_name("rg"),
            description=f"Azora cache {args.identifier} ({args.region})",
            replication_group_id=args.identifier,
            global_replication_group_id=args.global_replication_group_id if secondary else None,
            engine=None if secondary else args.engine,
            engine_version=None if secondary else args.engine_version,
            node_type=None if secondary else args.node_type,
            cluster_mode=None if secondary else "enabled",
            num_node_groups=None if secondary else args.shards,
            replicas_per_node_group=args.replicas_per_shard,
            parameter_group_name=self.parameter_group.name if self.parameter_group else None,
            at_rest_encryption_enabled=None if secondary else True,
            kms_key_id=args.data_key_arn,
            transit_encryption_enabled=None if secondary else True,
            transit_encryption_mode=None if secondary else "required",
            multi_az_enabled=True,
            automatic_failover_enabled=True,
            port=PORT,
            subnet_group_name=args.subnet_group_name,
            security_group_ids=[self.security_group.id],
            user_group_ids=[self.user_group.user_group_id],
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            maintenance_window=args.maintenance_window,
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            final_snapshot_identifier=f"{args.identifier}-final" if args.protect else None,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=group.name, destination_type="cloudwatch-logs", log_format="json",
                    log_type=log_type)
                for log_type, group in self.log_groups.items()],
            tags=tags,
            opts=self.child_opts(protect=args.protect, ignore_changes=ignore))

    def _global_group(self) -> None:
        """The global datastore, created from the primary group; afterwards engine version, node
        type and shard count change here, and AWS rolls them out to every member."""
        args = self._args
        self.global_group = aws.elasticache.GlobalReplicationGroup(
            self.child_name("global"),
            global_replication_group_id_suffix=args.global_suffix or args.identifier,
            global_replication_group_description=(
                f"Azora global cache: primary {args.identifier} in {args.region}, "
                f"up to {MAX_GLOBAL_SECONDARIES} secondary regions"),
            primary_replication_group_id=self.replication_group.id,
            automatic_failover_enabled=True,
            cache_node_type=args.node_type,
            engine_version=args.engine_version,
            num_node_groups=args.shards,
            opts=self.child_opts(protect=args.protect, ignore_changes=GLOBAL_GROUP_IGNORE))

    def _app_secret(self, app_password: random.RandomPassword) -> None:
        """The application user's credentials and endpoint, in Secrets Manager (secrets key)."""
        args = self._args
        self.app_secret = aws.secretsmanager.Secret(
            self.child_name("app-secret"), name=f"azora/cache/{args.identifier}/{args.app_user_name}",
            description=f"RBAC credentials of {args.app_user_name} on ElastiCache {args.identifier}",
            kms_key_id=args.secrets_key_arn, recovery_window_in_days=30 if args.protect else 7,
            tags={**self._tags, f"{EXEMPT_PREFIX}secret-rotation": ROTATION_EXEMPTION}, opts=self.child_opts())
        secret_doc = pulumi.Output.all(app_password.result, self.configuration_endpoint).apply(
            lambda v: json.dumps({"username": args.app_user_name, "password": v[0], "host": v[1],
                                  "port": PORT, "tls": True, "cluster": True}))
        aws.secretsmanager.SecretVersion(
            self.child_name("app-secret"), secret_id=self.app_secret.id,
            secret_string=secret_doc, opts=self.child_opts())
