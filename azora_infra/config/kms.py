"""`azora:kms`: who administers and who uses the region's customer-managed keys."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .base import ConfigModel

_IAM_ARN = re.compile(r"^arn:aws:iam::\d{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)$")


class KmsConfig(ConfigModel):
    #: IAM principals allowed to manage (not use) the keys. Empty: the account root only.
    administrators: tuple[str, ...] = ()
    #: IAM principals allowed to use the keys for encryption (services use them through grants
    #: and the service principals the key policy names).
    users: tuple[str, ...] = ()
    #: days a scheduled key deletion waits (7-30)
    deletion_window_days: int = Field(default=30, ge=7, le=30)

    @field_validator("administrators", "users")
    @classmethod
    def _arns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for arn in v:
            if not _IAM_ARN.match(arn):
                raise ValueError(f"{arn} is not an IAM role, user or account-root ARN")
        return v
