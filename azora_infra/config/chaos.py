"""`azora:chaos`: the region's AWS FIS experiment templates and the daily random run.

```yaml
azora:chaos:
  enabled: true                     # the templates exist (default true, every environment)
  experiments: [aurora-writer-failover, eks-pod-delete]   # default: every one the stack can target
  availabilityZone: af-south-1a     # the AZ the AZ faults hit (default: the first of the stack's AZs)
  podNamespace: learning            # default: the first team namespace
  podSelector: azora.io/chaos=enabled
  schedule:
    enabled: true                   # default: the environment preset's `chaos` flag (staging only)
    expression: cron(0 10 ? * MON-FRI *)
    timezone: Africa/Johannesburg
  allowInProd:                      # required for a schedule in prod
    reason: "game day 2026-Q3 approved by ..."
```
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .base import ConfigModel

#: the experiment keys of components/chaos.py (a test keeps the two lists equal)
KNOWN_EXPERIMENTS = (
    "aurora-writer-failover", "aurora-reader-reboot", "cache-az-power", "eks-node-termination",
    "eks-pod-delete", "eks-pod-cpu-stress", "eks-pod-network-latency", "az-network-disruption", "api-throttle",
)
_EXPRESSION = re.compile(r"^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$")
_SELECTOR = re.compile(r"^[A-Za-z0-9./_-]+(=|!=)[A-Za-z0-9._-]*(,[A-Za-z0-9./_-]+(=|!=)[A-Za-z0-9._-]*)*$")


class ChaosScheduleConfig(ConfigModel):
    #: None: the environment preset decides (staging on, dev and prod off)
    enabled: bool | None = None
    expression: str = "cron(0 10 ? * MON-FRI *)"
    timezone: str = "UTC"

    @field_validator("expression")
    @classmethod
    def _expression(cls, v: str) -> str:
        if not _EXPRESSION.match(v):
            raise ValueError(f"{v!r} is not an EventBridge Scheduler cron(...) or rate(...) expression")
        return v


class AllowInProd(ConfigModel):
    #: why a schedule runs in prod, and who approved it (shown in reviews)
    reason: str = Field(min_length=20)


class ChaosConfig(ConfigModel):
    enabled: bool = True
    experiments: list[str] | None = None
    availability_zone: str | None = None
    pod_namespace: str | None = None
    pod_selector: str = "azora.io/chaos=enabled"
    schedule: ChaosScheduleConfig = Field(default_factory=ChaosScheduleConfig)
    allow_in_prod: AllowInProd | None = None

    @field_validator("experiments")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        unknown = [e for e in v if e not in KNOWN_EXPERIMENTS]
        if unknown:
            raise ValueError(f"unknown experiments {unknown} (known: {', '.join(KNOWN_EXPERIMENTS)})")
        if not v:
            raise ValueError("is empty: leave it out for every experiment, or set enabled: false")
        return v

    @field_validator("pod_selector")
    @classmethod
    def _selector(cls, v: str) -> str:
        if not _SELECTOR.match(v):
            raise ValueError(f"{v!r} is not a Kubernetes equality label selector (e.g. azora.io/chaos=enabled)")
        return v

    def schedule_enabled(self, preset_chaos: bool) -> bool:
        if not self.enabled:
            return False
        return preset_chaos if self.schedule.enabled is None else self.schedule.enabled
