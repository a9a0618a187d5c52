"""`azora:backup`: the region's locked backup vault, per-data-class plans, copies and restore tests.

Every field has a default, so a stack file without an `azora:backup` section is valid. The vault
lock's retention bounds must hold every retention the plans ask for (continuous, hourly
snapshots and cross-region copies), which is checked here rather than failing at `pulumi up`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .. import regions
from .base import ConfigModel, FieldError
from .validators import email_addresses, iam_principal_arns

_CRON = re.compile(r"^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$")


class BackupConfig(ConfigModel):
    #: "compliance": after `changeableForDays` nobody (root included) can shorten retention or
    #: remove the lock; "governance": privileged IAM principals still can
    lock_mode: Literal["compliance", "governance"] = "compliance"
    #: recovery points cannot be deleted before this many days (>= 7)
    min_retention_days: int = Field(default=7, ge=7, le=36500)
    #: and are not kept longer than this
    max_retention_days: int = Field(default=365, ge=7, le=36500)
    #: compliance mode's cooling-off period, during which the lock can still be removed (>= 3)
    changeable_for_days: int = Field(default=3, ge=3, le=36500)
    #: continuous backup (point-in-time restore to the second) for supported resources
    continuous_backup: bool = True
    #: days of point-in-time history (AWS maximum 35)
    continuous_retention_days: int = Field(default=35, ge=1, le=35)
    #: snapshot schedule (AWS Backup cron, UTC): hourly by default, the most frequent AWS allows
    snapshot_schedule: str = "cron(0 * ? * * *)"
    snapshot_retention_days: int = Field(default=14, ge=1, le=36500)
    #: retention of the snapshot copies in the other regions' vaults
    copy_retention_days: int = Field(default=35, ge=1, le=36500)
    #: regions to copy to; unset: the regions of the project's other stacks (their vaults);
    #: the residency map then decides, per data class, which of them may hold a copy
    copy_regions: tuple[str, ...] | None = None
    #: monthly restore test (AWS Backup restore testing, UTC): 05:00 on the 1st
    restore_test_schedule: str = "cron(0 5 1 * ? *)"
    #: hours a restored test database is kept for validation before AWS Backup deletes it
    restore_validation_window_hours: int = Field(default=4, ge=0, le=168)
    #: hours after the scheduled time within which the restore test must start
    restore_start_window_hours: int = Field(default=24, ge=1, le=168)
    #: e-mail addresses notified of failed backup, copy and restore jobs
    notification_emails: tuple[str, ...] = ()
    #: principals exempt from the vault policy's deny on changing the vault access policy
    #: (a break-glass role). Empty: nobody can change or remove the policy once set.
    #: Recovery-point deletion stays denied to everyone regardless.
    policy_admins: tuple[str, ...] = ()

    @field_validator("snapshot_schedule", "restore_test_schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        if not _CRON.match(v):
            raise ValueError(f"{v!r} is not an AWS cron expression with six fields, e.g. cron(0 * ? * * *)")
        return v

    @field_validator("notification_emails")
    @classmethod
    def _emails(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return email_addresses(v)

    @field_validator("copy_regions")
    @classmethod
    def _regions(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for r in v or ():
            try:
                regions.data_region(r, "receive backup copies")
            except regions.UnknownRegionError as err:
                raise ValueError(err.args[0]) from None
        return v

    @field_validator("policy_admins")
    @classmethod
    def _arns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return iam_principal_arns(v)

    @model_validator(mode="after")
    def _fits_the_lock(self) -> BackupConfig:
        if self.max_retention_days < self.min_retention_days:
            raise FieldError("backup.maxRetentionDays",
                             f"{self.max_retention_days} is less than minRetentionDays {self.min_retention_days}")
        checks = [("snapshotRetentionDays", self.snapshot_retention_days),
                  ("copyRetentionDays", self.copy_retention_days)]
        if self.continuous_backup:
            checks.insert(0, ("continuousRetentionDays", self.continuous_retention_days))
        for name, days in checks:
            if not self.min_retention_days <= days <= self.max_retention_days:
                raise FieldError(f"backup.{name}",
                                 f"{days} days is outside the vault lock's {self.min_retention_days}-"
                                 f"{self.max_retention_days} days (minRetentionDays/maxRetentionDays); "
                                 "AWS Backup would refuse the recovery points")
        return self
