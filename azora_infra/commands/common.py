"""Helpers shared by subcommands: output writing and the usage-error convention (exit 2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and found a problem (policy violation, missed target)
EXIT_ERROR = 2  # usage, config, program or pack error


class CommandError(Exception):
    """A one-line error that ends the command with exit status 2."""


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def to_json(doc: Any) -> str:
    return json.dumps(doc, indent=2) + "\n"
