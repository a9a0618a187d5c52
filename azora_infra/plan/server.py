"""A planner server: one long-lived interpreter that imports the SDKs once
(`azora_infra.plan.preload`) and forks a planner for every stack any session asks it to plan, so a
process that plans many times (the test suite, a script running many `azora-infra` commands) pays
the imports once instead of once per planner (about 3.5 s of a prod stack's 8 s on this project).

Opt-in: `azora_infra.plan.remote.PlanServer.start()` returns a running server; put its `address`
in ``AZORA_PLAN_SERVER`` and every `PlanSession` of this process and of its children (CLI runs,
planners planning a stack they reference) sends its planners there. Without the variable, with a
server that cannot be reached, or one started from another interpreter or another copy of
`azora_infra`, a session starts a fresh interpreter per planner as always: slower, never different.

It forks policy packs the same way (`azora_infra.check.pack.PolicyPackProcess`, when the pack runs
in this interpreter): ``pulumi.policy`` with the client's arguments, working directory and
environment, its stdout and stderr the pipes the client passed, leading a process group of its
own, as the CLI's ``python -u -m pulumi.policy <engine> <pack dir>`` (pulumi-policy is imported
once, here). The handler ends the pack as it ends a planner (below); it removes no directory.

Protocol (one Unix stream connection per process, JSON lines; the socket lives in a private
directory of the user who started the server)::

    client -> {"python": ..., "prefix": ..., "package": ..., "argv": [args], "cwd": ...,
               "env": {...}, "stdout": path, "stderr": path}          a planner (runner args)
           or {..., "run": "pack", "argv": [pulumi.policy args], "cwd": ..., "env": {...}}
              with two file descriptors attached (SCM_RIGHTS): the pack's stdout and stderr
    server -> {"pid": N}          or {"declined": reason}
    client -> {"stop": true}      (optional) end the process now
    server -> {"exit": status}    when the process has ended

A request whose environment sets an interpreter variable (``PYTHONPATH``, ``PYTHONHASHSEED``...)
other than the server started with is declined: a fork has the server's interpreter settings.

Each connection gets a handler process (forked from the server) which forks the planner
(`azora_infra.plan.runner` with the client's arguments, working directory and environment, output
to the client's files). The planner leads its own process group, is a child subreaper, and gets
SIGTERM when its handler goes. The handler ends the planner's group (SIGTERM, a grace period,
SIGKILL) when the client sends its stop line (`RemoteProcess.stop`), when the client goes away (its
end of the connection closes, even on SIGKILL: the handler then also removes the session directory
the planner was to remove if orphaned, ``--remove-if-orphaned``) and when it is itself stopped;
then it kills whatever was re-parented to it, reaps the planner and reports the exit status. The
server gets SIGTERM when the process that started it goes; stopping the server stops every handler
and so every planner.
The client side (`PlanServer`, `start_planner`, `start_pack`, `RemoteProcess`) is `azora_infra.plan.remote`.

``python -m azora_infra.plan.server --fd N [--sdk-only]`` (N: a listening Unix socket, inherited)
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import gc
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from .. import children
from .forking import PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, become_pack, become_planner, prctl, threads
from .remote import MAX_FDS, PACK, PLANNER, REQUEST_TIMEOUT, SERVER, identity, interpreter_settings, read_line

#: exit status when the server declines to serve (more than one thread after the imports)
DECLINED = 3
#: the module a forked pack runs (as the CLI's ``python -u -m pulumi.policy``)
PACK_MODULE = "pulumi.policy"


# -- the server side -------------------------------------------------------------------------------

def _fork(run: Callable[[], int], *, close: socket.socket) -> int:
    """Fork; the child closes `close` (the parent's socket it must not hold), runs `run` and exits
    with its status after the exit functions (e.g. coverage's, in tests), never returning here.
    Returns the child's pid."""
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            close.close()
            code = run()
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
                atexit._run_exitfuncs()
            os._exit(code)
    return pid


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        conn.settimeout(REQUEST_TIMEOUT)
        conn.sendall(json.dumps(message).encode() + b"\n")


def _check_request(request: dict[str, Any], fds: list[int], settings: dict[str, str]) -> str | None:
    """Why the request cannot be served by this server (None: it can). `settings`: the server's own
    interpreter variables."""
    for key, value in identity().items():
        if request.get(key) != value:
            return f"{key} differs: {request.get(key)!r}, this server runs {value!r}"
    argv, env, run = request.get("argv"), request.get("env"), request.get("run", PLANNER)
    if run not in (PLANNER, PACK):
        return f"run must be {PLANNER!r} or {PACK!r}"
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        return "argv must be a list of strings"
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        return "env must map strings to strings"
    if interpreter_settings(env) != settings:
        return f"interpreter variables differ: {interpreter_settings(env)}, this server runs {settings}"
    paths = ("cwd", "stdout", "stderr") if run == PLANNER else ("cwd",)
    if not all(isinstance(request.get(k), str) and request[k] for k in paths):
        return f"{', '.join(paths)} must be paths"
    if len(fds) != (2 if run == PACK else 0):
        return "a pack takes two file descriptors (stdout, stderr), a planner none"
    return None


def _run_planner(request: dict[str, Any], handler: int) -> int:
    """The forked planner: its own process group, the handler's guarantees, the client's working
    directory and environment, then the runner."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    if not become_planner(handler, request["stdout"], request["stderr"]):
        return 143
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    from .runner import main as run_planner

    sys.argv = ["azora_infra.plan.runner", *request["argv"]]
    return run_planner(list(request["argv"]))


def _run_pack(request: dict[str, Any], handler: int, fds: list[int]) -> int:
    """The forked policy pack: its own process group (in the server's session, which has no
    terminal), the client's pipes as stdout and stderr, its working directory first on ``sys.path``
    (as ``python -m`` puts it) and its environment, then ``pulumi.policy`` as ``__main__``. Returns
    the exit status a fresh interpreter would exit with."""
    import runpy
    import traceback

    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    if not become_pack(handler, fds[0], fds[1]):
        return 143
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path.insert(0, os.getcwd())
    sys.argv = [PACK_MODULE, *request["argv"]]
    try:
        runpy.run_module(PACK_MODULE, run_name="__main__", alter_sys=True)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1
    except BaseException:  # as the interpreter does with an uncaught exception
        traceback.print_exc()
        return 1
    return 0


def _stop_group(pid: int, pidfd: int) -> None:
    """SIGTERM the planner's group, wait up to the grace period for the planner, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    select.select([pidfd], [], [], children.STOP_GRACE)  # readable when the planner has ended
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _asked_to_stop(conn: socket.socket) -> bool:
    """Whether the client sent its stop line (it is alive and cleans up), rather than going away."""
    try:
        line = read_line(conn, bytearray(), 1.0)
    except (OSError, ValueError):
        return False
    return bool(line and line.get("stop"))


def _remove_if_orphaned(argv: list[str]) -> None:
    """The client went away without stopping its planner (killed): nobody else will remove the
    session directory the planner was told to remove in that case (``--remove-if-orphaned``)."""
    if "--remove-if-orphaned" in argv[:-1]:
        shutil.rmtree(argv[argv.index("--remove-if-orphaned") + 1], ignore_errors=True)


def _read_request(conn: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """The request line and the file descriptors that came with it (closed on error)."""
    conn.settimeout(REQUEST_TIMEOUT)
    data, fds, _, _ = socket.recv_fds(conn, 65536, MAX_FDS)
    try:
        request = read_line(conn, bytearray(data), REQUEST_TIMEOUT) if data else None
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return request, fds


def _handle(conn: socket.socket, server: int, settings: dict[str, str]) -> int:
    """One connection: read the request, fork the planner or pack, then wait for whichever comes
    first, its end or the client's; report the exit status."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != server:
        return 143
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    if struct.unpack("3i", creds)[1] != os.getuid():  # the directory is private; never serve another user
        return 2
    try:
        request, fds = _read_request(conn)
    except (OSError, ValueError):
        return 2
    if request is None:
        return 2
    reason = _check_request(request, fds, settings)
    if reason is not None:
        for fd in fds:
            os.close(fd)
        _send(conn, {"declined": reason})
        return 0
    handler = os.getpid()
    if request.get("run", PLANNER) == PACK:
        pid = _fork(lambda: _run_pack(request, handler, fds), close=conn)
    else:
        pid = _fork(lambda: _run_planner(request, handler), close=conn)
    for fd in fds:
        os.close(fd)  # the pack holds them now: the client sees their end when the pack's group is gone
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # also here: no window in which the group does not exist yet
    pidfd = os.pidfd_open(pid)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        _stop_group(pid, pidfd)
        children.reap_children()
        os._exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    _send(conn, {"pid": pid})
    conn.setblocking(True)
    ready, _, _ = select.select([pidfd, conn], [], [])
    if pidfd not in ready:  # the client asked to stop, or is gone (its end closed): stop
        _stop_group(pid, pidfd)
        if not _asked_to_stop(conn) and request.get("run", PLANNER) == PLANNER:
            _remove_if_orphaned(request["argv"])
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # what the planner left in its group
    children.reap_children()  # what was re-parented to this handler
    _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=SERVER)
    parser.add_argument("--fd", required=True, type=int, help="a listening Unix stream socket")
    parser.add_argument("--sdk-only", action="store_true",
                        help="import only the SDKs' top-level packages (each planner imports the submodules it uses)")
    args = parser.parse_args(argv)
    listener = socket.socket(fileno=args.fd)
    from .preload import BASE_MODULES, PACK_MODULES, preload
    from .runner import tune_gc

    tune_gc()
    preload(BASE_MODULES if args.sdk_only else None)
    preload(PACK_MODULES)
    settings = interpreter_settings(os.environ)
    if threads() != 1:
        print(f"{SERVER}: not serving: more than one thread after the imports", file=sys.stderr)
        return DECLINED
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # handlers are reaped by the kernel
    gc.freeze()  # the imported modules live as long as every fork: no collection walks (and copies) them
    server = os.getpid()
    while True:  # until stopped (SIGTERM, also when the process that started the server goes)
        try:
            conn, _ = listener.accept()
        except InterruptedError:
            continue
        _fork(functools.partial(_handle, conn, server, settings), close=listener)  # a handler
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
