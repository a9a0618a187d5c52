"""`azora:ownership`: who owns (and pays for) each part of the platform.

```yaml
azora:ownership:
  network:  {team: platform-network, service: network, costCenter: cc-1001-platform}
  database: {team: data, service: aurora, costCenter: cc-2001-data}
  cache:    {team: data, service: valkey, costCenter: cc-2001-data, customer: acme}   # dedicated
```

Each part listed gets its owner's ``azora:team``, ``azora:service`` and ``azora:cost-center`` (and
``azora:customer`` when set) on every resource it creates; a part not listed keeps `azora:tags`.
The composition gives each owner its own `aws.Provider` (same region, the owner's default tags),
named after the owner's service: so a service has exactly one owner (one team, one cost center).
"""

from __future__ import annotations

from pydantic import model_validator

from .base import ConfigModel, FieldError
from .tags import OwnerTags

#: the platform parts an owner can be given, and what each covers
PARTS: dict[str, str] = {
    "network": "VPC, subnets, NAT gateways, endpoints, flow logs",
    "kms": "the region's KMS keys",
    "eks": "EKS cluster, node groups, Karpenter, load-balancer controller",
    "database": "Aurora clusters (global member and resident)",
    "cache": "ElastiCache replication group",
    "edge": "ALB, certificate, WAF, access logs",
    "dns": "Route 53 zone, health check, latency record",
    "backup": "AWS Backup vault, plans, restore testing",
    "observability": "alert topics",
    "audit": "CloudTrail trail, archive buckets, CIS alarms",
    "posture": "Config, GuardDuty, Security Hub, Access Analyzer, Inspector, Macie",
    "identity": "Cognito user pools",
    "cost": "budgets, anomaly monitors, cost export",
}


class OwnerConfig(OwnerTags):
    """One part's owner (`azora:ownership.<part>`)."""

    @property
    def identity(self) -> tuple[str, str, str | None]:
        return self.team, self.cost_center, self.customer


class OwnershipConfig(ConfigModel):
    network: OwnerConfig | None = None
    kms: OwnerConfig | None = None
    eks: OwnerConfig | None = None
    database: OwnerConfig | None = None
    cache: OwnerConfig | None = None
    edge: OwnerConfig | None = None
    dns: OwnerConfig | None = None
    backup: OwnerConfig | None = None
    observability: OwnerConfig | None = None
    audit: OwnerConfig | None = None
    posture: OwnerConfig | None = None
    identity: OwnerConfig | None = None
    cost: OwnerConfig | None = None

    def owners(self) -> dict[str, OwnerConfig]:
        """Part -> its owner, for the parts listed."""
        return {part: owner for part in PARTS if (owner := getattr(self, part)) is not None}

    @model_validator(mode="after")
    def _one_owner_per_service(self) -> OwnershipConfig:
        seen: dict[str, tuple[str, OwnerConfig]] = {}
        for part, owner in self.owners().items():
            first = seen.setdefault(owner.service, (part, owner))
            if first[1].identity != owner.identity:
                raise FieldError(f"ownership.{part}", f"service {owner.service!r} is already owned by "
                                 f"ownership.{first[0]} with another team, cost center or customer: a service "
                                 "has one owner")
        return self
