"""`azora:edge`: the region's public entry point (ALB, TLS certificate, WAF).

Every key is optional. The defaults answer the seed requirements directly: TLS 1.3 only
(``ELBSecurityPolicy-TLS13-1-3-2021-06``; "encrypt all data in transit using TLS 1.3 or
greater") and a WAF rate limit of 100 requests per 60-second window per client IP ("rate
limiting of 100 requests per minute per IP address").
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel, FieldError, check_log_retention

#: TLS 1.3 only: what the seed asks for ("TLS 1.3 or greater"); clients without TLS 1.3 cannot connect.
TLS13_ONLY_POLICY = "ELBSecurityPolicy-TLS13-1-3-2021-06"
#: every ALB security policy whose name starts with this negotiates TLS 1.3 (some also allow 1.2)
TLS13_POLICY_PREFIX = "ELBSecurityPolicy-TLS13-"

#: AWS managed rule groups on every web ACL (vendor AWS), in evaluation order
DEFAULT_MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN = re.compile(r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_PATH = re.compile(r"^/[\x21-\x7e]{0,127}$")


class GatewayConfig(ConfigModel):
    """The in-cluster Istio ingress gateway the ALB forwards to (one HTTPS target group)."""

    #: its own namespace (not a team namespace)
    namespace: str = "azora-ingress"
    #: HPA bounds (70 % CPU; the maximum must be reachable within 2 minutes)
    min_replicas: int = Field(default=3, ge=2, le=50)
    max_replicas: int = Field(default=12, ge=2, le=100)
    #: the route answered by the gateway itself: ALB and Route 53 health checks (HTTPS)
    health_check_path: str = "/healthz"
    #: seconds the ALB keeps draining a deregistered gateway pod
    deregistration_delay_seconds: int = Field(default=30, ge=0, le=3600)

    @field_validator("health_check_path")
    @classmethod
    def _hc_path(cls, v: str) -> str:
        if not _PATH.match(v):
            raise ValueError(f"{v!r} is not an absolute URL path")
        return v

    @field_validator("namespace")
    @classmethod
    def _k8s(cls, v: str) -> str:
        if not _K8S_NAME.match(v):
            raise ValueError(f"{v!r} is not a Kubernetes name (lowercase letters, digits, -)")
        return v

    @model_validator(mode="after")
    def _bounds(self) -> GatewayConfig:
        if self.min_replicas > self.max_replicas:
            raise FieldError("edge.gateway.minReplicas",
                             f"{self.min_replicas} is more than maxReplicas {self.max_replicas}")
        return self


class EdgeConfig(ConfigModel):
    #: the apex domain; the certificate covers it and ``*.<domain>`` (regional and global hosts).
    #: Unset: `azora:dns.domain` (one source for the zone, the latency record and the certificate)
    domain: str | None = None
    #: the regional host name; unset: ``<stack>.<domain>`` (e.g. africa.azora.example)
    hostname: str | None = None
    #: an existing ISSUED ACM certificate in this region; unset: one is requested (DNS validation)
    certificate_arn: str | None = None
    #: Route 53 zone of ``domain``: the validation records are created there. Unset (and no
    #: certificateArn): the CNAMEs are exported and `pulumi up` waits until someone creates them.
    hosted_zone_id: str | None = None
    #: ALB TLS policy; must be a TLS13 policy. Default: TLS 1.3 only (see docs/components/edge.md)
    ssl_policy: str = TLS13_ONLY_POLICY
    #: WAF rate-based rule: requests per window per client IP before blocking
    rate_limit: int = Field(default=100, ge=10, le=2_000_000_000)
    #: the rate rule's evaluation window (seconds): 60, 120, 300 or 600
    rate_window_seconds: Literal[60, 120, 300, 600] = 60
    #: AWS managed rule groups (vendor AWS) evaluated after the rate rule
    managed_rule_groups: tuple[str, ...] = DEFAULT_MANAGED_RULE_GROUPS
    #: days ALB access logs are kept in S3 before expiring
    access_log_retention_days: int = Field(default=365, ge=1, le=3650)
    #: WAF log retention (CloudWatch Logs days); unset: the environment preset
    waf_log_retention_days: int | None = None
    #: the ingress gateway behind the ALB (services route through it: `azora:services`)
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)

    @field_validator("domain", "hostname")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is not None and not _DOMAIN.match(v):
            raise ValueError(f"{v!r} is not a lowercase DNS name")
        return v

    @field_validator("certificate_arn")
    @classmethod
    def _cert(cls, v: str | None) -> str | None:
        if v is not None and not _ACM_ARN.match(v):
            raise ValueError(f"{v} is not an ACM certificate ARN")
        return v

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None and not _ZONE_ID.match(v):
            raise ValueError(f"{v} is not a Route 53 hosted zone id (Z...)")
        return v

    @field_validator("ssl_policy")
    @classmethod
    def _tls13(cls, v: str) -> str:
        if not v.startswith(TLS13_POLICY_PREFIX):
            raise ValueError(
                f"{v} does not negotiate TLS 1.3; use {TLS13_ONLY_POLICY} (TLS 1.3 only) or "
                f"another {TLS13_POLICY_PREFIX}* policy")
        return v

    @field_validator("waf_log_retention_days")
    @classmethod
    def _retention(cls, v: int | None) -> int | None:
        return None if v is None else check_log_retention(v)

    @model_validator(mode="after")
    def _host_in_domain(self) -> EdgeConfig:
        if self.hostname and self.domain and not self.hostname.endswith("." + self.domain):
            raise FieldError("edge.hostname", f"{self.hostname} is not inside the domain {self.domain}")
        return self

    def zone_domain(self, dns_domain: str) -> str:
        """The certificate's apex domain: this section's, else the DNS zone's."""
        return self.domain or dns_domain

    def host(self, stack: str, dns_domain: str) -> str:
        """The regional host name of a stack (``<stack>.<domain>`` unless set)."""
        return self.hostname or f"{stack}.{self.zone_domain(dns_domain)}"
