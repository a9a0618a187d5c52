"""Secrets Manager: CMK encryption, rotation at least every maxRotationDays, descriptions."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res
from .rules import Stack, prop_rule, resource_rule, stack_rule

RATE = re.compile(r"rate\((\d+)\s+(day|days|hour|hours)\)")

prop_rule("secret-cmk", (T.SECRET,), lambda r: r.present("kmsKeyId"))
prop_rule("secret-description", (T.SECRET,), lambda r: len(str(r.get("description") or "")) >= 6)


@stack_rule("secret-rotation")
def rotation(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for secret in stack.of_type(T.SECRET):
        if not stack.referrers(secret, "secretId", T.SECRET_ROTATION):
            yield secret, ("secret without rotation: add aws.secretsmanager.SecretRotation(secretId=secret.id, "
                           "rotationRules={automaticallyAfterDays: 30}) or rotate it from the ops tooling and exempt "
                           "it with the reason")


@resource_rule("secret-rotation-max-days", T.SECRET_ROTATION)
def max_days(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    limit = int(cfg.get("maxRotationDays") or 30)
    days = r.get("rotationRules", "automaticallyAfterDays")
    expr = str(r.get("rotationRules", "scheduleExpression") or "")
    m = RATE.match(expr.strip())
    if days is None and m:
        days = int(m.group(1)) / (24 if m.group(2).startswith("hour") else 1)
    if days is None and not expr:
        yield f"no rotation schedule: set rotationRules.automaticallyAfterDays <= {limit}"
    elif days is not None and float(days) > limit:
        yield f"rotation every {days} days: set rotationRules.automaticallyAfterDays <= {limit}"
