"""`azora:database`: the region's Aurora PostgreSQL clusters.

Every stack has two databases:

- the **global database** (``globalDatabase``): one Aurora global cluster owned by the primary
  stack; each secondary stack adds a read-only secondary cluster that replicates from it (typical
  lag under a second) and forwards writes. It replicates to every region, so it may carry only
  non-personal data: its data class defaults to ``internal`` and ``personal`` is refused here;
- the **resident database** (``resident``): a regional cluster that never joins the global
  cluster. Personal data lives here and stays in its jurisdiction (POPIA, GDPR, PDPA).

Every default is production-safe and validates with no `azora:database` section in the stack
file: Aurora PostgreSQL 16.6 (supports global databases and global write forwarding), a Graviton
writer and reader (db.r7g.large), reader auto scaling at 70 % CPU, 35 days of point-in-time
recovery, Performance Insights, enhanced monitoring, master passwords rotated every 30 days.
"""

from __future__ import annotations

import re
from enum import Enum

from pydantic import Field, field_validator, model_validator

from ..regions import DataClass
from .base import ConfigModel, FieldError, check_log_retention
from .presets import PROD_GLOBAL_CLUSTER
from .validators import DAILY_WINDOW, MAJOR_MINOR, WEEKLY_WINDOW

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")
_INSTANCE_CLASS = re.compile(r"^db\.([a-z0-9-]+)\.([a-z0-9]+)$")
_CLUSTER_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_PG_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
#: user names PostgreSQL or RDS reserve
RESERVED_USERNAMES = frozenset({"postgres", "rdsadmin", "rds_superuser", "admin", "public", "root"})
#: the oldest Aurora PostgreSQL major this library supports (global write forwarding needs 14.9+)
MIN_MAJOR = 14
#: Performance Insights retention (days): 7 (free tier), any multiple of 31 up to 23 months, or 731
PI_RETENTION_DAYS = (7, *(31 * m for m in range(1, 24)), 731)
#: enhanced monitoring granularity (seconds) RDS accepts; 0 (off) is not offered
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)


class InstanceRole(str, Enum):
    WRITER = "writer"
    READER = "reader"


class InstanceConfig(ConfigModel):
    """One DB instance of a cluster (keyed by name in `instances`)."""

    role: InstanceRole = InstanceRole.READER
    #: Graviton memory-optimized by default; a global database needs db.r5 / db.r6g / db.r7g or larger
    instance_class: str = "db.r7g.large"
    #: failover priority (0 first); unset: 0 for the writer, 1 for readers. Auto-scaled readers get 15.
    promotion_tier: int | None = Field(default=None, ge=0, le=15)

    @field_validator("instance_class")
    @classmethod
    def _class(cls, v: str) -> str:
        if not _INSTANCE_CLASS.match(v):
            raise ValueError(f"{v!r} is not an RDS instance class (e.g. db.r7g.large)")
        return v

    @property
    def tier(self) -> int:
        if self.promotion_tier is not None:
            return self.promotion_tier
        return 0 if self.role is InstanceRole.WRITER else 1


class AutoscalingConfig(ConfigModel):
    """Aurora Auto Scaling of the reader count (Application Auto Scaling, target tracking)."""

    enabled: bool = True
    #: the reader count (Aurora replicas, configured ones included) never goes below / above these
    min_readers: int = Field(default=1, ge=0, le=15)
    max_readers: int = Field(default=5, ge=1, le=15)
    #: average reader CPU (%) the policy keeps the cluster at
    target_cpu_percent: float = Field(default=70.0, gt=0, le=100)
    #: seconds to wait after a scale-in (removing readers) / scale-out before the next one
    scale_in_cooldown_seconds: int = Field(default=600, ge=0, le=86400)
    scale_out_cooldown_seconds: int = Field(default=300, ge=0, le=86400)


def _default_instances() -> dict[str, InstanceConfig]:
    return {"writer": InstanceConfig(role=InstanceRole.WRITER), "reader-1": InstanceConfig()}


