"""The client side of the planner server (`azora_infra.plan.server`): start one (`PlanServer`), and
have it fork a planner for a session (`start_planner`, used by `PlanSession` when
``AZORA_PLAN_SERVER`` names a server's socket) or a policy pack (`start_pack`, used by
`azora_infra.check.pack.PolicyPackProcess`). The protocol is described in `azora_infra.plan.server`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import children

#: the variable naming the server's socket (set by whoever starts one; inherited by children)
SERVER_ENV = "AZORA_PLAN_SERVER"
SERVER = "azora_infra.plan.server"
#: the largest request or reply line, in bytes (a request carries an environment)
MAX_LINE = 4 * 1024 * 1024
#: the longest socket path bound (Linux: 108 bytes with the terminating NUL)
_MAX_SOCKET_PATH = 100
#: seconds a handler waits for its request once connected
REQUEST_TIMEOUT = 30.0
#: what a request asks the server to fork (its "run" field; a planner when absent)
PLANNER, PACK = "planner", "pack"
#: file descriptors a request may carry (a pack's stdout and stderr)
MAX_FDS = 2
#: set for a fresh interpreter's output by the command itself (``-u``), so not compared
_UNCOMPARED = frozenset({"PYTHONUNBUFFERED"})


def identity() -> dict[str, str]:
    """What a client and the server must share for a forked planner to run the client's code."""
    return {"python": sys.executable, "prefix": sys.prefix, "package": children.package_root("azora_infra")}


def interpreter_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The variables of `env` that change how an interpreter starts (``PYTHONPATH``,
    ``PYTHONHASHSEED``...): a forked process keeps the server's, so they must be the same."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") and k not in _UNCOMPARED}


# -- the client side -------------------------------------------------------------------------------

