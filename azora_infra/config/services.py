"""`azora:services`: the application services a stack runs, one `AzoraService` each.

Keyed by the service's name (also its ``azora:service`` cost tag and its Kubernetes name)::

    azora:services:
      education-api:
        team: education            # azora:team tag; namespace defaults to the team
        pathPrefix: /education     # routes /education/v1/..., /education/v2/...
        versions:
          v1:
            deprecation: 2025-10-01
            sunset: 2026-10-01     # at least 12 months after the deprecation
            colours:
              blue: {tag: "1.9.4", weight: 100}
          v2:
            colours:
              blue: {tag: "2.3.0", weight: 90}
              green: {tag: "2.4.0", weight: 10}

Cutover (or rollback) between colours is a weight change here and a `pulumi up`
(docs/runbooks/blue-green-cutover.md). Checks across sections (the namespace exists, callers
exist, path prefixes do not overlap) are in `StackConfig`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import ipaddress
import re

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import ConfigModel
from .validators import quantity

#: the seed's deprecation notice, in months between a version's deprecation and its sunset
MIN_SUNSET_MONTHS = 12
#: the two colours of a version (blue-green)
COLOURS = ("blue", "green")
#: what each meshed pod's Istio sidecar requests and may use (`components/service.py` sets it
#: by pod annotations); counted against the namespace's quota
SIDECAR_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
SIDECAR_LIMITS = {"cpu": "500m", "memory": "256Mi"}
#: secrets the platform itself creates in each region, usable by name in `secrets.<ENV>.secret`
PLATFORM_SECRETS = ("cache:app",)
#: egress destinations naming a tier of the stack's subnets
SUBNET_DESTINATIONS = ("subnets:public", "subnets:private", "subnets:database", "subnets:cache")

_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")
_VERSION = re.compile(r"^v[1-9][0-9]{0,2}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_PATH = re.compile(r"^(/[a-z0-9][a-z0-9._-]*)+$")
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SECRET = re.compile(r"^(arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+|[\w/+=.@-]{1,512})$")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _image_tag(v: str) -> str:
    if not _TAG.match(v) or v == "latest":
        raise ValueError(f"{v!r} is not an immutable image tag (letters, digits, . _ -; not 'latest')")
    return v


def _quantity(v: str) -> str:
    if not _QUANTITY.match(v):
        raise ValueError(f"{v!r} is not a Kubernetes quantity (e.g. 250m, 1, 512Mi)")
    return v


class ColourConfig(ConfigModel):
    """One colour of a version: the image tag it runs and its share of the version's traffic."""

    tag: str
    weight: int = Field(ge=0, le=100)

    @field_validator("tag")
    @classmethod
    def _tag(cls, v: str) -> str:
        return _image_tag(v)


