"""Builds the policy list of the `azora-guard` pack from the registry and the theme modules."""

from __future__ import annotations

from pulumi_policy import Policy

from . import (  # noqa: F401 - importing a theme module registers its rules
    alarms,
    backup,
    cloudtrail,
    data_loss,
    eks,
    elasticache,
    elb,
    encryption,
    kms,
    logs,
    network,
    rds,
    residency,
    route53,
    s3,
    secrets,
    stack,
    tagging,
    waf,
)
from .registry import EXEMPTION_VALID_POLICY, EXEMPTIONS_POLICY, RULES
from .rules import CHECKS, exemption_policies, wrap_resource, wrap_stack

PACK_NAME = "azora-guard"


def build_policies() -> list[Policy]:
    """``policy-exemptions`` first (it loads config exemptions), then resource rules, then stack rules."""
    missing = sorted(set(RULES) - set(CHECKS) - {EXEMPTIONS_POLICY, EXEMPTION_VALID_POLICY})
    if missing:
        raise RuntimeError(f"rules in registry.py without a check: {', '.join(missing)}")
    policies: list[Policy] = list(exemption_policies())
    policies += [wrap_resource(rule) for rule in CHECKS.values() if rule.meta.kind == "resource"]
    policies += [wrap_stack(rule) for rule in CHECKS.values() if rule.meta.kind == "stack"]
    return policies
