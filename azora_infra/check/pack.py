"""Starting a Python CrossGuard policy pack exactly as the Pulumi CLI does, and stopping it.

The CLI (``RunPlugin`` of pulumi-language-python, and the legacy ``pulumi-analyzer-policy-python``
shim) runs ``<python> -u -m pulumi.policy <engine-address> <pack dir>`` with cwd = the pack dir and
the process environment plus ``PULUMI_ORGANIZATION``, ``PULUMI_PROJECT``, ``PULUMI_STACK``,
``PULUMI_DRY_RUN`` and ``PULUMI_CONFIG`` (JSON ``{"ns:key": "string"}``). The pack serves the
Analyzer gRPC service on 127.0.0.1 and prints its port as the first stdout line.

Interpreter: the pack's own virtualenv when ``PulumiPolicy.yaml`` asks for one
(``runtime: {name: python, options: {virtualenv: venv}}``) and ``<pack>/<virtualenv>/bin/python``
exists; otherwise the interpreter running azora-infra (``sys.executable``), which has
pulumi-policy installed as a dependency.

When ``AZORA_PLAN_SERVER`` names a planner server (`azora_infra.plan.server`) started from the
interpreter the pack runs in, the server forks the pack instead, with pulumi-policy already
imported: the same module, arguments, working directory, environment and output pipes, about a
tenth of a fresh interpreter's start-up. Without one (the CLI's case) the pack is started as above.

The process always ends: `stop()` (also from the context manager, on errors, on KeyboardInterrupt
and at interpreter exit) sends SIGTERM to its whole process group, then SIGKILL after a grace
period. Every RPC carries a deadline, so a hanging pack is an error, never a hang.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import grpc
import yaml
from pulumi.runtime.proto import analyzer_pb2_grpc

from ..plan.remote import ForkedPack, start_pack

#: gRPC message limit, as pulumi_policy's own server (AnalyzeStack of 10k resources is ~7 MB)
MAX_MESSAGE_BYTES = 400 * 1024 * 1024
#: the address handed to the pack as `engineAddress` (the Python pack never dials it)
ENGINE_ADDRESS = "127.0.0.1:0"
_TAIL_LINES = 40


class PackError(RuntimeError):
    """The policy pack could not be started, crashed, hung or broke the protocol (exit 2)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `start`: spawn → port printed → channel ready. `rpc`: one Analyze, Configure,
    GetAnalyzerInfo... call. `analyze_stack`: the single AnalyzeStack call. `stop`: grace period
    between SIGTERM and SIGKILL."""

    start: float = 60.0
    rpc: float = 60.0
    analyze_stack: float = 120.0
    stop: float = 5.0


@dataclass(frozen=True)
class PackManifest:
    """What ``PulumiPolicy.yaml`` says: runtime options, the version the CLI reports, a name."""

    directory: Path
    version: str | None
    name: str | None
    description: str | None
    virtualenv: str | None

    @classmethod
    def load(cls, pack_dir: Path) -> PackManifest:
        pack_dir = pack_dir.resolve()
        path = pack_dir / "PulumiPolicy.yaml"
        if not path.is_file():
            path = pack_dir / "PulumiPolicy.yml"
        if not path.is_file():
            raise PackError(f"{pack_dir}: no PulumiPolicy.yaml (not a policy pack directory)")
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise PackError(f"{path}: not valid YAML: {err}") from None
        if not isinstance(doc, dict):
            raise PackError(f"{path}: expected a mapping")
        runtime = doc.get("runtime")
        name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if name != "python":
            raise PackError(f"{path}: runtime {name!r} is not python; only Python policy packs can be run")
        options = (runtime.get("options") or {}) if isinstance(runtime, dict) else {}
        venv = options.get("virtualenv") if isinstance(options, dict) else None
        if not (pack_dir / "__main__.py").is_file():
            raise PackError(f"{pack_dir}: no __main__.py (the pack's entry point)")
        version = doc.get("version")
        return cls(
            pack_dir,
            None if version is None else str(version),
            None if doc.get("name") is None else str(doc["name"]),
            None if doc.get("description") is None else str(doc["description"]),
            None if venv is None else str(venv),
        )

    def interpreter(self) -> str:
        """The pack's virtualenv python when it asks for one and it exists, else sys.executable."""
        if self.virtualenv:
            venv = Path(self.virtualenv)
            venv = venv if venv.is_absolute() else self.directory / venv
            for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
                if candidate.is_file():
                    return str(candidate)
        return sys.executable