class ClusterConfig(ConfigModel):
    """What the global and the resident database share."""

    enabled: bool = True
    #: instances keyed by name (stable logical names); exactly one writer
    instances: dict[str, InstanceConfig] = Field(default_factory=_default_instances)
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig)
    #: the database created with the cluster (primary of the global database, resident database)
    database_name: str = "azora"
    #: the master user; its password is generated, kept in Secrets Manager and rotated
    master_username: str = "azora_admin"

    @field_validator("database_name", "master_username")
    @classmethod
    def _pg_identifier(cls, v: str) -> str:
        if not _PG_IDENT.match(v):
            raise ValueError(f"{v!r} must be a PostgreSQL identifier (lowercase letters, digits, '_')")
        return v

    @field_validator("master_username")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v in RESERVED_USERNAMES:
            raise ValueError(f"{v!r} is reserved by PostgreSQL or RDS")
        return v

    def check(self, where: str, *, global_member: bool) -> None:
        """Cross-field checks, reported at ``where`` (e.g. ``database.globalDatabase``)."""
        if not self.enabled:
            return
        writers = [n for n, i in self.instances.items() if i.role is InstanceRole.WRITER]
        if len(writers) != 1:
            raise FieldError(f"{where}.instances", f"exactly one instance must have role writer (found "
                                                   f"{len(writers)}: {sorted(writers)})")
        for name, inst in self.instances.items():
            if not _DNS_LABEL.match(name):
                raise FieldError(f"{where}.instances.{name}",
                                 f"{name!r} must be a short DNS label (lowercase letters, digits, '-')")
            m = _INSTANCE_CLASS.match(inst.instance_class)
            if global_member and m and m.group(1).startswith("t"):
                raise FieldError(f"{where}.instances.{name}.instanceClass",
                                 f"{inst.instance_class}: Aurora global databases do not support burstable "
                                 "(db.t*) instance classes; use db.r6g / db.r7g or larger")
        scaling = self.autoscaling
        if scaling.min_readers > scaling.max_readers:
            raise FieldError(f"{where}.autoscaling.maxReaders",
                             f"must be >= minReaders ({scaling.min_readers}), got {scaling.max_readers}")

    @property
    def writer(self) -> str:
        return next(n for n, i in self.instances.items() if i.role is InstanceRole.WRITER)


class GlobalDatabaseConfig(ClusterConfig):
    """The Aurora global database (primary cluster in the primary stack, secondaries elsewhere)."""

    #: the global cluster identifier (the primary creates it; secondaries join it). Default: the
    #: environment's (`presets.global_names`: ``azora-global`` in prod, ``azora-<env>-global`` elsewhere)
    identifier: str = PROD_GLOBAL_CLUSTER
    #: what the global database holds; it replicates to every region, so never ``personal``
    data_class: DataClass = DataClass.INTERNAL

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, v: str) -> str:
        if not _CLUSTER_ID.match(v) or len(v) > 63:
            raise ValueError(f"{v!r} is not a cluster identifier (letters, digits, single '-', <= 63)")
        return v

    @field_validator("data_class")
    @classmethod
    def _never_personal(cls, v: DataClass) -> DataClass:
        if v is DataClass.PERSONAL:
            raise ValueError(
                "the global database replicates to every region, so it cannot hold personal data "
                "(personal data stays in its jurisdiction): use internal, confidential or public, and "
                "keep personal data in the resident database (azora:database.resident)")
        return v


class ResidentDatabaseConfig(ClusterConfig):
    """The regional database for personal data: never part of the global cluster."""

    data_class: DataClass = DataClass.PERSONAL


