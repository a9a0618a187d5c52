"""`azora:eks`: the region's EKS cluster, its node groups, team namespaces, access and mesh.

Every default is production-safe and validates with no `azora:eks` section in the stack file:
a private API endpoint, Graviton (arm64) on-demand system nodes, control-plane logs kept 90 days,
the Azora team namespaces with quotas, Karpenter and the Istio mesh on.
"""

from __future__ import annotations

import ipaddress
import re
from enum import Enum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel, FieldError, check_log_retention

_IAM_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_K8S_VERSION = re.compile(r"^1\.(2[89]|3\d)$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_SEMVER = re.compile(r"^v?\d+\.\d+\.\d+([-+][\w.]+)?$")
#: ranges that never reach the public endpoint (RFC 1918, carrier-grade NAT, loopback, link-local)
_NON_PUBLIC = tuple(ipaddress.IPv4Network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"))
#: the widest network one `publicAccessCidrs` entry may be (/24 = 256 addresses): an operator
#: office or VPN egress; anything wider lets a large share of the internet reach the API server
PUBLIC_ACCESS_WIDEST_PREFIX = 24
#: namespaces Kubernetes, EKS and the platform own; a team namespace may not take these names
RESERVED_NAMESPACES = frozenset({
    "default", "kube-system", "kube-public", "kube-node-lease", "istio-system", "karpenter",
    "cert-manager", "external-secrets",
})


class AmiFamily(str, Enum):
    AL2023 = "AL2023"
    BOTTLEROCKET = "BOTTLEROCKET"


class CapacityType(str, Enum):
    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"


def _role_arns(v: tuple[str, ...]) -> tuple[str, ...]:
    for arn in v:
        if not _IAM_ROLE_ARN.match(arn):
            raise ValueError(f"{arn} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
    return v


def _quantity(v: str) -> str:
    if not _QUANTITY.match(v):
        raise ValueError(f"{v!r} is not a Kubernetes quantity (e.g. 500m, 2, 4Gi)")
    return v


class TaintConfig(ConfigModel):
    key: str = Field(min_length=1, max_length=63)
    value: str | None = None
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"] = "NO_SCHEDULE"


class NodeGroupConfig(ConfigModel):
    """One EKS managed node group (keyed by name in `nodeGroups`)."""

    #: OS family; arm64 (Graviton) images unless `architecture` is x86_64
    ami_type: AmiFamily = AmiFamily.AL2023
    architecture: Literal["arm64", "x86_64"] = "arm64"
    #: instance types (must match `architecture`); Graviton by default
    instance_types: tuple[str, ...] = ("m7g.large", "m7g.xlarge")
    #: SPOT only for groups marked `stateless` (interruptions must not lose state)
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    stateless: bool = False
    min_size: int = Field(default=2, ge=0, le=450)
    max_size: int = Field(default=6, ge=1, le=450)
    #: the initial size only: the cluster autoscaler / Karpenter own it afterwards (ignored on update)
    desired_size: int = Field(default=3, ge=0, le=450)
    #: root (AL2023) or data (Bottlerocket) volume, gp3, encrypted with the region's data key
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    labels: dict[str, str] = Field(default_factory=dict)
    taints: tuple[TaintConfig, ...] = ()

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("at least one instance type is required")
        for t in v:
            if not re.match(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$", t):
                raise ValueError(f"{t!r} is not an EC2 instance type")
        return v

    @property
    def graviton(self) -> bool:
        return self.architecture == "arm64"

    @property
    def eks_ami_type(self) -> str:
        """The EKS `amiType` value: AL2023_ARM_64_STANDARD, BOTTLEROCKET_x86_64, ..."""
        if self.ami_type is AmiFamily.AL2023:
            return "AL2023_ARM_64_STANDARD" if self.graviton else "AL2023_x86_64_STANDARD"
        return "BOTTLEROCKET_ARM_64" if self.graviton else "BOTTLEROCKET_x86_64"


class QuotaConfig(ConfigModel):
    """A team namespace's ResourceQuota (sums over all its pods)."""

    requests_cpu: str = "8"
    requests_memory: str = "16Gi"
    limits_cpu: str = "16"
    limits_memory: str = "32Gi"
    pods: int = Field(default=100, ge=1, le=10000)

    @field_validator("requests_cpu", "requests_memory", "limits_cpu", "limits_memory")
    @classmethod
    def _quantities(cls, v: str) -> str:
        return _quantity(v)


class LimitRangeConfig(ConfigModel):
    """Per-container defaults (containers without their own requests/limits get these)."""

    default_cpu: str = "500m"
    default_memory: str = "512Mi"
    default_request_cpu: str = "100m"
    default_request_memory: str = "128Mi"
    max_cpu: str = "4"
    max_memory: str = "8Gi"

    @field_validator("default_cpu", "default_memory", "default_request_cpu", "default_request_memory",
                     "max_cpu", "max_memory")
    @classmethod
    def _quantities(cls, v: str) -> str:
        return _quantity(v)


class NamespaceConfig(ConfigModel):
    """A team namespace (keyed by the namespace name in `namespaces`)."""

    #: the owning team (`azora:team` label, cost allocation)
    team: str = Field(min_length=1, max_length=63)
    quota: QuotaConfig = Field(default_factory=QuotaConfig)
    limits: LimitRangeConfig = Field(default_factory=LimitRangeConfig)


class AccessConfig(ConfigModel):
    """IAM roles mapped to cluster roles through EKS access entries (authentication mode API)."""

    #: cluster-admin everywhere
    platform_admins: tuple[str, ...] = ()
    #: edit in the team namespaces only
    developers: tuple[str, ...] = ()
    #: read-only everywhere (no secrets)
    viewers: tuple[str, ...] = ()

    @field_validator("platform_admins", "developers", "viewers")
    @classmethod
    def _arns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _role_arns(v)

    @model_validator(mode="after")
    def _one_role_each(self) -> AccessConfig:
        seen: dict[str, str] = {}
        for group, arns in (("platformAdmins", self.platform_admins), ("developers", self.developers),
                            ("viewers", self.viewers)):
            for arn in arns:
                if arn in seen:
                    raise FieldError(f"eks.access.{group}",
                                     f"{arn} is already in {seen[arn]}: an IAM principal has one access entry")
                seen[arn] = group
        return self


class MeshConfig(ConfigModel):
    """The Istio service mesh (sidecar mode) enforcing mutual TLS between every pair of pods."""

    enabled: bool = True
    #: Istio chart version (base and istiod)
    version: str = "1.27.1"
    #: the chart repository (mirror it for air-gapped installs)
    repository: str = "https://istio-release.storage.googleapis.com/charts"

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not _SEMVER.match(v):
            raise ValueError(f"{v!r} is not a chart version (x.y.z)")
        return v


class KarpenterConfig(ConfigModel):
    enabled: bool = True
    #: Karpenter chart version (oci://public.ecr.aws/karpenter/karpenter)
    version: str = "1.6.3"
    #: also create a default EC2NodeClass + NodePool (Graviton, on-demand and spot, encrypted gp3)
    default_node_pool: bool = True
    #: vCPU limit of the default NodePool (a ceiling on what Karpenter may launch)
    cpu_limit: int = Field(default=200, ge=1)

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not _SEMVER.match(v):
            raise ValueError(f"{v!r} is not a chart version (x.y.z)")
        return v.removeprefix("v")


def _default_node_groups() -> dict[str, NodeGroupConfig]:
    # The managed "system" group runs the add-ons, Karpenter and istiod; Karpenter adds workload nodes.
    return {"system": NodeGroupConfig(labels={"azora.io/node-pool": "system"})}


def _default_namespaces() -> dict[str, NamespaceConfig]:
    return {name: NamespaceConfig(team=name) for name in ("education", "marketplace", "ai")}


class EksConfig(ConfigModel):
    #: create the cluster at all (the baseline and Karpenter need it)
    enabled: bool = True
    kubernetes_version: str = "1.33"
    #: CIDRs allowed to reach the public API endpoint, each no wider than /24 (at most 40);
    #: empty (default): the endpoint is private only
    public_access_cidrs: tuple[str, ...] = Field(default=(), max_length=40)
    #: control-plane log retention (days); the log group is KMS-encrypted with the logs key
    log_retention_days: int = 90
    #: unset: the environment preset (on in staging and prod)
    deletion_protection: bool | None = None
    #: the IAM role `pulumi up` runs as: gets cluster-admin through an access entry and the
    #: kubeconfig assumes it (`--role-arn`). Unset: the caller's own identity gets the entry.
    deployer_role_arn: str | None = None
    node_groups: dict[str, NodeGroupConfig] = Field(default_factory=_default_node_groups)
    namespaces: dict[str, NamespaceConfig] = Field(default_factory=_default_namespaces)
    access: AccessConfig = Field(default_factory=AccessConfig)
    mesh: MeshConfig = Field(default_factory=MeshConfig)
    karpenter: KarpenterConfig = Field(default_factory=KarpenterConfig)
    #: AWS Load Balancer Controller chart version (https://aws.github.io/eks-charts); it
    #: reconciles the edge's TargetGroupBindings
    lb_controller_chart_version: str = "1.13.4"
    #: cert-manager chart version (https://charts.jetstack.io; its versions start with v): it
    #: issues the ingress gateway's serving certificate
    cert_manager_chart_version: str = "v1.18.2"
    #: External Secrets Operator chart version (https://charts.external-secrets.io): it syncs
    #: the services' Secrets Manager secrets
    external_secrets_chart_version: str = "0.19.2"

    @field_validator("lb_controller_chart_version", "external_secrets_chart_version")
    @classmethod
    def _lb_chart(cls, v: str) -> str:
        if not _SEMVER.match(v):
            raise ValueError(f"{v!r} is not a chart version (x.y.z)")
        return v.removeprefix("v")

    @field_validator("cert_manager_chart_version")
    @classmethod
    def _cert_manager_chart(cls, v: str) -> str:
        if not _SEMVER.match(v):
            raise ValueError(f"{v!r} is not a chart version (vx.y.z)")
        return v if v.startswith("v") else f"v{v}"

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not _K8S_VERSION.match(v):
            raise ValueError(f"{v!r} is not a supported EKS Kubernetes version (1.28 to 1.39)")
        return v

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in v:
            try:
                net = ipaddress.IPv4Network(cidr, strict=True)
            except (ValueError, TypeError):
                raise ValueError(f"{cidr} is not a valid IPv4 network") from None
            if net.prefixlen == 0:
                raise ValueError(f"{cidr} opens the API endpoint to the whole internet; list your egress CIDRs")
            if any(net.overlaps(block) for block in _NON_PUBLIC):
                raise ValueError(f"{cidr} is not a public range: the private endpoint already serves the VPC")
            if net.prefixlen < PUBLIC_ACCESS_WIDEST_PREFIX:
                raise ValueError(f"{cidr} is wider than /{PUBLIC_ACCESS_WIDEST_PREFIX} ({net.num_addresses} "
                                 f"addresses): list your operators' egress addresses, each /"
                                 f"{PUBLIC_ACCESS_WIDEST_PREFIX} or narrower")
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        return check_log_retention(v)

    @field_validator("deployer_role_arn")
    @classmethod
    def _deployer(cls, v: str | None) -> str | None:
        return None if v is None else _role_arns((v,))[0]

    @model_validator(mode="after")
    def _cross_checks(self) -> EksConfig:
        if self.enabled and not self.node_groups:
            raise FieldError("eks.nodeGroups", "at least one managed node group is required (it runs the add-ons)")
        for name, group in self.node_groups.items():
            where = f"eks.nodeGroups.{name}"
            if not _DNS_LABEL.match(name):
                raise FieldError(where, f"{name!r} must be a DNS label (lowercase letters, digits, '-')")
            if group.capacity_type is CapacityType.SPOT and not group.stateless:
                raise FieldError(f"{where}.capacityType",
                                 "SPOT is allowed only for node groups marked `stateless: true` "
                                 "(spot nodes are reclaimed with 2 minutes' notice)")
            if not group.min_size <= group.desired_size <= group.max_size:
                raise FieldError(f"{where}.desiredSize",
                                 f"needs minSize <= desiredSize <= maxSize (got {group.min_size} <= "
                                 f"{group.desired_size} <= {group.max_size})")
            graviton_types = all(re.match(r"^[a-z]+\d+g[a-z]*\.", t) for t in group.instance_types)
            if group.graviton != graviton_types:
                raise FieldError(f"{where}.instanceTypes",
                                 f"{list(group.instance_types)} do not all match architecture "
                                 f"{group.architecture} (Graviton types have a 'g' after the generation)")
        for ns in self.namespaces:
            if not _DNS_LABEL.match(ns):
                raise FieldError(f"eks.namespaces.{ns}", f"{ns!r} must be a DNS label")
            if ns in RESERVED_NAMESPACES or ns.startswith("kube-"):
                raise FieldError(f"eks.namespaces.{ns}", f"{ns!r} is reserved for the platform")
        return self
