"""Hostile input and faults against the tool (issue 10, items 2-8): each case does the bad thing and
asserts the outcome, then (autouse fixture) that no process it started is left and no
``azora-plan-*`` temp dir remains.

Every case runs with a private TMPDIR and a marker variable in its environment; everything a case
starts (planners, pack, the programs' own children and detached daemons) inherits the marker, so
`_leftovers` finds any of them by reading ``/proc/<pid>/environ``. The process-lifecycle cases
(`fresh`) plan in fresh interpreters, as a user's azora-infra does; the others let the test suite's
planner server fork their planners (its own lifecycle cases: tests/test_plan_server.py). Waits are
event-driven (pidfd, FIFO, process exit), never sleeps.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from azora_infra import children, regions
from azora_infra.cli import main as cli_main
from azora_infra.config import ConfigError, load_stack_file
from azora_infra.config.eks import EksConfig
from azora_infra.plan import Plan, PlanError, PlanSession, run_plan
from azora_infra.plan.remote import SERVER_ENV
from azora_infra.plan.values import SECRET_SIG, SIG
from tests.harness import ROOT

BASIC_PACK = ROOT / "tests" / "packs" / "basic"
MARKER_VAR = "AZORA_ADVERSARIAL_CASE"

# -- the hostile program ---------------------------------------------------------------------------

PROGRAM = '''\
"""Test program: does what its stack config (namespace `t`) asks, and notes it in $AZORA_TEST_DIR."""
import json
import os
import subprocess
import sys
import time

import pulumi
import pulumi_aws as aws
import pulumi_random as random

cfg = pulumi.Config("t")
out = os.environ["AZORA_TEST_DIR"]
stack = pulumi.get_stack()


def note(name, text):
    with open(os.path.join(out, name), "a", encoding="utf-8") as f:
        f.write(text + "\\n")


note(f"planned-{stack}", str(os.getpid()))
bucket = aws.s3.Bucket("b")
if cfg.get_bool("sleep"):
    note("sleep.pid", str(subprocess.Popen(["sleep", "90"]).pid))
if cfg.get_bool("daemon"):
    # double fork: the intermediate starts `sleep 90` in a new session and exits at once
    subprocess.run([sys.executable, "-c",
                    "import subprocess, sys; p = subprocess.Popen(['sleep', '90'], start_new_session=True); "
                    "open(sys.argv[1] + '/daemon.pid', 'w').write(str(p.pid))", out], check=True)
if cfg.get_bool("env"):
    note("env.json", json.dumps(sorted(k for k in os.environ if k.startswith("PULUMI"))))
    note("config.json", json.dumps({"blob": len(pulumi.Config("probe").get("value") or "")}))
if cfg.get_bool("block"):
    note("sleep.pid", str(subprocess.Popen(["sleep", "90"]).pid))
    with open(os.path.join(out, "fifo"), "w", encoding="utf-8") as f:
        f.write(f"{os.getpid()}\\n")
    time.sleep(300)
password = random.RandomPassword("pw", length=20)
pulumi.export("password", password.result)
pulumi.export("token", pulumi.Output.secret("s3cr3t-token"))
pulumi.export("bucket", bucket.bucket)
for i in range(cfg.get_int("refs") or 0):
    ref = pulumi.StackReference(f"primary-{i}", stack_name=cfg.require("primary"))
    pulumi.export(f"fromPrimary{i}", ref.get_output("bucket"))
    pulumi.export(f"primaryToken{i}", ref.get_output("token"))
'''


def write_program(root: Path, stacks: dict[str, dict[str, Any]], project: dict[str, Any] | None = None) -> Path:
    """A project `t` in `root` with one stack file per entry (``{"t:sleep": True, ...}``)."""
    root.mkdir(parents=True, exist_ok=True)
    doc = {"name": "t", "runtime": "python", **(project or {})}
    (root / "Pulumi.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    (root / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    for name, config in stacks.items():
        body = {"config": {"aws:region": "eu-west-1", **config}}
        (root / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return root


# -- no leftovers ----------------------------------------------------------------------------------

def _leftovers(marker: bytes) -> list[int]:
    """Live (not zombie) processes whose environment carries `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        fields = children.proc_stat(int(entry))
        if not fields or fields[0] in (b"Z", b"X"):
            continue
        if marker in env:
            found.append(int(entry))
    return found


def _gone(pid: int, timeout: float) -> bool:
    """Wait (pidfd, no polling) until `pid` has exited; False after `timeout` seconds."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


def _assert_no_processes(marker: bytes, timeout: float = 20.0) -> None:
    for pid in _leftovers(marker):
        _gone(pid, timeout)
    left = _leftovers(marker)
    for pid in left:  # do not leave them to the next test, then fail
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes left behind: {left}"


@pytest.fixture(autouse=True)
def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Private TMPDIR, marker variable and notes directory; afterwards nothing may be left."""
    tmp = tmp_path / "tmp"
    notes = tmp_path / "notes"
    tmp.mkdir()
    notes.mkdir()
    value = uuid.uuid4().hex
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv(MARKER_VAR, value)
    monkeypatch.setenv("AZORA_TEST_DIR", str(notes))
    yield {"tmp": tmp, "notes": notes, "marker": f"{MARKER_VAR}={value}".encode()}
    _assert_no_processes(f"{MARKER_VAR}={value}".encode())
    assert sorted(p.name for p in tmp.glob("azora-plan-*")) == []
    assert sorted(p.name for p in tmp.glob("azora-pack-*")) == []


@pytest.fixture()
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planners in fresh interpreters (what a user's azora-infra starts), not forked by the test
    suite's planner server: the process-lifecycle cases below are about them (the server's own are
    in tests/test_plan_server.py), and every planner started then carries the case's marker."""
    monkeypatch.setenv(SERVER_ENV, "")


def _cli(*args: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "azora_infra", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=dict(os.environ), **kw)


def _one_line_error(capsys: pytest.CaptureFixture[str], command: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"azora-infra {command}: ") and "internal error" not in err, err
    return lines[0]


# -- 2. planner children -----------------------------------------------------------------------

def test_a_program_that_starts_sleep_90_plans_at_once_and_the_sleep_is_killed(
        tmp_path: Path, case: dict[str, Any], fresh: None) -> None:
    program = write_program(tmp_path / "p", {"dev": {"t:sleep": True}})
    started = time.monotonic()
    plan = run_plan("dev", program)
    elapsed = time.monotonic() - started
    assert plan["stack"] == "dev"
    assert elapsed < 30, f"planning waited for the program's child: {elapsed:.1f} s"
    pid = int((case["notes"] / "sleep.pid").read_text())
    assert _gone(pid, 10), "the program's `sleep 90` outlived planning"


def test_a_detached_daemon_of_the_program_is_killed(tmp_path: Path, case: dict[str, Any], fresh: None) -> None:
    """Double fork + new session: the daemon leaves the planner's process group, but the planner
    is its subreaper and kills it before exiting."""
    program = write_program(tmp_path / "p", {"dev": {"t:daemon": True}})
    run_plan("dev", program)
    pid = int((case["notes"] / "daemon.pid").read_text())
    assert _gone(pid, 10), "a detached (setsid) daemon of the program outlived planning"


def _start_blocked_secondary(tmp_path: Path, case: dict[str, Any]) -> tuple[subprocess.Popen[str], int]:
    """`azora-infra plan --stack sec`, whose program references `prim`; `prim`'s program starts
    `sleep 90`, says so through a FIFO and blocks. Returns the CLI process once `prim` is running."""
    program = write_program(tmp_path / "p", {"prim": {"t:block": True},
                                             "sec": {"t:refs": 1, "t:primary": "prim"}})
    fifo = case["notes"] / "fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        proc = _cli("plan", "--stack", "sec", "--program", str(program))
        ready, _, _ = select.select([fd], [], [], 120)
        assert ready, "the primary's program never started"
        planner_pid = int(os.read(fd, 100).decode().strip())
    finally:
        os.close(fd)
    assert proc.poll() is None
    return proc, planner_pid


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_planning_a_secondary_leaves_nothing(
        tmp_path: Path, case: dict[str, Any], sig: signal.Signals, fresh: None) -> None:
    proc, planner_pid = _start_blocked_secondary(tmp_path, case)
    assert list(case["tmp"].glob("azora-plan-*")), "the session directory exists while planning"
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, stderr
    assert stderr.strip().startswith("azora-infra plan: ") and len(stderr.strip().splitlines()) == 1, stderr
    assert _gone(planner_pid, 10)
    assert _gone(int((case["notes"] / "sleep.pid").read_text()), 10)
    # the fixture then asserts: no planner, no program child, no azora-plan-* directory


def test_azora_infra_killed_with_sigkill_leaves_nothing(tmp_path: Path, case: dict[str, Any], fresh: None) -> None:
    """SIGKILL cannot be handled: the planner's parent-death signal takes over, it kills what it
    started and, its parent gone, removes the session directory itself."""
    proc, planner_pid = _start_blocked_secondary(tmp_path, case)
    proc.kill()
    proc.communicate(timeout=60)
    assert _gone(planner_pid, 20)
    for pid in _leftovers(case["marker"]):
        assert _gone(pid, 20)
    assert not list(case["tmp"].glob("azora-plan-*"))


def test_planning_timeout_is_an_option_and_stops_everything(tmp_path: Path, case: dict[str, Any], fresh: None,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The primary's program blocks (with a `sleep 90` child): planning the secondary ends at the
    timeout with one line, and nothing it started is left."""
    program = write_program(tmp_path / "p", {"prim": {"t:block": True},
                                             "sec": {"t:refs": 1, "t:primary": "prim"}})
    fifo = case["notes"] / "fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    outcome: list[BaseException] = []

    def plan() -> None:
        try:
            run_plan("sec", program, timeout=10)
        except BaseException as err:
            outcome.append(err)

    worker = threading.Thread(target=plan)
    started = time.monotonic()
    worker.start()
    try:
        ready, _, _ = select.select([fd], [], [], 10)
        assert ready, "the primary's program did not start within the timeout (machine too slow?)"
    finally:
        os.close(fd)
        worker.join(60)
    assert not worker.is_alive()
    assert [str(e) for e in outcome] == ["planning stack sec took longer than 10 s"]
    assert time.monotonic() - started < 40
    assert _gone(int((case["notes"] / "sleep.pid").read_text()), 10)
    for bad in ("0", "-1", "nan", "inf"):
        assert cli_main(["plan", "--stack", "sec", "--program", str(program), "--timeout", bad]) == 2
        assert "timeout must be a positive number of seconds" in _one_line_error(capsys, "plan")
    with pytest.raises(PlanError, match="timeout must be a positive number"):
        run_plan("sec", program, timeout=0)


# -- 3. one plan of the primary --------------------------------------------------------------------

def test_a_secondary_plans_its_primary_once(tmp_path: Path, case: dict[str, Any]) -> None:
    """Three StackReferences to the primary, resolved concurrently: one plan of the primary."""
    program = write_program(tmp_path / "p", {"prim": {}, "sec": {"t:refs": 3, "t:primary": "prim"}})
    plan = run_plan("sec", program)
    assert len((case["notes"] / "planned-prim").read_text().split()) == 1
    bucket = plan["outputs"]["fromPrimary0"]
    assert bucket == plan["outputs"]["fromPrimary1"] == plan["outputs"]["fromPrimary2"] == "b"


def test_a_session_shares_the_primary_between_stacks(tmp_path: Path, case: dict[str, Any]) -> None:
    """Several stacks in one session (what a multi-stack command builds on): the primary once."""
    program = write_program(tmp_path / "p", {"prim": {}, "a": {"t:refs": 2, "t:primary": "prim"},
                                             "b": {"t:refs": 2, "t:primary": "prim"}})
    with PlanSession.open(program) as session:
        plans = [session.plan(s) for s in ("a", "b", "prim")]
        workdir = session.workdir
    assert [p["stack"] for p in plans] == ["a", "b", "prim"]
    assert len((case["notes"] / "planned-prim").read_text().split()) == 1
    assert not workdir.exists()


def test_no_pulumi_variable_reaches_the_planner(tmp_path: Path, case: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"t:refs": "7", "t:leak": "x"}))
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "pul-not-for-children")
    program = write_program(tmp_path / "p", {"prim": {"t:env": True},
                                             "sec": {"t:env": True, "t:refs": 1, "t:primary": "prim"}})
    plan = run_plan("sec", program)
    assert "fromPrimary1" not in plan["outputs"]  # t:refs=7 from the parent's PULUMI_CONFIG was not seen
    assert [json.loads(line) for line in (case["notes"] / "env.json").read_text().split("\n") if line] == [[], []]


# -- 4. bounded inputs -----------------------------------------------------------------------------

def _alias_bomb() -> str:
    """841 bytes, the size of the one the review used: nine levels of nine aliases (9**9 strings)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [{','.join(['*' + prev] * 9)}]")
    bomb = "config:\n  aws:region: eu-west-1\n  t:bomb:\n" + "\n".join("    " + ln for ln in lines) + "\n"
    return bomb + "#" * (840 - len(bomb)) + "\n"


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = write_program(tmp_path / "p", {"dev": {}})
    bomb = _alias_bomb()
    assert len(bomb.encode()) == 841
    (program / "Pulumi.dev.yaml").write_text(bomb, encoding="utf-8")
    with pytest.raises(PlanError, match=r"^Pulumi\.dev\.yaml: line 4: YAML anchors and aliases are not allowed"):
        run_plan("dev", program)
    assert cli_main(["validate", "--program", str(program)]) == 2
    assert "Pulumi.dev.yaml: line 4: YAML anchors and aliases are not allowed" in _one_line_error(capsys, "validate")
    # merge keys need aliases too
    (program / "Pulumi.dev.yaml").write_text("base: &b {aws:region: eu-west-1}\nconfig:\n  <<: *b\n")
    with pytest.raises(PlanError, match="YAML anchors and aliases are not allowed"):
        run_plan("dev", program)


def test_an_alias_bomb_in_pulumi_yaml_is_refused(tmp_path: Path) -> None:
    program = write_program(tmp_path / "p", {"dev": {}})
    (program / "Pulumi.yaml").write_text("name: t\nruntime: python\n" + _alias_bomb(), encoding="utf-8")
    with pytest.raises(PlanError, match=r"^Pulumi\.yaml: line \d+: YAML anchors and aliases are not allowed"):
        run_plan("dev", program)


def test_a_20_mb_stack_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = write_program(tmp_path / "p", {"dev": {}})
    with open(program / "Pulumi.dev.yaml", "a", encoding="utf-8") as f:
        f.write(("# padding " + "x" * 90 + "\n") * (20 * 1024 * 1024 // 100))
    assert (program / "Pulumi.dev.yaml").stat().st_size >= 20 * 1024 * 1024
    with pytest.raises(PlanError, match=r"^Pulumi\.dev\.yaml: is larger than 1024 KiB, the limit for a stack file$"):
        run_plan("dev", program)
    assert cli_main(["validate", "--program", str(program)]) == 2
    assert "Pulumi.dev.yaml: is larger than 1024 KiB" in _one_line_error(capsys, "validate")


def test_a_140_kb_config_value_plans_and_checks(tmp_path: Path, case: dict[str, Any],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Over Linux's 128 KiB limit for one environment string: it reaches neither the planner's nor
    the pack's environment, yet the program and the pack both see it."""
    blob = "x" * (140 * 1024)
    program = write_program(tmp_path / "p", {
        "prim": {"probe:value": blob, "t:env": True},
        "sec": {"probe:value": blob, "t:env": True, "t:refs": 1, "t:primary": "prim"},
    })
    plan_file = tmp_path / "sec.json"
    assert cli_main(["plan", "--stack", "sec", "--program", str(program), "--format", "json",
                     "--output", str(plan_file)]) == 0
    seen = [json.loads(line) for line in (case["notes"] / "config.json").read_text().split("\n") if line]
    assert seen == [{"blob": len(blob)}, {"blob": len(blob)}]  # primary (by reference) and secondary
    policy_config = tmp_path / "policy.json"
    policy_config.write_text(json.dumps({"probe": {"echo": True, "types": ["aws:s3/bucket:Bucket"]}}))
    report = tmp_path / "report.json"
    code = cli_main(["check", "--stack", "sec", "--program", str(program), "--plan", str(plan_file),
                     "--policy-pack", str(BASIC_PACK), "--policy-config", str(policy_config),
                     "--format", "json", "--output", str(report)])
    assert code in (0, 1), capsys.readouterr().err
    [echo] = [v for v in json.loads(report.read_text())["violations"] if v["policy"] == "probe"]
    assert json.loads(echo["message"].split("\n", 1)[1])["env"]["probe"] == blob


# -- 5. stack names --------------------------------------------------------------------------------

BAD_NAMES = ["./../../evil", "../evil", "/etc/passwd", "", "a\0b", "afríca", "a b", "a/b", "a..b", "x" * 101]


@pytest.mark.parametrize("name", BAD_NAMES, ids=["dotdot-path", "parent", "absolute", "empty", "nul",
                                                  "unicode", "space", "slash", "double-dot", "too-long"])
@pytest.mark.parametrize("command", ["plan", "check", "report"])
def test_bad_stack_names_are_refused_by_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      name: str, command: str) -> None:
    outside = tmp_path / "evil.yaml"
    outside.write_text("config: {aws:region: eu-west-1}\n")
    program = write_program(tmp_path / "a" / "b" / "p", {"dev": {}})
    assert cli_main([command, "--stack", name, "--program", str(program)]) == 2
    line = _one_line_error(capsys, command)
    assert "stack name" in line and ("is not valid" in line or "is empty" in line or "longer than" in line)
    with pytest.raises(PlanError, match="stack name"):
        run_plan(name, program)


@pytest.mark.parametrize("command", [["dr", "restore", "--data-class", "personal", "--to-time", "latest"],
                                     ["chaos", "report"], ["load-test"]])
def test_bad_stack_names_are_refused_by_the_ops_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         command: list[str]) -> None:
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "africa.json").write_text(json.dumps({"region": "af-south-1", "environment": "prod"}))
    for name in ("./../../evil", "a\0b", "afríca"):
        assert cli_main([*command, "--stack", name, "--outputs", str(outputs)]) == 2
        line = _one_line_error(capsys, command[0])
        assert "stack name" in line and "is not valid" in line, line


def test_bad_stack_file_names_are_refused_by_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = write_program(tmp_path / "p", {"dev": {}})
    shutil.copy(program / "Pulumi.dev.yaml", program / "Pulumi.dev copy.yaml")
    assert cli_main(["validate", "--program", str(program)]) == 2
    assert "Pulumi.dev copy.yaml: stack name 'dev copy' is not valid" in _one_line_error(capsys, "validate")


def test_a_stack_reference_cannot_leave_the_project(tmp_path: Path) -> None:
    """The referenced stack's name goes through the same rule; a path-like reference names another
    project (`<project>/<stack>`), which resolves to nothing rather than to a file."""
    program = write_program(tmp_path / "a" / "b" / "p", {"sec": {"t:refs": 1, "t:primary": "t/.."}})
    with pytest.raises(PlanError, match=r"^stack reference 't/\.\.': stack name '\.\.' is not valid"):
        run_plan("sec", program)
    (tmp_path / "Pulumi.evil.yaml").write_text("config: {aws:region: eu-west-1}\n")
    write_program(program, {"sec": {"t:refs": 1, "t:primary": "../../evil"}})
    assert run_plan("sec", program)["outputs"]["fromPrimary0"] is None


# -- 6. secrets stay secret ------------------------------------------------------------------------

def _strip_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return "[secret]"
        return {k: _strip_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secrets(v) for v in value]
    return value


def test_no_secret_value_appears_unwrapped_in_the_africa_plan(repo_plan: Any) -> None:
    doc = repo_plan("africa")
    plan = Plan(doc)
    passwords = [r.outputs["result"] for r in plan.of_type("random:index/randomPassword:RandomPassword")]
    assert len(passwords) >= 4 and all(isinstance(p, str) and len(p) >= 20 for p in passwords)
    users = plan.of_type("aws:elasticache/user:User")
    assert users and all(u.inputs["authenticationMode"]["passwords"][0] in passwords for u in users)
    for r in plan.of_type("random:index/randomPassword:RandomPassword"):
        assert r.raw["outputs"]["result"][SIG] == SECRET_SIG  # additionalSecretOutputs honoured
    visible = json.dumps(_strip_secrets(doc))
    assert [p for p in passwords if p in visible] == []


def test_secret_exports_stay_secret_across_a_stack_reference(tmp_path: Path) -> None:
    program = write_program(tmp_path / "p", {"prim": {}, "sec": {"t:refs": 1, "t:primary": "prim"}})
    with PlanSession.open(program) as session:
        prim, sec = session.plan("prim"), session.plan("sec")
    for doc in (prim, sec):
        assert doc["outputs"]["token"] == {SIG: SECRET_SIG, "value": "s3cr3t-token"}
        assert doc["outputs"]["password"][SIG] == SECRET_SIG
        assert doc["outputs"]["bucket"] == "b"
        assert doc["resources"][0]["outputs"] == doc["outputs"]  # the root stack resource
    # read through the StackReference: still a secret; a plain export stays plain
    assert sec["outputs"]["primaryToken0"] == {SIG: SECRET_SIG, "value": "s3cr3t-token"}
    assert sec["outputs"]["fromPrimary0"] == "b"
    assert Plan(sec).outputs["primaryToken0"] == "s3cr3t-token"  # readers get plain values


# -- 7. error handling -----------------------------------------------------------------------------

def _plan_files(tmp_path: Path, good: dict[str, Any]) -> dict[str, bytes]:
    def doc(**change: Any) -> bytes:
        return json.dumps({**good, **change}).encode()

    bad_resource = {**good["resources"][1], "inputs": "not an object"}
    return {
        "invalid-json": b"{not json",
        "binary": b"\xff\xfe\x00\x01garbage",
        "a-list": b"[1, 2, 3]",
        "no-version": json.dumps({k: v for k, v in good.items() if k != "formatVersion"}).encode(),
        "version-2": doc(formatVersion=2),
        "version-string": doc(formatVersion="1"),
        "version-bool": doc(formatVersion=True),
        "resources-object": doc(resources={"a": 1}),
        "resource-without-urn": doc(resources=[{"type": "x", "name": "y", "custom": True}]),
        "inputs-not-object": doc(resources=[good["resources"][0], bad_resource]),
        "duplicate-urn": doc(resources=[good["resources"][0], good["resources"][0]]),
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "other-stack": doc(stack="prod"),
    }


@pytest.mark.parametrize("command", ["check", "report"])
def test_malformed_plans_give_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  command: str) -> None:
    program = write_program(tmp_path / "p", {"dev": {}})
    good = run_plan("dev", program)
    for label, content in _plan_files(tmp_path, good).items():
        path = tmp_path / f"{label}.json"
        path.write_bytes(content)
        assert cli_main([command, "--stack", "dev", "--plan", str(path)]) == 2, label
        line = _one_line_error(capsys, command)
        assert str(path) in line, (label, line)
    (tmp_path / "good.json").write_text(json.dumps(good))
    assert cli_main([command, "--stack", "dev", "--plan", str(tmp_path / "good.json"),
                     "--policy-pack", str(BASIC_PACK)] if command == "check"
                    else [command, "--stack", "dev", "--plan", str(tmp_path / "good.json")]) in (0, 1)
    capsys.readouterr()
    assert cli_main([command, "--stack", "dev", "--plan", str(tmp_path / "missing.json")]) == 2
    assert "no such plan file" in _one_line_error(capsys, command)


@pytest.mark.parametrize("argv", [
    ["check", "--stack", "dev", "--plan", "{tmp}/no\nsuch\x1b[2J.json"],
    ["plan", "--stack", "dev", "--program", "{tmp}/p\r\nq"],
    ["check", "--stack", "dev", "--plan", "{tmp}/good.json", "--policy-config", "{tmp}/x\ny.json"],
])
def test_a_path_with_control_characters_gives_one_escaped_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               argv: list[str]) -> None:
    """A newline or an escape sequence in a path cannot split the error or drive the terminal."""
    (tmp_path / "good.json").write_text(json.dumps(run_plan("dev", write_program(tmp_path / "p0", {"dev": {}}))))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli_main(argv) == 2
    line = _one_line_error(capsys, argv[0])
    assert line.isprintable() and "\\n" in line, line


def test_plan_file_messages_say_what_is_wrong(tmp_path: Path) -> None:
    program = write_program(tmp_path / "p", {"dev": {}})
    good = run_plan("dev", program)
    files = _plan_files(tmp_path, good)
    expected = {
        "version-2": "plan formatVersion 2 is not supported (this azora-infra reads version 1)",
        "version-string": 'plan formatVersion "1" is not supported',
        "no-version": "not a plan (no formatVersion",
        "inputs-not-object": "not a valid plan: resources[1].inputs: 'not an object' is not of type 'object'",
        "resource-without-urn": "not a valid plan: resources[0]: 'urn' is a required property",
        "binary": "not a plan (not UTF-8 text: byte 0)",
        "other-stack": "is the plan of stack 'prod', not 'dev'",
    }
    for label, message in expected.items():
        path = tmp_path / f"{label}.json"
        path.write_bytes(files[label])
        with pytest.raises(ValueError, match=None) as info:
            Plan.load(path, stack="dev")
        assert message in str(info.value), (label, str(info.value))


@pytest.mark.parametrize(("project", "message"), [
    ({"config": ["a", "b"]},
     "Pulumi.yaml: config: must be a mapping of keys to values or {type, default} (got a list)"),
    ({"main": "/etc/passwd"}, "Pulumi.yaml: main: '/etc/passwd' must be a path inside the project directory"),
    ({"main": "../../outside.py"}, "Pulumi.yaml: main: '../../outside.py' leaves the project directory"),
    ({"main": 5}, "Pulumi.yaml: main: must be a relative path (got a int)"),
    ({"name": ["x"]}, "Pulumi.yaml: name: is required (a string)"),
    ({"runtime": "nodejs"}, "Pulumi.yaml: runtime 'nodejs' is not python; only Python programs can be planned"),
])
def test_bad_pulumi_yaml_gives_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        project: dict[str, Any], message: str) -> None:
    (tmp_path / "outside.py").write_text("raise SystemExit('must not run')\n")
    program = write_program(tmp_path / "a" / "p", {"dev": {}}, project)
    assert cli_main(["plan", "--stack", "dev", "--program", str(program)]) == 2
    assert _one_line_error(capsys, "plan") == f"azora-infra plan: {message}"


def test_a_program_with_its_own_azora_infra_package_does_not_replace_the_planner(tmp_path: Path, fresh: None) -> None:
    program = write_program(tmp_path / "p", {"dev": {}})
    fake = program / "azora_infra"
    (fake / "plan").mkdir(parents=True)
    (fake / "__init__.py").write_text("raise SystemExit('the program replaced azora_infra')\n")
    (fake / "plan" / "__init__.py").write_text("")
    (fake / "plan" / "runner.py").write_text("raise SystemExit('the program replaced the planner')\n")
    (program / "azora_infra.py").write_text("raise SystemExit('the program replaced azora_infra')\n")
    plan = run_plan("dev", program)
    assert plan["generator"].startswith("azora-infra ") and plan["outputs"]["bucket"] == "b"


# -- 8. regions without data, EKS endpoint ---------------------------------------------------------

def test_the_africa_stack_moved_to_us_east_1_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "repo"
    program.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.europe.yaml", "Pulumi.asia.yaml"):
        shutil.copy(ROOT / name, program / name)
    moved = (ROOT / "Pulumi.africa.yaml").read_text().replace("af-south-1", "us-east-1")
    (program / "Pulumi.africa.yaml").write_text(moved)
    expected = ("Pulumi.africa.yaml: azora:region: us-east-1 holds no Azora data (Route 53 health-check "
                "metrics and ACM certificates for CloudFront only), so it cannot be a stack's region; use one of "
                "af-south-1, ap-southeast-1, eu-central-1, eu-west-1, eu-west-2")
    assert cli_main(["validate", "--program", str(program)]) == 2
    assert _one_line_error(capsys, "validate") == f"azora-infra validate: {expected}"
    with pytest.raises(PlanError, match="us-east-1 holds no Azora data"):
        run_plan("africa", program)


def test_us_east_1_is_no_backup_copy_or_residency_target(tmp_path: Path) -> None:
    text = (ROOT / "Pulumi.africa.yaml").read_text() + "  azora:backup:\n    copyRegions: [eu-west-1, us-east-1]\n"
    (tmp_path / "Pulumi.africa.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"azora:backup.copyRegions: us-east-1 holds no Azora data .* "
                                          r"cannot receive backup copies"):
        load_stack_file(tmp_path / "Pulumi.africa.yaml")
    assert not regions.REGIONS["us-east-1"].holds_data
    assert "us-east-1" not in regions.data_regions()
    for dc in regions.DataClass:
        assert not regions.may_store(dc, "af-south-1", "us-east-1")
        assert regions.allowed_regions(dc, "af-south-1", ["us-east-1", "eu-west-1"]) == (
            [] if dc is regions.DataClass.PERSONAL else ["eu-west-1"])


@pytest.mark.parametrize(("cidrs", "message"), [
    (["0.0.0.0/0"], "whole internet"),
    (["203.0.0.0/16"], "203.0.0.0/16 is wider than /24 (65536 addresses)"),
    (["198.51.100.0/23"], "is wider than /24"),
    ([f"198.51.{i}.0/24" for i in range(41)], "at most 40"),
])
def test_eks_public_endpoint_cidrs_are_capped(cidrs: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        EksConfig.model_validate({"publicAccessCidrs": cidrs})
    assert EksConfig.model_validate({"publicAccessCidrs": ["198.51.100.0/24", "203.0.113.7/32"]})
