"""Pack process lifecycle: a pack that crashes, never starts, prints garbage, hangs or dies in an
RPC is a clear error (exit 2 from the CLI) and never leaves a process behind, whether it runs in a
fresh interpreter (as the CLI starts it) or forked by a planner server (as the test suite's are)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from azora_infra.check import PackError, PolicyPackProcess, Timeouts, attach
from azora_infra.check.synthetic import synthetic_plan
from azora_infra.plan.remote import SERVER_ENV, ForkedPack

PACKS = Path(__file__).parent / "packs"
FAULTY = PACKS / "faulty"
PLAN = synthetic_plan(1)


def _gone(pid: int | None) -> bool:
    assert pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(params=["forked", "fresh"])
def how(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How the packs of the test start: forked by a planner server, or in a fresh interpreter."""
    monkeypatch.setenv(SERVER_ENV, request.getfixturevalue("plan_server") if request.param == "forked" else "")
    return str(request.param)


def _started_as(pack: PolicyPackProcess, how: str) -> bool:
    return isinstance(pack.proc, ForkedPack) is (how == "forked")


def _pack(mode: str, **timeouts: float) -> PolicyPackProcess:
    return PolicyPackProcess(FAULTY, stack=PLAN["stack"], project=PLAN["project"], config={"faulty:mode": mode},
                             timeouts=Timeouts(**{"stop": 2.0, **timeouts}))


BOTH = ("forked", "fresh")


@pytest.mark.parametrize(("how", "mode", "timeouts", "message"), [
    *[(how, "crash", {}, r"policy pack exited with status 1 before it started: .*boom: the pack failed while loading")
      for how in BOTH],
    *[(how, "garbage", {}, r"policy pack printed 'hello from the pack' instead of its port") for how in BOTH],
    # the start timeout is the client's whichever way the pack started: once, forked (it starts in 0.1 s)
    ("forked", "silent", {"start": 1.0}, r"policy pack did not start within 1 s \(no port on stdout\): starting up"),
    ("forked", "port-closed", {"start": 1.0}, r"policy pack port 1 did not accept connections within 1 s"),
], indirect=["how"])
def test_start_failures(how: str, mode: str, timeouts: dict[str, float], message: str) -> None:
    pack = _pack(mode, **timeouts)
    with pytest.raises(PackError, match=message):
        pack.start()
    assert _started_as(pack, how)
    assert _gone(pack.pid)


@pytest.mark.parametrize(("how", "mode", "timeouts", "message"), [
    *[(how, "exit", {}, r"policy pack exited with status 3 during Analyze: fatal: exiting mid-Analyze")
      for how in BOTH],
    *[(how, "raise", {}, r"policy pack failed in Analyze: .*policy bug: cannot read bucket") for how in BOTH],
    # RPC deadlines are the client's: once, forked
    ("forked", "hang", {"rpc": 1.0}, r"policy pack did not answer Analyze within 1 s"),
    ("forked", "stack-hang", {"analyze_stack": 1.0}, r"policy pack did not answer AnalyzeStack within 1 s"),
], indirect=["how"])
def test_rpc_failures(how: str, mode: str, timeouts: dict[str, float], message: str) -> None:
    pack = _pack(mode, **timeouts)
    with pytest.raises(PackError, match=message), attach(pack) as sess:
        sess.check(PLAN)
    assert _started_as(pack, how)
    assert _gone(pack.pid)


def test_keyboard_interrupt_stops_the_pack(how: str) -> None:
    pack = PolicyPackProcess(PACKS / "basic", stack="bench", project="azora-platform")
    with pytest.raises(KeyboardInterrupt), pack:
        assert pack.alive() and _started_as(pack, how)
        raise KeyboardInterrupt
    assert _gone(pack.pid)
    pack.stop()  # idempotent


def test_missing_interpreter_is_a_pack_error() -> None:
    pack = PolicyPackProcess(PACKS / "basic", stack="bench", project="azora-platform", python="/nonexistent/python")
    with pytest.raises(PackError, match="cannot start policy pack with /nonexistent/python"):
        pack.start()


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfd to wait on a foreign process")
def test_pack_dies_with_a_killed_azora_infra(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL leaves no chance to clean up: the kernel's parent-death signal still ends the pack
    (a fresh one; a forked pack's handler ends it: tests/test_plan_server.py)."""
    monkeypatch.setenv(SERVER_ENV, "")
    import select
    import signal
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path\n"
        "from azora_infra.check import PolicyPackProcess\n"
        "p = PolicyPackProcess(Path(sys.argv[1]), stack='bench', project='azora-platform').start()\n"
        "print(p.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", code, str(PACKS / "basic")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        pack_pid = int(owner.stdout.readline())
        pidfd = os.pidfd_open(pack_pid)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
        ready, _, _ = select.select([pidfd], [], [], 30)  # readable once the pack has exited
        os.close(pidfd)
        assert ready, "the policy pack outlived the killed azora-infra process"
    finally:
        owner.kill()
        owner.wait(timeout=30)
