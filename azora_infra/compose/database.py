"""The region's Aurora PostgreSQL databases, composed from `azora:database` (see components/aurora.py).

- Every stack: a **resident** regional cluster (data class ``personal`` by default) that never
  joins the global cluster: personal data stays in its jurisdiction.
- The primary stack: the **global cluster** and its primary regional cluster (with the master
  secret and its rotation); it exports ``globalClusterIdentifier``.
- A secondary stack: a secondary regional cluster joining that global cluster, whose identifier
  it reads from the primary stack through a `pulumi.StackReference`
  (``<org>/<project>/<primaryStack>``). Deploy the primary stack first.

Access: 5432 only from the EKS node security group (nothing at all when EKS is disabled).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aurora import (
    AuroraCluster,
    AuroraClusterArgs,
    AuroraGlobalDatabase,
    AuroraGlobalDatabaseArgs,
    AuroraInstanceSpec,
    GlobalRole,
    ReaderAutoscaling,
    global_cluster_identifier_from,
)
from components.kms import RegionKeys
from components.network import RegionalNetwork

from ..config import StackConfig
from ..config.database import ClusterConfig, InstanceRole
from .references import primary_stack_name


@dataclass
class RegionDatabase:
    #: the resident (regional, personal-data) cluster
    resident: AuroraCluster | None = None
    #: this region's member of the global database (primary or secondary cluster)
    global_member: AuroraCluster | None = None
    #: the global cluster itself (primary stack only)
    global_database: AuroraGlobalDatabase | None = None
    #: the StackReference to the primary stack (secondaries only)
    primary_ref: pulumi.StackReference | None = field(default=None, repr=False)


def _instances(cluster: ClusterConfig) -> dict[str, AuroraInstanceSpec]:
    return {name: AuroraInstanceSpec(instance_class=i.instance_class, writer=i.role is InstanceRole.WRITER,
                                     promotion_tier=i.tier)
            for name, i in cluster.instances.items()}


def _autoscaling(cluster: ClusterConfig) -> ReaderAutoscaling | None:
    s = cluster.autoscaling
    if not s.enabled:
        return None
    return ReaderAutoscaling(min_readers=s.min_readers, max_readers=s.max_readers,
                             target_cpu_percent=s.target_cpu_percent,
                             scale_in_cooldown_seconds=s.scale_in_cooldown_seconds,
                             scale_out_cooldown_seconds=s.scale_out_cooldown_seconds)


def _cluster_args(cfg: StackConfig, keys: RegionKeys, network: RegionalNetwork,
                  sources: Sequence[pulumi.Input[str]], cluster: ClusterConfig, *, identifier: str,
                  data_class: str, global_role: GlobalRole,
                  global_cluster_identifier: pulumi.Input[str] | None) -> AuroraClusterArgs:
    db = cfg.database
    return AuroraClusterArgs(
        region=cfg.region, cluster_identifier=identifier, vpc_id=network.vpc_id,
        db_subnet_group_name=network.db_subnet_group_name, allowed_security_group_ids=list(sources),
        data_key_arn=keys.data_key_arn, logs_key_arn=keys.logs_key_arn, secrets_key_arn=keys.secrets_key_arn,
        database_subnet_ids=network.database_subnet_ids,
        endpoint_security_group_id=network.endpoint_security_group_id,
        engine_version=db.engine_version, data_class=data_class, global_role=global_role,
        global_cluster_identifier=global_cluster_identifier,
        instances=_instances(cluster), autoscaling=_autoscaling(cluster),
        database_name=cluster.database_name, master_username=cluster.master_username,
        backup_retention_days=db.backup_retention_days,
        preferred_backup_window=db.preferred_backup_window,
        preferred_maintenance_window=db.preferred_maintenance_window,
        performance_insights_retention_days=db.performance_insights_retention_days,
        monitoring_interval_seconds=db.monitoring_interval_seconds,
        secret_rotation_days=db.secret_rotation_days, rotation_app_version=db.rotation_app_version,
        log_retention_days=db.log_retention_days or cfg.preset.log_retention_days,
        ssl_min_protocol_version=db.ssl_min_protocol_version,
        log_min_duration_statement_ms=db.log_min_duration_statement_ms,
        deletion_protection=cfg.preset.deletion_protection if db.deletion_protection is None
        else db.deletion_protection,
        protect=cfg.preset.protect,
    )


def build_database(cfg: StackConfig, stack: str, provider: aws.Provider, keys: RegionKeys,
                   network: RegionalNetwork, source_security_group_ids: Sequence[pulumi.Input[str]],
                   primary_ref: pulumi.StackReference | None = None) -> RegionDatabase:
    """The resident cluster everywhere; the global cluster + primary (primary stack) or a
    secondary joining it (secondary stacks). ``source_security_group_ids``: who may connect.
    ``primary_ref``: a StackReference to the primary stack to reuse (a secondary creates its own
    otherwise)."""
    db = cfg.database
    out = RegionDatabase()
    if db.resident.enabled:
        out.resident = AuroraCluster("resident", _cluster_args(
            cfg, keys, network, source_security_group_ids, db.resident, identifier=f"azora-{stack}-resident",
            data_class=db.resident.data_class.value, global_role="none", global_cluster_identifier=None), provider)
    g = db.global_database
    if not g.enabled:
        return out
    deletion_protection = cfg.preset.deletion_protection if db.deletion_protection is None else db.deletion_protection
    global_id: pulumi.Input[str] | None
    role: GlobalRole
    if not cfg.joins_global:
        # a standalone stack: the same database as an ordinary regional cluster (no global cluster)
        global_id, role = None, "none"
    elif cfg.is_primary:
        role = "primary"
        out.global_database = AuroraGlobalDatabase("global-database", AuroraGlobalDatabaseArgs(
            global_cluster_identifier=g.identifier, engine_version=db.engine_version,
            data_class=g.data_class.value, deletion_protection=deletion_protection,
            protect=cfg.preset.protect), provider)
        global_id = out.global_database.global_cluster_identifier
    else:
        role = "secondary"
        out.primary_ref = primary_ref or pulumi.StackReference(
            "database-primary", stack_name=primary_stack_name(cfg))
        global_id = global_cluster_identifier_from(out.primary_ref)
    out.global_member = AuroraCluster("aurora", _cluster_args(
        cfg, keys, network, source_security_group_ids, g, identifier=f"azora-{stack}-global",
        data_class=g.data_class.value, global_role=role, global_cluster_identifier=global_id), provider)
    return out


def database_outputs(database: RegionDatabase | None) -> dict[str, Any]:
    """Stack exports: the global cluster (primary), this region's clusters and master secrets."""
    if database is None:
        return {}
    out: dict[str, Any] = {}
    if database.global_database is not None:
        out["globalClusterIdentifier"] = database.global_database.global_cluster_identifier
        out["globalClusterArn"] = database.global_database.arn
    elif database.primary_ref is not None:
        out["globalClusterArn"] = database.primary_ref.get_output("globalClusterArn")
    secrets: dict[str, Any] = {}
    if database.global_member is not None:
        out["auroraClusterArn"] = database.global_member.arn
        out["auroraClusterEndpoint"] = database.global_member.endpoint
        out["auroraReaderEndpoint"] = database.global_member.reader_endpoint
        if database.global_member.secret_arn is not None:
            secrets["global"] = database.global_member.secret_arn
    if database.resident is not None:
        out["residentClusterArn"] = database.resident.arn
        out["residentClusterEndpoint"] = database.resident.endpoint
        out["residentReaderEndpoint"] = database.resident.reader_endpoint
        if database.resident.secret_arn is not None:
            secrets["resident"] = database.resident.secret_arn
    out["databaseSecretArns"] = secrets
    return out