class VersionConfig(ConfigModel):
    """An API version (``/v1/...``): its colours and, once deprecated, the deprecation and sunset days."""

    colours: dict[str, ColourConfig] = Field(min_length=1)
    deprecation: dt.date | None = None
    sunset: dt.date | None = None

    @field_validator("colours")
    @classmethod
    def _weights(cls, v: dict[str, ColourConfig]) -> dict[str, ColourConfig]:
        unknown = sorted(set(v) - set(COLOURS))
        if unknown:
            raise ValueError(f"{', '.join(repr(c) for c in unknown)} not a colour (blue or green)")
        total = sum(c.weight for c in v.values())
        if total != 100:
            weights = ", ".join(f"{k} {c.weight}" for k, c in sorted(v.items()))
            raise ValueError(f"the colours' weights must sum to 100 (got {weights})")
        return v

    @field_validator("sunset")
    @classmethod
    def _sunset(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        deprecation = info.data.get("deprecation")
        if v is None:
            if deprecation is not None:
                raise ValueError("a deprecated version needs a sunset date (>= 12 months after deprecation)")
            return v
        if deprecation is None:
            raise ValueError("a sunset needs a deprecation date (the Deprecation header)")
        earliest = add_months(deprecation, MIN_SUNSET_MONTHS)
        if v < earliest:
            raise ValueError(f"{v} is less than {MIN_SUNSET_MONTHS} months after the deprecation {deprecation} "
                             f"(earliest sunset: {earliest})")
        return v

    @model_validator(mode="after")
    def _deprecated_needs_sunset(self) -> VersionConfig:
        # `sunset` missing entirely: its field validator never ran
        if self.deprecation is not None and self.sunset is None:
            raise ValueError("sunset: a deprecated version needs a sunset date (>= 12 months after deprecation)")
        return self


class ResourcesConfig(ConfigModel):
    requests_cpu: str = "250m"
    requests_memory: str = "256Mi"
    limits_cpu: str = "1"
    limits_memory: str = "512Mi"

    @field_validator("requests_cpu", "requests_memory", "limits_cpu", "limits_memory")
    @classmethod
    def _quantities(cls, v: str) -> str:
        return _quantity(v)


class ScalingConfig(ConfigModel):
    """HPA bounds of each Deployment (one per version and colour): 70 % CPU, max within 2 minutes."""

    min_replicas: int = Field(default=3, ge=1, le=100)
    max_replicas: int = Field(default=12, ge=1, le=100)
    target_cpu_percent: int = Field(default=70, ge=10, le=95)

    @model_validator(mode="after")
    def _bounds(self) -> ScalingConfig:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas {self.min_replicas} > maxReplicas {self.max_replicas}")
        return self


class ProbesConfig(ConfigModel):
    readiness_path: str = "/ready"
    liveness_path: str = "/live"
    startup_seconds: int = Field(default=120, ge=5, le=900)

    @field_validator("readiness_path", "liveness_path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or any(c.isspace() for c in v):
            raise ValueError(f"{v!r} is not an absolute URL path")
        return v


class SecretConfig(ConfigModel):
    """A Secrets Manager secret (name or ARN in this region, or a platform secret such as
    ``cache:app``) and optionally one JSON property of it."""

    secret: str
    property: str | None = Field(default=None, min_length=1, max_length=256)

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: str) -> str:
        if v.startswith(("cache:", "database:")):
            if v not in PLATFORM_SECRETS:
                raise ValueError(f"{v!r} is not a platform secret (one of {', '.join(PLATFORM_SECRETS)})")
            return v
        if not _SECRET.match(v):
            raise ValueError(f"{v!r} is not a Secrets Manager secret name or ARN")
        return v


class EgressConfig(ConfigModel):
    """Addresses outside the cluster the service's pods may open (the namespace is default-deny).

    ``to``: IPv4 networks, ``vpc`` (the stack's VPC) or ``subnets:<tier>`` (that tier's subnets
    in every AZ: ``public``, ``private``, ``database``, ``cache``)."""

    to: tuple[str, ...] = Field(min_length=1)
    ports: tuple[int, ...] = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _to(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for dest in v:
            if dest == "vpc" or dest in SUBNET_DESTINATIONS:
                continue
            try:
                ipaddress.IPv4Network(dest, strict=True)
            except ValueError:
                raise ValueError(f"{dest} is not an IPv4 network, 'vpc' or one of "
                                 f"{', '.join(SUBNET_DESTINATIONS)}") from None
        return v

    @field_validator("ports")
    @classmethod
    def _ports(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= p <= 65535 for p in v):
            raise ValueError("ports are 1-65535")
        return v


class MigrationConfig(ConfigModel):
    """A pre-deploy Job (schema migration); the Deployments roll only after it completes."""

    tag: str
    command: tuple[str, ...] = Field(min_length=1)
    args: tuple[str, ...] = ()
    backoff_limit: int = Field(default=0, ge=0, le=5)
    timeout_seconds: int = Field(default=900, ge=60, le=3600)

    @field_validator("tag")
    @classmethod
    def _tag(cls, v: str) -> str:
        return _image_tag(v)


class ServiceConfig(ConfigModel):
    """One service of the platform (see `components/service.py`)."""

    #: the owning team: the ``azora:team`` tag of its AWS resources, and its default namespace
    team: str
    #: a team namespace of `azora:eks.namespaces`; unset: the team's name
    namespace: str | None = None
    #: the port the containers listen on (HTTP)
    port: int = Field(default=8080, ge=1024, le=65535)
    #: reachable through the ingress gateway (false: only declared callers inside the mesh)
    exposed: bool = True
    #: routes ``<pathPrefix>/<version>/...``; unset: ``/<service name>``
    path_prefix: str | None = None
    #: host names routed to it; unset: the latency-routed name and the regional host
    hosts: tuple[str, ...] = ()
    versions: dict[str, VersionConfig] = Field(min_length=1)
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    probes: ProbesConfig = Field(default_factory=ProbesConfig)
    #: environment variable -> secret (synced by External Secrets Operator)
    secrets: dict[str, SecretConfig] = Field(default_factory=dict)
    #: services (keys of `azora:services`) allowed to call this one inside the mesh
    callers: tuple[str, ...] = ()
    #: destinations outside the cluster, keyed by a short name
    egress: dict[str, EgressConfig] = Field(default_factory=dict)
    migration: MigrationConfig | None = None

    @field_validator("team")
    @classmethod
    def _team(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"{v!r} is not a team name (lowercase letters, digits, '-')")
        return v

    @field_validator("path_prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is not None and not _PATH.match(v):
            raise ValueError(f"{v!r} is not a path prefix like /education (lowercase, no trailing /)")
        return v

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for host in v:
            if not _HOST.match(host):
                raise ValueError(f"{host!r} is not a lowercase DNS name")
        return v

    @field_validator("versions")
    @classmethod
    def _versions(cls, v: dict[str, VersionConfig]) -> dict[str, VersionConfig]:
        for name in v:
            if not _VERSION.match(name):
                raise ValueError(f"{name!r} is not an API version (v1, v2, ...)")
        return v

    @field_validator("secrets")
    @classmethod
    def _env_names(cls, v: dict[str, SecretConfig]) -> dict[str, SecretConfig]:
        for env in v:
            if not _ENV.match(env):
                raise ValueError(f"{env!r} is not an environment variable name (A-Z, 0-9, _)")
        return v

    def namespace_name(self) -> str:
        return self.namespace or self.team

    def minimum_footprint(self) -> dict[str, float]:
        """What the service needs of its namespace's quota at its minimum replicas: every
        Deployment (version x colour) with its sidecar, plus the migration Job's pod."""
        r = self.resources
        deployments = sum(len(v.colours) for v in self.versions.values())
        pods = deployments * self.scaling.min_replicas
        app = {"requests.cpu": quantity(r.requests_cpu), "requests.memory": quantity(r.requests_memory),
               "limits.cpu": quantity(r.limits_cpu), "limits.memory": quantity(r.limits_memory)}
        sidecar = {"requests.cpu": quantity(SIDECAR_REQUESTS["cpu"]),
                   "requests.memory": quantity(SIDECAR_REQUESTS["memory"]),
                   "limits.cpu": quantity(SIDECAR_LIMITS["cpu"]), "limits.memory": quantity(SIDECAR_LIMITS["memory"])}
        job = 1 if self.migration is not None else 0
        need = {k: pods * (app[k] + sidecar[k]) + job * app[k] for k in app}
        need["pods"] = float(pods + job)
        return need

    def prefix(self, key: str) -> str:
        return self.path_prefix or f"/{key}"


def check_service_name(name: str) -> str | None:
    """The problem with a service key, or None."""
    if not _NAME.match(name):
        return f"{name!r} is not a service name (lowercase DNS label, at most 40 characters)"
    return None
