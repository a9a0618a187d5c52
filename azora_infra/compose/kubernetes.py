"""The region's Kubernetes: the EKS cluster, Karpenter and the baseline, wired from `azora:eks`.

Kept out of `stack.py` so the composition there stays one call; `build_kubernetes` runs after the
network (the cluster uses its private subnets; the network tags them for ``azora-<stack>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.eks import EksCluster, EksClusterArgs
from components.k8s_baseline import KubernetesBaseline, KubernetesBaselineArgs
from components.karpenter import Karpenter, KarpenterArgs
from components.kms import RegionKeys
from components.lb_controller import LoadBalancerController, LoadBalancerControllerArgs
from components.network import RegionalNetwork

from ..config import StackConfig


@dataclass
class RegionKubernetes:
    eks: EksCluster | None = None
    karpenter: Karpenter | None = None
    baseline: KubernetesBaseline | None = None
    #: the AWS Load Balancer Controller (reconciles the edge's TargetGroupBindings)
    lb_controller: LoadBalancerController | None = None


def cluster_name(stack: str) -> str:
    return f"azora-{stack}"


def build_kubernetes(cfg: StackConfig, stack: str, provider: pulumi.ProviderResource, keys: RegionKeys,
                     network: RegionalNetwork,
                     target_group_arns: Sequence[pulumi.Input[str]] = (),
                     instance_tags: dict[str, str] | None = None) -> RegionKubernetes:
    """``target_group_arns``: the target groups the load balancer controller may register pods in
    (the edge's); it may touch no other. ``instance_tags``: the cost tags of the nodes Karpenter and
    the node groups launch (default: the stack's); EC2 instances do not inherit the provider's
    default tags."""
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
            node_groups=eks_cfg.node_groups,
            access=eks_cfg.access,
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
            namespaces=eks_cfg.namespaces,
            mesh=eks_cfg.mesh,
            data_key_arn=keys.data_key_arn,
        ),
    )
    # after the node groups (the provider waits for them): owns the TargetGroupBinding CRD
    lb_controller = LoadBalancerController(
        "lb-controller",
        LoadBalancerControllerArgs(
            cluster_name=eks.cluster_name,
            region=cfg.region,
            vpc_id=network.vpc_id,
            k8s_provider=eks.k8s_provider,
            node_security_group_id=eks.node_security_group_id,
            target_group_arns=tuple(target_group_arns),
            chart_version=eks_cfg.lb_controller_chart_version,
        ),
        provider,
    )
    return RegionKubernetes(eks=eks, karpenter=karpenter, baseline=baseline, lb_controller=lb_controller)


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
