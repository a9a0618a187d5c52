"""`IngressGateway`: the Istio ingress gateway between the ALB and the mesh.

The hop it owns, end to end:

- **Security groups**: the nodes' security group admits the ALB's security group on the
  gateway's container port (pods use the node ENIs' security group with the VPC CNI).
- **TargetGroupBinding** (namespace ``azora-ingress``): the AWS Load Balancer Controller
  registers the gateway pods' IPs in the edge's HTTPS target group.
- **NetworkPolicies**: default-deny in the namespace; the gateway pods admit the load
  balancer's subnets on the HTTPS port; DNS and istiod egress. Egress to a service is granted by
  that service (`AzoraService`), so the gateway reaches exactly the services routed to it.
- **The gateway**: a Helm release of Istio's ``gateway`` chart (same version and repository as
  the mesh) as a ClusterIP Service, with an HPA (70 % CPU, max within 2 minutes, scale-down
  after 10 minutes), a PodDisruptionBudget and topology spread across zones and nodes, under
  the ``restricted`` Pod Security Standard.
- **TLS**: cert-manager issues the gateway's serving certificate in-cluster (self-signed
  Issuer -> Certificate -> Secret); the ALB speaks HTTPS to the gateway and does not validate
  it. Inside, the gateway talks to services over the mesh's STRICT mutual TLS.
- **Istio config**: a `Gateway` (HTTPS server on all hosts, the certificate's Secret), the
  ``/healthz`` route answered by the gateway's own Envoy (``directResponse`` 200) for the ALB
  and Route 53 health checks, and a `Telemetry` resource turning on the mesh's JSON access log
  (with the API version of each request) for the gateway pods.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from . import netpol
from .base import AzoraComponent
from .edge import TargetGroupBindings, TargetGroupBindingSpec
from .k8s_baseline import ACCESS_LOG_PROVIDER, DEFAULT_MESH_REPOSITORY, DEFAULT_MESH_VERSION, pss_labels
from .service_guards import DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, ScalePolicy, seconds_to_reach

ISTIO_API = "networking.istio.io/v1"
CERT_MANAGER_API = "cert-manager.io/v1"
#: the chart's status port (readiness probe /healthz/ready; kubelet only)
STATUS_PORT = 15021
#: the Secret cert-manager writes and the Gateway server reads (same namespace as the pods)
TLS_SECRET = "azora-gateway-tls"


@dataclass(frozen=True)
class IngressGatewayArgs:
    #: the cluster's ready provider (`EksCluster.k8s_provider`)
    k8s_provider: pulumi.ProviderResource
    #: the edge's HTTPS target group (`RegionalEdge.gateway_target_group_arn`)
    target_group_arn: pulumi.Input[str]
    #: the ALB's security group and the nodes' security group (pods use the nodes')
    alb_security_group_id: pulumi.Input[str]
    node_security_group_id: pulumi.Input[str]
    #: the subnets the load balancer's ENIs live in (its public subnets): admitted by NetworkPolicy
    load_balancer_cidrs: Sequence[str]
    #: names on the serving certificate (the ALB does not check them; clients never see it)
    dns_names: Sequence[str]
    namespace: str = "azora-ingress"
    #: Helm release name = Deployment, Service and ServiceAccount name
    release_name: str = "istio-ingress"
    #: the ``istio`` pod label the `Gateway` selects
    istio_label: str = "ingress"
    gateway_name: str = "azora-gateway"
    #: the HTTPS port: container port, Service port and the Gateway server's port
    port: int = 443
    health_check_path: str = "/healthz"
    #: lowest TLS version the gateway accepts from the ALB (the ALB's backend connections and
    #: HTTPS health checks do not offer TLS 1.3 only; clients get TLS 1.3 at the ALB)
    min_tls_version: str = "TLSV1_2"
    chart_version: str = DEFAULT_MESH_VERSION
    chart_repository: str = DEFAULT_MESH_REPOSITORY
    min_replicas: int = 3
    max_replicas: int = 12
    target_cpu_percent: int = 70
    scale_up_within_seconds: int = 120
    scale_down_stabilization_seconds: int = 600
    scale_up_policies: Sequence[ScalePolicy] = DEFAULT_SCALE_UP
    scale_down_policies: Sequence[ScalePolicy] = DEFAULT_SCALE_DOWN
    resources: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: {
        "requests": {"cpu": "500m", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}})
    #: what mesh objects wait for (Istio base/istiod releases: CRDs and validation)
    mesh_releases: Sequence[pulumi.Resource] = ()
    #: the cert-manager release (its CRDs)
    cert_manager_release: pulumi.Resource | None = None
    #: the AWS Load Balancer Controller release (the TargetGroupBinding CRD)
    lb_controller_release: pulumi.Resource | None = None

    def validate(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError(f"IngressGateway: need 1 <= min_replicas <= max_replicas "
                             f"(got {self.min_replicas}, {self.max_replicas})")
        needed = seconds_to_reach(self.min_replicas, self.max_replicas, self.scale_up_policies)
        if needed > self.scale_up_within_seconds:
            raise ValueError(f"IngressGateway: scale-up needs {needed}s to reach {self.max_replicas} replicas "
                             f"(limit {self.scale_up_within_seconds}s)")
        if not self.load_balancer_cidrs:
            raise ValueError("IngressGateway: load_balancer_cidrs is empty: nothing could reach the gateway")
        if not self.health_check_path.startswith("/"):
            raise ValueError("IngressGateway: health_check_path must start with '/'")
        if not self.dns_names:
            raise ValueError("IngressGateway: the serving certificate needs at least one DNS name")


def _behavior(policies: Sequence[ScalePolicy], window: int) -> dict[str, Any]:
    return {"stabilizationWindowSeconds": window, "selectPolicy": "Max",
            "policies": [{"type": p.type, "value": p.value, "periodSeconds": p.period_seconds} for p in policies]}


def helm_values(args: IngressGatewayArgs) -> dict[str, Any]:
    """Values of Istio's ``gateway`` chart: a ClusterIP Service (the ALB reaches pod IPs through
    the TargetGroupBinding), HPA + PDB + zone/node spread, restricted pod security, and the ALB
    counted as one trusted proxy (X-Forwarded-For gives the client's address)."""
    labels = pod_labels(args)
    spread = [
        {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": when,
         "labelSelector": {"matchLabels": labels}, "matchLabelKeys": ["pod-template-hash"]}
        for key, when in (("topology.kubernetes.io/zone", "DoNotSchedule"),
                          ("kubernetes.io/hostname", "ScheduleAnyway"))]
    return {
        "name": args.release_name,
        "labels": labels,
        "service": {"type": "ClusterIP", "ports": [
            {"name": "status-port", "port": STATUS_PORT, "protocol": "TCP", "targetPort": STATUS_PORT},
            {"name": "https", "port": args.port, "protocol": "TCP", "targetPort": args.port}]},
        "autoscaling": {
            "enabled": True, "minReplicas": args.min_replicas, "maxReplicas": args.max_replicas,
            "targetCPUUtilizationPercentage": args.target_cpu_percent,
            "autoscaleBehavior": {
                "scaleUp": _behavior(args.scale_up_policies, 0),
                "scaleDown": _behavior(args.scale_down_policies, args.scale_down_stabilization_seconds)}},
        "podDisruptionBudget": {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
        "topologySpreadConstraints": spread,
        # the chart's default is only the sysctl; restricted PSS also wants non-root + seccomp
        "securityContext": {
            "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
            "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]},
        "resources": {k: dict(v) for k, v in args.resources.items()},
        # merged with the chart's own pod annotations (injection template "gateway")
        "podAnnotations": {"proxy.istio.io/config": json.dumps({"gatewayTopology": {"numTrustedProxies": 1}})},
    }


def pod_labels(args: IngressGatewayArgs) -> dict[str, str]:
    """The gateway pods' selector labels (the chart's ``app`` and ``istio``)."""
    return {"app": args.release_name, "istio": args.istio_label}


@dataclass(frozen=True)
class GatewayRef:
    """What a service needs from the gateway: where its VirtualService binds and who calls it."""

    namespace: str
    name: str
    pod_labels: Mapping[str, str]

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}/{self.name}"


class IngressGateway(AzoraComponent):
    """The Istio ingress gateway and every allow on the ALB -> gateway hop.

    Outputs: ``namespace``, ``service_name``, ``port``, ``ref`` (a `GatewayRef` for services),
    ``release``, ``binding``.
    """

    def __init__(self, name: str, args: IngressGatewayArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:gateway:IngressGateway", name, provider, opts)
        self._args = args
        self._labels = pod_labels(args)
        self._namespace()
        self._network()
        certificate = self._certificate()
        self._gateway_release(certificate)
        self._istio_config()
        self._binding()
        self.ref = GatewayRef(namespace=args.namespace, name=args.gateway_name, pod_labels=self._labels)
        self.service_name = args.release_name
        self.port = args.port
        self.register_outputs({
            "namespace": args.namespace, "serviceName": self.service_name, "port": self.port,
            "gateway": self.ref.qualified_name, "releaseStatus": self.release.status,
        })

    def _k8s(self, *depends_on: pulumi.Resource | None) -> pulumi.ResourceOptions:
        return self.child_opts(provider=self._args.k8s_provider,
                               depends_on=[d for d in depends_on if d is not None] or None)

    def _namespace(self) -> None:
        self.namespace = k8s.core.v1.Namespace(
            self.child_name("namespace"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self._args.namespace, labels={
                **pss_labels("restricted"), "azora.io/role": "ingress"}),
            opts=self._k8s())

    def _network(self) -> None:
        """Default-deny + DNS + istiod egress; the load balancer's subnets in on the HTTPS port;
        the ALB's security group in on the nodes' security group."""
        args = self._args
        in_ns = self._k8s(self.namespace)
        netpol.isolate_namespace(self.child_name("netpol"), args.namespace, in_ns, mesh=True)
        netpol.policy(self.child_name("netpol", "allow-load-balancer"), "allow-load-balancer", args.namespace,
                      netpol.ingress_from_cidrs(self._labels, args.load_balancer_cidrs, [args.port]), in_ns)
        self.node_ingress = aws.vpc.SecurityGroupIngressRule(
            self.child_name("alb-to-gateway"), security_group_id=args.node_security_group_id,
            referenced_security_group_id=args.alb_security_group_id, ip_protocol="tcp",
            from_port=args.port, to_port=args.port,
            description=f"ALB to the ingress gateway pods on {args.port} (traffic and health checks)",
            opts=self.child_opts())

    def _certificate(self) -> k8s.apiextensions.CustomResource:
        """A self-signed Issuer and the gateway's serving Certificate (ECDSA P-256, 90 days,
        renewed 30 days before expiry, new key each time) written to `TLS_SECRET`."""
        args = self._args
        after = self._k8s(self.namespace, args.cert_manager_release)
        issuer = k8s.apiextensions.CustomResource(
            self.child_name("issuer"), api_version=CERT_MANAGER_API, kind="Issuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="gateway-self-signed", namespace=args.namespace),
            spec={"selfSigned": {}}, opts=after)
        return k8s.apiextensions.CustomResource(
            self.child_name("certificate"), api_version=CERT_MANAGER_API, kind="Certificate",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TLS_SECRET, namespace=args.namespace),
            spec={
                "secretName": TLS_SECRET, "commonName": args.dns_names[0], "dnsNames": list(args.dns_names),
                "duration": "2160h", "renewBefore": "720h",
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                "usages": ["server auth", "digital signature"],
                "issuerRef": {"group": "cert-manager.io", "kind": "Issuer", "name": "gateway-self-signed"},
            },
            opts=self._k8s(self.namespace, issuer, args.cert_manager_release))

    def _gateway_release(self, certificate: pulumi.Resource) -> None:
        args = self._args
        self.release = k8s.helm.v3.Release(
            self.child_name("release"), name=args.release_name, chart="gateway", version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart_repository),
            namespace=args.namespace, values=helm_values(args), atomic=True, cleanup_on_fail=True, timeout=600,
            # istiod injects the gateway's Envoy: the mesh first
            opts=self._k8s(self.namespace, certificate, *args.mesh_releases))

    def _istio_config(self) -> None:
        args = self._args
        after = self._k8s(self.namespace, *args.mesh_releases)
        self.gateway = k8s.apiextensions.CustomResource(
            self.child_name("gateway"), api_version=ISTIO_API, kind="Gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.gateway_name, namespace=args.namespace),
            spec={"selector": {"istio": args.istio_label}, "servers": [{
                "port": {"number": args.port, "name": "https", "protocol": "HTTPS"},
                "hosts": ["*"],
                "tls": {"mode": "SIMPLE", "credentialName": TLS_SECRET, "minProtocolVersion": args.min_tls_version},
            }]},
            opts=after)
        # answered by the gateway's Envoy itself: proves DNS -> ALB -> WAF -> TLS -> gateway
        k8s.apiextensions.CustomResource(
            self.child_name("healthz"), api_version=ISTIO_API, kind="VirtualService",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="gateway-healthz", namespace=args.namespace),
            spec={"hosts": ["*"], "gateways": [args.gateway_name], "http": [{
                "name": "healthz", "match": [{"uri": {"exact": args.health_check_path}}],
                "directResponse": {"status": 200, "body": {"string": "ok\n"}},
            }]},
            opts=self._k8s(self.gateway))
        k8s.apiextensions.CustomResource(
            self.child_name("access-log"), api_version="telemetry.istio.io/v1", kind="Telemetry",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="gateway-access-log", namespace=args.namespace),
            spec={"selector": {"matchLabels": self._labels},
                  "accessLogging": [{"providers": [{"name": ACCESS_LOG_PROVIDER}]}]},
            opts=after)

    def _binding(self) -> None:
        args = self._args
        bindings = TargetGroupBindings(
            self.child_name("binding"),
            {args.release_name: TargetGroupBindingSpec(
                target_group_arn=args.target_group_arn, namespace=args.namespace,
                service_name=args.release_name, service_port=args.port)},
            args.k8s_provider,
            depends_on=[d for d in (self.release, args.lb_controller_release) if d is not None],
            opts=pulumi.ResourceOptions(parent=self))
        self.binding = bindings.bindings[args.release_name]
