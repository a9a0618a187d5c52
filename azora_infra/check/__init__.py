"""The offline policy check: a CrossGuard policy pack, started as the Pulumi CLI starts it and
driven over its gRPC Analyzer interface, against an offline plan (docs/policy-check.md).

    from azora_infra.check import run_check
    result = run_check(plan, Path("policies"))          # plan: azora_infra.plan.run_plan(...)
    assert not result.mandatory_violations, result.to_json()
"""

from .config import PolicyConfigError
from .pack import PackError, PolicyPackProcess, Timeouts
from .run import (
    EXEMPTIONS_POLICY,
    CheckResult,
    CheckSession,
    Exemption,
    Violation,
    attach,
    render_text,
    run_check,
    session,
    shutdown,
)

CheckError = (PackError, PolicyConfigError)

__all__ = [
    "EXEMPTIONS_POLICY",
    "CheckError",
    "CheckResult",
    "CheckSession",
    "Exemption",
    "PackError",
    "PolicyConfigError",
    "PolicyPackProcess",
    "Timeouts",
    "Violation",
    "attach",
    "render_text",
    "run_check",
    "session",
    "shutdown",
]
