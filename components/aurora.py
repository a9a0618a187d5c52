"""Aurora PostgreSQL: `AuroraGlobalDatabase` (the global cluster) and `AuroraCluster` (a regional
cluster: primary or secondary of the global database, or a resident regional database).

`AuroraCluster` is used three ways (``global_role``):

- ``"primary"``: joins the `aws.rds.GlobalCluster` of an `AuroraGlobalDatabase` created in the
  same (primary) stack, with generated master credentials (see `components.db_credentials`:
  RDS-managed master passwords are not supported on global clusters).
- ``"secondary"``: joins an existing global cluster by identifier (read from the primary stack's
  ``globalClusterIdentifier`` export with `global_cluster_identifier_from`). No master user,
  password or database name (it replicates the primary's), its own region's KMS key, global
  write forwarding on.
- ``"none"``: a resident regional cluster outside the global cluster, the only home for data
  classified ``personal`` (it never leaves its jurisdiction).

After a switchover or failover (`aws rds switchover-global-cluster` /
`failover-global-cluster`, run by operators; see docs/runbooks/aurora-switchover-failover.md)
AWS rewrites which cluster replicates from which; the fields it rewrites are in
``ignore_changes`` on every member, so a later `pulumi up` never fights the new topology.

Every cluster: encrypted with the region's data key, TLS forced (``rds.force_ssl``), IAM
database authentication, PostgreSQL logs exported to a KMS-encrypted log group, automated
backups (point-in-time recovery) for up to 35 days, tags copied to snapshots, a final snapshot on
delete, deletion protection and Pulumi ``protect`` in production, reachable on 5432 only from the
given security groups, instances keyed by name with Performance Insights and enhanced
monitoring, reader auto scaling on average reader CPU.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from azora_infra.regions import DataClass
from azora_infra.tags import data_tags

from .base import AzoraComponent
from .db_credentials import (
    PORT,
    ROTATION_APP_VERSION,
    SecretRotation,
    SecretRotationArgs,
    master_password,
    secret_document,
)

ENGINE = "aurora-postgresql"
GlobalRole = Literal["none", "primary", "secondary"]
#: the stack export a secondary reads (through a StackReference) to join the global cluster
GLOBAL_ID_EXPORT = "globalClusterIdentifier"
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
#: What AWS rewrites on a member of a global cluster after a switchover or failover (which cluster
#: is primary, where it replicates from), what the global cluster changes on its members
#: (engine version upgrades), and what only matters at creation or belongs to the rotation
#: function afterwards (snapshot, master user and password, database name). `pulumi up` must not
#: fight the ops tooling after a real failover.
GLOBAL_MEMBER_IGNORE = (
    "globalClusterIdentifier", "replicationSourceIdentifier", "sourceRegion", "engineVersion",
    "snapshotIdentifier", "masterUsername", "masterPassword", "databaseName",
)
#: a resident cluster: the rotation function owns the password; minor versions arrive through
#: auto minor version upgrades in the maintenance window
RESIDENT_IGNORE = ("masterPassword", "engineVersion", "snapshotIdentifier")
#: PostgreSQL logging kept in the cluster parameter group (dynamic: applied immediately)
LOGGING_PARAMETERS: dict[str, str] = {
    "log_connections": "1",
    "log_disconnections": "1",
    "log_lock_waits": "1",
    "log_statement": "ddl",
}


@dataclass(frozen=True)
class AuroraInstanceSpec:
    """One DB instance of the cluster (keyed by name in `AuroraClusterArgs.instances`)."""

    instance_class: str = "db.r7g.large"
    writer: bool = False
    #: failover priority (0 first); unset: 0 for the writer, 1 for readers
    promotion_tier: int | None = None


@dataclass(frozen=True)
class ReaderAutoscaling:
    """Aurora Auto Scaling of the reader count on average reader CPU (target tracking)."""

    min_readers: int = 1
    max_readers: int = 5
    target_cpu_percent: float = 70.0
    scale_in_cooldown_seconds: int = 600
    scale_out_cooldown_seconds: int = 300


def _default_instances() -> dict[str, AuroraInstanceSpec]:
    return {"writer": AuroraInstanceSpec(writer=True), "reader-1": AuroraInstanceSpec()}


@dataclass(frozen=True)
class AuroraClusterArgs:
    region: str
    #: the cluster identifier (instances are ``<identifier>-<name>``): lowercase, <= 50 chars
    cluster_identifier: str
    vpc_id: pulumi.Input[str]
    #: the network's database subnet group (isolated subnets, no route out)
    db_subnet_group_name: pulumi.Input[str]
    #: security groups allowed to connect on 5432 (the EKS node security group). Empty: nobody.
    allowed_security_group_ids: Sequence[pulumi.Input[str]]
    #: the region's KMS keys: data (storage, Performance Insights), logs, secrets (master secret)
    data_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    #: database subnets the rotation function runs in (needed unless global_role is "secondary")
    database_subnet_ids: Sequence[pulumi.Input[str]] = ()
    #: the VPC's interface-endpoint security group (rotation function HTTPS egress goes only there)
    endpoint_security_group_id: pulumi.Input[str] | None = None
    engine_version: str = "16.6"
    data_class: DataClass | str = DataClass.INTERNAL
    global_role: GlobalRole = "none"
    #: primary: the `AuroraGlobalDatabase.global_cluster_identifier`; secondary: the primary
    #: stack's ``globalClusterIdentifier`` export (see `global_cluster_identifier_from`)
    global_cluster_identifier: pulumi.Input[str] | None = None
    instances: Mapping[str, AuroraInstanceSpec] = field(default_factory=_default_instances)
    #: None: no reader auto scaling
    autoscaling: ReaderAutoscaling | None = field(default_factory=ReaderAutoscaling)
    database_name: str = "azora"
    master_username: str = "azora_admin"
    backup_retention_days: int = 35
    preferred_backup_window: str = "00:30-01:30"
    preferred_maintenance_window: str = "sun:02:00-sun:03:00"
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 15
    secret_rotation_days: int = 30
    rotation_app_version: str = ROTATION_APP_VERSION
    log_retention_days: int = 365
    ssl_min_protocol_version: str = "TLSv1.2"
    log_min_duration_statement_ms: int = 1000
    deletion_protection: bool = True
    #: Pulumi `protect` on the cluster and its master secret
    protect: bool = True


def _validate(args: AuroraClusterArgs) -> None:
    data_class = DataClass(args.data_class)
    if args.global_role != "none" and data_class is DataClass.PERSONAL:
        raise ValueError(
            "AuroraCluster: a database with data class 'personal' cannot be in the global database "
            "(it replicates to every region; personal data stays in its jurisdiction); use global_role='none'")
    if args.global_role != "none" and args.global_cluster_identifier is None:
        raise ValueError(f"AuroraCluster: global_role={args.global_role!r} needs global_cluster_identifier")
    if args.global_role == "none" and args.global_cluster_identifier is not None:
        raise ValueError("AuroraCluster: global_cluster_identifier is only for a primary or secondary")
    if args.global_role != "secondary" and not args.database_subnet_ids:
        raise ValueError("AuroraCluster: database_subnet_ids are needed for the password rotation function")
    ident = args.cluster_identifier
    if not (1 <= len(ident) <= 50 and ident[0].isalpha() and ident == ident.lower()
            and ident.replace("-", "").isalnum() and "--" not in ident and not ident.endswith("-")):
        raise ValueError(f"AuroraCluster: cluster_identifier {ident!r} must be lowercase letters, digits and "
                         "single '-', start with a letter, <= 50 chars")
    writers = [n for n, s in args.instances.items() if s.writer]
    if len(writers) != 1:
        raise ValueError(f"AuroraCluster: exactly one writer instance is required (got {sorted(writers)})")
    if not 1 <= args.backup_retention_days <= 35:
        raise ValueError("AuroraCluster: backup_retention_days must be 1-35")
    if args.monitoring_interval_seconds not in (1, 5, 10, 15, 30, 60):
        raise ValueError("AuroraCluster: monitoring_interval_seconds must be 1, 5, 10, 15, 30 or 60")
    scaling = args.autoscaling
    if scaling is not None and not 0 <= scaling.min_readers <= scaling.max_readers <= 15:
        raise ValueError("AuroraCluster: autoscaling needs 0 <= min_readers <= max_readers <= 15")


def global_cluster_identifier_from(reference: pulumi.StackReference) -> pulumi.Output[str]:
    """The global cluster identifier the primary stack exports (``globalClusterIdentifier``)."""
    return reference.require_output(GLOBAL_ID_EXPORT).apply(str)


def primary_stack_name(primary_stack: str, organization: str | None = None) -> str:
    """The fully qualified name of the primary stack: ``<org>/<project>/<stack>``."""
    org = organization or pulumi.get_organization()
    return f"{org}/{pulumi.get_project()}/{primary_stack}"


@dataclass(frozen=True)
class AuroraGlobalDatabaseArgs:
    #: the global cluster identifier (secondaries join by it)
    global_cluster_identifier: str
    engine_version: str = "16.6"
    data_class: DataClass | str = DataClass.INTERNAL
    deletion_protection: bool = True
    protect: bool = True


class AuroraGlobalDatabase(AzoraComponent):
    """The Aurora PostgreSQL global cluster (created in the primary stack only).

    Engine and version pinned, storage encrypted, deletion protection. It never holds personal
    data. Outputs: ``global_cluster_identifier`` (export it as ``globalClusterIdentifier``),
    ``arn``.
    """

    def __init__(self, name: str, args: AuroraGlobalDatabaseArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        data_class = DataClass(args.data_class)
        if data_class is DataClass.PERSONAL:
            raise ValueError("AuroraGlobalDatabase: the global database replicates to every region and "
                             "cannot hold personal data (personal data stays in its jurisdiction)")
        super().__init__("azora:database:GlobalDatabase", name, provider, opts)
        self.global_cluster = aws.rds.GlobalCluster(
            self.child_name("cluster"),
            global_cluster_identifier=args.global_cluster_identifier,
            engine=ENGINE,
            engine_version=args.engine_version,
            storage_encrypted=True,
            deletion_protection=args.deletion_protection,
            tags=data_tags(data_class.value),
            opts=self.child_opts(protect=args.protect))
        self.global_cluster_identifier: pulumi.Output[str] = self.global_cluster.global_cluster_identifier
        self.arn: pulumi.Output[str] = self.global_cluster.arn
        self.register_outputs({"globalClusterIdentifier": self.global_cluster_identifier, "arn": self.arn})


def monitoring_trust_policy(region: str, account_id: str) -> str:
    """Enhanced Monitoring may assume the role only for DB instances of this account in this region
    (``aws:SourceAccount`` and ``aws:SourceArn``: the confused-deputy protection the RDS user guide
    gives for Enhanced Monitoring roles). Not narrowed to this cluster's instance names: readers
    that Aurora Auto Scaling adds are named ``application-autoscaling-<id>``."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:rds:{region}:{account_id}:db:*"}}}]})


