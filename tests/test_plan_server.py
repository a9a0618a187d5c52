"""The planner server (`azora_infra.plan.server`, client side `azora_infra.plan.remote`): sessions
that name it in ``AZORA_PLAN_SERVER`` get planners forked from one set of SDK imports, with the same
plans and the same guarantees as fresh planners: a timeout, a stop, a killed client or a stopped
server leaves no planner, no program child and no session directory; a server that cannot serve
(gone, another interpreter or interpreter settings, a bad request) means a fresh planner, never a
failure. Policy packs forked there check as fresh ones do and end with their client.

The module starts a server of its own, so that after each test it can assert the server is idle
again (no handler left) without other tests' planners in the way. It plans small programs, so it
imports only the SDKs' top-level packages (``submodules=False``; the suite's server imports all).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from azora_infra import children
from azora_infra.check import PackError, PolicyPackProcess, attach
from azora_infra.plan import PlanError, plan_stacks, remote, run_plan
from azora_infra.plan.remote import MAX_LINE, SERVER_ENV, ForkedPack, PlanServer, start_pack, start_planner
from azora_infra.plan.session import WORKDIR_PREFIX
from tests.harness import ROOT
from tests.test_adversarial_tool import _gone, write_program

REFERENCING = Path(__file__).parent / "programs" / "referencing"
PACK = ROOT / "policies"
FAULTY = Path(__file__).parent / "packs" / "faulty"


def _parent(pid: int) -> int:
    fields = children.proc_stat(pid)
    assert fields is not None, f"process {pid} is gone"
    return int(fields[1])


@pytest.fixture(scope="module")
def server() -> Iterator[PlanServer]:
    with PlanServer.start(submodules=False) as started:
        yield started


@pytest.fixture(autouse=True)
def through(server: PlanServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """This module's server in ``AZORA_PLAN_SERVER``, a private TMPDIR and notes directory; after the
    test: the server is alive and idle (every handler, and so every planner, gone) and no session
    directory is left."""
    tmp = tmp_path / "tmp"
    notes = tmp_path / "notes"
    tmp.mkdir()
    notes.mkdir()
    monkeypatch.setenv(SERVER_ENV, server.address)
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("AZORA_TEST_DIR", str(notes))
    yield {"tmp": tmp, "notes": notes}
    for pid in children.child_pids(server.child.pid):
        assert _gone(pid, 30), f"handler {pid} still running"
    assert server.child.proc.poll() is None, "the server died"
    assert not list(tmp.glob(f"{WORKDIR_PREFIX}*"))


def _blocked_primary(tmp_path: Path, notes: Path) -> tuple[Path, int]:
    """A program whose `prim` stack starts `sleep 90` and blocks; `sec` references it. Returns the
    program and a FIFO descriptor that becomes readable when `prim`'s program is running."""
    program = write_program(tmp_path / "p", {"prim": {"t:block": True}, "sec": {"t:refs": 1, "t:primary": "prim"}})
    os.mkfifo(notes / "fifo")
    return program, os.open(notes / "fifo", os.O_RDONLY | os.O_NONBLOCK)


def _plan_in_thread(stack: str, program: Path, timeout: float) -> tuple[threading.Thread, list[BaseException]]:
    """`run_plan` in a started thread; the list gets what it raised."""
    outcome: list[BaseException] = []

    def plan() -> None:
        try:
            run_plan(stack, program, timeout=timeout)
        except BaseException as err:
            outcome.append(err)

    worker = threading.Thread(target=plan)
    worker.start()
    return worker, outcome


def _wait_running(fd: int) -> int:
    """The pid of the blocked program's planner, once it is running."""
    try:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, "the primary's program did not start"
        return int(os.read(fd, 100).decode().strip())
    finally:
        os.close(fd)


