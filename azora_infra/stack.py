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

from components.backup import RegionalBackup
from components.cache import RegionalCache
from components.edge import RegionalEdge
from components.eks import EksCluster
from components.gateway import IngressGateway
from components.k8s_baseline import KubernetesBaseline
from components.karpenter import Karpenter
from components.kms import RegionKeys, RegionKeysArgs
from components.lb_controller import LoadBalancerController
from components.network import RegionalNetwork, RegionalNetworkArgs
from components.service import AzoraService

from .compose.cache_edge import build_cache, build_edge, cache_edge_outputs
from .compose.database import RegionDatabase, build_database, database_outputs
from .compose.dns_backup import RegionDns, build_backup, build_dns
from .compose.dns_backup import outputs as dns_backup_outputs
from .compose.kubernetes import RegionKubernetes, build_kubernetes, kubernetes_outputs
from .compose.services import build_services, services_outputs
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
    #: the AWS Load Balancer Controller (None without EKS)
    lb_controller: LoadBalancerController | None = None
    #: the Istio ingress gateway bound to the edge's target group (None without EKS or mesh)
    gateway: IngressGateway | None = None
    #: cert-manager, External Secrets Operator and the rest of the cluster's parts
    kubernetes: RegionKubernetes | None = None
    #: `azora:services`, one `AzoraService` each
    services: dict[str, AzoraService] | None = None

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
            **kubernetes_outputs(self.eks),
            **database_outputs(self.database),
            **cache_edge_outputs(self.cache, self.edge),
            **services_outputs(self.services or {}),
        }


def build_region_stack(cfg: StackConfig, stack: str) -> RegionStack:
    provider = region_provider(cfg)
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
    # the cluster, its operators and the ingress gateway bound to the edge's target group
    kube = build_kubernetes(cfg, stack, provider, keys, network, edge)
    # Aurora accepts 5432 only from the EKS nodes (from nobody when EKS is disabled)
    database = build_database(cfg, stack, provider, keys, network,
                              [kube.eks.node_security_group_id] if kube.eks is not None else [])
    # the cache accepts 6379 only from the EKS nodes too
    cache = build_cache(cfg, stack, provider, keys, network,
                        [kube.eks.node_security_group_id] if kube.eks is not None else [],
                        primary_ref=database.primary_ref)
    # the services last: their secrets may name the cache's application secret
    services = build_services(cfg, stack, provider, keys, kube, cache)
    return RegionStack(config=cfg, stack=stack, provider=provider, keys=keys, network=network,
                       dns=dns, backup=backup, eks=kube.eks, karpenter=kube.karpenter, baseline=kube.baseline,
                       database=database, cache=cache, edge=edge, lb_controller=kube.lb_controller,
                       gateway=kube.gateway, kubernetes=kube, services=services)


def export(region_stack: RegionStack) -> None:
    for key, value in region_stack.outputs().items():
        pulumi.export(key, value)
