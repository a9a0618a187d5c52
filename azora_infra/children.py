"""Child processes that cannot outlive azora-infra: started through a small launcher, killed as a
group, with their output in files.

What is guaranteed (Linux; elsewhere only the process-group part):

- The child asks the kernel for a parent-death signal (``PR_SET_PDEATHSIG`` = SIGTERM) before it
  imports anything, so it is told when the thread that started it goes away, even if azora-infra is
  killed with SIGKILL. It checks its parent is still the one that started it (the parent may die
  before the request lands). No ``preexec_fn``: Python between fork and exec is unsafe in a process
  with gRPC threads, so the request is made by the launcher in the child's own interpreter.
- With ``new_group=True`` the child leads its own process group (and session): `Child.stop` ends
  the whole group (SIGTERM, a grace period, then SIGKILL), so whatever it started in that group goes
  too, and a terminal's Ctrl-C reaches only azora-infra, which then stops the group itself.
- With ``subreaper=True`` the child becomes a child subreaper (``PR_SET_CHILD_SUBREAPER``):
  descendants that detach (double fork, ``setsid``) are re-parented to it instead of to init, so
  `reap_children` run in the child before it exits finds and kills them. That holds whenever the
  child gets to run its cleanup (normal end, SIGTERM, SIGINT, SIGHUP, its parent's death). A child
  killed with SIGKILL cannot clean up: its process group still dies with it when the parent kills
  the group, but a daemon that left the group is then re-parented to init and can survive.
- Output goes to files, never pipes: a grandchild that inherits the child's stdout cannot keep the
  parent waiting for an end-of-file, and an endless writer cannot fill a pipe and stall.
- The module runs in the interpreter of azora-infra with `-P` (Python 3.11+) and an empty entry
  for the working directory removed from ``sys.path``; the package it belongs to is imported from an
  explicit path before anything else, so a directory the child later works in cannot replace it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

#: seconds between SIGTERM and SIGKILL when a child is stopped
STOP_GRACE = 5.0
#: at most this many passes of `reap_children` (each kills and reaps every child it finds)
_REAP_ROUNDS = 64

#: Runs `module` as ``__main__`` after setting up the child's side of the guarantees above.
#: argv: <parent pid> <flags: "r" = subreaper> <package root> <module> <module args...>
LAUNCHER = """\
import ctypes, os, signal, sys
parent, flags, root, module = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if sys.platform.startswith("linux"):
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if "r" in flags:
            libc.prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass
if os.getppid() != parent:
    sys.exit(143)
while sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
sys.path.insert(0, root)
__import__(module.partition(".")[0])
sys.path.remove(root)
import runpy
sys.argv = [module, *sys.argv[5:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def package_root(module: str) -> str:
    """The directory holding the top-level package of `module` (as this process imported it)."""
    top = __import__(module.partition(".")[0])
    return str(Path(top.__file__ or "").resolve().parents[1])


def python_command(module: str, args: Sequence[str], *, subreaper: bool = False,
                   python: str | None = None) -> list[str]:
    """The argv that runs ``python -m module args`` through the launcher."""
    exe = python or sys.executable
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    return [exe, *safe_path, "-c", LAUNCHER, str(os.getpid()), "r" if subreaper else "-",
            package_root(module), module, *args]


def child_environment(base: Mapping[str, str] | None = None, *, drop_prefixes: Sequence[str] = ("PULUMI_",),
                      extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment without variables under `drop_prefixes`, plus `extra`."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not any(k.startswith(p) for p in drop_prefixes)}
    env.update(extra or {})
    return env


class Child:
    """One started child. `stop()` is idempotent and safe on every error path."""

    def __init__(self, proc: subprocess.Popen[bytes], *, new_group: bool, grace: float = STOP_GRACE) -> None:
        self.proc = proc
        self.new_group = new_group
        self.grace = grace

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait(self, timeout: float | None) -> int | None:
        """The exit status, or None when `timeout` seconds pass first."""
        try:
            return self.proc.wait(timeout=None if timeout is None else max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return None

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.new_group:
                os.killpg(self.proc.pid, sig)  # start_new_session: the group id is the child's pid
            elif self.proc.poll() is None:
                os.kill(self.proc.pid, sig)

    def stop(self) -> None:
        """End the child (and, for a group leader, everything left in its group): SIGTERM, wait up
        to the grace period, then SIGKILL."""
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            if self.wait(self.grace) is None:
                self._signal(signal.SIGKILL)
                self.wait(self.grace)
        self._signal(signal.SIGKILL)  # whatever the child left behind in its group


def spawn(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: IO[bytes], stderr: IO[bytes],
          new_group: bool, pass_fds: Sequence[int] = ()) -> Child:
    """Start `argv` (usually `python_command(...)`) with output to the given files; `pass_fds`: file
    descriptors the child inherits (as the same open files: a lock held on one stays held)."""
    proc = subprocess.Popen(list(argv), cwd=str(cwd), env=dict(env), stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=stderr, start_new_session=new_group, pass_fds=tuple(pass_fds))
    return Child(proc, new_group=new_group)


def proc_stat(pid: int) -> list[bytes] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (``[state, ppid, pgrp, ...]``),
    None when the process is gone or there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2:].split()


def child_pids(pid: int | None = None) -> list[int]:
    """The processes whose parent is `pid` (default: this process), from /proc; [] elsewhere."""
    me = os.getpid() if pid is None else pid
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        fields = proc_stat(int(entry))
        if fields is not None and len(fields) > 1 and int(fields[1]) == me:
            found.append(int(entry))
    return found


def reap_children() -> int:
    """SIGKILL and reap every child of this process, again and again until none is left (as a
    subreaper, orphans of killed children become ours and are found on the next pass). Returns how
    many were killed. Bounded: at most `_REAP_ROUNDS` passes."""
    killed = 0
    for _ in range(_REAP_ROUNDS):
        pids = child_pids()
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        for pid in pids:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)
    return killed


def read_tail(path: Path, limit: int = 64 * 1024) -> str:
    """The last `limit` bytes of a (log) file as text; '' when it does not exist."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def deadline_after(seconds: float) -> float:
    return time.monotonic() + seconds


__all__ = ["LAUNCHER", "STOP_GRACE", "Child", "child_environment", "child_pids", "deadline_after",
           "package_root", "proc_stat", "python_command", "read_tail", "reap_children", "spawn"]
