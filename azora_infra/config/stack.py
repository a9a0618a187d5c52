"""`StackConfig`: the whole `azora:` namespace of one stack file, validated once."""

from __future__ import annotations

from enum import Enum

from pydantic import Field, field_validator, model_validator

from .. import regions
from .alerting import AlertingConfig, check_pager_url
from .backup import BackupConfig
from .base import ConfigModel, FieldError
from .cache import CacheConfig
from .database import DatabaseConfig
from .dns import DnsConfig
from .edge import EdgeConfig
from .eks import EksConfig
from .incidents import IncidentsConfig
from .kms import KmsConfig
from .network import NetworkConfig
from .observability import ObservabilityConfig
from .presets import PRESETS, Environment, Preset
from .tags import TagsConfig


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
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    #: the pager's events URL (a secret: `pulumi config set --secret azora:pagerUrl ...`)
    pager_url: str | None = Field(default=None, repr=False)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    incidents: IncidentsConfig = Field(default_factory=IncidentsConfig)

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        try:
            regions.region(v)
        except regions.UnknownRegionError as err:
            raise ValueError(err.args[0]) from None
        return v

    @field_validator("pager_url")
    @classmethod
    def _pager_url(cls, v: str | None) -> str | None:
        return None if v is None else check_pager_url(v)

    @model_validator(mode="after")
    def _alerts_reach_someone(self) -> StackConfig:
        """A prod alarm must reach a person; a pager needs its (secret) events URL."""
        if self.environment is Environment.PROD and not self.alerting.page.subscribed:
            raise FieldError("alerting.page", "a prod stack needs a page subscriber (emails or pager): "
                             "alarms on a topic without subscribers reach nobody")
        if self.alerting.uses_pager and not self.pager_url:
            raise FieldError("pagerUrl", "is required when azora:alerting names a pager: set it with "
                             "`pulumi config set --secret azora:pagerUrl <events URL>`")
        if self.pager_url and not self.alerting.uses_pager:
            raise FieldError("pagerUrl", "is set but no azora:alerting severity names a pager")
        return self

    @model_validator(mode="after")
    def _operations(self) -> StackConfig:
        """Prometheus scrapes the cluster; Incident Manager's people live in the primary stack."""
        if self.observability.prometheus.enabled and not self.eks.enabled:
            raise FieldError("observability.prometheus.enabled", "needs azora:eks.enabled (it scrapes the mesh)")
        inc = self.incidents
        if inc.enabled and self.is_primary and ("page" not in inc.escalation or not inc.contacts):
            raise FieldError("incidents", "the primary stack creates Incident Manager: it needs contacts and an "
                             "escalation for page (page alarms open incidents)")
        if not self.is_primary and inc.defines_people:
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
    def _services_in_team_namespaces(self) -> StackConfig:
        """A TargetGroupBinding lives in its Service's namespace: it must be a namespace the
        Kubernetes baseline creates, or the binding fails at deploy time."""
        if not self.eks.enabled:
            return self
        for name, route in self.edge.services.items():
            if route.namespace not in self.eks.namespaces:
                known = ", ".join(self.eks.namespaces) or "none"
                raise FieldError(f"edge.services.{name}.namespace",
                                 f"{route.namespace!r} is not a team namespace of azora:eks.namespaces ({known})")
        return self

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
