"""`azora:cost`: budgets, anomaly alerts and the cost export.

```yaml
azora:cost:
  budgets:                      # USD per month, for this stack's region
    environment: 30000          # everything tagged azora:environment=<this stack's environment>
    costCenters:                # everything tagged azora:cost-center=<key>; one per cost center
      cc-1001-platform: 20000
      cc-2001-data: 8000
  thresholds: [80, 100]         # percent of the budget; actual and forecast each notify the ticket topic
  anomaly: {thresholdUsd: 100}  # primary stack: anomaly monitors by service and by cost center
  export: true                  # primary stack: CUR 2.0, hourly, Parquet, to a bucket in this region
  activateTags: true            # primary stack: activate the cost-allocation tag keys
```

Every cost center the stack's resources carry needs a budget (the policy pack checks the plan).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from .base import ConfigModel
from .tags import check_tag_value


class BudgetsConfig(ConfigModel):
    environment: float | None = Field(default=None, gt=0)
    cost_centers: dict[str, float] = Field(default_factory=dict)

    @field_validator("cost_centers")
    @classmethod
    def _amounts(cls, v: dict[str, float]) -> dict[str, float]:
        for cc, amount in v.items():
            check_tag_value(cc)
            if amount <= 0:
                raise ValueError(f"budget of {cc} must be a positive USD amount")
        return v


class AnomalyConfig(ConfigModel):
    enabled: bool = True
    #: notify when an anomaly's total impact reaches this many USD
    threshold_usd: float = Field(default=100, gt=0)


class CostConfig(ConfigModel):
    budgets: BudgetsConfig = Field(default_factory=BudgetsConfig)
    thresholds: tuple[int, ...] = (80, 100)
    anomaly: AnomalyConfig = Field(default_factory=AnomalyConfig)
    export: bool = True
    activate_tags: bool = True

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or len(set(v)) != len(v) or any(not 1 <= t <= 1000 for t in v):
            raise ValueError("one or more distinct percentages between 1 and 1000")
        return tuple(sorted(v))
