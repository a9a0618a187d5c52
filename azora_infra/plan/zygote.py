"""A planner zygote: plans several stacks of one session from one interpreter that imports the SDKs
once (`azora_infra.plan.preload`) and then forks one planner per stack, so the stacks share the
import time (about 3.5 s of each planner's 8 s on this project).

Started by `PlanSession.fork_planners` through the launcher of `azora_infra.children` (parent-death
signal, child subreaper, its own process group: stopping the group stops every fork). The session
locks each stack's ``lock`` file before it starts the zygote and hands the locked files over
(``--stack NAME:FD``), so nothing else plans those stacks meanwhile: each fork holds its stack's lock
until it has written ``plan.json`` or ``error.txt``, exactly as a planner started by the session
would. A fork runs `azora_infra.plan.runner` as that planner would. If the zygote cannot fork
safely (more than one thread after the imports) it exits at once, the locks are released and the
session plans each stack in a fresh interpreter as before: slower, never different.

``python -m azora_infra.plan.zygote --program DIR --workdir SESSION --timeout S --stack NAME:FD ...``
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import sys
import time
from pathlib import Path

from .. import children
from .forking import become_planner, threads
from .preload import preload
from .runner import _on_signal, tune_gc
from .runner import main as run_planner
from .session import _reason

#: exit status when the zygote declines to fork (the session then plans each stack itself)
DECLINED = 3


def _plan_in_fork(args: argparse.Namespace, stack: str, keep_fd: int, lock_fds: list[int], zygote: int,
                  deadline: float) -> int:
    """The forked planner of `stack`: the child side of `children`' guarantees, output to the stack's
    log files, then the runner; on failure the one-line reason in ``error.txt`` (as the session
    writes it), before the lock is released by the exit."""
    for fd in lock_fds:
        if fd != keep_fd:
            os.close(fd)
    folder = args.workdir / "stacks" / f"stack-{stack}"
    if not become_planner(zygote, folder / "stdout.log", folder / "stderr.log"):
        return 143
    remaining = max(0.001, deadline - time.monotonic())
    argv = ["--program", str(args.program), "--stack", stack, "--output", str(folder / "plan.json"),
            "--workdir", str(args.workdir), "--timeout", repr(remaining)]
    if args.debug:
        argv.append("--debug")
    code = run_planner(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    if code != 0 or not (folder / "plan.json").is_file():
        reason = _reason(children.read_tail(folder / "stderr.log"), code)
        (folder / "error.txt").write_text(f"{reason}\n", encoding="utf-8")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azora_infra.plan.zygote")
    parser.add_argument("--program", required=True, type=Path)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--timeout", required=True, type=float)
    parser.add_argument("--stack", action="append", required=True, help="NAME:FD, the stack and its locked file")
    parser.add_argument("--remove-if-orphaned", type=Path, default=None)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    deadline = children.deadline_after(args.timeout)
    stacks = [(name, int(fd)) for name, _, fd in (s.rpartition(":") for s in args.stack)]
    lock_fds = [fd for _, fd in stacks]
    _on_signal(args.remove_if_orphaned)
    tune_gc()
    preload()
    if threads() != 1:
        print("azora_infra.plan.zygote: not forking: more than one thread after the imports", file=sys.stderr)
        return DECLINED
    gc.freeze()  # the imported modules live as long as every fork: no collection walks (and copies) them
    zygote = os.getpid()
    pids: list[int] = []
    try:
        for stack, fd in stacks:
            pid = os.fork()
            if pid == 0:  # the planner of `stack`; never returns to the loop
                code = 70
                try:
                    code = _plan_in_fork(args, stack, fd, lock_fds, zygote, deadline)
                finally:
                    with contextlib.suppress(BaseException):
                        atexit._run_exitfuncs()  # e.g. coverage's, in tests
                    os._exit(code)
            pids.append(pid)
    finally:
        for fd in lock_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
    failed = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        failed += int(os.waitstatus_to_exitcode(status) != 0)
    children.reap_children()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