def pack_environment(
    *,
    organization: str,
    project: str,
    stack: str,
    config: Mapping[str, str],
    dry_run: bool = True,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The process environment plus the five variables the CLI sets (empty values are left out,
    as ``constructEnv`` does)."""
    env = dict(os.environ if base is None else base)
    extra = {
        "PULUMI_CONFIG": json.dumps(dict(config)) if config else "",
        "PULUMI_ORGANIZATION": organization,
        "PULUMI_PROJECT": project,
        "PULUMI_STACK": stack,
        "PULUMI_DRY_RUN": "true" if dry_run else "false",
    }
    env.update({k: v for k, v in extra.items() if v})
    return env


#: Linux: a tiny launcher, run by the pack's own interpreter, that asks the kernel to send the pack
#: SIGTERM if azora-infra dies without cleaning up (e.g. SIGKILL in CI), then execs the command the
#: CLI runs, unchanged (the setting survives exec). No `preexec_fn`: running Python between fork
#: and exec in a process that has gRPC threads is unsafe (gRPC's epoll state broke that way).
#: A PULUMI_CONFIG larger than one environment string may be (Linux: 128 KiB, "Argument list too
#: long") reaches the pack through a private file instead: the launcher reads it into its own
#: environment and runs the pack in-process (an exec would hit the same limit).
_PDEATHSIG_LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "if sys.argv[1] != '0':\n"
    "    try:\n"
    "        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)\n"
    "    except OSError:\n"
    "        pass\n"
    "if sys.argv[1] == '0' or os.getppid() == int(sys.argv[1]):\n"
    "    config = os.environ.pop('AZORA_PULUMI_CONFIG_FILE', None)\n"
    "    if config is None:\n"
    "        os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n"
    "    with open(config, encoding='utf-8') as f:\n"
    "        os.environ['PULUMI_CONFIG'] = f.read()\n"
    "    os.unlink(config)\n"
    "    import runpy\n"
    "    sys.argv = [sys.argv[4], *sys.argv[5:]]\n"
    "    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)
#: the largest PULUMI_CONFIG passed in the environment itself
_ENV_CONFIG_LIMIT = 64 * 1024


class PolicyPackProcess:
    """One running policy pack. Use as a context manager::

        with PolicyPackProcess(pack_dir, stack="africa", project="azora-platform") as pack:
            info = pack.call("GetAnalyzerInfo", empty_pb2.Empty())

    or call `start()` / `stop()`. `azora_infra.check.run.attach(process)` runs checks on it.
    `env`: extra environment variables for the pack (on top of this process's and the CLI's five).
    """

    def __init__(
        self,
        pack_dir: Path,
        *,
        stack: str,
        project: str,
        organization: str = "organization",
        config: Mapping[str, str] | None = None,
        dry_run: bool = True,
        timeouts: Timeouts | None = None,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.manifest = PackManifest.load(Path(pack_dir))
        self.pack_dir = self.manifest.directory
        self.stack, self.project, self.organization = stack, project, organization
        self.config: dict[str, str] = {k: str(v) for k, v in (config or {}).items()}
        self.dry_run = dry_run
        self.timeouts = timeouts or Timeouts()
        self.python = python or self.manifest.interpreter()
        self.extra_env: dict[str, str] = dict(env or {})
        self.proc: subprocess.Popen[bytes] | ForkedPack | None = None
        self.port: int | None = None
        self.channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._stdout_tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._threads: list[threading.Thread] = []
        self._first_line: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self._config_file: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def command(self) -> list[str]:
        return [self.python, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS, str(self.pack_dir)]

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> PolicyPackProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> PolicyPackProcess:
        """Spawn the pack, read its port (bounded by `timeouts.start`), dial it and wait until the
        channel is ready. On any failure (or KeyboardInterrupt) the process is stopped first."""
        if self.proc is not None:
            raise PackError("policy pack already started")
        env = pack_environment(
            organization=self.organization,
            project=self.project,
            stack=self.stack,
            config=self.config,
            dry_run=self.dry_run,
        )
        env.update(self.extra_env)
        deadline = time.monotonic() + self.timeouts.start
        streams = self._fork(env, deadline) or self._spawn(env)
        atexit.register(self.stop)
        try:
            self._drain(streams[0], self._stdout_tail, first=True)
            self._drain(streams[1], self._stderr_tail, first=False)
            self.port = self._wait_for_port(deadline)
            self.channel = grpc.insecure_channel(
                f"127.0.0.1:{self.port}",
                options=[
                    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ],
            )
            self._wait_until_ready(deadline)
            self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        except BaseException:
            self.stop()
            raise
        return self

    def _fork(self, env: dict[str, str], deadline: float) -> tuple[IO[bytes], IO[bytes]] | None:
        """Have the planner server fork the pack (``AZORA_PLAN_SERVER``, same interpreter); its
        stdout and stderr, or None when there is no such server (the caller spawns the pack)."""
        if self.python != sys.executable or not sys.platform.startswith("linux"):
            return None
        pipes = [os.pipe(), os.pipe()]
        try:
            self.proc = start_pack(self.command[4:], cwd=self.pack_dir, env=env, stdout=pipes[0][1],
                                   stderr=pipes[1][1], timeout=max(0.001, deadline - time.monotonic()))
        except BaseException:  # e.g. Ctrl-C: the handler sees the connection close and ends the pack
            self.proc = None
            raise
        finally:
            for _, write in pipes:
                os.close(write)
            if self.proc is None:
                for read, _ in pipes:
                    os.close(read)
        if self.proc is None:
            return None
        return open(pipes[0][0], "rb"), open(pipes[1][0], "rb")  # closed by the readers

    def _spawn(self, env: dict[str, str]) -> tuple[IO[bytes], IO[bytes]]:
        """Start the pack as the CLI does (through the parent-death launcher on Linux); its stdout
        and stderr."""
        use_pdeathsig = sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
        argv = self.command
        if len(env.get("PULUMI_CONFIG", "")) > _ENV_CONFIG_LIMIT:
            fd, self._config_file = tempfile.mkstemp(prefix="azora-pack-config-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(env.pop("PULUMI_CONFIG"))
            env["AZORA_PULUMI_CONFIG_FILE"] = self._config_file
        if use_pdeathsig or self._config_file:
            parent = str(os.getpid()) if use_pdeathsig else "0"
            argv = [self.python, "-u", "-c", _PDEATHSIG_LAUNCHER, parent, *self.command[1:]]
        try:
            self.proc = subprocess.Popen(
                argv,
                cwd=str(self.pack_dir),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as err:
            if self._config_file:
                os.unlink(self._config_file)
                self._config_file = None
            raise PackError(f"cannot start policy pack with {self.python}: {err.strerror or err}") from None
        assert self.proc.stdout is not None and self.proc.stderr is not None
        return self.proc.stdout, self.proc.stderr

    def _wait_until_ready(self, deadline: float) -> None:
        """Wait until the printed port accepts a connection, bounded by the start deadline, and fail
        at once when the pack exits meanwhile (a pack that prints its port and dies must not cost
        the whole start timeout). A plain TCP connect: the pack's gRPC server listens once it has
        printed its port, and gRPC's readiness future would cost 0.2 s when the channel closes."""
        assert self.proc is not None and self.port is not None
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=max(0.001, min(
                        1.0, deadline - time.monotonic()))):
                    return
            except OSError:
                pass
            try:
                code: int | None = self.proc.wait(timeout=min(0.05, max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                code = None
            if code is not None:
                self._join_readers()
                raise PackError(self._failure(f"policy pack exited with status {code} after printing its port"))
            if time.monotonic() >= deadline:
                raise PackError(self._failure(
                    f"policy pack port {self.port} did not accept connections within {self.timeouts.start:g} s"))

    def _drain(self, stream: IO[bytes], tail: collections.deque[str], *, first: bool) -> None:
        def pump() -> None:
            handed = not first
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not handed:
                    handed = True
                    self._first_line.put(line)
                    continue
                tail.append(line)
            if not handed:
                self._first_line.put(None)  # EOF before any line
            stream.close()

        thread = threading.Thread(target=pump, name=f"policy-pack-{'stdout' if first else 'stderr'}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _wait_for_port(self, deadline: float) -> int:
        try:
            line = self._first_line.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise PackError(
                self._failure(f"policy pack did not start within {self.timeouts.start:g} s (no port on stdout)")
            ) from None
        if line is None:
            assert self.proc is not None
            try:
                code = self.proc.wait(timeout=self.timeouts.stop)
            except subprocess.TimeoutExpired:
                code = None
            self._join_readers()
            status = f"exited with status {code}" if code is not None else "closed its stdout"
            raise PackError(self._failure(f"policy pack {status} before it started"))
        try:
            port = int(line.strip())
        except ValueError:
            port = 0
        if not 1 <= port <= 65535:
            raise PackError(self._failure(f"policy pack printed {line.strip()[:200]!r} instead of its port"))
        return port

    def _join_readers(self, timeout: float = 2.0) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def output_tail(self) -> list[str]:
        """The last lines the pack wrote (stderr first, then stdout), for error messages."""
        return [*self._stderr_tail, *self._stdout_tail]

    def _failure(self, message: str) -> str:
        """`message`, plus the most telling line of the pack's output (its exception, usually)."""
        lines = [ln.strip() for ln in self.output_tail() if ln.strip()]
        if not lines:
            return message
        telling = next((ln for ln in reversed(lines) if "Error" in ln or "Exception" in ln), lines[-1])
        return f"{message}: {telling[:500]}"

    def stop(self) -> None:
        """Close the channel and end the process group: SIGTERM, then SIGKILL after the grace
        period. Idempotent; safe to call from error paths."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
            self.stub = None
        proc = self.proc
        if proc is None:
            return
        atexit.unregister(self.stop)
        self._signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=self.timeouts.stop)
        except subprocess.TimeoutExpired:
            self._signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=self.timeouts.stop)
        else:
            self._signal_group(proc, signal.SIGKILL)  # anything the pack itself started
        self._join_readers()
        if self._config_file:
            with contextlib.suppress(OSError):
                os.unlink(self._config_file)  # the launcher removes it once read
            self._config_file = None

    @staticmethod
    def _signal_group(proc: subprocess.Popen[bytes] | ForkedPack, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)  # start_new_session=True: the group id is the pack's pid

    # -- calls -----------------------------------------------------------------------------------

    def call(self, method: str, request: Any, timeout: float | None = None) -> Any:
        """One Analyzer RPC with a deadline. gRPC errors become `PackError` with a clear reason;
        ``UNIMPLEMENTED`` is re-raised as `Unimplemented` for the callers that accept it."""
        fn = self._method(method)
        limit = self.timeouts.rpc if timeout is None else timeout
        try:
            return fn(request, timeout=limit)
        except grpc.RpcError as err:
            raise self._rpc_error(err, method, limit) from None

    def call_many(self, method: str, requests: Iterable[Any], *, window: int,
                  timeout: float | None = None) -> Iterator[Any]:
        """The responses to `requests`, in order, with up to `window` calls in flight at once (the
        pack's gRPC server runs them on its worker threads). Errors as `call`; on an error or when
        the caller stops early, the calls still in flight are cancelled."""
        fn = self._method(method)
        limit = self.timeouts.rpc if timeout is None else timeout
        pending: collections.deque[Any] = collections.deque()
        source = iter(requests)
        try:
            while True:
                while len(pending) < max(1, window):
                    request = next(source, None)
                    if request is None:
                        break
                    pending.append(fn.future(request, timeout=limit))
                if not pending:
                    return
                future = pending.popleft()
                try:
                    response = future.result()
                except grpc.RpcError as err:
                    raise self._rpc_error(err, method, limit) from None
                yield response
        finally:
            for future in pending:
                future.cancel()

    def _method(self, method: str) -> Any:
        if self.stub is None:
            raise PackError("policy pack is not running")
        return getattr(self.stub, method)

    def _rpc_error(self, err: grpc.RpcError, method: str, limit: float) -> Exception:
        code = err.code() if hasattr(err, "code") else None
        details = (err.details() if hasattr(err, "details") else "") or ""
        if code == grpc.StatusCode.UNIMPLEMENTED:
            return Unimplemented(method)
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return PackError(self._failure(f"policy pack did not answer {method} within {limit:g} s"))
        if self.proc is not None:
            try:
                status = self.proc.wait(timeout=0.5 if code == grpc.StatusCode.UNAVAILABLE else 0)
            except subprocess.TimeoutExpired:
                status = None
            if status is not None:
                self._join_readers()
                return PackError(self._failure(f"policy pack exited with status {status} during {method}"))
        reason = details.strip().splitlines()[-1] if details.strip() else str(code)
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return PackError(f"policy pack refused {method}: {reason}")
        return PackError(f"policy pack failed in {method}: {reason}")


class Unimplemented(Exception):
    """The pack does not implement this optional RPC (Handshake, ConfigureStack)."""


__all__ = [
    "ENGINE_ADDRESS",
    "MAX_MESSAGE_BYTES",
    "PackError",
    "PackManifest",
    "PolicyPackProcess",
    "Timeouts",
    "Unimplemented",
    "pack_environment",
]
