"""The region's Kubernetes: the EKS cluster, Karpenter, the baseline, the AWS Load Balancer
Controller, cert-manager, External Secrets Operator and the ingress gateway, wired from
`azora:eks` and `azora:edge.gateway`.

Kept out of `stack.py` so the composition there stays one call; `build_kubernetes` runs after the
network (the cluster uses its private subnets; the network tags them for ``azora-<stack>``) and
the edge (the gateway binds the edge's target group and admits the ALB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.cert_manager import CertManager, CertManagerArgs
from components.edge import RegionalEdge
from components.eks import AccessSpec, EksCluster, EksClusterArgs, NodeGroupSpec, TaintSpec
from components.external_secrets import ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.gateway import IngressGateway, IngressGatewayArgs
from components.k8s_baseline import (
    KubernetesBaseline,
    KubernetesBaselineArgs,
    LimitsSpec,
    MeshSpec,
    NamespaceSpec,
    OtelTracingProvider,
    QuotaSpec,
)
from components.karpenter import Karpenter, KarpenterArgs
from components.kms import RegionKeys
from components.lb_controller import LoadBalancerController, LoadBalancerControllerArgs
from components.network import RegionalNetwork, SubnetLayout
from components.telemetry import agent_tracing_provider

from ..config import StackConfig
from ..config.eks import NamespaceConfig, NodeGroupConfig


@dataclass
class RegionKubernetes:
    eks: EksCluster | None = None
    karpenter: Karpenter | None = None
    baseline: KubernetesBaseline | None = None
    #: the AWS Load Balancer Controller (reconciles the gateway's TargetGroupBinding)
    lb_controller: LoadBalancerController | None = None
    cert_manager: CertManager | None = None
    #: External Secrets Operator: a ClusterSecretStore per team namespace
    secrets: ExternalSecretsOperator | None = None
    #: the Istio ingress gateway behind the edge's target group
    gateway: IngressGateway | None = None


def cluster_name(stack: str) -> str:
    return f"azora-{stack}"


def node_group_spec(group: NodeGroupConfig) -> NodeGroupSpec:
    return NodeGroupSpec(
        ami_type=group.eks_ami_type, capacity_type=group.capacity_type.value,
        instance_types=group.instance_types, min_size=group.min_size, max_size=group.max_size,
        desired_size=group.desired_size, disk_size_gib=group.disk_size_gib, labels=dict(group.labels),
        taints=tuple(TaintSpec(key=t.key, value=t.value, effect=t.effect) for t in group.taints))


def namespace_spec(ns: NamespaceConfig) -> NamespaceSpec:
    q, lim = ns.quota, ns.limits
    return NamespaceSpec(
        team=ns.team,
        quota=QuotaSpec(requests_cpu=q.requests_cpu, requests_memory=q.requests_memory,
                        limits_cpu=q.limits_cpu, limits_memory=q.limits_memory, pods=q.pods),
        limits=LimitsSpec(default_cpu=lim.default_cpu, default_memory=lim.default_memory,
                          default_request_cpu=lim.default_request_cpu,
                          default_request_memory=lim.default_request_memory,
                          max_cpu=lim.max_cpu, max_memory=lim.max_memory))


def mesh_tracing_provider(cfg: StackConfig) -> OtelTracingProvider | None:
    """The mesh's tracing provider: the telemetry add-on's agent under the name
    `observability.telemetry.meshTracingProvider`. One value for both sides: the baseline puts it
    in istiod's mesh config, the telemetry's `Telemetry` resource names it. None without a mesh,
    without telemetry, or with mesh tracing off."""
    t = cfg.observability.telemetry
    if not (cfg.eks.enabled and cfg.eks.mesh.enabled and t.enabled and t.mesh_tracing_provider):
        return None
    return agent_tracing_provider(t.mesh_tracing_provider)


def mesh_spec(cfg: StackConfig) -> MeshSpec:
    m = cfg.eks.mesh
    tracing = mesh_tracing_provider(cfg)
    return MeshSpec(enabled=m.enabled, version=m.version, repository=m.repository,
                    tracing_providers=(tracing,) if tracing else ())


def build_kubernetes(cfg: StackConfig, stack: str, provider: pulumi.ProviderResource, keys: RegionKeys,
                     network: RegionalNetwork, edge: RegionalEdge | None = None,
                     instance_tags: dict[str, str] | None = None) -> RegionKubernetes:
    """``edge``: the ALB whose gateway target group the ingress gateway is bound to; the load
    balancer controller may register pods in that target group and no other. ``instance_tags``:
    the cost tags of the nodes Karpenter and the node groups launch (default: the stack's); EC2
    instances do not inherit the provider's default tags."""
    eks_cfg = cfg.eks
    node_tags = instance_tags or cfg.cost_tags()
    if not eks_cfg.enabled:
        return RegionKubernetes()
    deletion_protection = (cfg.preset.deletion_protection if eks_cfg.deletion_protection is None
                           else eks_cfg.deletion_protection)
    eks = EksCluster(
        "eks",
        EksClusterArgs(
            cluster_name=cluster_name(stack),
            region=cfg.region,
            vpc_id=network.vpc_id,
            vpc_cidr=network.cidr,
            subnet_ids=network.private_subnet_ids,
            secrets_key_arn=keys.secrets_key_arn,
            logs_key_arn=keys.logs_key_arn,
            data_key_arn=keys.data_key_arn,
            kubernetes_version=eks_cfg.kubernetes_version,
            public_access_cidrs=eks_cfg.public_access_cidrs,
            log_retention_days=eks_cfg.log_retention_days,
            deletion_protection=deletion_protection,
            deployer_role_arn=eks_cfg.deployer_role_arn,
            node_groups={k: node_group_spec(g) for k, g in eks_cfg.node_groups.items()},
            access=AccessSpec(platform_admins=eks_cfg.access.platform_admins,
                              developers=eks_cfg.access.developers, viewers=eks_cfg.access.viewers),
            developer_namespaces=tuple(eks_cfg.namespaces),
            instance_tags=node_tags,
            protect=cfg.preset.protect,
        ),
        provider,
    )
    karpenter = None
    if eks_cfg.karpenter.enabled:
        karpenter = Karpenter(
            "karpenter",
            KarpenterArgs(
                cluster_name=eks.cluster_name,
                cluster_arn=eks.cluster_arn,
                cluster_endpoint=eks.endpoint,
                region=cfg.region,
                k8s_provider=eks.k8s_provider,
                data_key_arn=keys.data_key_arn,
                version=eks_cfg.karpenter.version,
                default_node_pool=eks_cfg.karpenter.default_node_pool,
                cpu_limit=eks_cfg.karpenter.cpu_limit,
                instance_tags=node_tags,
            ),
            provider,
        )
    baseline = KubernetesBaseline(
        "k8s-baseline",
        KubernetesBaselineArgs(
            k8s_provider=eks.k8s_provider,
            namespaces={k: namespace_spec(n) for k, n in eks_cfg.namespaces.items()},
            mesh=mesh_spec(cfg),
            data_key_arn=keys.data_key_arn,
        ),
    )
    # after the node groups (the provider waits for them): owns the TargetGroupBinding CRD. No
    # node_security_group_id: the gateway owns the rule admitting the ALB (the bindings carry no
    # `networking`), so the controller may change no security group
    lb_controller = LoadBalancerController(
        "lb-controller",
        LoadBalancerControllerArgs(
            cluster_name=eks.cluster_name,
            region=cfg.region,
            vpc_id=network.vpc_id,
            k8s_provider=eks.k8s_provider,
            target_group_arns=(edge.gateway_target_group_arn,) if edge is not None else (),
            chart_version=eks_cfg.lb_controller_chart_version,
        ),
        provider,
    )
    cert_manager = CertManager("cert-manager", CertManagerArgs(
        k8s_provider=eks.k8s_provider, chart_version=eks_cfg.cert_manager_chart_version))
    secrets = ExternalSecretsOperator("external-secrets", ExternalSecretsOperatorArgs(
        cluster_name=eks.cluster_name, cluster_arn=eks.cluster_arn, region=cfg.region, k8s_provider=eks.k8s_provider,
        namespaces=tuple(sorted(eks_cfg.namespaces)), chart_version=eks_cfg.external_secrets_chart_version),
        provider)
    kube = RegionKubernetes(eks=eks, karpenter=karpenter, baseline=baseline, lb_controller=lb_controller,
                            cert_manager=cert_manager, secrets=secrets)
    if edge is not None and eks_cfg.mesh.enabled:
        kube.gateway = build_gateway(cfg, stack, provider, network, edge, kube)
    return kube


def build_gateway(cfg: StackConfig, stack: str, provider: pulumi.ProviderResource, network: RegionalNetwork,
                  edge: RegionalEdge, kube: RegionKubernetes) -> IngressGateway:
    """The ingress gateway: bound to the edge's target group, admitting the ALB's subnets (the
    public subnets of the network's layout) and security group, its certificate naming the
    stack's public names."""
    if kube.eks is None or kube.baseline is None:
        raise ValueError("the ingress gateway needs the cluster and its baseline (the mesh)")
    gw, mesh = cfg.edge.gateway, cfg.eks.mesh
    public = SubnetLayout(cfg.network.cidr, cfg.azs).blocks()["public"]
    return IngressGateway("gateway", IngressGatewayArgs(
        k8s_provider=kube.eks.k8s_provider, target_group_arn=edge.gateway_target_group_arn,
        alb_security_group_id=edge.security_group_id, node_security_group_id=kube.eks.node_security_group_id,
        load_balancer_cidrs=[public[az] for az in cfg.azs],
        dns_names=public_hosts(cfg, stack), namespace=gw.namespace,
        health_check_path=gw.health_check_path, chart_version=mesh.version, chart_repository=mesh.repository,
        min_replicas=gw.min_replicas, max_replicas=gw.max_replicas,
        mesh_releases=tuple(kube.baseline.mesh_releases),
        cert_manager_release=kube.cert_manager.release if kube.cert_manager else None,
        lb_controller_release=kube.lb_controller.release if kube.lb_controller else None,
    ), provider)


def public_hosts(cfg: StackConfig, stack: str) -> list[str]:
    """The names clients use: the latency-routed name, then the stack's regional host."""
    hosts = [cfg.dns.fqdn, cfg.edge.host(stack, cfg.dns.domain)]
    return list(dict.fromkeys(hosts))


def kubernetes_outputs(eks: EksCluster | None) -> dict[str, Any]:
    """Stack exports: the cluster's name and endpoint, the node security group the data stores
    admit, and the IRSA OIDC provider."""
    if eks is None:
        return {}
    return {
        "eksClusterName": eks.cluster_name,
        "eksClusterEndpoint": eks.endpoint,
        "eksNodeSecurityGroupId": eks.node_security_group_id,
        "eksOidcProviderArn": eks.oidc_provider_arn,
    }
