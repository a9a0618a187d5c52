"""Builds the policy list of the `azora-guard` pack from the registry and the theme modules."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from . import (  # noqa: F401 - importing a theme module registers its rules
    alarms,
    backup,
    baseline,
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
from .fastpath import run_policy_pack
from .lock import ConfigureGuard
from .registry import EXEMPTION_VALID_POLICY, EXEMPTIONS_POLICY, RULES
from .rules import CHECKS, exemption_policies, wrap_resource, wrap_stack

PACK_NAME = "azora-guard"
DESCRIPTION = ("Azora platform guardrails: residency, cost tags, encryption, data-loss, backup depth, "
               "network and service hardening for pulumi-aws v7.")


def build_policies() -> list[Policy]:
    """``policy-exemptions`` first (it loads config exemptions), then resource rules, then stack rules."""
    missing = sorted(set(RULES) - set(CHECKS) - {EXEMPTIONS_POLICY, EXEMPTION_VALID_POLICY})
    if missing:
        raise RuntimeError(f"rules in registry.py without a check: {', '.join(missing)}")
    policies: list[Policy] = list(exemption_policies())
    policies += [wrap_resource(rule) for rule in CHECKS.values() if rule.meta.kind == "resource"]
    policies += [wrap_stack(rule) for rule in CHECKS.values() if rule.meta.kind == "stack"]
    return policies


def serve() -> None:
    """Serve the pack as ``pulumi_policy.PolicyPack`` does (what ``pulumi preview --policy-pack
    policies`` and ``azora-infra check`` start): the optimised servicer where the installed
    pulumi-policy allows it (fastpath/), every Configure checked by `ConfigureGuard` (lock.py)."""

    def guard(servicer: Any) -> Any:
        return ConfigureGuard(servicer)

    run_policy_pack(
        wrap_servicer=guard,
        name=PACK_NAME,
        enforcement_level=EnforcementLevel.ADVISORY,  # every policy sets its own level (registry.py)
        policies=build_policies(),
        description=DESCRIPTION,
    )
