# ruff: noqa: F811  (pytest fixtures imported from tests.dr_env are redefined as arguments)
"""A drill to a report: `azora-infra dr drill --report` against moto, then `azora-infra report --drill`
puts the measured RTO/RPO beside the modelled ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azora_infra import cli
from tests.dr_env import build_deployment, moto_server, pg  # noqa: F401
from tests.test_dr import run_dr  # noqa: F401


@pytest.fixture
def drill_report(moto_server: Any, run_dr: Any, tmp_path: Path) -> Path:
    d = build_deployment(moto_server, tmp_path / "staging", env="staging")
    report = tmp_path / "drill.json"
    code, out, _ = run_dr(d, "drill", "--env", "staging", "--report", str(report), "--yes")
    assert code == 0, out
    return report


def test_report_shows_measured_beside_modelled(drill_report: Path, repo_plan: Callable[[str], dict[str, Any]],
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "africa.plan.json"
    plan.write_text(json.dumps(repo_plan("africa")), encoding="utf-8")
    assert cli.main(["report", "--stack", "africa", "--plan", str(plan), "--drill", str(drill_report),
                     "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    figures = {f["id"]: f for f in doc["figures"]}
    drill = json.loads(drill_report.read_text())
    measured = figures["drill.rto.switchover"]
    assert measured["value"] == drill["measured"]["switchover"]["rtoSeconds"] and measured["status"] == "pass"
    assert figures["rto.region"]["value"] == 690  # the model stays
    assert "modelled regional RTO 11.5 min" in measured["notes"][0]
    assert figures["drill.rpo.restore"]["status"] == "pass" and "drill.rpo.switchback" in figures
    assert cli.main(["report", "--stack", "africa", "--plan", str(plan), "--drill", str(drill_report),
                     "--format", "markdown"]) == 0
    assert "Region switchover RTO (measured)" in capsys.readouterr().out


def test_a_slow_drill_misses(drill_report: Path, repo_plan: Callable[[str], dict[str, Any]], tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(drill_report.read_text())
    doc["measured"]["restore"]["rtoSeconds"] = 1500.0
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps(doc), encoding="utf-8")
    plan = tmp_path / "africa.plan.json"
    plan.write_text(json.dumps(repo_plan("africa")), encoding="utf-8")
    assert cli.main(["report", "--stack", "africa", "--plan", str(plan), "--drill", str(slow),
                     "--fail-on-miss"]) == 1
    assert "MISS              Point-in-time restore RTO (measured): 25 min" in capsys.readouterr().out


def test_not_a_drill_report_is_one_line(repo_plan: Callable[[str], dict[str, Any]], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "africa.plan.json"
    plan.write_text(json.dumps(repo_plan("africa")), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "something"}), encoding="utf-8")
    assert cli.main(["report", "--stack", "africa", "--plan", str(plan), "--drill", str(bad)]) == 2
    assert "not a DR drill report" in capsys.readouterr().err
