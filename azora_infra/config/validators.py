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
