"""A planning session: one work directory, the planner processes started in it, and the plans they
made, shared by every stack planned in the session (a secondary's reference to its primary, and any
other stack the same session plans, use one plan of the primary).

Layout of the work directory (``azora-plan-*`` in the temp dir, removed when the session closes)::

    stacks/stack-<name>/lock        flock held while the stack is planned (threads and processes)
    stacks/stack-<name>/plan.json   the plan, once made (written by the planner, renamed into place)
    stacks/stack-<name>/error.txt   the one-line reason, if planning failed (failures are not retried)
    stacks/stack-<name>/stdout.log  what the program printed
    stacks/stack-<name>/stderr.log  the planner's messages

The top-level session (`PlanSession.open`) owns the directory and starts each planner in its own
process group; planners plan the stacks their program references through a session attached to
the same directory (`PlanSession.attach`), in the same process group, so stopping the group stops
them all. Each planner is a child subreaper that kills whatever its program left running before it
exits (see `azora_infra.children`).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import children
from ..config.loader import StackNameError, check_stack_name
from .project import ProgramError
from .remote import SERVER_ENV, RemoteProcess, start_planner

#: upper bound for planning one stack (and the stacks it references), in seconds; `--timeout`
DEFAULT_TIMEOUT = 300.0
#: the module every planner process runs
RUNNER = "azora_infra.plan.runner"
#: the module that plans several stacks from one set of imports (`PlanSession.fork_planners`)
ZYGOTE = "azora_infra.plan.zygote"
#: ``AZORA_PLAN_FORK=0``: never fork planners from a zygote (each stack in a fresh interpreter)
NO_FORK_ENV = "AZORA_PLAN_FORK"
WORKDIR_PREFIX = "azora-plan-"


class PlanError(Exception):
    """Planning failed (usage, config or program error); `str()` is the one-line reason."""


def check_timeout(timeout: float) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not math.isfinite(timeout) \
            or timeout <= 0:
        raise PlanError(f"timeout must be a positive number of seconds, not {timeout!r}")
    return float(timeout)


def _reason(stderr: str, code: int) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else f"planner exited with status {code}"


class PlanSession:
    """Plans stacks of one program. Use as a context manager::

        with PlanSession.open(Path("."), timeout=300) as session:
            africa = session.plan("africa")
            europe = session.plan("europe")   # reuses the plan of africa it references

    `plan()` may be called from several threads; each stack is planned once per session.
    """

    def __init__(self, program: Path, workdir: Path, *, timeout: float, owner: bool, debug: bool = False,
                 chain: Sequence[str] = (), deadline: float | None = None) -> None:
        self.program = program
        self.workdir = workdir
        self.timeout = check_timeout(timeout)
        #: a fixed end for every plan of this session (attached sessions: their planner's deadline)
        self.deadline = deadline
        self.owner = owner
        self.debug = debug
        self.chain = tuple(chain)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._running: set[children.Child | RemoteProcess] = set()
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def open(cls, program: Path, *, timeout: float = DEFAULT_TIMEOUT, debug: bool = False) -> PlanSession:
        """A session with its own work directory, planners in their own process groups."""
        check_timeout(timeout)
        program = program.resolve()
        if not program.is_dir():
            raise PlanError(f"{program}: no such program directory")
        workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        session = cls(program, workdir, timeout=timeout, owner=True, debug=debug)
        atexit.register(session.close)  # a session left open still ends with the interpreter
        return session

    @classmethod
    def attach(cls, program: Path, workdir: Path, *, timeout: float, chain: Sequence[str]) -> PlanSession:
        """Inside a planner: plan referenced stacks in the session directory of the planner's caller,
        within what is left of its time (`timeout` seconds from now). `chain`: the stacks being
        planned up the chain of references, this one last (a reference back to one is a cycle)."""
        return cls(program.resolve(), workdir, timeout=timeout, owner=False, chain=chain,
                   deadline=children.deadline_after(timeout))

    def __enter__(self) -> PlanSession:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop every planner still running and, for the owner, remove the work directory."""
        with self._locks_guard:
            self._closed = True
            running = list(self._running)
        atexit.unregister(self.close)
        for child in running:
            child.stop()
        if self.owner:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- planning --------------------------------------------------------------------------------

    def plan(self, stack: str, *, deadline: float | None = None) -> dict[str, Any]:
        """The plan of `stack`, made once per session (concurrent callers wait for the first)."""
        try:
            check_stack_name(stack)
        except StackNameError as err:
            raise PlanError(str(err)) from None
        if deadline is None:
            deadline = self.deadline if self.deadline is not None else children.deadline_after(self.timeout)
        folder = self.workdir / "stacks" / f"stack-{stack}"  # prefixed: a stack named "." gets a folder of its own
        with self._locks_guard:  # never re-create the directory of a session closed meanwhile
            if self._closed:
                raise PlanError("planning session is closed")
            folder.mkdir(parents=True, exist_ok=True)
        with self._stack_lock(stack), _flock(folder / "lock"):
            done = folder / "plan.json"
            if done.is_file():
                plan: dict[str, Any] = json.loads(done.read_text(encoding="utf-8"))
                return plan
            failed = folder / "error.txt"
            if failed.is_file():
                raise PlanError(failed.read_text(encoding="utf-8").strip())
            try:
                self._run_planner(stack, folder, deadline)
            except PlanError as err:
                failed.write_text(f"{err}\n", encoding="utf-8")
                raise
            plan = json.loads(done.read_text(encoding="utf-8"))
            return plan

    def fork_planners(self, stacks: Sequence[str], *, deadline: float | None = None) -> bool:
        """Start planning `stacks` now, from one zygote process that imports the SDKs once and forks
        a planner per stack (`azora_infra.plan.zygote`); `plan()` then waits for those plans as for
        any planner's. Each stack's lock is taken here and handed to the zygote, so no other planner
        starts for it meanwhile. Only the owner of the session, on Linux, for two stacks or more;
        False when not started (`plan()` then starts a planner per stack, as always), also when
        ``AZORA_PLAN_FORK=0`` or when ``AZORA_PLAN_SERVER`` names a planner server (which forks
        each planner instead)."""
        names = list(dict.fromkeys(stacks))
        if os.environ.get(NO_FORK_ENV) == "0" or os.environ.get(SERVER_ENV):
            return False  # no zygote; with a planner server, plan() forks each planner there
        if not self.owner or len(names) < 2 or not sys.platform.startswith("linux") or self._closed:
            return False
        if deadline is None:
            deadline = children.deadline_after(self.timeout)
        fds: list[int] = []
        try:
            for stack in names:
                check_stack_name(stack)
                folder = self.workdir / "stacks" / f"stack-{stack}"
                with self._locks_guard:
                    if self._closed:
                        return False
                    folder.mkdir(parents=True, exist_ok=True)
                if (folder / "plan.json").exists() or (folder / "error.txt").exists():
                    continue
                fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
                fds.append(fd)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # being planned already
                    os.close(fds.pop())
                    continue
                names[names.index(stack)] = f"{stack}:{fd}"
            locked = [n for n in names if ":" in n]
            if len(locked) < 2:
                return False
            args = ["--program", str(self.program), "--workdir", str(self.workdir),
                    "--timeout", repr(max(0.001, deadline - time.monotonic())),
                    "--remove-if-orphaned", str(self.workdir)]
            for entry in locked:
                args += ["--stack", entry]
            if self.debug:
                args.append("--debug")
            env = children.child_environment(extra={"PYTHONUNBUFFERED": "1"})
            with open(self.workdir / "zygote.log", "wb") as log:
                try:
                    child = children.spawn(children.python_command(ZYGOTE, args, subreaper=True), cwd=self.workdir,
                                           env=env, stdout=log, stderr=log, new_group=True, pass_fds=fds)
                except OSError:
                    return False
        except StackNameError as err:
            raise PlanError(str(err)) from None
        finally:
            for fd in fds:  # the zygote holds the locks now (or nobody does)
                os.close(fd)
        with self._locks_guard:
            self._running.add(child)
        threading.Thread(target=self._watch, args=(child, deadline), name="azora-plan-zygote", daemon=True).start()
        return True

    def _watch(self, child: children.Child, deadline: float) -> None:
        """Wait for the zygote until the deadline, then stop its group (its forks included)."""
        try:
            child.wait(deadline - time.monotonic())
        finally:
            child.stop()
            self._running.discard(child)
            if self.debug:
                sys.stderr.write(children.read_tail(self.workdir / "zygote.log"))

    def outputs(self, stack: str, *, deadline: float | None = None) -> dict[str, Any]:
        """The exports of `stack` (as a StackReference to it reads them)."""
        outputs: dict[str, Any] = self.plan(stack, deadline=deadline)["outputs"]
        return outputs

    @contextlib.contextmanager
    def _stack_lock(self, stack: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(stack, threading.Lock())
        with lock:
            yield

    def _run_planner(self, stack: str, folder: Path, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PlanError(f"planning stack {stack} took longer than {self.timeout:g} s")
        args = ["--program", str(self.program), "--stack", stack, "--output", str(folder / "plan.json"),
                "--workdir", str(self.workdir), "--timeout", repr(remaining)]
        if self.chain:
            args += ["--chain", ",".join(self.chain)]
        if self.owner:
            args += ["--remove-if-orphaned", str(self.workdir)]
        if self.debug:
            args.append("--debug")
        env = children.child_environment(extra={"PYTHONUNBUFFERED": "1"})
        child: children.Child | RemoteProcess | None = start_planner(
            args, cwd=self.workdir, env=env, stdout=folder / "stdout.log", stderr=folder / "stderr.log",
            timeout=remaining)  # forked by the planner server, when there is one (AZORA_PLAN_SERVER)
        if child is None:
            with open(folder / "stdout.log", "wb") as out, open(folder / "stderr.log", "wb") as err:
                try:
                    child = children.spawn(children.python_command(RUNNER, args, subreaper=True),
                                           cwd=self.workdir, env=env, stdout=out, stderr=err, new_group=self.owner)
                except OSError as error:
                    raise PlanError(f"cannot start the planner: {error.strerror or error}") from None
        with self._locks_guard:
            self._running.add(child)
            closed = self._closed
        try:
            if closed:  # closed while this planner started: close() did not see it
                raise PlanError("planning session is closed")
            code = child.wait(deadline - time.monotonic())
        finally:
            child.stop()
            self._running.discard(child)
        stderr = children.read_tail(folder / "stderr.log")
        if self.debug and stderr:
            sys.stderr.write(stderr)
        if code is None:
            raise PlanError(f"planning stack {stack} took longer than {self.timeout:g} s")
        if code != 0 or not (folder / "plan.json").is_file():
            raise PlanError(_reason(stderr, code))


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` across processes (and threads: each open is its own lock)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def referenced_outputs(session: PlanSession, ref: str, project_name: str) -> dict[str, Any]:
    """A StackReference ``[org/][project/]stack`` resolves to the exports of that stack's own plan
    (the same program, its own stack file), as the engine would read them from the referenced
    stack's state. References to other projects resolve to nothing."""
    parts = ref.split("/")
    target = parts[-1]
    if len(parts) >= 2 and parts[-2] != project_name:
        return {}
    if target in session.chain:
        raise ProgramError(f"stack reference cycle: {' -> '.join([*session.chain, target])}")
    try:
        check_stack_name(target)
    except StackNameError as err:
        raise ProgramError(f"stack reference {ref!r}: {err}") from None
    if not (session.program / f"Pulumi.{target}.yaml").is_file():
        raise ProgramError(f"stack reference {ref!r}: no stack file Pulumi.{target}.yaml")
    try:
        return session.outputs(target)
    except PlanError as err:
        raise ProgramError(f"stack reference {ref!r}: {err}") from None


__all__ = ["DEFAULT_TIMEOUT", "PlanError", "PlanSession", "check_timeout", "referenced_outputs"]
