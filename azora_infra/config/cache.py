"""`azora:cache`: the region's ElastiCache (Valkey / Redis OSS) cluster and its global datastore.

Every key is optional; with no `azora:cache` block a stack gets a cluster-mode Valkey cluster
(2 shards x 1 replica of cache.r7g.large) that joins the primary stack's global datastore.

Residency: a cache classified ``personal`` holds personal data, which stays in its
jurisdiction, so it can never be a member of the global datastore (which copies every key to
the other regions). The rule is checked here, before anything is planned.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.cache_catalog import (
    DEFAULT_VERSIONS,
    NODE_TYPE,
    global_node_type_error,
    parameter_group_family,
)
from components.cache_catalog import global_datastore_region_error as _region_error

from ..regions import DataClass
from .base import ConfigModel, FieldError, check_log_retention
from .presets import PROD_GLOBAL_DATASTORE
from .validators import DAILY_WINDOW, MAJOR_MINOR, WEEKLY_WINDOW

#: the global datastore's id suffix: lowercase letters, digits and single hyphens (AWS adds a
#: per-region prefix, e.g. ``ldgnf-``, and the whole id must stay a valid replication group name)
_SUFFIX = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class CacheConfig(ConfigModel):
    #: ``valkey`` (default: open source, cheaper per node hour) or ``redis`` (Redis OSS)
    engine: Literal["valkey", "redis"] = "valkey"
    #: ``major.minor`` (e.g. 8.0 for Valkey, 7.1 for Redis OSS); unset: the engine's default
    engine_version: str | None = None
    #: node type; Graviton (``cache.r7g.large``) by default. A global datastore needs large or above.
    node_type: str = "cache.r7g.large"
    #: shards (node groups); cluster mode is always on so load spreads over the shards
    shards: int = Field(default=2, ge=1, le=500)
    #: read replicas per shard (>= 1: Multi-AZ automatic failover needs a replica)
    replicas_per_shard: int = Field(default=1, ge=1, le=5)
    #: days of daily automatic snapshots kept (1-35)
    snapshot_retention_days: int = Field(default=7, ge=1, le=35)
    #: daily snapshot window (UTC, ``hh:mm-hh:mm``, at least 60 minutes)
    snapshot_window: str = "01:00-02:00"
    #: weekly maintenance window (UTC, ``ddd:hh:mm-ddd:hh:mm``); must not overlap the snapshot window
    maintenance_window: str = "sun:03:00-sun:04:00"
    #: the `azora:data-class` of what is cached; ``personal`` caches stay regional
    data_class: DataClass = DataClass.CONFIDENTIAL
    #: join the primary stack's global datastore (the primary creates it, secondaries join);
    #: always false in a standalone stack
    global_datastore: bool = True
    #: the global datastore's id suffix (the primary creates ``<aws prefix>-<suffix>``). Default: the
    #: environment's (`presets.global_names`: ``azora-cache`` in prod, ``azora-<env>-cache`` elsewhere)
    global_datastore_suffix: str = PROD_GLOBAL_DATASTORE
    #: slow-log / engine-log retention (days); unset: the environment preset
    log_retention_days: int | None = None

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, v: str) -> str:
        if not NODE_TYPE.match(v):
            raise ValueError(f"{v} is not an ElastiCache node type (e.g. cache.r7g.large)")
        return v

    @field_validator("global_datastore_suffix")
    @classmethod
    def _suffix(cls, v: str) -> str:
        if not _SUFFIX.match(v) or len(v) > 34:
            raise ValueError(f"{v!r} is not a global datastore suffix (lowercase letters, digits, single '-', "
                             "<= 34 characters)")
        return v

    @field_validator("engine_version")
    @classmethod
    def _version(cls, v: str | None) -> str | None:
        if v is not None and not MAJOR_MINOR.match(v):
            raise ValueError(f"{v} is not a major.minor engine version (e.g. 8.0)")
        return v

    @field_validator("maintenance_window")
    @classmethod
    def _weekly(cls, v: str) -> str:
        v = v.lower()
        if not WEEKLY_WINDOW.match(v):
            raise ValueError(f"{v} is not a weekly window ddd:hh:mm-ddd:hh:mm (UTC), "
                             "e.g. sun:03:00-sun:04:00")
        return v

    @field_validator("snapshot_window")
    @classmethod
    def _daily(cls, v: str) -> str:
        if not DAILY_WINDOW.match(v):
            raise ValueError(f"{v} is not a daily window hh:mm-hh:mm (UTC), e.g. 01:00-02:00")
        start, end = (_minutes(p) for p in v.split("-"))
        if (end - start) % 1440 < 60:
            raise ValueError(f"{v} is shorter than the 60 minutes ElastiCache requires")
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int | None) -> int | None:
        return None if v is None else check_log_retention(v)

    @model_validator(mode="after")
    def _residency_and_global_rules(self) -> CacheConfig:
        if self.global_datastore and self.data_class is DataClass.PERSONAL:
            raise FieldError(
                "cache.globalDatastore",
                "a cache with dataClass personal cannot join the global datastore: it would copy "
                "personal data to the other regions, and personal data stays in its jurisdiction "
                "(set globalDatastore: false, or cache non-personal data only)",
            )
        if self.global_datastore:
            reason = global_node_type_error(self.node_type)
            if reason:
                raise FieldError("cache.nodeType", reason)
        if _overlaps(self.snapshot_window, self.maintenance_window):
            raise FieldError(
                "cache.snapshotWindow",
                f"{self.snapshot_window} overlaps the maintenance window {self.maintenance_window}",
            )
        return self

    @property
    def version(self) -> str:
        return self.engine_version or DEFAULT_VERSIONS[self.engine]

    @property
    def parameter_group_family(self) -> str:
        return parameter_group_family(self.engine, self.version)

    def retention_days(self, preset_days: int) -> int:
        return self.log_retention_days or preset_days


def global_datastore_region_error(region: str) -> str | None:
    """Why ``region`` cannot hold a global datastore member, or None if it can."""
    reason = _region_error(region)
    if reason is None:
        return None
    return f"{reason}; set azora:cache.globalDatastore: false for this stack (a regional cache)"


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")[-2:]
    return int(h) * 60 + int(m)


def _overlaps(daily: str, weekly: str) -> bool:
    """Does a daily window overlap a weekly window (on any day)? Minutes of the week, wrapped."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    week = 7 * 1440

    def weekly_span(part: str) -> int:
        day, rest = part.split(":", 1)
        return days.index(day) * 1440 + _minutes(rest)

    w_start, w_end = (weekly_span(p) for p in weekly.split("-"))
    w_len = (w_end - w_start) % week
    d_start, d_end = (_minutes(p) for p in daily.split("-"))
    d_len = (d_end - d_start) % 1440
    for day in range(7):
        s = day * 1440 + d_start
        # two intervals on a circle overlap iff one's start lies inside the other
        if (s - w_start) % week < w_len or (w_start - s) % week < d_len:
            return True
    return False
