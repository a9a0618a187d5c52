"""The journal of a mutating command: which steps are done, so a re-run resumes instead of repeating.

A JSON file, rewritten atomically (temp file + rename) after every change. It records the command
and its parameters: resuming with other parameters is refused (a journal of a switchover to
europe cannot resume a switchover to asia). A step is ``started`` before its first AWS call and
``done`` after its check passed; a re-run skips ``done`` steps and re-enters a ``started`` one,
whose action first looks at the real state (it never blindly repeats a call).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1


class JournalError(Exception):
    """The journal file is unreadable or belongs to another command."""


@dataclass
class StepRecord:
    status: str  # started | done | failed
    started_at: str | None = None
    ended_at: str | None = None
    seconds: float | None = None
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Journal:
    def __init__(self, path: Path, command: str, params: Mapping[str, Any],
                 steps: dict[str, StepRecord] | None = None, completed: bool = False) -> None:
        self.path = path
        self.command = command
        self.params = dict(params)
        self.steps: dict[str, StepRecord] = steps or {}
        self.completed = completed

    @classmethod
    def open(cls, path: Path, command: str, params: Mapping[str, Any]) -> Journal:
        """The journal at ``path`` (resuming it) or a new one; refuses one of another command."""
        if not path.exists():
            journal = cls(path, command, params)
            journal.save()
            return journal
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT:
                raise ValueError(f"format {doc.get('format')!r}")
            steps = {name: StepRecord(**rec) for name, rec in doc["steps"].items()}
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise JournalError(f"{path}: not a journal of this tool ({err})") from None
        if doc.get("command") != command or doc.get("params") != json.loads(json.dumps(dict(params))):
            raise JournalError(
                f"{path}: is the journal of `{doc.get('command')}` with {doc.get('params')}, not of `{command}` "
                f"with {dict(params)}: pass another --journal, or finish that run first")
        return cls(path, command, params, steps, bool(doc.get("completed")))

    def save(self) -> None:
        doc = {"format": FORMAT, "command": self.command, "params": self.params, "completed": self.completed,
               "steps": {name: vars(rec) for name, rec in self.steps.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2, default=str)
                fh.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def status(self, step: str) -> str | None:
        rec = self.steps.get(step)
        return rec.status if rec else None

    def data(self, step: str) -> dict[str, Any]:
        rec = self.steps.get(step)
        return dict(rec.data) if rec else {}

    def start(self, step: str, at: str) -> None:
        prior = self.steps.get(step)
        self.steps[step] = StepRecord(status="started", started_at=prior.started_at if prior and prior.started_at
                                      else at, data=dict(prior.data) if prior else {})
        self.save()

    def note(self, step: str, **data: Any) -> None:
        """Record what a step did so far (e.g. 'switchover requested') before it waits."""
        self.steps[step].data.update(data)
        self.save()

    def finish(self, step: str, at: str, seconds: float, data: Mapping[str, Any]) -> None:
        rec = self.steps[step]
        rec.status, rec.ended_at, rec.seconds, rec.error = "done", at, seconds, None
        rec.data.update(data)
        self.save()

    def fail(self, step: str, at: str, error: str) -> None:
        rec = self.steps[step]
        rec.status, rec.ended_at, rec.error = "failed", at, error
        self.save()

    def complete(self) -> None:
        self.completed = True
        self.save()
