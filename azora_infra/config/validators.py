"""Value checks shared by several config sections (raise ValueError with the message a user sees)."""

from __future__ import annotations

import re

IAM_PRINCIPAL_ARN = re.compile(r"^arn:aws:iam::\d{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: engine versions given as major.minor (groups: major, minor)
MAJOR_MINOR = re.compile(r"^(\d+)\.(\d+)$")
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_HHMM = r"([01]\d|2[0-3]):([0-5]\d)"
#: AWS daily window hh:mm-hh:mm, UTC (groups: start hour, minute, end hour, minute)
DAILY_WINDOW = re.compile(rf"^{_HHMM}-{_HHMM}$")
#: AWS weekly window ddd:hh:mm-ddd:hh:mm, UTC (groups: day, hour, minute, for start then end)
WEEKLY_WINDOW = re.compile(rf"^{_DAY}:{_HHMM}-{_DAY}:{_HHMM}$")


def iam_principal_arns(values: tuple[str, ...]) -> tuple[str, ...]:
    for arn in values:
        if not IAM_PRINCIPAL_ARN.match(arn):
            raise ValueError(f"{arn} is not an IAM role, user or account-root ARN")
    return values


def email_addresses(values: tuple[str, ...]) -> tuple[str, ...]:
    for address in values:
        if not EMAIL.match(address):
            raise ValueError(f"{address!r} is not an e-mail address")
    return values

#: Kubernetes quantity suffixes -> multipliers (binary and decimal; ``m`` is milli)
_QUANTITY_UNITS = {"": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
                   "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}
QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


def quantity(value: str) -> float:
    """A Kubernetes quantity as a number (CPU in cores, memory in bytes): ``250m`` -> 0.25,
    ``512Mi`` -> 536870912."""
    match = QUANTITY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (e.g. 500m, 2, 4Gi)")
    return float(match.group(1)) * _QUANTITY_UNITS[match.group(2) or ""]
