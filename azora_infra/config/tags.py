"""`azora:tags`: the cost-allocation tags every resource carries (through the provider's
default tags). ``azora:environment`` is not set here: it is the stack's environment."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from ..tags import COST_CENTER, ENVIRONMENT, SERVICE, TEAM
from .base import ConfigModel

_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")


class TagsConfig(ConfigModel):
    team: str = Field(min_length=1, max_length=256)
    service: str = Field(min_length=1, max_length=256)
    cost_center: str = Field(min_length=1, max_length=256)
    #: further tags added to every resource
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("team", "service", "cost_center")
    @classmethod
    def _value(cls, v: str) -> str:
        if not _TAG_VALUE.match(v):
            raise ValueError(f"{v!r} is not a valid AWS tag value")
        return v

    @field_validator("extra")
    @classmethod
    def _extra(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if key.startswith("aws:"):
                raise ValueError(f"tag key {key!r} uses the reserved aws: prefix")
            if key in (TEAM, SERVICE, COST_CENTER, ENVIRONMENT):
                raise ValueError(f"tag key {key!r} is set by team/service/costCenter/environment")
        return v

    def cost_tags(self, environment: str) -> dict[str, str]:
        return {
            TEAM: self.team,
            SERVICE: self.service,
            COST_CENTER: self.cost_center,
            ENVIRONMENT: environment,
            **self.extra,
        }
