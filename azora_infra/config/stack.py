"""`StackConfig`: the whole `azora:` namespace of one stack file, validated once."""

from __future__ import annotations

from enum import Enum

from pydantic import Field, field_validator, model_validator

from .. import regions
from .alerting import AlertingConfig, check_pager_url
from .audit import AuditConfig
from .backup import BackupConfig
from .base import ConfigModel, FieldError
from .cache import CacheConfig
from .cost import CostConfig
from .database import DatabaseConfig
from .dns import DnsConfig
from .edge import EdgeConfig
from .eks import EksConfig
from .identity import IdentityConfig
from .kms import KmsConfig
from .network import NetworkConfig
from .ownership import OwnerConfig, OwnershipConfig
from .posture import PostureConfig
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
    ownership: OwnershipConfig = Field(default_factory=OwnershipConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    posture: PostureConfig = Field(default_factory=PostureConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    cost: CostConfig = Field(default_factory=CostConfig)
    #: the Google OAuth client secret (a secret: `pulumi config set --secret azora:googleClientSecret ...`)
    google_client_secret: str | None = Field(default=None, repr=False)

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        try:
            regions.data_region(v, "be a stack's region")
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
