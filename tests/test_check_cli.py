"""`azora-infra check` end to end: a real program planned under mocks, a real pack over gRPC."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from azora_infra.cli import main
from azora_infra.plan import run_plan

TESTS = Path(__file__).parent
PROGRAM = TESTS / "programs" / "clean_bucket"
BASIC = TESTS / "packs" / "basic"


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "dev.json"
    path.write_text(json.dumps(run_plan("dev", PROGRAM)), encoding="utf-8")
    return path


def _check(*args: str) -> int:
    return main(["check", "--stack", "dev", *args])


def test_clean_program_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert _check("--program", str(PROGRAM), "--policy-pack", str(BASIC)) == 0
    out = capsys.readouterr().out
    assert "Policy pack azora-test-pack@1.2.3 on stack dev: 9 policies, 6 resources checked" in out
    assert out.rstrip().endswith("passed: 0 mandatory, 0 advisory violation(s), 0 exemption(s)")


def test_mandatory_violation_exits_1_with_json(saved_plan: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "policy.json"
    cfg.write_text(json.dumps({"required-tags": {"requiredTags": ["azora:team", "azora:cost-center"]}}))
    out = tmp_path / "report.json"
    assert _check("--plan", str(saved_plan), "--policy-pack", str(BASIC), "--policy-config", str(cfg),
                  "--format", "json", "--output", str(out)) == 1
    doc: dict[str, Any] = json.loads(out.read_text())
    assert doc["stack"] == "dev" and doc["policyPack"] == {"name": "azora-test-pack", "version": "1.2.3"}
    assert doc["resourcesChecked"] == 6
    hits = {(v["urn"].rsplit("::", 1)[-1], v["resourceType"]) for v in doc["violations"]}
    assert hits == {("data", "aws:kms/key:Key"), ("data", "aws:s3/bucket:Bucket")}
    for v in doc["violations"]:
        assert v["policy"] == "required-tags" and v["enforcementLevel"] == "mandatory"
        assert "Missing required tags: azora:cost-center" in v["message"]


def test_all_advisory_exits_0(saved_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "policy.json"
    cfg.write_text(json.dumps({"all": "advisory", "required-tags": {"requiredTags": ["azora:cost-center"]},
                               "no-such-policy": "mandatory"}))
    assert _check("--plan", str(saved_plan), "--policy-pack", str(BASIC), "--policy-config", str(cfg)) == 0
    captured = capsys.readouterr()
    assert "ADVISORY  required-tags" in captured.out
    # as under the CLI, "all" sets every policy's level, so the default-disabled owner-tag runs too
    assert "ADVISORY  owner-tag" in captured.out and "passed: 0 mandatory, 3 advisory" in captured.out
    assert "policy config names 'no-such-policy'" in captured.err


@pytest.mark.parametrize(("pack", "config", "message"), [
    (BASIC, {"required-tags": {"requiredTags": "azora:team"}},
     "invalid policy config: required-tags: requiredTags: 'azora:team' is not of type 'array'"),
    (BASIC, {"all": "loud"}, "'loud' is not a valid enforcement level"),
    (TESTS / "packs" / "required_config", None, "allowed-regions: 'allowedRegions' is a required property"),
])
def test_config_errors_exit_2(saved_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              pack: Path, config: Any, message: str) -> None:
    args = ["--plan", str(saved_plan), "--policy-pack", str(pack)]
    if config is not None:
        (tmp_path / "c.json").write_text(json.dumps(config))
        args += ["--policy-config", str(tmp_path / "c.json")]
    assert _check(*args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_required_config_satisfied_reports_stack_violations(saved_plan: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"allowed-regions": {"allowedRegions": ["eu-west-1"]}}))
    assert _check("--plan", str(saved_plan), "--policy-pack", str(TESTS / "packs" / "required_config"),
                  "--policy-config", str(tmp_path / "c.json")) == 1
    out = capsys.readouterr().out
    assert "Policy pack required-config-pack@0.3.0" in out
    assert "uses provider 'regional' in region 'af-south-1'; allowed: eu-west-1" in out


def test_pack_and_plan_errors_exit_2(saved_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crash = json.loads(saved_plan.read_text())
    crash["config"]["faulty:mode"] = "crash"
    (tmp_path / "crash.json").write_text(json.dumps(crash))
    assert _check("--plan", str(tmp_path / "crash.json"), "--policy-pack", str(TESTS / "packs" / "faulty")) == 2
    assert "policy pack exited with status 1 before it started" in capsys.readouterr().err
    assert main(["check", "--stack", "prod", "--plan", str(saved_plan), "--policy-pack", str(BASIC)]) == 2
    assert "is the plan of stack 'dev', not 'prod'" in capsys.readouterr().err
    assert _check("--plan", str(saved_plan), "--policy-pack", str(tmp_path / "nope")) == 2
    assert "no such policy pack directory" in capsys.readouterr().err


def test_benchmark_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    bench = runpy.run_path(str(TESTS.parent / "benchmarks" / "check_throughput.py"))
    assert bench["main"](["--components", "4", "--pack", str(BASIC)]) == 0
    out = capsys.readouterr().out
    assert "22 resources" in out and "resources/s" in out and "results identical" in out
    # the real pack: optimised and stock side by side, identical results
    assert bench["main"](["--components", "2", "--concurrency", "3"]) == 0
    out = capsys.readouterr().out
    assert "12 resources" in out and "optimised" in out and "stock" in out and "identical (sequential" in out
