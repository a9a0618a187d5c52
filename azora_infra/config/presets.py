"""Environment presets: what `azora:environment` (dev, staging, prod) switches on or off."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Environment(str, Enum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


@dataclass(frozen=True)
class Preset:
    #: one NAT gateway per AZ (survives an AZ loss) or a single shared one (cheaper)
    nat_per_az: bool
    #: deletion protection on databases, clusters, load balancers
    deletion_protection: bool
    #: Pulumi `protect` on stateful resources (a `pulumi destroy` cannot remove them)
    protect: bool
    #: default CloudWatch Logs retention (days) for flow logs and service logs
    log_retention_days: int
    #: chaos experiments scheduled (staging only)
    chaos: bool


PRESETS: dict[Environment, Preset] = {
    Environment.DEV: Preset(nat_per_az=False, deletion_protection=False, protect=False,
                            log_retention_days=30, chaos=False),
    Environment.STAGING: Preset(nat_per_az=True, deletion_protection=True, protect=False,
                                log_retention_days=90, chaos=True),
    Environment.PROD: Preset(nat_per_az=True, deletion_protection=True, protect=True,
                             log_retention_days=365, chaos=False),
}
