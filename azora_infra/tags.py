"""The cost-allocation tag schema (one source for the program, the policy pack and the reports)."""

from __future__ import annotations

TEAM = "azora:team"
SERVICE = "azora:service"
COST_CENTER = "azora:cost-center"
ENVIRONMENT = "azora:environment"
DATA_CLASS = "azora:data-class"
#: Exemptions: ``azora:policy-exempt:<policy-name>`` = reason (see docs/policies.md).
EXEMPT_PREFIX = "azora:policy-exempt:"

REQUIRED_TAGS: tuple[str, ...] = (TEAM, SERVICE, COST_CENTER, ENVIRONMENT)
#: Data stores carry these in addition to REQUIRED_TAGS.
DATA_STORE_TAGS: tuple[str, ...] = (DATA_CLASS,)


def data_tags(data_class: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Tags a data store adds on top of the provider's default (cost) tags."""
    return {DATA_CLASS: data_class, **(extra or {})}
