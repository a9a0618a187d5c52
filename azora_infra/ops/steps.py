"""Running a mutating command's steps: plan first, journal every step, time it, and on failure say
which step failed and how to resume or roll back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from .journal import Journal
from .waits import Clock


@dataclass
class Step:
    name: str
    #: what the step does, with the identifiers it acts on (printed in the plan)
    description: str
    run: Callable[[Journal], dict[str, Any]]
    #: how to undo the step or what to do if it is left half-done (printed on failure)
    rollback: str = "nothing to undo: this step changes nothing"


class StepFailed(Exception):
    def __init__(self, step: Step, cause: BaseException, journal: Journal) -> None:
        super().__init__(f"step {step.name} failed: {cause}")
        self.step = step
        self.cause = cause
        self.journal = journal


@dataclass
class Timing:
    step: str
    started_at: str | None
    ended_at: str | None
    seconds: float | None
    resumed: bool = False
    data: dict[str, Any] = field(default_factory=dict)


def render_plan(title: str, steps: list[Step]) -> str:
    lines = [f"Plan: {title}"]
    for i, s in enumerate(steps, 1):
        lines.append(f"  {i}. {s.name}: {s.description}")
    return "\n".join(lines) + "\n"


def run_steps(steps: list[Step], journal: Journal, clock: Clock, out: TextIO) -> list[Timing]:
    """Runs ``steps`` in order; skips those the journal says are done (a resumed run)."""
    timings: list[Timing] = []
    for step in steps:
        if journal.status(step.name) == "done":
            rec = journal.steps[step.name]
            out.write(f"- {step.name}: done earlier ({rec.ended_at}), skipped\n")
            timings.append(Timing(step.name, rec.started_at, rec.ended_at, rec.seconds, True, dict(rec.data)))
            continue
        resumed = journal.status(step.name) in ("started", "failed")
        out.write(f"- {step.name}: {'resuming' if resumed else 'starting'}: {step.description}\n")
        out.flush()
        journal.start(step.name, clock.now().isoformat())
        t0 = clock.monotonic()
        try:
            data = step.run(journal)
        except Exception as err:
            journal.fail(step.name, clock.now().isoformat(), f"{type(err).__name__}: {err}")
            raise StepFailed(step, err, journal) from err
        except BaseException as err:  # Ctrl-C / kill: journal it, then stop as asked
            journal.fail(step.name, clock.now().isoformat(), f"interrupted ({type(err).__name__})")
            raise StepFailed(step, err, journal) from err
        seconds = round(clock.monotonic() - t0, 3)
        journal.finish(step.name, clock.now().isoformat(), seconds, data)
        rec = journal.steps[step.name]
        out.write(f"  done in {seconds:g} s\n")
        timings.append(Timing(step.name, rec.started_at, rec.ended_at, seconds, resumed, dict(rec.data)))
    journal.complete()
    return timings


def elapsed(journal: Journal, first: str, last: str) -> float | None:
    """Wall-clock seconds from the start of step ``first`` to the end of ``last`` (across resumes)."""
    a, b = journal.steps.get(first), journal.steps.get(last)
    if not a or not b or not a.started_at or not b.ended_at:
        return None
    return round((datetime.fromisoformat(b.ended_at) - datetime.fromisoformat(a.started_at)).total_seconds(), 3)


def failure_message(err: StepFailed, resume_command: str, steps: list[Step]) -> str:
    j = err.journal
    done = [s.name for s in steps if j.status(s.name) == "done"]
    lines = [f"FAILED at step {err.step.name}: {err.cause}",
             f"  steps done: {', '.join(done) or 'none'}; journal: {j.path}",
             f"  resume (re-checks the real state, repeats nothing done): {resume_command}",
             f"  roll back {err.step.name}: {err.step.rollback}"]
    for s in reversed([s for s in steps if s.name in done]):
        if not s.rollback.startswith("nothing to undo"):
            lines.append(f"  roll back {s.name}: {s.rollback}")
    return "\n".join(lines) + "\n"
