"""`StackConfig`: the whole `azora:` namespace of one stack file, validated once."""

from __future__ import annotations

from enum import Enum

from pydantic import Field, field_validator, model_validator

from .. import regions
from .backup import BackupConfig
from .base import ConfigModel, FieldError
from .cache import CacheConfig
from .database import DatabaseConfig
from .dns import DnsConfig
from .edge import EdgeConfig
from .eks import EksConfig
from .kms import KmsConfig
from .network import NetworkConfig
from .presets import PRESETS, Environment, Preset
from .services import ServiceConfig, check_service_name
from .tags import TagsConfig
from .validators import quantity


class Role(str, Enum):
    PRIMARY = "primary"  # owns the global resources (Aurora global cluster, cache global datastore, zone)
    SECONDARY = "secondary"  # joins them through a StackReference to the primary stack


class StackConfig(ConfigModel):
    #: the AWS region of this stack; must equal `aws:region`
    region: str
    environment: Environment = Environment.PROD
    role: Role
    #: the name of the stack that is primary (e.g. "africa"); a secondary reads its outputs
    primary_stack: str = Field(min_length=1)
    #: fully qualified stack references use this org; unset: the current organization
    organization: str | None = None
    network: NetworkConfig
    tags: TagsConfig
    kms: KmsConfig = Field(default_factory=KmsConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    edge: EdgeConfig = Field(default_factory=EdgeConfig)
    dns: DnsConfig = Field(default_factory=DnsConfig)
    backup: BackupConfig = Field(default_factory=BackupConfig)
    eks: EksConfig = Field(default_factory=EksConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    services: dict[str, ServiceConfig] = Field(default_factory=dict)

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        try:
            regions.region(v)
        except regions.UnknownRegionError as err:
            raise ValueError(err.args[0]) from None
        return v

    @model_validator(mode="after")
    def _zones_exist(self) -> StackConfig:
        available = regions.REGIONS[self.region].az_count
        if self.network.az_count > available:
            raise FieldError("network.azCount", f"{self.region} has only {available} availability zones")
        return self

    @model_validator(mode="after")
    def _request_path(self) -> StackConfig:
        """The gateway's namespace is its own, and the Route 53 checks ask the route it answers."""
        gw = self.edge.gateway
        if gw.namespace in self.eks.namespaces:
            raise FieldError("edge.gateway.namespace", f"{gw.namespace!r} is a team namespace; the gateway has its own")
        if self.dns.health_check_path != gw.health_check_path:
            raise FieldError("dns.healthCheckPath",
                             f"{self.dns.health_check_path} is not the gateway's health route "
                             f"{gw.health_check_path} (azora:edge.gateway.healthCheckPath): every check would fail")
        return self

    @model_validator(mode="after")
    def _services_fit_the_cluster(self) -> StackConfig:
        """Each service lives in a team namespace, its callers exist, and no two exposed services
        claim overlapping paths."""
        if self.services and not self.eks.enabled:
            raise FieldError("services", "services run on the cluster: azora:eks.enabled must be true")
        for name, svc in sorted(self.services.items()):
            where = f"services.{name}"
            problem = check_service_name(name)
            if problem:
                raise FieldError(where, problem)
            ns = svc.namespace_name()
            if ns not in self.eks.namespaces:
                known = ", ".join(self.eks.namespaces) or "none"
                raise FieldError(f"{where}.namespace" if svc.namespace else f"{where}.team",
                                 f"{ns!r} is not a team namespace of azora:eks.namespaces ({known})")
            for caller in svc.callers:
                if caller not in self.services or caller == name:
                    raise FieldError(f"{where}.callers", f"{caller!r} is not another service of azora:services")
            self._within_container_limits(name, svc)
        self._no_overlapping_routes()
        self._quotas_fit()
        return self

    def _within_container_limits(self, name: str, svc: ServiceConfig) -> None:
        """A container above the namespace's LimitRange maximum is refused by the API server."""
        ns = self.eks.namespaces[svc.namespace_name()]
        for key, value, maximum in (("limitsCpu", svc.resources.limits_cpu, ns.limits.max_cpu),
                                    ("limitsMemory", svc.resources.limits_memory, ns.limits.max_memory)):
            if quantity(value) > quantity(maximum):
                raise FieldError(f"services.{name}.resources.{key}",
                                 f"{value} is above the namespace's container maximum {maximum}")

    def _quotas_fit(self) -> None:
        """The services of a namespace fit its ResourceQuota at their minimum replicas (with
        their sidecars and migration pods): otherwise the first rollout cannot start its pods."""
        keys = {"requests.cpu": "requestsCpu", "requests.memory": "requestsMemory", "limits.cpu": "limitsCpu",
                "limits.memory": "limitsMemory", "pods": "pods"}
        for ns, spec in sorted(self.eks.namespaces.items()):
            services = [s for s in self.services.values() if s.namespace_name() == ns]
            if not services:
                continue
            q = spec.quota
            have = {"requests.cpu": quantity(q.requests_cpu), "requests.memory": quantity(q.requests_memory),
                    "limits.cpu": quantity(q.limits_cpu), "limits.memory": quantity(q.limits_memory),
                    "pods": float(q.pods)}
            for key, field in keys.items():
                need = sum(s.minimum_footprint()[key] for s in services)
                if need > have[key]:
                    shown = f"{need / 2**30:.1f}Gi" if "memory" in key else f"{need:g}"
                    raise FieldError(f"eks.namespaces.{ns}.quota.{field}",
                                     f"the services in {ns} need {shown} at their minimum replicas "
                                     "(with sidecars and migration pods); raise the quota")

    def _no_overlapping_routes(self) -> None:
        claimed: dict[str, str] = {}
        health = self.edge.gateway.health_check_path
        for name, svc in sorted(self.services.items()):
            if not svc.exposed:
                continue
            prefix = svc.prefix(name)
            for other_prefix, other in claimed.items():
                if (prefix + "/").startswith(other_prefix + "/") or (other_prefix + "/").startswith(prefix + "/"):
                    raise FieldError(f"services.{name}.pathPrefix",
                                     f"{prefix} overlaps {other_prefix} of service {other}")
            if (health + "/").startswith(prefix + "/"):
                raise FieldError(f"services.{name}.pathPrefix", f"{prefix} would take the health route {health}")
            claimed[prefix] = name

    @property
    def preset(self) -> Preset:
        return PRESETS[self.environment]

    @property
    def jurisdiction(self) -> regions.Jurisdiction:
        return regions.jurisdiction_of(self.region)

    @property
    def azs(self) -> tuple[str, ...]:
        return regions.REGIONS[self.region].azs[: self.network.az_count]

    @property
    def is_primary(self) -> bool:
        return self.role is Role.PRIMARY

    @property
    def nat_per_az(self) -> bool:
        if self.network.nat_gateways is None:
            return self.preset.nat_per_az
        return self.network.nat_gateways == "per-az"

    @property
    def log_retention_days(self) -> int:
        return self.network.flow_log_retention_days or self.preset.log_retention_days

    def cost_tags(self) -> dict[str, str]:
        return self.tags.cost_tags(self.environment.value)
