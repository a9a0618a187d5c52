"""CloudWatch Logs: CMK encryption and retention (absent retention = never expire)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res
from .rules import prop_rule, resource_rule

prop_rule("log-group-cmk", (T.LOG_GROUP,), lambda r: r.present("kmsKeyId"))


@resource_rule("log-group-retention", T.LOG_GROUP)
def retention(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    minimum = int(cfg.get("minRetentionDays") or 1)
    days = r.get("retentionInDays")
    if days is None or int(days) == 0:
        yield f"retentionInDays not set (logs never expire): set it to at least {minimum} (the environment preset)"
    elif int(days) < minimum:
        yield f"retentionInDays {days}: set it to at least {minimum}"
