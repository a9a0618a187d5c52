"""Wiring of the cache (`RegionalCache`) and the edge (`RegionalEdge`) into a region's stack.

- Cache: the primary stack creates the global datastore from its replication group and exports
  `cacheGlobalReplicationGroupId`; a secondary reads it from the primary stack through a
  `pulumi.StackReference` and joins. A stack with `azora:cache.globalDatastore: false` (always
  the case for ``personal`` data) builds a regional cache. Only the given security groups (the
  EKS nodes) may connect; with none, nobody can.
- Edge: the ALB, certificate, WAF and the ingress gateway's target group of `azora:edge`; the
  certificate is validated in `azora:edge.hostedZoneId`, else in the zone passed in (the
  project's public zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.cache import RegionalCache, RegionalCacheArgs
from components.edge import GatewayTarget, RegionalEdge, RegionalEdgeArgs
from components.kms import RegionKeys
from components.network import RegionalNetwork

from ..config import StackConfig
from .references import primary_stack_name


def cache_global_role(cfg: StackConfig) -> str:
    if not cfg.cache.global_datastore or not cfg.joins_global:
        return "none"
    return "primary" if cfg.is_primary else "secondary"


def build_cache(cfg: StackConfig, stack: str, provider: aws.Provider, keys: RegionKeys,
                network: RegionalNetwork, source_security_group_ids: Sequence[pulumi.Input[str]],
                primary_ref: pulumi.StackReference | None = None) -> RegionalCache:
    """The region's cache. ``primary_ref``: a StackReference to the primary stack to reuse (a
    secondary creates its own otherwise)."""
    c = cfg.cache
    role = cache_global_role(cfg)
    global_id: pulumi.Input[str] | None = None
    if role == "secondary":
        ref = primary_ref or pulumi.StackReference("cache-primary", stack_name=primary_stack_name(cfg))
        global_id = pulumi.Output.from_input(ref.require_output("cacheGlobalReplicationGroupId")).apply(str)
    return RegionalCache("cache", RegionalCacheArgs(
        region=cfg.region, identifier=f"azora-{stack}-cache", vpc_id=network.vpc_id,
        subnet_group_name=network.cache_subnet_group_name,
        allowed_security_group_ids=list(source_security_group_ids),
        data_key_arn=keys.data_key_arn, logs_key_arn=keys.logs_key_arn, secrets_key_arn=keys.secrets_key_arn,
        engine=c.engine, engine_version=c.version, node_type=c.node_type, shards=c.shards,
        replicas_per_shard=c.replicas_per_shard, snapshot_retention_days=c.snapshot_retention_days,
        snapshot_window=c.snapshot_window, maintenance_window=c.maintenance_window,
        data_class=c.data_class, log_retention_days=c.retention_days(cfg.preset.log_retention_days),
        global_role=role,  # type: ignore[arg-type]
        global_replication_group_id=global_id, global_suffix=c.global_datastore_suffix,
        protect=cfg.preset.protect,
    ), provider)


def build_edge(cfg: StackConfig, stack: str, provider: aws.Provider, keys: RegionKeys,
               network: RegionalNetwork, zone_id: pulumi.Input[str] | None = None) -> RegionalEdge:
    """The region's ALB + WAF. ``zone_id``: the public zone to validate the certificate in when
    `azora:edge` names neither a certificate nor a zone."""
    e = cfg.edge
    domain = e.zone_domain(cfg.dns.domain)
    gateway = GatewayTarget(health_check_path=e.gateway.health_check_path,
                            deregistration_delay_seconds=e.gateway.deregistration_delay_seconds)
    return RegionalEdge("edge", RegionalEdgeArgs(
        region=cfg.region, name_prefix=f"azora-{stack}", vpc_id=network.vpc_id, vpc_cidr=network.cidr,
        public_subnet_ids=network.public_subnet_ids, logs_key_arn=keys.logs_key_arn,
        domain=domain, hostname=e.host(stack, cfg.dns.domain),
        certificate_arn=e.certificate_arn,
        hosted_zone_id=None if e.certificate_arn else (e.hosted_zone_id or zone_id),
        ssl_policy=e.ssl_policy, rate_limit=e.rate_limit, rate_window_seconds=e.rate_window_seconds,
        managed_rule_groups=e.managed_rule_groups, access_log_retention_days=e.access_log_retention_days,
        waf_log_retention_days=e.waf_log_retention_days or cfg.preset.log_retention_days,
        gateway=gateway, deletion_protection=cfg.preset.deletion_protection,
        protect=cfg.preset.protect,
    ), provider)


def cache_edge_outputs(cache: RegionalCache | None, edge: RegionalEdge | None) -> dict[str, Any]:
    """Stack exports: the global datastore id (primary; secondaries join it by StackReference),
    the cache endpoint and credentials secret, and what a Route 53 alias needs from the ALB."""
    out: dict[str, Any] = {}
    if cache is not None:
        if cache.global_replication_group_id is not None:
            out["cacheGlobalReplicationGroupId"] = cache.global_replication_group_id
        # this region's member of the global datastore (`azora-infra dr` promotes it by this id)
        out["cacheReplicationGroupId"] = cache.replication_group_id
        out["cacheConfigurationEndpoint"] = cache.configuration_endpoint
        out["cacheAppSecretArn"] = cache.app_secret_arn
    if edge is not None:
        out.update({
            "albArn": edge.alb_arn, "albDnsName": edge.dns_name, "albZoneId": edge.zone_id,
            "albSecurityGroupId": edge.security_group_id, "webAclArn": edge.web_acl_arn,
            "httpsListenerArn": edge.https_listener_arn, "gatewayTargetGroupArn": edge.gateway_target_group_arn,
        })
    return out
