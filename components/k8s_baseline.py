"""`KubernetesBaseline`: what every Azora cluster has before a team deploys anything.

Through the cluster's Kubernetes provider: team namespaces under the `restricted` Pod Security
Standard with a ResourceQuota and a LimitRange, RBAC for the access-entry groups
(platform-admin / developer / viewer), default-deny NetworkPolicies (enforced by the VPC CNI's
network-policy agent) with DNS (and mesh control-plane) egress allowed, an encrypted gp3 default
StorageClass, and the Istio service mesh with mesh-wide STRICT mutual TLS and a JSON access-log
provider (`ACCESS_LOG_PROVIDER`) that workloads turn on with a `Telemetry` resource.

Why Istio (not Linkerd): mesh-wide STRICT mTLS is one declarative `PeerAuthentication` that makes
every sidecar refuse plaintext; the Istio CNI node agent removes the NET_ADMIN init container so
meshed pods pass the `restricted` Pod Security Standard; and Istio is a CNCF-graduated project
with open-source stable releases (Linkerd's stable releases have come only from a vendor since
2024). See docs/components/kubernetes-baseline.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from . import netpol
from .base import AzoraComponent
from .eks import GROUP_DEVELOPERS, GROUP_PLATFORM_ADMINS, GROUP_VIEWERS
from .netpol import MESH_NAMESPACE

PSS = "pod-security.kubernetes.io"
DEFAULT_MESH_VERSION = "1.27.1"
DEFAULT_MESH_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
#: the mesh's access-log provider (JSON to stdout): a `Telemetry` resource turns it on per
#: workload (the ingress gateway does); the header ``x-azora-api-version`` is set per route
ACCESS_LOG_PROVIDER = "azora-access-log"
API_VERSION_HEADER = "x-azora-api-version"
ACCESS_LOG_FORMAT: dict[str, str] = {
    "start_time": "%START_TIME%",
    "method": "%REQ(:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "authority": "%REQ(:AUTHORITY)%",
    "api_version": f"%REQ({API_VERSION_HEADER.upper()})%",
    "response_code": "%RESPONSE_CODE%",
    "response_flags": "%RESPONSE_FLAGS%",
    "duration_ms": "%DURATION%",
    "upstream_service_time_ms": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    "upstream_cluster": "%UPSTREAM_CLUSTER%",
    "upstream_host": "%UPSTREAM_HOST%",
    "client_ip": "%REQ(X-FORWARDED-FOR)%",
    "user_agent": "%REQ(USER-AGENT)%",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
}


def pss_labels(level: str, enforce: str | None = None) -> dict[str, str]:
    """Pod Security Admission labels: audit and warn at ``level``, enforce at ``enforce``
    (default: ``level``), latest version."""
    return {f"{PSS}/enforce": enforce or level, f"{PSS}/enforce-version": "latest",
            f"{PSS}/audit": level, f"{PSS}/audit-version": "latest",
            f"{PSS}/warn": level, f"{PSS}/warn-version": "latest"}


@dataclass(frozen=True)
class QuotaSpec:
    """A namespace's ResourceQuota (sums over all its pods)."""

    requests_cpu: str = "8"
    requests_memory: str = "16Gi"
    limits_cpu: str = "16"
    limits_memory: str = "32Gi"
    pods: int = 100


@dataclass(frozen=True)
class LimitsSpec:
    """Per-container defaults and maxima (LimitRange)."""

    default_cpu: str = "500m"
    default_memory: str = "512Mi"
    default_request_cpu: str = "100m"
    default_request_memory: str = "128Mi"
    max_cpu: str = "4"
    max_memory: str = "8Gi"


@dataclass(frozen=True)
class NamespaceSpec:
    #: the owning team (``azora.io/team`` label)
    team: str
    quota: QuotaSpec = field(default_factory=QuotaSpec)
    limits: LimitsSpec = field(default_factory=LimitsSpec)


_PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")
_SERVICE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")


