"""Several stacks in one command: `plan`/`check` with `--stack A --stack B` or `--env ENV` plan them in
one session (a primary they reference planned once), and give what planning and checking each stack
alone gives."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from azora_infra.cli import main as cli_main
from azora_infra.config.project import environment_stacks
from azora_infra.plan import PlanError, PlanSession, plan_stacks, run_plan
from azora_infra.plan.remote import SERVER_ENV
from azora_infra.plan.session import WORKDIR_PREFIX

PROGRAMS = Path(__file__).parent / "programs"
REFERENCING = PROGRAMS / "referencing"
DEFECTS = PROGRAMS / "defects"


@pytest.fixture()
def referencing(tmp_path: Path) -> Path:
    """A copy of the referencing program whose stacks log each run to ``runs.log``."""
    program = tmp_path / "referencing"
    shutil.copytree(REFERENCING, program)
    for stack_file in program.glob("Pulumi.*.yaml"):
        if stack_file.name != "Pulumi.yaml":
            stack_file.write_text(stack_file.read_text() + f"  referencing:runLog: {tmp_path / 'runs.log'}\n")
    return program


@pytest.fixture()
def no_plan_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """No planner server (as when a user runs azora-infra): several stacks fork from a zygote."""
    monkeypatch.setenv(SERVER_ENV, "")


def _log(program: Path) -> list[tuple[str, int]]:
    lines = (program.parent / "runs.log").read_text().splitlines()
    return sorted((stack, int(ppid)) for stack, ppid in (line.split() for line in lines))


def _runs(program: Path) -> list[str]:
    return [stack for stack, _ in _log(program)]


def _processes_of(program: Path) -> list[str]:
    """Command lines of live processes that mention `program` (planners, zygotes)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(program) in cmd:
            found.append(cmd)
    return found


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Session directories go to a temp dir of this test's own, so a leak is seen (other tests run
    in parallel and plan in the shared one)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def _session_dirs() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith(WORKDIR_PREFIX)}


def _comparable(plan: dict[str, Any]) -> str:
    return json.dumps({**plan, "config": {k: v for k, v in plan["config"].items() if not k.endswith(":runLog")}},
                      sort_keys=True)


def test_plans_equal_planning_each_alone_and_the_primary_is_planned_once(referencing: Path,
                                                                       no_plan_server: None) -> None:
    plans = plan_stacks(["second-a", "second-b", "primary"], referencing)
    assert list(plans) == ["second-a", "second-b", "primary"]  # the order asked for
    assert _runs(referencing) == ["primary", "second-a", "second-b"]  # primary once, though both reference it
    key_arn = plans["primary"]["outputs"]["keyArn"]
    assert plans["second-a"]["outputs"]["primaryKeyArn"] == key_arn == plans["second-b"]["outputs"]["primaryKeyArn"]
    planners = {ppid for _, ppid in _log(referencing)}
    assert len(planners) == 1 and planners != {os.getpid()}  # forked by one zygote, not started one by one
    for stack in ("primary", "second-a"):  # alone: no zygote, a fresh interpreter per planner
        assert _comparable(plans[stack]) == _comparable(run_plan(stack, referencing)), stack
    assert not _session_dirs() and not _processes_of(referencing)  # nothing left behind


def test_the_zygote_is_used_only_where_it_helps(referencing: Path, monkeypatch: pytest.MonkeyPatch,
                                                no_plan_server: None) -> None:
    """One stack, an attached session, ``AZORA_PLAN_FORK=0`` or a planner server: no zygote (each
    stack planned in a fresh interpreter, or forked by the server, which `run_plan` above and
    tests/test_plan_server.py show give the same plans)."""
    with PlanSession.open(referencing) as session:
        assert not session.fork_planners(["primary"])
        monkeypatch.setenv(SERVER_ENV, "/nonexistent/socket")
        assert not session.fork_planners(["primary", "second-a"])
        monkeypatch.setenv(SERVER_ENV, "")
        monkeypatch.setenv("AZORA_PLAN_FORK", "0")
        assert not session.fork_planners(["primary", "second-a"])
        assert not list((Path(session.workdir) / "stacks").glob("*/lock"))
    attached = PlanSession(referencing, Path(tempfile.gettempdir()), timeout=10, owner=False)
    monkeypatch.delenv("AZORA_PLAN_FORK")
    assert not attached.fork_planners(["primary", "second-a"])
    assert not (referencing.parent / "runs.log").exists()


def test_a_timeout_stops_the_zygote_and_its_planners(referencing: Path, no_plan_server: None) -> None:
    with pytest.raises(PlanError,
                       match=r"^stack (primary|second-a|second-b): planning stack \S+ took longer than 0.5 s$"):
        plan_stacks(["primary", "second-a", "second-b"], referencing, timeout=0.5)
    assert not _session_dirs() and not _processes_of(referencing)


def test_env_selects_the_stacks_of_that_environment_from_their_stack_files(referencing: Path) -> None:
    assert environment_stacks(referencing, "staging") == ["primary", "second-a", "second-b"]  # primary first
    assert environment_stacks(referencing, "dev") == ["lonely"]
    assert environment_stacks(Path(__file__).parents[1], "prod") == ["africa", "asia", "europe"]
    with pytest.raises(Exception, match=r"no stack file has environment 'prod' \(found: dev, staging\)"):
        environment_stacks(referencing, "prod")


