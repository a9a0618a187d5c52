"""Progress of a long command on stderr: one status line, rewritten in place, only when stderr is a
terminal and never with ``--quiet`` (logs and CI output stay clean). Thread-safe: several stacks
planned or checked at once each report their own state on the same line."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TextIO


class StatusLine:
    """``status.set("africa", "planning africa")`` ... ``status.done()``: the line shows each key's
    latest text; a no-op when not `enabled`."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._states: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_args(cls, args: argparse.Namespace) -> StatusLine:
        """Enabled on a terminal unless ``--quiet``."""
        return cls(not getattr(args, "quiet", False) and sys.stderr.isatty())

    def set(self, key: str, text: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._states[key] = text
            line = " | ".join(self._states.values())
            self.stream.write(f"\r\033[K{line}")
            self.stream.flush()

    def done(self) -> None:
        """Clear the line (before the report is written)."""
        if not self.enabled:
            return
        with self._lock:
            self._states.clear()
            self.stream.write("\r\033[K")
            self.stream.flush()


__all__ = ["StatusLine"]
