"""The `azora-guard` CrossGuard policy pack (run by `pulumi preview --policy-pack policies` or offline by
`azora-infra check`). Rules, levels and anchors: docs/policies.md; how it is served: azora_guard/pack.py."""

from azora_guard.pack import serve

serve()
