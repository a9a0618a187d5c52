"""Planning a stack from Python: one fresh interpreter per stack, the plan back as a dict.

`run_plan` plans one stack in a session of its own; to plan several stacks that share a primary
with one plan of it, use a `PlanSession` (``with PlanSession.open(program) as s: s.plan(a); s.plan(b)``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .project import ProgramError
from .session import DEFAULT_TIMEOUT, PlanError, PlanSession, check_timeout

#: the repository root: the default program
DEFAULT_PROGRAM = Path(__file__).resolve().parents[2]
#: kept for callers of the previous API; the default of `run_plan(timeout=...)` and `--timeout`
TIMEOUT_SECONDS = DEFAULT_TIMEOUT


def run_plan(stack: str, program: Path | None = None, *, debug: bool = False,
             timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Plan `stack` of the Pulumi Python project in `program` (default: this repository) offline.

    Raises `PlanError` with a one-line reason for a bad stack name or timeout, a missing or invalid
    project or stack file, a program error, or when planning takes longer than `timeout` seconds.
    Every planner process is gone and the session directory removed when this returns or raises
    (KeyboardInterrupt included)."""
    check_timeout(timeout)
    with PlanSession.open(program or DEFAULT_PROGRAM, timeout=timeout, debug=debug) as session:
        return session.plan(stack)


__all__ = ["DEFAULT_PROGRAM", "DEFAULT_TIMEOUT", "PlanError", "PlanSession", "ProgramError", "run_plan"]
