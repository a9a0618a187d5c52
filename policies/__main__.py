"""The `azora-guard` CrossGuard policy pack (run by `pulumi preview --policy-pack policies` or offline by
`azora-infra check`). Rules, levels and anchors: docs/policies.md."""

from azora_guard.pack import PACK_NAME, build_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.ADVISORY,  # every policy sets its own level (registry.py)
    policies=build_policies(),
    description="Azora platform guardrails: residency, cost tags, encryption, data-loss, backup depth, "
                "network and service hardening for pulumi-aws v7.",
)
