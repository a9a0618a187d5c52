"""Value checks shared by several config sections (raise ValueError with the message a user sees)."""

from __future__ import annotations

import re

IAM_PRINCIPAL_ARN = re.compile(r"^arn:aws:iam::\d{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
