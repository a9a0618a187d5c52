"""Planning a stack from Python: one fresh interpreter per stack, the plan back as a dict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .project import ProgramError

#: the repository root: the default program
DEFAULT_PROGRAM = Path(__file__).resolve().parents[2]
#: upper bound for one stack's plan; the biggest stack here plans in well under a minute
TIMEOUT_SECONDS = 900


class PlanError(Exception):
    """Planning failed (usage, config or program error); `str()` is the one-line reason."""


def run_plan(stack: str, program: Path | None = None, *, debug: bool = False,
             timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    program_dir = (program or DEFAULT_PROGRAM).resolve()
    if not program_dir.is_dir():
        raise PlanError(f"{program_dir}: no such program directory")
    with tempfile.TemporaryDirectory(prefix="azora-plan-") as tmp:
        out = Path(tmp) / "plan.json"
        cmd = [sys.executable, "-m", "azora_infra.plan.runner", "--program", str(program_dir),
               "--stack", stack, "--output", str(out)]
        if debug:
            cmd.append("--debug")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                                  cwd=str(program_dir), check=False)
        except subprocess.TimeoutExpired:
            raise PlanError(f"planning stack {stack} took longer than {timeout:.0f} s") from None
        if proc.returncode != 0 or not out.is_file():
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            if debug:
                sys.stderr.write(proc.stderr)
            reason = lines[-1] if lines else f"planner exited with status {proc.returncode}"
            raise PlanError(reason)
        plan: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return plan


__all__ = ["DEFAULT_PROGRAM", "PlanError", "ProgramError", "run_plan"]
