"""`azora:kms`: who administers and who uses the region's customer-managed keys."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from .base import ConfigModel, FieldError
from .validators import iam_principal_arns


class KmsConfig(ConfigModel):
    #: IAM principals allowed to manage (not use, not grant use of) the keys. Empty: the account
    #: root only (IAM policies decide).
    administrators: tuple[str, ...] = ()
    #: IAM principals allowed to change the key policy, tags and aliases: the role that runs
    #: `pulumi up` (KMS refuses a key policy its creator could not change again). Empty: the
    #: account root (IAM policies decide). Never an administrator too.
    key_policy_owners: tuple[str, ...] = ()
    #: IAM principals allowed to use the keys for encryption (services use them through grants
    #: and the service principals the key policy names).
    users: tuple[str, ...] = ()
    #: days a scheduled key deletion waits (7-30)
    deletion_window_days: int = Field(default=30, ge=7, le=30)

    @field_validator("administrators", "users", "key_policy_owners")
    @classmethod
    def _arns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return iam_principal_arns(v)

    @model_validator(mode="after")
    def _apart(self) -> KmsConfig:
        both = sorted(set(self.administrators) & set(self.key_policy_owners))
        if both:
            raise FieldError("kms.keyPolicyOwners",
                             f"{', '.join(both)} is also in administrators; a key-policy owner can give "
                             "itself use of the keys, so keep the two lists apart")
        return self