class DatabaseConfig(ConfigModel):
    #: aurora-postgresql ``major.minor``, pinned (every cluster of the global database runs it)
    engine_version: str = "16.6"
    global_database: GlobalDatabaseConfig = Field(default_factory=GlobalDatabaseConfig)
    resident: ResidentDatabaseConfig = Field(default_factory=ResidentDatabaseConfig)
    #: days of automated backups = the point-in-time-recovery window (1 to 35)
    backup_retention_days: int = Field(default=35, ge=1, le=35)
    #: daily backup window (UTC, hh:mm-hh:mm, at least 30 minutes)
    preferred_backup_window: str = "00:30-01:30"
    #: weekly maintenance window (UTC, ddd:hh:mm-ddd:hh:mm), must not overlap the backup window
    preferred_maintenance_window: str = "sun:02:00-sun:03:00"
    #: Performance Insights retention: 7, a multiple of 31 up to 713, or 731 days
    performance_insights_retention_days: int = 7
    #: enhanced monitoring granularity in seconds (1, 5, 10, 15, 30, 60)
    monitoring_interval_seconds: int = 15
    #: days between automatic rotations of the master passwords
    secret_rotation_days: int = Field(default=30, ge=1, le=365)
    #: the AWS-published rotation app (SecretsManagerRDSPostgreSQLRotationSingleUser) version
    rotation_app_version: str = "1.1.671"
    #: unset: the environment preset (on in staging and prod)
    deletion_protection: bool | None = None
    #: PostgreSQL log retention in CloudWatch Logs (days); unset: the environment preset
    log_retention_days: int | None = None
    #: the lowest TLS version clients may use (TLS is always required: rds.force_ssl = 1)
    ssl_min_protocol_version: str = "TLSv1.2"
    #: log statements slower than this (ms); -1 turns it off. Logs stay in-region, KMS-encrypted.
    log_min_duration_statement_ms: int = Field(default=1000, ge=-1)

    @field_validator("engine_version")
    @classmethod
    def _version(cls, v: str) -> str:
        m = MAJOR_MINOR.match(v)
        if not m:
            raise ValueError(f"{v!r} must be an aurora-postgresql major.minor version (e.g. 16.6)")
        if int(m.group(1)) < MIN_MAJOR:
            raise ValueError(f"{v}: Aurora PostgreSQL {MIN_MAJOR}.9 or later is required "
                             "(global write forwarding)")
        return v

    @field_validator("preferred_backup_window")
    @classmethod
    def _backup_window(cls, v: str) -> str:
        m = DAILY_WINDOW.match(v)
        if not m:
            raise ValueError(f"{v!r} must be hh:mm-hh:mm (UTC)")
        start, end = int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])
        if (end - start) % 1440 < 30:
            raise ValueError(f"{v}: the backup window must last at least 30 minutes")
        return v

    @field_validator("preferred_maintenance_window")
    @classmethod
    def _maintenance_window(cls, v: str) -> str:
        if not WEEKLY_WINDOW.match(v):
            raise ValueError(f"{v!r} must be ddd:hh:mm-ddd:hh:mm (UTC), e.g. sun:02:00-sun:03:00")
        return v

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, v: int) -> int:
        if v not in PI_RETENTION_DAYS:
            raise ValueError(f"{v} is not a Performance Insights retention (7, a multiple of 31 up to 713, or 731)")
        return v

    @field_validator("monitoring_interval_seconds")
    @classmethod
    def _monitoring(cls, v: int) -> int:
        if v not in MONITORING_INTERVALS:
            raise ValueError(f"{v} is not an enhanced monitoring interval (one of {list(MONITORING_INTERVALS)})")
        return v

    @field_validator("rotation_app_version")
    @classmethod
    def _app_version(cls, v: str) -> str:
        if not _SEMVER.match(v):
            raise ValueError(f"{v!r} is not a semantic version (x.y.z)")
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int | None) -> int | None:
        return None if v is None else check_log_retention(v)

    @field_validator("ssl_min_protocol_version")
    @classmethod
    def _tls(cls, v: str) -> str:
        if v not in ("TLSv1.2", "TLSv1.3"):
            raise ValueError(f"{v!r}: use TLSv1.2 or TLSv1.3")
        return v

    @model_validator(mode="after")
    def _clusters(self) -> DatabaseConfig:
        # whether the global database joins a global cluster depends on the stack's role: the
        # stack model checks its instance classes for that (StackConfig._role)
        self.global_database.check("database.globalDatabase", global_member=False)
        self.resident.check("database.resident", global_member=False)
        return self

    @model_validator(mode="after")
    def _windows_do_not_overlap(self) -> DatabaseConfig:
        b = DAILY_WINDOW.match(self.preferred_backup_window)
        w = WEEKLY_WINDOW.match(self.preferred_maintenance_window)
        if not (b and w):
            return self
        days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        b_start, b_end = int(b[1]) * 60 + int(b[2]), int(b[3]) * 60 + int(b[4])
        b_len = (b_end - b_start) % 1440
        m_start = days.index(w[1]) * 1440 + int(w[2]) * 60 + int(w[3])
        m_end = days.index(w[4]) * 1440 + int(w[5]) * 60 + int(w[6])
        m_len = (m_end - m_start) % (7 * 1440)
        if m_len < 30:
            raise FieldError("database.preferredMaintenanceWindow",
                             "the maintenance window must last at least 30 minutes")
        week = 7 * 1440
        maint = {(m_start + i) % week for i in range(m_len)}
        for day in range(7):
            backup = {(day * 1440 + b_start + i) % week for i in range(b_len)}
            if backup & maint:
                raise FieldError("database.preferredMaintenanceWindow",
                                 f"overlaps the daily backup window {self.preferred_backup_window}")
        return self

    @property
    def major_version(self) -> int:
        return int(self.engine_version.split(".")[0])

    @property
    def parameter_group_family(self) -> str:
        return f"aurora-postgresql{self.major_version}"