def test_progress_on_a_terminal_only_and_never_with_quiet(referencing: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["plan", "--program", str(referencing), "--env", "dev"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # not a terminal
    assert "lonely" in captured.out and "aws:cloudwatch/logGroup:LogGroup" in captured.out
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli_main(["plan", "--program", str(referencing), "--env", "dev", "--output", os.devnull]) == 0
    err = capsys.readouterr().err
    assert "planning lonely..." in err and "lonely: 3 resources" in err and err.endswith("\r\033[K")
    assert cli_main(["plan", "--program", str(referencing), "--env", "dev", "--quiet", "--output", os.devnull]) == 0
    assert capsys.readouterr().err == ""


def test_plan_env_writes_one_saved_plan_per_stack(referencing: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plans"
    assert cli_main(["plan", "--program", str(referencing), "--env", "staging", "--format", "json",
                     "--output-dir", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["primary.json", "second-a.json", "second-b.json"]
    assert _runs(referencing) == ["primary", "second-a", "second-b"]
    # each file is a saved plan another command reads
    assert cli_main(["plan", "--program", str(referencing), "--stack", "second-a", "--stack", "primary",
                     "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["stacks"]) == ["second-a", "primary"]
    saved = json.loads((out / "second-a.json").read_text())
    assert _comparable(doc["stacks"]["second-a"]) == _comparable(saved)


def test_several_envs_are_planned_in_one_session_in_the_order_given(referencing: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`--env dev --env staging` (what CI's check of every stack runs): both environments' stacks,
    each once, dev's first; a repeated environment adds nothing."""
    assert cli_main(["plan", "--program", str(referencing), "--env", "dev", "--env", "staging", "--env", "dev",
                     "--format", "json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["stacks"]) == ["lonely", "primary", "second-a", "second-b"]
    assert _runs(referencing) == ["lonely", "primary", "second-a", "second-b"]


@pytest.mark.parametrize(("args", "message"), [
    (["--stack", "primary", "--stack", "nope"], "no stack file Pulumi.nope.yaml in "),
    (["--stack", "primary", "--stack", "../x"], "stack name"),
    (["--env", "prod"], "no stack file has environment 'prod'"),
    (["--env", "dev", "--env", "prod"], "no stack file has environment 'prod'"),
])
def test_a_bad_stack_gives_one_clear_error_and_plans_nothing(referencing: Path, args: list[str], message: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["plan", "--program", str(referencing), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("azora-infra plan: ") and message in err and err.count("\n") == 1
    assert not (referencing.parent / "runs.log").exists()  # nothing was planned
    assert not _session_dirs()


def test_a_failing_stack_is_named_and_stops_the_others(tmp_path: Path) -> None:
    program = tmp_path / "minimal"
    shutil.copytree(PROGRAMS / "minimal", program)
    with pytest.raises(PlanError, match=r"^stack broken: minimal: refusing to run with fail=true$"):
        plan_stacks(["dev", "broken"], program)
    assert not _session_dirs()


def test_check_several_stacks_gives_each_stack_alone_its_result(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    stacks = ["clean", "unencrypted"]
    out = tmp_path / "plans"
    assert cli_main(["plan", "--program", str(DEFECTS), "--stack", stacks[0], "--stack", stacks[1],
                     "--format", "json", "--output-dir", str(out)]) == 0
    assert cli_main(["check", "--program", str(DEFECTS), "--stack", stacks[0], "--stack", stacks[1],
                     "--format", "json", "--quiet"]) == 1  # the worst of the two
    together = json.loads(capsys.readouterr().out)["stacks"]
    assert [r["stack"] for r in together] == stacks
    for stack, result in zip(stacks, together, strict=True):
        expected = 0 if stack == "clean" else 1
        assert cli_main(["check", "--plan", str(out / f"{stack}.json"), "--format", "json", "--quiet"]) == expected
        assert json.loads(capsys.readouterr().out) == result
    assert not any(v["enforcementLevel"] == "mandatory" for v in together[0]["violations"])
    assert any(v["enforcementLevel"] == "mandatory" for v in together[1]["violations"])
    _sarif_and_junit(out, capsys)


def _sarif_and_junit(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Several saved plans checked at once: one SARIF run and one JUnit suite per stack."""
    plans = ["--plan", str(out / "clean.json"), "--plan", str(out / "unencrypted.json")]
    assert cli_main(["check", *plans, "--format", "sarif", "--quiet"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    assert [run["properties"]["stack"] for run in sarif["runs"]] == ["clean", "unencrypted"]
    assert len({run["automationDetails"]["id"] for run in sarif["runs"]}) == 2
    assert {r["level"] for r in sarif["runs"][0]["results"]} <= {"warning", "note"}
    assert "error" in {r["level"] for r in sarif["runs"][1]["results"]}
    assert cli_main(["check", *plans, "--format", "junit", "--quiet"]) == 1
    import xml.etree.ElementTree as ET

    root = ET.fromstring(capsys.readouterr().out.split("\n", 1)[1])
    suites = root.findall("testsuite")
    assert [p.get("value") for s in suites for p in s.iterfind("properties/property[@name='stack']")] \
        == ["clean", "unencrypted"]
    assert int(root.get("failures", "0")) == sum(int(s.get("failures", "0")) for s in suites) > 0
    # the plans must be the stacks asked for
    assert cli_main(["check", *plans, "--stack", "clean"]) == 2
    assert "is the plan of stack 'unencrypted', not 'clean'" in capsys.readouterr().err
    assert cli_main(["check", "--plan", str(out / "clean.json"), "--stack", "clean", "--stack", "unencrypted"]) == 2
    assert "no --plan file for stack unencrypted" in capsys.readouterr().err
    assert cli_main(["check", *plans, "--plan", str(out / "clean.json")]) == 2
    assert "a second plan of stack 'clean'" in capsys.readouterr().err
