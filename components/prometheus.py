"""`MeshMetrics`: an Amazon Managed Service for Prometheus workspace and a managed scraper that
collects the mesh's metrics (Envoy sidecars and gateways, istiod) every 15 seconds.

- The workspace is encrypted with a key of its own (AMP uses it through grants, ``kms:ViaService
  aps.<region>``) and keeps samples ``retention_days`` (30: the seed's metric retention, at full
  15-second resolution; CloudWatch keeps its one-minute data 15 days and hourly data 455 days).
- The scraper runs in the cluster's private subnets with a security group of its own; the nodes
  admit it on the Envoy (15090) and istiod (15014) metrics ports and the control plane on 443.
  It reads the Kubernetes API as the user ``aps-collector-user`` (an EKS access entry for the
  scraper's service-linked role, bound to a read-only ClusterRole).
- ``scrape_configuration`` is rendered here (Prometheus YAML, ``scrape_interval`` = the interval).

Outputs: ``workspace_arn``, ``workspace_id``, ``prometheus_endpoint``, ``scraper_arn``,
``key_arn``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .base import AzoraComponent
from .kms import account_administers

COLLECTOR_USER = "aps-collector-user"
ENVOY_METRICS_PORT = 15090
ISTIOD_METRICS_PORT = 15014


def scrape_configuration(interval_seconds: int, mesh_namespace: str = "istio-system") -> str:
    """Prometheus scrape config: every Envoy's ``/stats/prometheus`` and istiod's monitoring port."""
    lines = [
        "global:",
        f"  scrape_interval: {interval_seconds}s",
        f"  scrape_timeout: {max(5, interval_seconds - 5)}s",
        "scrape_configs:",
        "  - job_name: envoy-stats",
        "    metrics_path: /stats/prometheus",
        "    kubernetes_sd_configs:",
        "      - role: pod",
        "    relabel_configs:",
        "      - source_labels: [__meta_kubernetes_pod_container_port_name]",
        "        action: keep",
        "        regex: '.*-envoy-prom'",
        "      - source_labels: [__meta_kubernetes_namespace]",
        "        target_label: namespace",
        "      - source_labels: [__meta_kubernetes_pod_name]",
        "        target_label: pod",
        "  - job_name: istiod",
        "    kubernetes_sd_configs:",
        "      - role: endpoints",
        "        namespaces:",
        f"          names: [{mesh_namespace}]",
        "    relabel_configs:",
        "      - source_labels: [__meta_kubernetes_service_name, __meta_kubernetes_endpoint_port_name]",
        "        action: keep",
        "        regex: istiod;http-monitoring",
    ]
    return "\n".join(lines) + "\n"


def workspace_key_policy(account: str, region: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Id": "azora-prometheus", "Statement": [
        account_administers(account),
        {"Sid": "UseThroughPrometheus", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
                    "kms:CreateGrant"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": account,
                                        "kms:ViaService": f"aps.{region}.amazonaws.com"}}},
    ]})


@dataclass(frozen=True)
class MeshMetricsArgs:
    region: str
    name_prefix: str
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    node_security_group_id: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    k8s_provider: pulumi.ProviderResource
    #: namespaces that deny ingress by default: each admits the scraper (from ``vpc_cidr``) on 15090
    scraped_namespaces: Sequence[str] = ()
    vpc_cidr: str | None = None
    scrape_interval_seconds: int = 15
    retention_days: int = 30
    key_deletion_window_days: int = 30
    protect: bool = False

    def validate(self) -> None:
        if not 5 <= self.scrape_interval_seconds <= 300:
            raise ValueError("MeshMetrics: scrape_interval_seconds must be 5-300")
        if not 1 <= self.retention_days <= 1095:
            raise ValueError("MeshMetrics: retention_days must be 1-1095")
        if self.scraped_namespaces and not self.vpc_cidr:
            raise ValueError("MeshMetrics: scraped_namespaces need vpc_cidr (where the scraper's ENIs are)")


class MeshMetrics(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: MeshMetricsArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:prometheus:MeshMetrics", name, provider, opts)
        self._args = args
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
        self.key = aws.kms.Key(
            self.child_name("key"), description=f"{args.name_prefix} Prometheus workspace",
            enable_key_rotation=True, deletion_window_in_days=args.key_deletion_window_days,
            policy=account.apply(lambda a: workspace_key_policy(a, args.region)),
            tags={"azora:key-purpose": "metrics"}, opts=self.child_opts(protect=args.protect))
        self.workspace = aws.amp.Workspace(
            self.child_name("workspace"), alias=f"{args.name_prefix}-mesh", kms_key_arn=self.key.arn,
            opts=self.child_opts())
        aws.amp.WorkspaceConfiguration(
            self.child_name("workspace"), workspace_id=self.workspace.id,
            retention_period_in_days=args.retention_days, opts=self.child_opts())
        self._network()
        self.scraper = aws.amp.Scraper(
            self.child_name("scraper"), alias=f"{args.name_prefix}-mesh",
            source=aws.amp.ScraperSourceArgs(eks=aws.amp.ScraperSourceEksArgs(
                cluster_arn=args.cluster_arn, subnet_ids=args.subnet_ids,
                security_group_ids=[self.security_group.id])),
            destination=aws.amp.ScraperDestinationArgs(amp=aws.amp.ScraperDestinationAmpArgs(
                workspace_arn=self.workspace.arn)),
            scrape_configuration=scrape_configuration(args.scrape_interval_seconds), opts=self.child_opts())
        self._access()
        self.workspace_arn: pulumi.Output[str] = self.workspace.arn
        self.workspace_id: pulumi.Output[str] = self.workspace.id
        self.prometheus_endpoint: pulumi.Output[str] = self.workspace.prometheus_endpoint
        self.scraper_arn: pulumi.Output[str] = self.scraper.arn
        self.key_arn: pulumi.Output[str] = self.key.arn
        self.register_outputs({"workspaceArn": self.workspace_arn, "workspaceId": self.workspace_id,
                               "prometheusEndpoint": self.prometheus_endpoint, "scraperArn": self.scraper_arn,
                               "keyArn": self.key_arn})

    def _network(self) -> None:
        args = self._args
        self.security_group = aws.ec2.SecurityGroup(
            self.child_name("scraper"), vpc_id=args.vpc_id,
            description=f"{args.name_prefix} Prometheus scraper: to the nodes' metrics ports and the API server",
            tags={"Name": f"{args.name_prefix}-prometheus-scraper"}, opts=self.child_opts())
        sg = self.security_group.id
        for port, why in ((ENVOY_METRICS_PORT, "Envoy metrics"), (ISTIOD_METRICS_PORT, "istiod metrics")):
            aws.vpc.SecurityGroupEgressRule(
                self.child_name("scraper", f"to-nodes-{port}"), security_group_id=sg,
                referenced_security_group_id=args.node_security_group_id, ip_protocol="tcp", from_port=port,
                to_port=port, description=f"Scraper to the nodes: {why}", opts=self.child_opts())
            aws.vpc.SecurityGroupIngressRule(
                self.child_name("nodes", f"from-scraper-{port}"), security_group_id=args.node_security_group_id,
                referenced_security_group_id=sg, ip_protocol="tcp", from_port=port, to_port=port,
                description=f"Prometheus scraper: {why}", opts=self.child_opts())
        aws.vpc.SecurityGroupEgressRule(
            self.child_name("scraper", "to-api"), security_group_id=sg,
            referenced_security_group_id=args.cluster_security_group_id, ip_protocol="tcp", from_port=443,
            to_port=443, description="Scraper to the Kubernetes API (service discovery)", opts=self.child_opts())
        aws.vpc.SecurityGroupIngressRule(
            self.child_name("cluster", "from-scraper-443"), security_group_id=args.cluster_security_group_id,
            referenced_security_group_id=sg, ip_protocol="tcp", from_port=443, to_port=443,
            description="Prometheus scraper to the API server", opts=self.child_opts())

    def _access(self) -> None:
        args = self._args
        entry = aws.eks.AccessEntry(
            self.child_name("scraper"), cluster_name=args.cluster_name, principal_arn=self.scraper.role_arn,
            user_name=COLLECTOR_USER, type="STANDARD", opts=self.child_opts())
        kopts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=[entry])
        role = k8s.rbac.v1.ClusterRole(
            self.child_name("collector"), metadata=k8s.meta.v1.ObjectMetaArgs(name="aps-collector-role"),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=["nodes", "nodes/proxy", "nodes/metrics",
                                                                        "services", "endpoints", "pods"],
                                           verbs=["get", "list", "watch"]),
                k8s.rbac.v1.PolicyRuleArgs(api_groups=["discovery.k8s.io"], resources=["endpointslices"],
                                           verbs=["get", "list", "watch"]),
                k8s.rbac.v1.PolicyRuleArgs(non_resource_urls=["/metrics"], verbs=["get"]),
            ], opts=kopts)
        k8s.rbac.v1.ClusterRoleBinding(
            self.child_name("collector"), metadata=k8s.meta.v1.ObjectMetaArgs(name="aps-collector-user-role-binding"),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole",
                                             name="aps-collector-role"),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="User", name=COLLECTOR_USER,
                                              api_group="rbac.authorization.k8s.io")],
            opts=pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=[role]))
        for ns in sorted(set(args.scraped_namespaces)):
            k8s.networking.v1.NetworkPolicy(
                self.child_name("scrape-ingress", ns),
                metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-prometheus-scrape", namespace=ns),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress"],
                    ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[k8s.networking.v1.NetworkPolicyPeerArgs(
                            ip_block=k8s.networking.v1.IPBlockArgs(cidr=args.vpc_cidr or ""))],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=ENVOY_METRICS_PORT)])]),
                opts=kopts)
