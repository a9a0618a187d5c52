"""`azora:kms`: who administers and who uses the region's customer-managed keys."""

from __future__ import annotations

from pydantic import Field, field_validator

from .base import ConfigModel
from .validators import iam_principal_arns


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
        return iam_principal_arns(v)
