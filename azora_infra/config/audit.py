"""`azora:audit`: the region's audit trail and its in-region, object-locked archive.

```yaml
azora:audit:
  retentionYears: 7            # Object Lock (compliance mode) on every log file; the seed asks for 7
  archiveAfterDays: 90         # then the log files move to an archive storage class
  archiveStorageClass: DEEP_ARCHIVE
  logRetentionDays: 365        # the trail's CloudWatch Logs copy (CIS alarms read it); default: preset
  dataEvents: true             # object-level events on the stack's personal/confidential buckets
  cisAlarms: true              # CIS metric filters + alarms, paging through the page topic
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .base import ConfigModel, check_log_retention

#: the seed: "immutable audit logs for 7 years"
MIN_RETENTION_YEARS = 7


class AuditConfig(ConfigModel):
    #: build the trail and archive (a prod stack without them fails the policy pack)
    enabled: bool = True
    retention_years: int = Field(default=MIN_RETENTION_YEARS, le=100)
    archive_after_days: int = Field(default=90, ge=1, le=3650)
    archive_storage_class: Literal["GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"] = "DEEP_ARCHIVE"
    log_retention_days: int | None = None
    data_events: bool = True
    cis_alarms: bool = True

    @field_validator("retention_years")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v < MIN_RETENTION_YEARS:
            raise ValueError(f"audit logs are kept at least {MIN_RETENTION_YEARS} years (seed: immutable audit "
                             "logs for 7 years)")
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, v: int | None) -> int | None:
        return None if v is None else check_log_retention(v)
