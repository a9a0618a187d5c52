"""`azora:loadTest`: k6 load tests in the stack's EKS cluster (staging only).

```yaml
azora:loadTest:
  enabled: true
  targetUrl: https://api.staging.azora.example
  paths: [/healthz, /api/courses]
  parallelism: 10
```
"""

from __future__ import annotations

from pydantic import Field, field_validator

from .base import ConfigModel


class LoadTestConfig(ConfigModel):
    enabled: bool = False
    target_url: str | None = None
    paths: list[str] = Field(default_factory=lambda: ["/healthz"], min_length=1)
    parallelism: int = Field(default=10, ge=1, le=100)
    chart_version: str = "3.14.2"
    p95_ms: int = Field(default=200, ge=1)
    max_error_rate: float = Field(default=0.01, gt=0, lt=1)

    @field_validator("target_url")
    @classmethod
    def _https(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("https://"):
            raise ValueError(f"{v!r}: the load test targets the public HTTPS endpoint (https://...)")
        return v

    @field_validator("paths")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        bad = [p for p in v if not p.startswith("/")]
        if bad:
            raise ValueError(f"paths must start with '/': {bad}")
        return v
