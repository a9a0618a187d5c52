"""`azora-guard`: the Azora CrossGuard policy pack's rules, one module per theme (see docs/policies.md)."""
