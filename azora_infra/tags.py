"""The cost-allocation tag schema (one source for the program, the policy pack and the reports)."""

from __future__ import annotations

import re

TEAM = "azora:team"
SERVICE = "azora:service"
COST_CENTER = "azora:cost-center"
ENVIRONMENT = "azora:environment"
DATA_CLASS = "azora:data-class"
#: optional: a resource dedicated to one customer carries the customer's id (cost per customer)
CUSTOMER = "azora:customer"
#: Exemptions: ``azora:policy-exempt:<policy-name>`` = reason (see docs/policies.md).
EXEMPT_PREFIX = "azora:policy-exempt:"

REQUIRED_TAGS: tuple[str, ...] = (TEAM, SERVICE, COST_CENTER, ENVIRONMENT)
#: Data stores carry these in addition to REQUIRED_TAGS.
DATA_STORE_TAGS: tuple[str, ...] = (DATA_CLASS,)
#: tags a resource may carry on top of REQUIRED_TAGS, when they apply
OPTIONAL_TAGS: tuple[str, ...] = (CUSTOMER,)
#: the tag keys activated for cost allocation (Billing): Cost Explorer, budgets, anomaly monitors and the
#: cost and usage export group by them (``azora:customer`` too, once a customer is configured)
COST_ALLOCATION_TAGS: tuple[str, ...] = REQUIRED_TAGS
#: a customer id: lower-case letters, digits and dashes (stable across stacks, usable in names)
CUSTOMER_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def data_tags(data_class: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Tags a data store adds on top of the provider's default (cost) tags."""
    return {DATA_CLASS: data_class, **(extra or {})}
