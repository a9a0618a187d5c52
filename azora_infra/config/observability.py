"""`azora:observability`: SLOs, alarms, the canary, telemetry out of the cluster, Prometheus and
dashboards. Every field has a default, so a stack without the section gets the seed's SLO
(99.99 % available, 95 % of requests within 100 ms), every alarm of the catalog, a canary,
Container Insights at 15 s with Application Signals, and both dashboards.

```yaml
azora:observability:
  runbookBaseUrl: https://git.azora.example/azora-infra/blob/main/docs/runbooks
  slo: {availabilityPercent: 99.99, latencyMs: 100, latencyPercentile: 95}
  thresholds: {aurora-connections: 1200}      # alarm key -> threshold (components/alarm_catalog.py)
  canary: {apiPath: /api/v1/status, placement: public}
  telemetry:
    tracingSamplingPercent: 5
    logRetentionDays: {personal: 90, internal: 90, confidential: 365, public: 30}
    apiEndpoints: {courses: "/api/*/courses*", marketplace: "/api/*/marketplace*"}
  prometheus: {enabled: true, scrapeIntervalSeconds: 15, retentionDays: 30}
```
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from components.alarm_catalog import ALARMS, RUNBOOK_DIR

from ..regions import DataClass
from .base import ConfigModel, check_log_retention

_PATH = re.compile(r"^/[A-Za-z0-9/_.~-]*$")
_ENDPOINT_KEY = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
_ENDPOINT_PATTERN = re.compile(r"^/[A-Za-z0-9/_.*{}-]*$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class SloConfig(ConfigModel):
    #: requests that must not fail with a 5xx, in percent
    availability_percent: float = Field(default=99.99, ge=90, lt=100)
    #: ``latencyPercentile`` % of requests answered within ``latencyMs``
    latency_ms: float = Field(default=100, gt=0, le=60000)
    latency_percentile: float = Field(default=95, ge=50, lt=100)


class CanaryConfig(ConfigModel):
    enabled: bool = True
    health_path: str = "/healthz"
    #: one API route answering 2xx without credentials
    api_path: str = "/api/v1/status"
    runtime_version: str = Field(default="syn-nodejs-puppeteer-15.0", pattern=r"^syn-nodejs-[a-z0-9.-]+$")
    #: public: outside the VPC, like a client in the region; vpc: in the private subnets
    placement: Literal["public", "vpc"] = "public"
    artifact_retention_days: int = Field(default=30, ge=1, le=3650)

    @field_validator("health_path", "api_path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not _PATH.match(v):
            raise ValueError(f"{v!r} is not an absolute URL path")
        return v


class AccessLogConfig(ConfigModel):
    """Field names of the ingress gateway's JSON access log (docs/components/observability.md)."""

    version: str = "api_version"
    path: str = "path"
    status: str = "response_code"
    duration: str = "duration_ms"

    @field_validator("version", "path", "status", "duration")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _FIELD.match(v):
            raise ValueError(f"{v!r} is not a JSON field name")
        return v


def _default_retention() -> dict[DataClass, int]:
    return {DataClass.PUBLIC: 30, DataClass.INTERNAL: 90, DataClass.CONFIDENTIAL: 365, DataClass.PERSONAL: 90}


class TelemetryConfig(ConfigModel):
    """The EKS add-on amazon-cloudwatch-observability (only where azora:eks is enabled)."""

    enabled: bool = True
    #: add-on version (>= v3.1.0 for EKS Pod Identity); unset: the default for the cluster version
    addon_version: str | None = Field(default=None, pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
    metrics_interval_seconds: Literal[10, 15, 30, 60] = 15
    application_signals: bool = True
    #: percentage of requests traced (X-Ray sampling rule and Istio tracing)
    tracing_sampling_percent: float = Field(default=5, ge=0, le=100)
    #: retention of the add-on's log groups per data class of what they hold
    log_retention_days: dict[DataClass, int] = Field(default_factory=_default_retention)
    #: the mesh config's OpenTelemetry provider for Envoy traces; null: no mesh tracing
    mesh_tracing_provider: str | None = Field(default="azora-otel-tracing", pattern=r"^[a-z0-9][a-z0-9.-]{0,62}$")
    gateway_namespace: str = "istio-ingress"
    #: API usage per version: endpoint key -> path pattern in the gateway's access log
    api_endpoints: dict[str, str] = Field(default_factory=dict)
    access_log: AccessLogConfig = Field(default_factory=AccessLogConfig)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: dict[DataClass, int]) -> dict[DataClass, int]:
        missing = [dc.value for dc in DataClass if dc not in v]
        if missing:
            raise ValueError(f"needs a retention for every data class (missing {', '.join(missing)})")
        for days in v.values():
            check_log_retention(days)
        return v

    @field_validator("gateway_namespace")
    @classmethod
    def _namespace(cls, v: str) -> str:
        if not _K8S_NAME.match(v):
            raise ValueError(f"{v!r} is not a Kubernetes namespace name")
        return v

    @field_validator("api_endpoints")
    @classmethod
    def _endpoints(cls, v: dict[str, str]) -> dict[str, str]:
        for key, pattern in v.items():
            if not _ENDPOINT_KEY.match(key):
                raise ValueError(f"endpoint key {key!r}: lowercase letters, digits and -, starting with a letter")
            if not _ENDPOINT_PATTERN.match(pattern):
                raise ValueError(f"endpoint {key}: {pattern!r} is not a path pattern (/..., * wildcards)")
        return v


class PrometheusConfig(ConfigModel):
    """Amazon Managed Service for Prometheus + a managed scraper of the mesh (needs azora:eks)."""

    enabled: bool = False
    scrape_interval_seconds: int = Field(default=15, ge=5, le=300)
    retention_days: int = Field(default=30, ge=1, le=1095)


class ObservabilityConfig(ConfigModel):
    #: where alarm descriptions point: the repo path or a URL ending in /docs/runbooks
    runbook_base_url: str = RUNBOOK_DIR
    slo: SloConfig = Field(default_factory=SloConfig)
    #: alarm key -> threshold replacing the catalog's (components/alarm_catalog.py)
    thresholds: dict[str, float] = Field(default_factory=dict)
    canary: CanaryConfig = Field(default_factory=CanaryConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    prometheus: PrometheusConfig = Field(default_factory=PrometheusConfig)
    dashboards: bool = True

    @field_validator("runbook_base_url")
    @classmethod
    def _runbooks(cls, v: str) -> str:
        v = v.rstrip("/")
        if not v.endswith(RUNBOOK_DIR) or any(c.isspace() for c in v) or len(v) > 300:
            raise ValueError(f"must end with {RUNBOOK_DIR} (the repo path, or a URL of it): alarm descriptions "
                             f"name {RUNBOOK_DIR}/<file>.md")
        if v != RUNBOOK_DIR and not v.startswith("https://"):
            raise ValueError("must be docs/runbooks or an https:// URL ending in /docs/runbooks")
        return v

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(ALARMS))
        if unknown:
            raise ValueError(f"unknown alarms {', '.join(unknown)} (known: {', '.join(sorted(ALARMS))})")
        return v

    @property
    def availability(self) -> float:
        return self.slo.availability_percent / 100