def test_forked_plans_equal_fresh_ones_and_the_primary_is_planned_once(server: PlanServer, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    program = tmp_path / "referencing"
    shutil.copytree(REFERENCING, program)
    log = tmp_path / "runs.log"
    for stack_file in program.glob("Pulumi.*.yaml"):
        stack_file.write_text(stack_file.read_text() + f"  referencing:runLog: {log}\n")
    forked = plan_stacks(["second-a", "second-b", "primary"], program)
    runs = [line.split() for line in log.read_text().splitlines()]
    assert sorted(stack for stack, _ in runs) == ["primary", "second-a", "second-b"]  # the primary once
    handlers = {int(ppid) for _, ppid in runs}
    assert len(handlers) == 3 and os.getpid() not in handlers  # each planner forked by a handler
    log.unlink()
    monkeypatch.setenv(SERVER_ENV, "")
    monkeypatch.setenv("AZORA_PLAN_FORK", "0")  # fresh interpreters, not a zygote's forks
    fresh = plan_stacks(["second-a", "second-b", "primary"], program)
    assert {int(ppid) for _, ppid in (line.split() for line in log.read_text().splitlines())} != handlers
    assert json.dumps(forked, sort_keys=True) == json.dumps(fresh, sort_keys=True)


def test_a_timeout_stops_the_planners_and_what_their_program_started(server: PlanServer, tmp_path: Path,
                                                                     through: dict[str, Any]) -> None:
    program, fd = _blocked_primary(tmp_path, through["notes"])
    worker, outcome = _plan_in_thread("sec", program, 3)  # forked planners start in a fraction of it
    try:
        planner = _wait_running(fd)
        assert _parent(_parent(planner)) == server.child.pid  # planner <- handler <- server
    finally:
        worker.join(60)
    assert [str(e) for e in outcome] == ["planning stack sec took longer than 3 s"]
    assert _gone(planner, 10)
    assert _gone(int((through["notes"] / "sleep.pid").read_text()), 10)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_client_that_goes_away_leaves_nothing(server: PlanServer, tmp_path: Path, through: dict[str, Any],
                                                sig: signal.Signals) -> None:
    """The CLI planning `sec` is killed while `prim` is being planned: the handlers see its end of
    the connection close and stop the planners; the session directory goes too (SIGKILL: the
    handler removes it, nobody else can)."""
    program, fd = _blocked_primary(tmp_path, through["notes"])
    proc = subprocess.Popen([sys.executable, "-m", "azora_infra", "plan", "--stack", "sec", "--program",
                             str(program)], cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        planner = _wait_running(fd)
        assert list(through["tmp"].glob(f"{WORKDIR_PREFIX}*")), "the session directory exists while planning"
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == (-signal.SIGKILL if sig == signal.SIGKILL else 128 + sig), stderr
    assert _gone(planner, 20)
    assert _gone(int((through["notes"] / "sleep.pid").read_text()), 20)
    # the fixture asserts: every handler gone, no session directory left


def test_a_stopped_server_stops_its_planners_and_sessions_plan_without_it(tmp_path: Path, through: dict[str, Any],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    own = PlanServer.start(submodules=False)
    monkeypatch.setenv(SERVER_ENV, own.address)
    program, fd = _blocked_primary(tmp_path, through["notes"])
    worker, outcome = _plan_in_thread("prim", program, 120)
    try:
        planner = _wait_running(fd)
        own.close()
    finally:
        worker.join(60)
        own.close()
    assert len(outcome) == 1 and isinstance(outcome[0], PlanError), outcome
    assert _gone(planner, 10)
    assert _gone(int((through["notes"] / "sleep.pid").read_text()), 10)
    assert not own.directory.exists()
    started = time.monotonic()
    assert run_plan("dev", write_program(tmp_path / "q", {"dev": {}}))["stack"] == "dev"  # fresh: refused
    assert time.monotonic() - started < 60


def test_a_client_of_another_interpreter_or_copy_is_declined(server: PlanServer, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    program = write_program(tmp_path / "p", {"dev": {}})
    monkeypatch.setattr(remote, "identity", lambda: {"python": "/elsewhere/python", "prefix": sys.prefix,
                                                     "package": str(ROOT)})
    assert start_planner(["--help"], cwd=tmp_path, env={}, stdout=tmp_path / "o", stderr=tmp_path / "e",
                         timeout=30) is None
    assert not (tmp_path / "o").exists()  # nothing ran
    assert run_plan("dev", program)["stack"] == "dev"  # planned in a fresh interpreter instead


def test_other_interpreter_settings_are_declined(server: PlanServer, tmp_path: Path) -> None:
    """A fork keeps the server's ``PYTHONPATH``, hash seed...: a client asking for others gets a
    fresh process (planner or pack), which starts with them."""
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    assert start_planner(["--help"], cwd=tmp_path, env=env, stdout=tmp_path / "o", stderr=tmp_path / "e",
                         timeout=30) is None
    read, write = os.pipe()
    try:
        assert start_pack(["127.0.0.1:0", str(PACK)], cwd=PACK, env=env, stdout=write, stderr=write,
                          timeout=30) is None
    finally:
        os.close(read)
        os.close(write)
    assert not (tmp_path / "o").exists()  # nothing ran


_IDENTITY = remote.identity()


@pytest.mark.parametrize("payload", [
    b"not json\n",
    b"[1, 2]\n",
    json.dumps({"argv": "--stack dev"}).encode() + b"\n",
    b"x" * (MAX_LINE + 2),
    b"",
    json.dumps({**_IDENTITY, "run": "shell", "argv": [], "cwd": "/", "env": dict(os.environ)}).encode() + b"\n",
    # a pack without its two output descriptors
    json.dumps({**_IDENTITY, "run": "pack", "argv": [], "cwd": "/", "env": dict(os.environ)}).encode() + b"\n",
])
def test_a_bad_request_is_refused_and_the_server_serves_on(server: PlanServer, tmp_path: Path,
                                                            payload: bytes) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(60)
        conn.connect(server.address)
        if payload:
            conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert b'"pid"' not in answer
    if answer:
        assert "declined" in json.loads(answer)
    assert run_plan("dev", write_program(tmp_path / "p", {"dev": {}}))["stack"] == "dev"


def test_no_server_variable_or_an_unreachable_one_means_fresh_planners(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", str(tmp_path / "no-such-socket")):
        monkeypatch.setenv(SERVER_ENV, value)
        assert start_planner([], cwd=tmp_path, env={}, stdout=tmp_path / "o", stderr=tmp_path / "e",
                             timeout=5) is None
    assert run_plan("dev", write_program(tmp_path / "p", {"dev": {}}))["stack"] == "dev"


# -- policy packs ------------------------------------------------------------------------------------

def _pack_of(plan: dict[str, Any], pack_dir: Path = PACK, **config: str) -> PolicyPackProcess:
    return PolicyPackProcess(pack_dir, stack=plan["stack"], project=plan["project"],
                             config={k: str(v) for k, v in (config or plan.get("config") or {}).items()})


def test_forked_packs_check_as_fresh_ones(server: PlanServer, repo_plan: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """africa's plan through a pack forked by the server and through a fresh pack (the CLI's):
    byte-identical results; the forked pack is the server's (pack <- handler <- server)."""
    plan = repo_plan("africa")
    results = {}
    for how, address in (("forked", server.address), ("fresh", "")):
        monkeypatch.setenv(SERVER_ENV, address)
        with _pack_of(plan) as pack, attach(pack) as session:
            assert isinstance(pack.proc, ForkedPack) is (how == "forked") and pack.pid is not None
            pid = pack.pid
            assert (_parent(_parent(pid)) == server.child.pid) is (how == "forked")
            results[how] = json.dumps(session.check(plan).to_json(), sort_keys=True)
        assert _gone(pid, 10)
    assert results["forked"] == results["fresh"]
    assert json.loads(results["forked"])["violations"], "nothing was reported: the comparison proves nothing"


@pytest.mark.parametrize(("mode", "message"), [
    ("crash", r"policy pack exited with status 1 before it started: .*boom: the pack failed while loading"),
    ("port-exit", r"policy pack exited with status 4 after printing its port: .*dying right after"),
])
def test_a_forked_pack_that_fails_reports_its_status_and_output(server: PlanServer, mode: str, message: str) -> None:
    pack = _pack_of({"stack": "s", "project": "p"}, FAULTY, **{"faulty:mode": mode})
    with pytest.raises(PackError, match=message):
        pack.start()
    assert isinstance(pack.proc, ForkedPack) and pack.pid is not None
    assert _gone(pack.pid, 10)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_forked_pack_ends_with_its_client(server: PlanServer, sig: signal.Signals) -> None:
    """The process that started the pack is killed (no chance to clean up with SIGKILL): its
    handler sees the connection close and ends the pack's group."""
    code = (
        "import sys; from pathlib import Path\n"
        "from azora_infra.check import PolicyPackProcess\n"
        "p = PolicyPackProcess(Path(sys.argv[1]), stack='bench', project='azora-platform').start()\n"
        "print(p.pid, type(p.proc).__name__, flush=True)\n"
        "sys.stdin.read()\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", code, str(PACK)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=dict(os.environ))
    try:
        assert owner.stdout is not None
        pid, kind = owner.stdout.readline().split()
        assert kind == ForkedPack.__name__
        assert _parent(_parent(int(pid))) == server.child.pid
        owner.send_signal(sig)
        owner.wait(timeout=30)
    finally:
        owner.kill()
        owner.wait(timeout=30)
    assert _gone(int(pid), 20)
    # the fixture asserts: every handler gone


def test_ctrl_c_while_a_pack_starts_leaves_nothing(server: PlanServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted once the server has forked the pack, before this side took the reply: no pipe or
    socket is left open here, and the handler, seeing the connection close, ends the pack."""
    real, reply = remote.read_line, {}

    def interrupted(conn: socket.socket, buffer: bytearray, timeout: float | None) -> None:
        reply.update(real(conn, buffer, timeout) or {})
        raise KeyboardInterrupt

    monkeypatch.setattr(remote, "read_line", interrupted)
    before = set(os.listdir("/proc/self/fd"))
    pack = PolicyPackProcess(PACK, stack="bench", project="azora-platform")
    with pytest.raises(KeyboardInterrupt):
        pack.start()
    assert pack.proc is None
    assert set(os.listdir("/proc/self/fd")) <= before
    assert _gone(int(reply["pid"]), 20)