class AuroraCluster(AzoraComponent):
    """A regional Aurora PostgreSQL cluster (global primary, global secondary or resident).

    Outputs: ``cluster_identifier``, ``arn``, ``endpoint`` (writer; on a secondary it serves
    reads and forwards writes), ``reader_endpoint``, ``port``, ``security_group_id``,
    ``instance_identifiers`` (name -> identifier), ``log_group_name``, ``secret_arn`` (the master
    secret; None on a secondary), ``rotation_function_arn`` (None on a secondary).
    """

    def __init__(self, name: str, args: AuroraClusterArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(args)
        super().__init__("azora:database:AuroraCluster", name, provider, opts)
        self._args = args
        self._tags = data_tags(DataClass(args.data_class).value)
        has_credentials = args.global_role != "secondary"
        self._security_groups(has_credentials)
        self._parameter_group()
        monitoring_role = self._monitoring_and_logs()
        self.secret: aws.secretsmanager.Secret | None = None
        password = self._master_secret() if has_credentials else None
        self._cluster(password)
        self._instances(monitoring_role)
        if args.autoscaling is not None:
            self._reader_autoscaling(args.autoscaling)
        self.rotation: SecretRotation | None = None
        if self.secret is not None and password is not None and self.rotation_security_group is not None:
            self.rotation = self._rotation(password, self.secret, self.rotation_security_group)

        self.cluster_identifier: pulumi.Output[str] = self.cluster.cluster_identifier
        self.arn: pulumi.Output[str] = self.cluster.arn
        self.endpoint: pulumi.Output[str] = self.cluster.endpoint
        self.reader_endpoint: pulumi.Output[str] = self.cluster.reader_endpoint
        self.port = PORT
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        self.instance_identifiers = {n: i.identifier for n, i in self.instances.items()}
        self.log_group_name: pulumi.Output[str] = self.log_group.name
        self.secret_arn: pulumi.Output[str] | None = self.secret.arn if self.secret is not None else None
        self.rotation_function_arn = self.rotation.function_arn if self.rotation is not None else None
        self.register_outputs({
            "clusterIdentifier": self.cluster_identifier, "arn": self.arn, "endpoint": self.endpoint,
            "readerEndpoint": self.reader_endpoint, "port": self.port,
            "securityGroupId": self.security_group_id, "instanceIdentifiers": self.instance_identifiers,
            "logGroupName": self.log_group_name, "secretArn": self.secret_arn,
        })

    def _security_groups(self, has_credentials: bool) -> None:
        """5432 only from the allowed security groups (and the rotation function's, when there is
        one: a secondary has no credentials to rotate)."""
        args, ident = self._args, self._args.cluster_identifier
        self.rotation_security_group: aws.ec2.SecurityGroup | None = None
        if has_credentials:
            # no inline rules: its egress rules are standalone (they reference the database SG)
            self.rotation_security_group = aws.ec2.SecurityGroup(
                self.child_name("rotation-sg"), vpc_id=args.vpc_id,
                description=f"Password rotation function of {ident}",
                tags={"Name": self.child_name("rotation-sg")}, opts=self.child_opts())
        sources: list[pulumi.Input[str]] = list(args.allowed_security_group_ids)
        if self.rotation_security_group is not None:
            sources.append(self.rotation_security_group.id)
        self.security_group = aws.ec2.SecurityGroup(
            self.child_name("sg"), vpc_id=args.vpc_id,
            description=f"Aurora {ident}: {PORT} from the allowed security groups only",
            ingress=[aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=PORT, to_port=PORT, security_groups=sources,
                description="PostgreSQL from the allowed security groups")] if sources else [],
            egress=[],
            tags={"Name": self.child_name("sg")}, opts=self.child_opts())

    def _parameter_group(self) -> None:
        """TLS required, connection/DDL/slow-statement logging."""
        args, ident = self._args, self._args.cluster_identifier
        family = f"{ENGINE}{args.engine_version.split('.')[0]}"
        parameters = [
            aws.rds.ClusterParameterGroupParameterArgs(name="rds.force_ssl", value="1",
                                                       apply_method="pending-reboot"),
            aws.rds.ClusterParameterGroupParameterArgs(name="ssl_min_protocol_version",
                                                       value=args.ssl_min_protocol_version,
                                                       apply_method="pending-reboot"),
            *(aws.rds.ClusterParameterGroupParameterArgs(name=k, value=v, apply_method="immediate")
              for k, v in LOGGING_PARAMETERS.items()),
            aws.rds.ClusterParameterGroupParameterArgs(
                name="log_min_duration_statement", value=str(args.log_min_duration_statement_ms),
                apply_method="immediate"),
        ]
        self.parameter_group = aws.rds.ClusterParameterGroup(
            self.child_name("params"), name=f"{ident}-{family}", family=family,
            description=f"{ident}: TLS required, connection and DDL logging", parameters=parameters,
            opts=self.child_opts())

    def _monitoring_and_logs(self) -> aws.iam.Role:
        """The enhanced monitoring role (returned) and the KMS-encrypted PostgreSQL log group."""
        args, ident = self._args, self._args.cluster_identifier
        identity = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(provider=self.provider, parent=self))
        monitoring_role = aws.iam.Role(
            self.child_name("monitoring"),
            assume_role_policy=identity.account_id.apply(
                lambda acct: monitoring_trust_policy(args.region, acct)),
            description=f"Enhanced monitoring of {ident}", opts=self.child_opts())
        aws.iam.RolePolicyAttachment(
            self.child_name("monitoring"), role=monitoring_role.name, policy_arn=ENHANCED_MONITORING_POLICY,
            opts=self.child_opts())
        # RDS would create this group itself on first export, unencrypted and kept forever
        self.log_group = aws.cloudwatch.LogGroup(
            self.child_name("postgresql"), name=f"/aws/rds/cluster/{ident}/postgresql",
            retention_in_days=args.log_retention_days, kms_key_id=args.logs_key_arn,
            tags=self._tags, opts=self.child_opts())
        return monitoring_role

    def _master_secret(self) -> random.RandomPassword:
        """The generated master password (returned) and the secret that will hold it (not on a
        secondary: it replicates the primary's users)."""
        args, ident = self._args, self._args.cluster_identifier
        password = master_password(self.child_name("master-password"), pulumi.ResourceOptions(parent=self))
        self.secret = aws.secretsmanager.Secret(
            self.child_name("master"), name=f"rds/{ident}/master",
            description=f"Master user of Aurora cluster {ident} (rotated every "
                        f"{args.secret_rotation_days} days)",
            kms_key_id=args.secrets_key_arn, recovery_window_in_days=30,
            tags=data_tags(DataClass.CONFIDENTIAL.value),
            opts=self.child_opts(protect=args.protect))
        return password

    def _cluster(self, password: random.RandomPassword | None) -> None:
        args, ident = self._args, self._args.cluster_identifier
        member = args.global_role != "none"
        ignore = GLOBAL_MEMBER_IGNORE if member else RESIDENT_IGNORE
        self.cluster = aws.rds.Cluster(
            self.child_name("cluster"),
            cluster_identifier=ident, engine=ENGINE, engine_version=args.engine_version,
            port=PORT, db_subnet_group_name=args.db_subnet_group_name,
            vpc_security_group_ids=[self.security_group.id],
            db_cluster_parameter_group_name=self.parameter_group.name,
            storage_encrypted=True, kms_key_id=args.data_key_arn,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window=args.preferred_backup_window,
            preferred_maintenance_window=args.preferred_maintenance_window,
            copy_tags_to_snapshot=True,
            skip_final_snapshot=False, final_snapshot_identifier=f"{ident}-final",
            deletion_protection=args.deletion_protection,
            allow_major_version_upgrade=False,
            global_cluster_identifier=args.global_cluster_identifier if member else None,
            # forwards writes from a secondary; on the primary it takes effect if it is demoted
            enable_global_write_forwarding=True if member else None,
            # a secondary replicates the primary's users and databases: no credentials
            master_username=args.master_username if password is not None else None,
            master_password=password.result if password is not None else None,
            database_name=args.database_name if password is not None else None,
            tags=self._tags,
            opts=self.child_opts(protect=args.protect, ignore_changes=list(ignore),
                                 depends_on=[self.log_group]))

    def _instances(self, monitoring_role: aws.iam.Role) -> None:
        """Instances keyed by name: the writer first, then the readers."""
        args, ident = self._args, self._args.cluster_identifier
        self.instances: dict[str, aws.rds.ClusterInstance] = {}
        ordered = sorted(args.instances.items(), key=lambda kv: (not kv[1].writer, kv[0]))
        writer: aws.rds.ClusterInstance | None = None
        for inst_name, spec in ordered:
            tier = spec.promotion_tier if spec.promotion_tier is not None else (0 if spec.writer else 1)
            instance = aws.rds.ClusterInstance(
                self.child_name(inst_name),
                identifier=f"{ident}-{inst_name}", cluster_identifier=self.cluster.id,
                engine=aws.rds.EngineType.AURORA_POSTGRESQL, instance_class=spec.instance_class,
                db_subnet_group_name=args.db_subnet_group_name, publicly_accessible=False,
                performance_insights_enabled=True, performance_insights_kms_key_id=args.data_key_arn,
                performance_insights_retention_period=args.performance_insights_retention_days,
                monitoring_interval=args.monitoring_interval_seconds, monitoring_role_arn=monitoring_role.arn,
                auto_minor_version_upgrade=True, promotion_tier=tier, copy_tags_to_snapshot=True,
                preferred_maintenance_window=args.preferred_maintenance_window,
                tags={**self._tags, "azora:db-role": "writer" if spec.writer else "reader"},
                # Aurora makes the first instance of a cluster its writer
                opts=self.child_opts(depends_on=[writer] if writer is not None else None))
            if spec.writer:
                writer = instance
            self.instances[inst_name] = instance

    def _reader_autoscaling(self, scaling: ReaderAutoscaling) -> None:
        """Reader auto scaling on average reader CPU (target tracking)."""
        target = aws.appautoscaling.Target(
            self.child_name("readers"),
            service_namespace="rds", scalable_dimension="rds:cluster:ReadReplicaCount",
            resource_id=self.cluster.cluster_identifier.apply(lambda c: f"cluster:{c}"),
            min_capacity=scaling.min_readers, max_capacity=scaling.max_readers,
            opts=self.child_opts(depends_on=list(self.instances.values())))
        aws.appautoscaling.Policy(
            self.child_name("readers-cpu"),
            name=f"{self._args.cluster_identifier}-reader-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="RDSReaderAverageCPUUtilization"),
                target_value=scaling.target_cpu_percent,
                scale_in_cooldown=scaling.scale_in_cooldown_seconds,
                scale_out_cooldown=scaling.scale_out_cooldown_seconds,
                disable_scale_in=False),
            opts=self.child_opts())

    def _rotation(self, password: random.RandomPassword, secret: aws.secretsmanager.Secret,
                  function_sg: aws.ec2.SecurityGroup) -> SecretRotation:
        """The master secret's contents and its rotation every `secret_rotation_days`."""
        args, ident = self._args, self._args.cluster_identifier
        username, dbname = args.master_username, args.database_name
        document = pulumi.Output.all(password.result, self.cluster.endpoint, self.cluster.cluster_identifier).apply(
            lambda v: secret_document(username=username, password=v[0], host=v[1], port=PORT,
                                      cluster_identifier=v[2], dbname=dbname))
        version = aws.secretsmanager.SecretVersion(
            self.child_name("master"), secret_id=secret.id,
            secret_string=document,  # secret: it derives from the password
            # the rotation function writes new versions; never put the first password back
            opts=self.child_opts(ignore_changes=["secretString"]))
        return SecretRotation(
            self.child_name("rotation"),
            SecretRotationArgs(
                region=args.region, secret_arn=secret.arn, secrets_key_arn=args.secrets_key_arn,
                subnet_ids=args.database_subnet_ids,
                function_security_group_id=function_sg.id,
                database_security_group_id=self.security_group.id,
                function_name=f"{ident}-rotation"[:64],
                endpoint_security_group_id=args.endpoint_security_group_id,
                rotation_days=args.secret_rotation_days, app_version=args.rotation_app_version),
            self.provider,
            # the first rotation runs at once: the writer must be up to accept it
            opts=pulumi.ResourceOptions(parent=self, depends_on=[version, *self.instances.values()]))
