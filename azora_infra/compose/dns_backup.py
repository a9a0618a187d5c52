"""Wiring of the DNS failover and backup components into a region's stack (`azora_infra.stack`).

- The primary stack owns the public zone; a secondary reads its id from the primary's
  `hostedZoneId` export through a `pulumi.StackReference` (``<org>/<project>/<primaryStack>``).
  A standalone stack (dev) has neither zone nor latency record: its certificate is validated in
  `azora:edge.hostedZoneId` (or given as `azora:edge.certificateArn`) and clients use its host name.
- Copy candidates for backups: `azora:backup.copyRegions` if set, else the regions of the
  project's other stacks (their `Pulumi.<stack>.yaml` files next to the program, same
  environment). The residency map then decides per data class which of them get a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.aurora import AuroraCluster
from components.backup import AuroraRestoreTest, RegionalBackup, RegionalBackupArgs
from components.dns import PublicZone, PublicZoneArgs, RegionalEndpoint, RegionalEndpointArgs
from components.kms import RegionKeys
from components.network import RegionalNetwork

from ..config import StackConfig
from ..config.project import peer_regions
from .database import RegionDatabase
from .references import primary_stack_name


@dataclass
class RegionDns:
    #: the public zone (primary stack only)
    zone: PublicZone | None
    #: the zone id: the zone's own (primary), the primary's export (secondary), None (standalone)
    zone_id: pulumi.Output[str] | None
    #: this region's health-checked latency record (None until the load balancer is wired)
    endpoint: RegionalEndpoint | None


def copy_candidates(cfg: StackConfig, stack: str, project_dir: Path | None = None) -> tuple[str, ...]:
    if cfg.backup.copy_regions is not None:
        return tuple(r for r in cfg.backup.copy_regions if r != cfg.region)
    return peer_regions(stack, cfg.region, project_dir or Path.cwd())


def build_dns(cfg: StackConfig, stack: str, provider: aws.Provider,
              alb_dns_name: pulumi.Input[str] | None = None,
              alb_zone_id: pulumi.Input[str] | None = None,
              project_dir: Path | None = None) -> RegionDns:
    dns = cfg.dns
    if not cfg.joins_global:
        return RegionDns(zone=None, zone_id=None, endpoint=None)
    zone: PublicZone | None = None
    if cfg.is_primary:
        zone = PublicZone("dns", PublicZoneArgs(domain=dns.domain, protect=cfg.preset.protect), provider)
        zone_id: pulumi.Output[str] = zone.zone_id
    else:
        ref = pulumi.StackReference("dns-primary", stack_name=primary_stack_name(cfg))
        zone_id = pulumi.Output.from_input(ref.require_output("hostedZoneId")).apply(str)
    endpoint: RegionalEndpoint | None = None
    if alb_dns_name is not None and alb_zone_id is not None:
        endpoint = RegionalEndpoint(
            "dns-endpoint",
            RegionalEndpointArgs(
                region=cfg.region, zone_id=zone_id, fqdn=dns.fqdn,
                alb_dns_name=alb_dns_name, alb_zone_id=alb_zone_id,
                health_check_path=dns.health_check_path, port=dns.port,
                request_interval=dns.request_interval, failure_threshold=dns.failure_threshold,
                checker_regions=dns.checker_regions, measure_latency=dns.measure_latency,
                # the health-check alarm is RegionAlarms' (compose/observability.py): in us-east-1, to
                # the page topic there, with the people of azora:alerting and azora:dns.alarms.emails
                alarms=False,
                peer_regions=peer_regions(stack, cfg.region, project_dir or Path.cwd()),
                protect_key=cfg.preset.protect,
            ),
            provider,
        )
    return RegionDns(zone=zone, zone_id=zone_id, endpoint=endpoint)


def restore_tests(cfg: StackConfig, database: RegionDatabase | None) -> dict[str, AuroraRestoreTest]:
    """The monthly restore test's clusters by data class (this region's resident and global-member
    clusters), each restored copy with its source's security group."""
    clusters: dict[str, list[AuroraCluster]] = {}
    if database is not None:
        db = cfg.database
        for cluster, data_class in ((database.resident, db.resident.data_class),
                                    (database.global_member, db.global_database.data_class)):
            if cluster is not None:
                clusters.setdefault(data_class.value, []).append(cluster)
    return {cls: AuroraRestoreTest(cluster_arns=[c.arn for c in members],
                                   security_group_ids=[c.security_group_id for c in members])
            for cls, members in clusters.items()}


def build_backup(cfg: StackConfig, stack: str, provider: aws.Provider, keys: RegionKeys,
                 project_dir: Path | None = None, *, network: RegionalNetwork | None = None,
                 database: RegionDatabase | None = None) -> RegionalBackup:
    """The region's backups; with ``network`` and ``database``, the monthly restore test restores
    exactly those clusters into the databases' subnet group with the data key."""
    b = cfg.backup
    tests = restore_tests(cfg, database) if network is not None else {}
    return RegionalBackup(
        "backup",
        RegionalBackupArgs(
            region=cfg.region, kms_key_arn=keys.backup_key_arn,
            peer_regions=copy_candidates(cfg, stack, project_dir),
            lock_mode=b.lock_mode, min_retention_days=b.min_retention_days,
            max_retention_days=b.max_retention_days, changeable_for_days=b.changeable_for_days,
            continuous_backup=b.continuous_backup, continuous_retention_days=b.continuous_retention_days,
            snapshot_schedule=b.snapshot_schedule, snapshot_retention_days=b.snapshot_retention_days,
            copy_retention_days=b.copy_retention_days, restore_test_schedule=b.restore_test_schedule,
            restore_validation_window_hours=b.restore_validation_window_hours,
            restore_start_window_hours=b.restore_start_window_hours,
            restore_tests=tests,
            restore_subnet_group_name=network.db_subnet_group_name if tests and network else None,
            restore_kms_key_arn=keys.data_key_arn if tests else None,
            notification_emails=b.notification_emails, policy_admins=b.policy_admins,
            protect=cfg.preset.protect, name_prefix=cfg.global_names.regional_prefix,
        ),
        provider,
    )


def outputs(dns: RegionDns, backup: RegionalBackup) -> dict[str, object]:
    """Stack exports: `hostedZoneId` (secondaries read it), health check, vault, plans, copies."""
    out: dict[str, object] = {
        "backupVaultArn": backup.vault_arn,
        "backupPlanIds": backup.plan_ids,
        "backupCopyDestinations": backup.copy_destinations,
    }
    if dns.zone is not None:
        out["hostedZoneId"] = dns.zone.zone_id
        out["nameServers"] = dns.zone.name_servers
    if dns.endpoint is not None:
        out["healthCheckId"] = dns.endpoint.health_check_id
    return out