class RemoteProcess:
    """A process the server forked for this one (a planner, or a pack inside `ForkedPack`), seen
    through its handler's connection: `wait` and `stop` as `children.Child`'s."""

    def __init__(self, conn: socket.socket, pid: int) -> None:
        self.conn = conn
        self.pid = pid
        self.status: int | None = None
        self.buffer = bytearray()

    def _read_status(self, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        while self.status is None:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                if not select.select([self.conn], [], [], 0)[0]:
                    return None
                remaining = 0.001  # what has arrived is read (a zero timeout still reads)
            try:
                line = read_line(self.conn, self.buffer, remaining)
            except TimeoutError:
                return None
            except (OSError, ValueError):
                line = None
            if line is None:  # the handler went without a word: a failed planner
                self.status = 70
            elif isinstance(line.get("exit"), int):
                self.status = int(line["exit"])
        return self.status

    def wait(self, timeout: float | None) -> int | None:
        """The exit status, or None when `timeout` seconds pass first."""
        return self._read_status(timeout)

    def stop(self) -> None:
        """End the planner and its group (the handler does: SIGTERM, grace, SIGKILL) and wait for it."""
        if self.status is None:
            with contextlib.suppress(OSError):
                self.conn.settimeout(REQUEST_TIMEOUT)
                self.conn.sendall(b'{"stop": true}\n')  # not gone: this process cleans up itself
                self.conn.shutdown(socket.SHUT_WR)
            self._read_status(2 * children.STOP_GRACE + 5)
        self.conn.close()


def read_line(conn: socket.socket, buffer: bytearray, timeout: float | None) -> dict[str, Any] | None:
    """The next JSON object line from `conn`, None at its end; what follows the line stays in
    `buffer` (so does a partial line when the time runs out: TimeoutError)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while b"\n" not in buffer:
        if len(buffer) > MAX_LINE:
            raise ValueError("line too long")
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError
        conn.settimeout(remaining)
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    end = buffer.index(b"\n")
    line = bytes(buffer[:end])
    del buffer[:end + 1]
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _request(request: dict[str, Any], fds: Sequence[int], timeout: float,
             address: str | None) -> RemoteProcess | None:
    """Send `request` (with `fds` attached) to the server named by `address` (default:
    ``AZORA_PLAN_SERVER``); the forked process, or None when there is no server, it cannot be
    reached within `timeout` seconds or it declines."""
    address = address if address is not None else os.environ.get(SERVER_ENV)
    if not address or not sys.platform.startswith("linux"):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(max(0.001, timeout))
        conn.connect(address)
        line = json.dumps(request).encode() + b"\n"
        sent = socket.send_fds(conn, [line], list(fds)) if fds else 0
        conn.sendall(line[sent:])
        buffer = bytearray()
        reply = read_line(conn, buffer, timeout)
    except (OSError, ValueError):
        conn.close()
        return None
    except BaseException:  # e.g. Ctrl-C: closing the connection tells the handler to stop what it forked
        conn.close()
        raise
    if reply is None or not isinstance(reply.get("pid"), int):  # declined (why: in reply)
        conn.close()
        return None
    process = RemoteProcess(conn, int(reply["pid"]))
    process.buffer = buffer
    return process


def start_planner(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: Path, stderr: Path,
                  timeout: float, address: str | None = None) -> RemoteProcess | None:
    """Have the server named by `address` (default: ``AZORA_PLAN_SERVER``) fork a planner running
    `azora_infra.plan.runner` with `argv`. None when there is no server, it cannot be reached within
    `timeout` seconds, or it declines (another interpreter or copy of `azora_infra`): the caller
    then starts the planner itself."""
    request = {**identity(), "argv": list(argv), "cwd": str(cwd), "env": dict(env),
               "stdout": str(stdout), "stderr": str(stderr)}
    return _request(request, [], timeout, address)


class ForkedPack:
    """A policy pack the server forked for this process, with the part of `subprocess.Popen`'s
    interface `PolicyPackProcess` uses: `pid` (it leads its own process group), `poll`, `wait`."""

    def __init__(self, process: RemoteProcess) -> None:
        self.process = process
        self.pid = process.pid

    def poll(self) -> int | None:
        return self._done(self.process.wait(0))

    def wait(self, timeout: float | None = None) -> int:
        code = self._done(self.process.wait(timeout))
        if code is None:
            raise subprocess.TimeoutExpired(PACK, timeout or 0.0)
        return code

    def _done(self, code: int | None) -> int | None:
        if code is not None:
            self.process.conn.close()  # the handler has reported and ends
        return code


def start_pack(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: int, stderr: int,
               timeout: float, address: str | None = None) -> ForkedPack | None:
    """Have the server fork a policy pack: ``pulumi.policy`` with `argv` (engine address, pack
    directory), as ``python -u -m pulumi.policy`` would run in `cwd` with `env`, writing to the
    descriptors `stdout` and `stderr` (the caller keeps and closes its copies). None as for
    `start_planner`: the caller then starts the pack itself."""
    request = {**identity(), "run": PACK, "argv": list(argv), "cwd": str(cwd), "env": dict(env)}
    process = _request(request, [stdout, stderr], timeout, address)
    return None if process is None else ForkedPack(process)


class PlanServer:
    """A running planner server. Use as a context manager::

        with PlanServer.start() as server:
            os.environ[SERVER_ENV] = server.address
            ...   # every PlanSession of this process and its children forks planners there

    `close()` stops the server, its handlers and their planners, and removes its directory."""

    def __init__(self, child: children.Child, directory: Path) -> None:
        self.child = child
        self.directory = directory
        self.address = str(directory / "socket")

    @classmethod
    def start(cls, *, submodules: bool = True) -> PlanServer:
        """Start a server (Linux). The socket listens at once; planners asked for before the SDKs
        are imported wait for them. `submodules=False`: import only the SDKs' top-level packages
        (3 s less CPU to start; each planner then imports the submodules its program uses), for a
        server that plans small programs."""
        if not sys.platform.startswith("linux"):
            raise OSError("the planner server needs Linux (fork, prctl)")
        directory = Path(tempfile.mkdtemp(prefix="azora-plan-server-"))
        if len(str(directory / "socket")) > _MAX_SOCKET_PATH:  # a long TMPDIR: sockets have ~108 bytes
            directory.rmdir()
            directory = Path(tempfile.mkdtemp(prefix="azora-plan-server-", dir="/tmp"))
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(directory / "socket"))
            listener.listen(128)
            env = children.child_environment(extra={"PYTHONUNBUFFERED": "1"})
            env.pop(SERVER_ENV, None)
            with open(directory / "server.log", "wb") as log:
                child = children.spawn(
                    children.python_command(SERVER, ["--fd", str(listener.fileno()),
                                                     *([] if submodules else ["--sdk-only"])], subreaper=True),
                    cwd=directory, env=env, stdout=log, stderr=log, new_group=True, pass_fds=[listener.fileno()])
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        finally:
            listener.close()  # the server holds it now: when the server goes, clients are refused
        server = cls(child, directory)
        atexit.register(server.close)
        return server

    def __enter__(self) -> PlanServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        atexit.unregister(self.close)
        self.child.stop()
        shutil.rmtree(self.directory, ignore_errors=True)




__all__ = ["MAX_FDS", "MAX_LINE", "PACK", "PLANNER", "REQUEST_TIMEOUT", "SERVER", "SERVER_ENV", "ForkedPack",
           "PlanServer", "RemoteProcess", "identity", "interpreter_settings", "read_line", "start_pack",
           "start_planner"]