@dataclass(frozen=True)
class OtelTracingProvider:
    """An OpenTelemetry tracing provider of the mesh config (``meshConfig.extensionProviders``):
    Envoy exports its spans over OTLP/HTTP to ``service:port`` at ``path``. Istio reads tracing
    providers from the mesh config only; a `Telemetry` resource then turns tracing on by ``name``
    (`components.telemetry.ClusterTelemetry` does, mesh-wide, with `agent_tracing_provider`)."""

    name: str
    #: the collector's Service, fully qualified (``<service>.<namespace>.svc.cluster.local``)
    service: str
    port: int
    path: str = "/v1/traces"
    timeout: str = "5s"

    def validate(self) -> None:
        if not _PROVIDER_NAME.match(self.name) or self.name == ACCESS_LOG_PROVIDER:
            raise ValueError(f"OtelTracingProvider: {self.name!r} is not a provider name (lowercase letters, "
                             f"digits, '.' and '-', not {ACCESS_LOG_PROVIDER!r})")
        if not _SERVICE.match(self.service) or not 1 <= self.port <= 65535 or not self.path.startswith("/"):
            raise ValueError(f"OtelTracingProvider {self.name}: service {self.service!r}, port {self.port} and "
                             f"path {self.path!r} must be a DNS name, 1-65535 and an absolute path")

    def extension_provider(self) -> dict[str, object]:
        return {"name": self.name, "opentelemetry": {
            "service": self.service, "port": self.port, "http": {"path": self.path, "timeout": self.timeout}}}


@dataclass(frozen=True)
class MeshSpec:
    """The Istio service mesh (sidecar mode): charts base, cni and istiod of one version."""

    enabled: bool = True
    version: str = DEFAULT_MESH_VERSION
    repository: str = DEFAULT_MESH_REPOSITORY
    #: OpenTelemetry tracing providers added to the mesh config (names a `Telemetry` may use)
    tracing_providers: Sequence[OtelTracingProvider] = ()

    def validate(self) -> None:
        names = [p.name for p in self.tracing_providers]
        if len(set(names)) != len(names):
            raise ValueError(f"MeshSpec: tracing provider names must be unique (got {names})")
        for provider in self.tracing_providers:
            provider.validate()


@dataclass(frozen=True)
class KubernetesBaselineArgs:
    #: the cluster's ready provider (`EksCluster.k8s_provider`); every child uses it
    k8s_provider: pulumi.ProviderResource
    #: team namespaces keyed by namespace name
    namespaces: Mapping[str, NamespaceSpec] = field(default_factory=dict)
    mesh: MeshSpec = field(default_factory=MeshSpec)
    #: KMS key (ARN) for the default gp3 StorageClass; None: no StorageClass is created
    data_key_arn: pulumi.Input[str] | None = None


