"""`azora:dns`: the public zone, the latency-routed API record and its Route 53 health checks.

Every field has a default, so a stack file without an `azora:dns` section is valid. Failover
detection is ``requestInterval x failureThreshold`` seconds (10 x 3 = 30 s by default): after
that many consecutive failed checks a region's latency record stops being answered.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from .base import ConfigModel
from .validators import email_addresses

#: Route 53 runs health checkers only in these regions (API `HealthCheckRegion`).
HEALTH_CHECKER_REGIONS: tuple[str, ...] = (
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "sa-east-1",
)
#: Nearest checkers to our three regions (Europe, Asia, and us-east-1 as the third vantage point).
DEFAULT_CHECKER_REGIONS: tuple[str, ...] = ("eu-west-1", "ap-southeast-1", "us-east-1")

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")
_RECORD = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")


class DnsAlarmConfig(ConfigModel):
    """CloudWatch alarms on `AWS/Route53 HealthCheckStatus` (created in us-east-1)."""

    enabled: bool = True
    #: consecutive 60-second periods with the check unhealthy before the alarm fires
    evaluation_periods: int = Field(default=1, ge=1, le=10)
    #: e-mail addresses subscribed to the alarm topic (each must confirm the subscription)
    emails: tuple[str, ...] = ()

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return email_addresses(v)


class DnsConfig(ConfigModel):
    #: the public hosted zone (owned by the primary stack)
    domain: str = "azora.example"
    #: the latency-routed name inside the zone: <record>.<domain>
    record: str = "api"
    #: HTTPS path the health checkers request on the region's load balancer
    health_check_path: str = "/healthz"
    port: int = Field(default=443, ge=1, le=65535)
    #: seconds between checks from each checker: 10 ("fast", extra charge) or 30
    request_interval: Literal[10, 30] = 10
    #: consecutive failed checks before Route 53 marks the endpoint unhealthy (1-10)
    failure_threshold: int = Field(default=3, ge=1, le=10)
    #: where health checkers run from: at least 3 of Route 53's checker regions
    checker_regions: tuple[str, ...] = DEFAULT_CHECKER_REGIONS
    #: record round-trip latency from each checker region (CloudWatch metrics; cannot change later)
    measure_latency: bool = True
    alarms: DnsAlarmConfig = Field(default_factory=DnsAlarmConfig)

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        v = v.rstrip(".").lower()
        if len(v) > 253 or not _DOMAIN.match(v):
            raise ValueError(f"{v!r} is not a DNS domain name (e.g. azora.example)")
        return v

    @field_validator("record")
    @classmethod
    def _record(cls, v: str) -> str:
        v = v.lower()
        if not _RECORD.match(v):
            raise ValueError(f"{v!r} is not a DNS label (e.g. api)")
        return v

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or len(v) > 255 or any(c.isspace() for c in v):
            raise ValueError(f"{v!r} must be an absolute URL path without spaces (e.g. /healthz)")
        return v

    @field_validator("checker_regions")
    @classmethod
    def _checkers(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [r for r in v if r not in HEALTH_CHECKER_REGIONS]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} not a Route 53 health-checker region "
                             f"(one of {', '.join(HEALTH_CHECKER_REGIONS)})")
        if len(set(v)) != len(v):
            raise ValueError("lists a region twice")
        if len(v) < 3:
            raise ValueError(f"needs at least 3 regions (Route 53's minimum), got {len(v)}")
        return v

    @property
    def fqdn(self) -> str:
        return f"{self.record}.{self.domain}"

    @property
    def detection_seconds(self) -> int:
        """About how long until an unhealthy region stops being answered: interval x threshold."""
        return self.request_interval * self.failure_threshold
