"""The composition of one region's stack: the single readable place that wires components together.

Order matters only through data: the provider first, then the keys every data store and log group
uses, then the network everything runs in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerting import AlertTopics
from components.backup import RegionalBackup
from components.cache import RegionalCache
from components.edge import RegionalEdge, TargetGroupBindings
from components.eks import EksCluster
from components.incidents import IncidentResponse
from components.k8s_baseline import KubernetesBaseline
from components.karpenter import Karpenter
from components.kms import RegionKeys, RegionKeysArgs
from components.lb_controller import LoadBalancerController
from components.network import RegionalNetwork, RegionalNetworkArgs

from .compose.alerting import alerting_outputs, build_alerting, build_route53_alerting
from .compose.cache_edge import build_cache, build_edge, cache_edge_outputs
from .compose.database import RegionDatabase, build_database, database_outputs
from .compose.dns_backup import RegionDns, build_backup, build_dns
from .compose.dns_backup import outputs as dns_backup_outputs
from .compose.incidents import build_incidents, incident_plan_arns, incidents_outputs
from .compose.kubernetes import build_kubernetes, kubernetes_outputs
from .compose.observability import RegionObservability, RegionParts, build_observability, observability_outputs
from .config import StackConfig
from .provider import region_provider


@dataclass
class RegionStack:
    config: StackConfig
    stack: str
    provider: aws.Provider
    keys: RegionKeys
    network: RegionalNetwork
    #: public zone (primary), health-checked latency record (once the ALB is wired)
    dns: RegionDns
    backup: RegionalBackup
    #: the page and ticket topics every alarm of the region notifies
    alerts: AlertTopics
    #: the EKS cluster, Karpenter and the Kubernetes baseline (None when `azora:eks.enabled` is false)
    eks: EksCluster | None = None
    karpenter: Karpenter | None = None
    baseline: KubernetesBaseline | None = None
    #: Aurora: the resident (personal-data) cluster, and the global cluster + its member here
    database: RegionDatabase | None = None
    #: ElastiCache (global datastore member unless `azora:cache.globalDatastore` is false)
    cache: RegionalCache | None = None
    #: the internet-facing ALB, TLS 1.3 listener, WAF web ACL and target groups
    edge: RegionalEdge | None = None
    #: the AWS Load Balancer Controller and the edge's TargetGroupBindings (None without EKS)
    lb_controller: LoadBalancerController | None = None
    service_bindings: TargetGroupBindings | None = None
    #: the page and ticket topics in us-east-1 (the Route 53 health-check alarm's region)
    route53_alerts: AlertTopics | None = None
    #: Incident Manager (the primary stack only: one per account)
    incidents: IncidentResponse | None = None
    #: alarms, SLO burn-rate alerts, canary, alerting events, telemetry, dashboards
    observability: RegionObservability | None = None

    def outputs(self) -> dict[str, Any]:
        """What the stack exports (secondaries and ops tooling read these by StackReference)."""
        return {
            "region": self.config.region,
            "jurisdiction": self.config.jurisdiction.code,
            "role": self.config.role.value,
            "environment": self.config.environment.value,
            "vpcId": self.network.vpc_id,
            "vpcCidr": self.network.cidr,
            "privateSubnetIds": self.network.private_subnet_ids,
            "databaseSubnetIds": self.network.database_subnet_ids,
            "dbSubnetGroupName": self.network.db_subnet_group_name,
            "cacheSubnetGroupName": self.network.cache_subnet_group_name,
            "kmsKeyArns": self.keys.key_arns,
            **dns_backup_outputs(self.dns, self.backup),
            **alerting_outputs(self.alerts, self.route53_alerts),
            **kubernetes_outputs(self.eks),
            **database_outputs(self.database),
            **cache_edge_outputs(self.cache, self.edge),
            **incidents_outputs(self.incidents),
            **observability_outputs(self.observability),
        }


def build_region_stack(cfg: StackConfig, stack: str) -> RegionStack:
    provider = region_provider(cfg)
    alerts = build_alerting(cfg, stack, provider)
    keys = RegionKeys(
        "keys",
        RegionKeysArgs(
            region=cfg.region,
            administrators=cfg.kms.administrators,
            users=cfg.kms.users,
            deletion_window_days=cfg.kms.deletion_window_days,
            protect=cfg.preset.protect,
        ),
        provider,
    )
    network = RegionalNetwork(
        "network",
        RegionalNetworkArgs(
            cidr=cfg.network.cidr,
            azs=cfg.azs,
            region=cfg.region,
            logs_key_arn=keys.logs_key_arn,
            nat_per_az=cfg.nat_per_az,
            flow_log_retention_days=cfg.log_retention_days,
            interface_endpoints=cfg.network.interface_endpoints,
            cluster_name=f"azora-{stack}",
        ),
        provider,
    )
    # The edge comes first so DNS gets the ALB (health-checked latency record aliasing it); its
    # certificate is validated in the public zone
    # that build_dns creates (primary) or reads (secondary): a deferred output resolved below.
    zone_id: pulumi.Output[str]
    resolve_zone_id: Callable[[pulumi.Output[str]], None]
    zone_id, resolve_zone_id = pulumi.deferred_output()
    edge = build_edge(cfg, stack, provider, keys, network, zone_id)
    dns = build_dns(cfg, stack, provider, alb_dns_name=edge.dns_name, alb_zone_id=edge.zone_id)
    resolve_zone_id(dns.zone_id)
    backup = build_backup(cfg, stack, provider, keys)
    kube = build_kubernetes(cfg, stack, provider, keys, network)
    # the edge's target groups bound to their Kubernetes Services: after the controller's release
    # (it brings the TargetGroupBinding CRD) and the baseline (it creates the team namespaces)
    service_bindings = None
    if kube.eks is not None and kube.lb_controller is not None:
        service_bindings = edge.bind_services(kube.eks.k8s_provider, depends_on=[
            kube.lb_controller.release, *([kube.baseline] if kube.baseline is not None else [])])
    # Aurora accepts 5432 only from the EKS nodes (from nobody when EKS is disabled)
    database = build_database(cfg, stack, provider, keys, network,
                              [kube.eks.node_security_group_id] if kube.eks is not None else [])
    # the cache accepts 6379 only from the EKS nodes too
    cache = build_cache(cfg, stack, provider, keys, network,
                        [kube.eks.node_security_group_id] if kube.eks is not None else [],
                        primary_ref=database.primary_ref)
    # the operating layer: alarms (page ones open incidents), SLOs, canary, telemetry, dashboards
    route53_alerts = build_route53_alerting(cfg, stack, provider)
    incidents = build_incidents(cfg, stack, provider, alerts)
    observability = build_observability(cfg, stack, provider, RegionParts(
        keys=keys, network=network, alerts=alerts, route53_alerts=route53_alerts, edge=edge, dns=dns,
        database=database, cache=cache, kube=kube,
        incident_plans=incident_plan_arns(cfg, incidents, database.primary_ref)))
    return RegionStack(config=cfg, stack=stack, provider=provider, keys=keys, network=network,
                       dns=dns, backup=backup, alerts=alerts, eks=kube.eks, karpenter=kube.karpenter,
                       baseline=kube.baseline,
                       database=database, cache=cache, edge=edge, lb_controller=kube.lb_controller,
                       service_bindings=service_bindings, route53_alerts=route53_alerts, incidents=incidents,
                       observability=observability)


def export(region_stack: RegionStack) -> None:
    for key, value in region_stack.outputs().items():
        pulumi.export(key, value)