class KubernetesBaseline(AzoraComponent):
    """Namespaces, quotas, RBAC, network policies, storage class and the mTLS mesh.

    Outputs: ``namespace_names`` (key -> name), ``mesh_namespace`` (None without the mesh),
    ``cluster_roles`` (role -> ClusterRole name), ``mesh_releases`` (the Helm releases a mesh
    resource must wait for: base brings the CRDs, istiod validates them), ``peer_authentication``.
    """

    def __init__(self, name: str, args: KubernetesBaselineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args.mesh.validate()
        super().__init__("azora:k8s:Baseline", name, args.k8s_provider, opts)
        self._k8s_provider = args.k8s_provider
        self._rbac()
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        for ns, spec in args.namespaces.items():
            self._team_namespace(ns, spec, args.mesh.enabled)
        if args.data_key_arn is not None:
            self._storage_class(args.data_key_arn)
        self.mesh_namespace: str | None = None
        self.mesh_releases: list[k8s.helm.v3.Release] = []
        self.peer_authentication: k8s.apiextensions.CustomResource | None = None
        if args.mesh.enabled:
            self._mesh(args.mesh, self._k8s_opts)
            self.mesh_namespace = MESH_NAMESPACE
            self.mesh_releases = [self.mesh_base, self.mesh_istiod]

        self.namespace_names = {k: n.metadata.name for k, n in self.namespaces.items()}
        self.register_outputs({
            "namespaceNames": self.namespace_names, "meshNamespace": self.mesh_namespace,
            "clusterRoles": {k: r.metadata.name for k, r in self.cluster_roles.items()},
        })

    def _k8s_opts(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        return self.child_opts(provider=self._k8s_provider, depends_on=list(depends_on) or None)

    def _rbac(self) -> None:
        """ClusterRoles for the access-entry groups (platform-admin / developer / viewer)."""
        self.cluster_roles: dict[str, k8s.rbac.v1.ClusterRole] = {
            "platform-admin": k8s.rbac.v1.ClusterRole(
                self.child_name("role", "platform-admin"),
                metadata=k8s.meta.v1.ObjectMetaArgs(name="azora-platform-admin"),
                rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=["*"], resources=["*"], verbs=["*"]),
                       k8s.rbac.v1.PolicyRuleArgs(non_resource_urls=["*"], verbs=["*"])],
                opts=self._k8s_opts()),
            # developer/viewer follow Kubernetes' own edit/view roles (and every CRD that aggregates to them)
            "developer": self._aggregated("developer", "edit", self._k8s_opts()),
            "viewer": self._aggregated("viewer", "view", self._k8s_opts()),
        }
        k8s.rbac.v1.ClusterRoleBinding(
            self.child_name("binding", "platform-admin"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="azora-platform-admins"),
            role_ref=_role_ref("azora-platform-admin"), subjects=[_group(GROUP_PLATFORM_ADMINS)],
            opts=self._k8s_opts(self.cluster_roles["platform-admin"]))
        k8s.rbac.v1.ClusterRoleBinding(
            self.child_name("binding", "viewer"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="azora-viewers"),
            role_ref=_role_ref("azora-viewer"), subjects=[_group(GROUP_VIEWERS)],
            opts=self._k8s_opts(self.cluster_roles["viewer"]))

    def _team_namespace(self, ns: str, spec: NamespaceSpec, mesh: bool) -> None:
        """The namespace (restricted PSS, sidecar injection), its quota, limits, developer
        binding and network isolation."""
        labels = {**pss_labels("restricted"), "azora.io/team": spec.team}
        if mesh:
            labels["istio-injection"] = "enabled"
        namespace = k8s.core.v1.Namespace(
            self.child_name("ns", ns), metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels=labels),
            opts=self._k8s_opts())
        self.namespaces[ns] = namespace
        meta = k8s.meta.v1.ObjectMetaArgs(namespace=ns, labels={"azora.io/team": spec.team})
        in_ns = self._k8s_opts(namespace)
        q = spec.quota
        k8s.core.v1.ResourceQuota(
            self.child_name("ns", ns, "quota"), metadata=_named(meta, "team-quota"),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard={
                "requests.cpu": q.requests_cpu, "requests.memory": q.requests_memory,
                "limits.cpu": q.limits_cpu, "limits.memory": q.limits_memory, "pods": str(q.pods)}),
            opts=in_ns)
        lim = spec.limits
        k8s.core.v1.LimitRange(
            self.child_name("ns", ns, "limits"), metadata=_named(meta, "container-defaults"),
            spec=k8s.core.v1.LimitRangeSpecArgs(limits=[k8s.core.v1.LimitRangeItemArgs(
                type="Container",
                default={"cpu": lim.default_cpu, "memory": lim.default_memory},
                default_request={"cpu": lim.default_request_cpu, "memory": lim.default_request_memory},
                max={"cpu": lim.max_cpu, "memory": lim.max_memory})]),
            opts=in_ns)
        k8s.rbac.v1.RoleBinding(
            self.child_name("ns", ns, "developers"), metadata=_named(meta, "azora-developers"),
            role_ref=_role_ref("azora-developer"), subjects=[_group(GROUP_DEVELOPERS)],
            opts=self._k8s_opts(namespace, self.cluster_roles["developer"]))
        netpol.isolate_namespace(self.child_name("ns", ns), ns, in_ns, mesh=mesh, labels={"azora.io/team": spec.team})

    def _storage_class(self, data_key_arn: pulumi.Input[str]) -> None:
        k8s.storage.v1.StorageClass(
            self.child_name("storage", "gp3"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="gp3-encrypted", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": data_key_arn},
            volume_binding_mode="WaitForFirstConsumer", allow_volume_expansion=True, reclaim_policy="Delete",
            opts=self._k8s_opts())

    def _aggregated(self, role: str, builtin: str, opts: pulumi.ResourceOptions) -> k8s.rbac.v1.ClusterRole:
        return k8s.rbac.v1.ClusterRole(
            self.child_name("role", role),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"azora-{role}"),
            aggregation_rule=k8s.rbac.v1.AggregationRuleArgs(cluster_role_selectors=[k8s.meta.v1.LabelSelectorArgs(
                match_labels={f"rbac.authorization.k8s.io/aggregate-to-{builtin}": "true"})]),
            opts=opts)

    def _mesh(self, cfg: MeshSpec, k8s_opts: Callable[..., pulumi.ResourceOptions]) -> None:
        # the CNI node agent needs hostPath: its namespace is the one that runs privileged
        mesh_ns = k8s.core.v1.Namespace(
            self.child_name("mesh", "namespace"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=MESH_NAMESPACE, labels=pss_labels("privileged")),
            opts=k8s_opts())
        repo = k8s.helm.v3.RepositoryOptsArgs(repo=cfg.repository)

        def release(key: str, chart: str, values: dict[str, object], *after: pulumi.Resource) -> k8s.helm.v3.Release:
            return k8s.helm.v3.Release(
                self.child_name("mesh", key), name=f"istio-{key}", chart=chart, version=cfg.version,
                repository_opts=repo, namespace=MESH_NAMESPACE, values=values, atomic=True,
                cleanup_on_fail=True, timeout=600, opts=k8s_opts(mesh_ns, *after))

        self.mesh_base = release("base", "base", {"defaultRevision": "default"})
        self.mesh_cni = release("cni", "cni", {"global": {"logAsJson": True}}, self.mesh_base)
        self.mesh_istiod = release("istiod", "istiod", istiod_values(cfg.tracing_providers),
                                   self.mesh_base, self.mesh_cni)
        # mesh-wide: a PeerAuthentication named default in the root namespace applies to every workload
        self.peer_authentication = k8s.apiextensions.CustomResource(
            self.child_name("mesh", "strict-mtls"),
            api_version="security.istio.io/v1", kind="PeerAuthentication",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default", namespace=MESH_NAMESPACE),
            spec={"mtls": {"mode": "STRICT"}},
            opts=k8s_opts(self.mesh_istiod))


def istiod_values(tracing_providers: Sequence[OtelTracingProvider] = ()) -> dict[str, object]:
    """istiod chart values: two replicas with the CNI agent, JSON logs, the mesh's JSON
    access-log provider (turned on per workload by a `Telemetry` resource, not mesh-wide) and the
    OpenTelemetry tracing providers a `Telemetry` resource may name."""
    return {
        "pilot": {"cni": {"enabled": True}, "autoscaleMin": 2, "replicaCount": 2},
        "global": {"logAsJson": True},
        "meshConfig": {
            "enablePrometheusMerge": True,
            "extensionProviders": [{
                "name": ACCESS_LOG_PROVIDER,
                "envoyFileAccessLog": {"path": "/dev/stdout", "logFormat": {"labels": dict(ACCESS_LOG_FORMAT)}},
            }, *(p.extension_provider() for p in tracing_providers)],
        },
    }


def _named(meta: k8s.meta.v1.ObjectMetaArgs, name: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=meta.namespace, labels=meta.labels)


def _role_ref(name: str) -> k8s.rbac.v1.RoleRefArgs:
    return k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=name)


def _group(name: str) -> k8s.rbac.v1.SubjectArgs:
    return k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="Group", name=name)
