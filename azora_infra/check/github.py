"""GitHub Actions annotations for a check result: one workflow command per violation,
``::error file=components/network.py,line=120,title=<policy>::<message>`` (``::warning`` for an
advisory), so the run's summary and the pull request's diff point at the line that registered the
resource. `azora-infra check` prints them when ``GITHUB_ACTIONS=true`` (set on every Actions runner).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .run import CheckResult
from .sarif import source_path, violation_message

ENV = "GITHUB_ACTIONS"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(result: CheckResult, plan: Mapping[str, Any]) -> list[str]:
    """The workflow commands, one per violation (exemptions are not annotated)."""
    program_dir = str(plan.get("programDir") or "")
    root = Path(program_dir) if program_dir else None
    by_urn = {r["urn"]: r for r in plan.get("resources") or []}
    lines = []
    for v in result.violations:
        position = (by_urn.get(v.urn) or {}).get("sourcePosition") or {}
        path = source_path(str(position.get("uri") or ""), root) if position else None
        file, line = (path, int(position.get("line") or 1)) if path else (f"Pulumi.{result.stack}.yaml", 1)
        command = "error" if v.mandatory else "warning"
        title = f"{v.policy} ({v.enforcement_level})"
        message = f"{violation_message(v)}\n{v.urn}"
        lines.append(f"::{command} file={_prop(file)},line={line},title={_prop(title)}::{_data(message)}")
    return lines


__all__ = ["ENV", "workflow_commands"]
