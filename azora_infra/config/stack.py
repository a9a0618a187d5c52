"""`StackConfig`: the whole `azora:` namespace of one stack file, validated once."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import Field, field_validator, model_validator

from .. import regions
from .alerting import AlertingConfig, check_pager_url
from .audit import AuditConfig
from .backup import BackupConfig
from .base import ConfigModel, FieldError
from .cache import CacheConfig
from .chaos import ChaosConfig
from .cost import CostConfig
from .database import DatabaseConfig
from .dns import DnsConfig
from .edge import EdgeConfig
from .eks import EksConfig
from .identity import IdentityConfig
from .incidents import IncidentsConfig
from .kms import KmsConfig
from .load_test import LoadTestConfig
from .network import NetworkConfig
from .observability import ObservabilityConfig
from .ownership import OwnerConfig, OwnershipConfig
from .posture import PostureConfig
from .presets import PRESETS, Environment, GlobalNames, Preset, apply_defaults, global_names
from .services import ServiceConfig, check_service_name
from .tags import TagsConfig
from .validators import quantity


class Role(str, Enum):
    PRIMARY = "primary"  # owns the global resources (Aurora global cluster, cache global datastore, zone)
    SECONDARY = "secondary"  # joins them through a StackReference to the primary stack
    #: the only stack of its environment (dev): owns the environment's account-wide parts like a
    #: primary, and no global resources (nothing to replicate to)
    STANDALONE = "standalone"


#: what a standalone stack gets whatever its environment (it has no global datastore to join)
STANDALONE_DEFAULTS: Mapping[str, Any] = {"cache.globalDatastore": False}


class StackConfig(ConfigModel):
    #: the AWS region of this stack; must equal `aws:region`
    region: str
    environment: Environment = Environment.PROD
    role: Role
    #: the name of its environment's primary stack (e.g. "africa"); a secondary reads its outputs.
    #: Required for a primary (its own name) and a secondary; a standalone stack has none
    primary_stack: str | None = Field(default=None, min_length=1)
    #: fully qualified stack references use this org; unset: the current organization
    organization: str | None = None
    #: the AWS account the stack deploys to (12 digits). Set: the providers refuse any other account
    #: (`allowed_account_ids`), and `azora-infra validate` checks what two environments sharing an
    #: account would collide on. Unset: each environment is assumed to have its own account
    account_id: str | None = None
    network: NetworkConfig
    tags: TagsConfig
    kms: KmsConfig = Field(default_factory=KmsConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    edge: EdgeConfig = Field(default_factory=EdgeConfig)
    dns: DnsConfig = Field(default_factory=DnsConfig)
    backup: BackupConfig = Field(default_factory=BackupConfig)
    eks: EksConfig = Field(default_factory=EksConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    chaos: ChaosConfig = Field(default_factory=ChaosConfig)
    load_test: LoadTestConfig = Field(default_factory=LoadTestConfig)
    #: the pager's events URL (a secret: `pulumi config set --secret azora:pagerUrl ...`)
    pager_url: str | None = Field(default=None, repr=False)
    ownership: OwnershipConfig = Field(default_factory=OwnershipConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    posture: PostureConfig = Field(default_factory=PostureConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    cost: CostConfig = Field(default_factory=CostConfig)
    #: the Google OAuth client secret (a secret: `pulumi config set --secret azora:googleClientSecret ...`)
    google_client_secret: str | None = Field(default=None, repr=False)
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    incidents: IncidentsConfig = Field(default_factory=IncidentsConfig)

    @model_validator(mode="before")
    @classmethod
    def _preset_defaults(cls, data: Any) -> Any:
        """Fill in the environment preset's settings (and a standalone stack's) the file leaves out."""
        if not isinstance(data, Mapping):
            return data
        try:
            environment = Environment(data.get("environment", Environment.PROD))
        except (ValueError, TypeError):
            return data  # the field's own validation reports it
        preset, role = PRESETS[environment], data.get("role")
        standalone = getattr(role, "value", role) == Role.STANDALONE.value
        out = apply_defaults(data, STANDALONE_DEFAULTS if standalone else preset.global_member_defaults)
        return apply_defaults(out, preset.defaults)

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        try:
            regions.data_region(v, "be a stack's region")
        except regions.UnknownRegionError as err:
            raise ValueError(err.args[0]) from None
        return v

    @field_validator("account_id")
    @classmethod
    def _account(cls, v: str | None) -> str | None:
        if v is not None and not (len(v) == 12 and v.isascii() and v.isdigit()):
            raise ValueError(f"{v!r} is not an AWS account id (12 digits)")
        return v

    @field_validator("pager_url")
    @classmethod
    def _pager_url(cls, v: str | None) -> str | None:
        return None if v is None else check_pager_url(v)

    @model_validator(mode="after")
    def _alerts_reach_someone(self) -> StackConfig:
        """A prod alarm must reach a person; a pager needs its (secret) events URL."""
        if self.environment is Environment.PROD:
            for severity in ("page", "ticket"):
                if not getattr(self.alerting, severity).subscribed:
                    raise FieldError(f"alerting.{severity}",
                                     f"a prod stack needs a {severity} subscriber (emails or pager): "
                                     "alarms on a topic without subscribers reach nobody")
        if self.alerting.uses_pager and not self.pager_url:
            raise FieldError("pagerUrl", "is required when azora:alerting names a pager: set it with "
                             "`pulumi config set --secret azora:pagerUrl <events URL>`")
        if self.pager_url and not self.alerting.uses_pager:
            raise FieldError("pagerUrl", "is set but no azora:alerting severity names a pager")
        return self

    @model_validator(mode="after")
    def _role(self) -> StackConfig:
        """Who the stack follows, and the global resources only stacks with a partner join."""
        if self.role is Role.STANDALONE:
            if self.primary_stack is not None:
                raise FieldError("primaryStack", "a standalone stack has no primary: remove the setting (or make the "
                                 "stack a primary or secondary)")
            if self.cache.global_datastore:
                raise FieldError("cache.globalDatastore", "a standalone stack joins no global datastore (it has no "
                                 "other region to replicate to): set it to false, or make the stack a primary")
        elif self.primary_stack is None:
            raise FieldError("primaryStack", f"is required for a {self.role.value} stack: the name of its "
                             "environment's primary stack (a primary names itself)")
        if self.joins_global:
            self.database.global_database.check("database.globalDatabase", global_member=True)
        return self

    @model_validator(mode="after")
    def _google_secret(self) -> StackConfig:
        if self.identity.google is not None and not self.google_client_secret:
            raise FieldError("googleClientSecret", "is required when azora:identity.google is set: set it with "
                             "`pulumi config set --secret azora:googleClientSecret <secret>`")
        if self.google_client_secret and self.identity.google is None:
            raise FieldError("googleClientSecret", "is set but azora:identity.google is not")
        return self

    @model_validator(mode="after")
    def _posture_needs_the_archive(self) -> StackConfig:
        if self.posture.enabled and not self.audit.enabled:
            raise FieldError("posture.enabled", "needs azora:audit: AWS Config delivers to the audit archive "
                             "(enable azora:audit or disable azora:posture)")
        return self

    @model_validator(mode="after")
    def _stack_service_has_one_owner(self) -> StackConfig:
        """azora:tags is the owner of every part not in azora:ownership: its service has one owner too."""
        default = self.default_owner
        for part, owner in self.ownership.owners().items():
            if owner.service == default.service and owner.identity != default.identity:
                raise FieldError(f"ownership.{part}", f"service {owner.service!r} is azora:tags.service, owned "
                                 "there by another team, cost center or customer: a service has one owner")
        return self

    @model_validator(mode="after")
    def _chaos(self) -> StackConfig:
        """Prod keeps its templates but runs none on a schedule unless a reason is given; the AZ
        faults hit an AZ of this stack."""
        if (self.environment is Environment.PROD and self.chaos.schedule_enabled(self.preset.chaos)
                and self.chaos.allow_in_prod is None):
            raise FieldError("chaos.schedule.enabled", "a prod stack runs no scheduled chaos experiments unless "
                             "azora:chaos.allowInProd.reason says why (and who approved it)")
        if self.load_test.enabled:
            if self.environment is not Environment.STAGING:
                raise FieldError("loadTest.enabled", f"load tests (up to 10,000 virtual users) run in staging only, "
                                 f"not in {self.environment.value}")
            if not self.load_test.target_url:
                raise FieldError("loadTest.targetUrl", "is required when the load test is enabled")
            if not self.eks.enabled:
                raise FieldError("loadTest.enabled", "the load test runs in the stack's EKS cluster: enable azora:eks")
        az = self.chaos.availability_zone
        if az is not None and az not in self.azs:
            raise FieldError("chaos.availabilityZone", f"{az} is not one of this stack's zones ({', '.join(self.azs)})")
        return self

    @model_validator(mode="after")
    def _operations(self) -> StackConfig:
        """Prometheus scrapes the cluster; Incident Manager's people live in the primary stack."""
        if self.observability.prometheus.enabled and not self.eks.enabled:
            raise FieldError("observability.prometheus.enabled", "needs azora:eks.enabled (it scrapes the mesh)")
        inc = self.incidents
        if inc.enabled and self.leads_environment and ("page" not in inc.escalation or not inc.contacts):
            raise FieldError("incidents", f"the {self.role.value} stack creates Incident Manager: it needs contacts "
                             "and an escalation for page (page alarms open incidents)")
        if not self.leads_environment and inc.defines_people:
            raise FieldError("incidents", "contacts and escalation belong in the primary stack's file (Incident "
                             "Manager is one per account); a secondary only sets enabled")
        return self

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
    def joins_global(self) -> bool:
        """A primary or a secondary: part of its environment's global cluster, datastore and zone."""
        return self.role is not Role.STANDALONE

    @property
    def leads_environment(self) -> bool:
        """The stack that builds its environment's account-wide parts (Incident Manager, cost-allocation
        tags and anomaly monitors, global service events, the global dashboard): the primary, or
        the standalone stack."""
        return self.role in (Role.PRIMARY, Role.STANDALONE)

    @property
    def primary(self) -> str:
        """The environment's primary stack (a secondary reads its outputs by StackReference)."""
        if self.primary_stack is None:
            raise ValueError(f"a {self.role.value} stack has no primary stack")
        return self.primary_stack

    @property
    def global_names(self) -> GlobalNames:
        """The names of the environment's global resources, as this stack's file sets them (defaults:
        `presets.global_names`)."""
        derived = global_names(self.environment)
        return GlobalNames(global_cluster=self.database.global_database.identifier,
                           global_datastore=self.cache.global_datastore_suffix, zone=self.dns.domain,
                           account_prefix=derived.account_prefix, regional_prefix=derived.regional_prefix)

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

    @property
    def default_owner(self) -> OwnerConfig:
        """The owner of every part azora:ownership does not list: azora:tags."""
        t = self.tags
        return OwnerConfig(team=t.team, service=t.service, cost_center=t.cost_center, customer=t.customer)

    def owner(self, part: str) -> OwnerConfig:
        return self.ownership.owners().get(part, self.default_owner)

    def owner_tags(self, part: str) -> dict[str, str]:
        """The cost tags of a part's resources: azora:tags (extra tags included) with its owner's values."""
        o = self.owner(part)
        return TagsConfig(team=o.team, service=o.service, cost_center=o.cost_center, customer=o.customer,
                          extra=self.tags.extra).cost_tags(self.environment.value)

    def cost_centers(self) -> list[str]:
        """Every cost center the stack's resources carry (azora:tags and azora:ownership)."""
        return sorted({self.tags.cost_center, *(o.cost_center for o in self.ownership.owners().values())})
