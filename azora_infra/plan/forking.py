"""What a planner or policy pack forked from a preloaded interpreter does before it runs
(`azora_infra.plan.zygote`, `azora_infra.plan.server`): the child side of `azora_infra.children`'
guarantees, without the launcher (the fork already has its interpreter and the SDKs imported).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def prctl(option: int, value: int) -> None:
    """Linux ``prctl(option, value)``; nothing elsewhere or when libc refuses."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value)


def threads() -> int:
    """Threads of this process (forking is only safe with one)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def become_planner(parent: int, stdout: str | os.PathLike[str], stderr: str | os.PathLike[str]) -> bool:
    """In a fresh fork: SIGTERM when `parent` goes (False if it is gone already), a child subreaper
    (what the program leaves behind is reaped by the runner), stdin from /dev/null and output to
    the files `stdout` and `stderr` (created or truncated, private)."""
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        return False
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for target, path in ((1, stdout), (2, stderr)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, target)
        os.close(fd)
    return True


def become_pack(parent: int, stdout: int, stderr: int) -> bool:
    """In a fresh fork: SIGTERM when `parent` goes (False if it is gone already), stdin from
    /dev/null and output to the descriptors `stdout` and `stderr` (the client's pipes; closed here)."""
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        return False
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in {stdout, stderr} - {1, 2}:
        os.close(fd)
    return True


__all__ = ["PR_SET_CHILD_SUBREAPER", "PR_SET_PDEATHSIG", "become_pack", "become_planner", "prctl", "threads"]
