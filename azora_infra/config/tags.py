"""`azora:tags`: the cost-allocation tags every resource carries (through the provider's
default tags). ``azora:environment`` is not set here: it is the stack's environment.

``azora:ownership`` (`ownership.py`) overrides team, service and cost center per platform part;
``customer`` (optional) marks a stack or a part dedicated to one customer (tag ``azora:customer``).
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from ..tags import COST_CENTER, CUSTOMER, CUSTOMER_ID, ENVIRONMENT, SERVICE, TEAM
from .base import ConfigModel

_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")


def check_tag_value(v: str) -> str:
    if not _TAG_VALUE.match(v):
        raise ValueError(f"{v!r} is not a valid AWS tag value")
    return v


def check_customer(v: str | None) -> str | None:
    if v is not None and not CUSTOMER_ID.match(v):
        raise ValueError(f"{v!r} is not a customer id (lower-case letters, digits and dashes, at most 64)")
    return v


class OwnerTags(ConfigModel):
    """Who owns and pays for something: the cost-allocation tags team, service, cost center and
    (for a part dedicated to one customer) customer. The stack's `azora:tags` and each part's
    `azora:ownership` entry are both this."""

    team: str = Field(min_length=1, max_length=256)
    service: str = Field(min_length=1, max_length=256)
    cost_center: str = Field(min_length=1, max_length=256)
    #: the customer this is dedicated to (tag azora:customer); unset: shared
    customer: str | None = None

    @field_validator("team", "service", "cost_center")
    @classmethod
    def _value(cls, v: str) -> str:
        return check_tag_value(v)

    @field_validator("customer")
    @classmethod
    def _customer(cls, v: str | None) -> str | None:
        return check_customer(v)


class TagsConfig(OwnerTags):
    """The stack's owner (tags on every resource a part's `azora:ownership` does not override)."""

    #: further tags added to every resource
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("extra")
    @classmethod
    def _extra(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if key.startswith("aws:"):
                raise ValueError(f"tag key {key!r} uses the reserved aws: prefix")
            if key in (TEAM, SERVICE, COST_CENTER, ENVIRONMENT, CUSTOMER):
                raise ValueError(f"tag key {key!r} is set by team/service/costCenter/customer/environment")
        return v

    def cost_tags(self, environment: str) -> dict[str, str]:
        tags = {
            TEAM: self.team,
            SERVICE: self.service,
            COST_CENTER: self.cost_center,
            ENVIRONMENT: environment,
            **self.extra,
        }
        if self.customer:
            tags[CUSTOMER] = self.customer
        return tags
