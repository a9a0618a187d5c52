# ruff: noqa: F811  (pytest fixtures imported from tests.dr_env are redefined as arguments)
"""`azora-infra chaos report` against moto in server mode on 127.0.0.1 (FIS history from the stand-in:
moto's experiments all start in the present and have no stop reasons)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from azora_infra import cli
from azora_infra.commands import chaos as chaos_cmd
from azora_infra.ops.aws import Aws
from azora_infra.ops.chaos import ChaosError, parse_since
from tests.dr_env import FakeClock, moto_server  # noqa: F401
from tests.standins.aws import StandInServer

TEMPLATES = {"aurora-writer-failover": "EXT1aurora", "eks-pod-delete": "EXT2poddel",
             "az-network-disruption": "EXT3aznet"}


@pytest.fixture
def history(moto_server: StandInServer, tmp_path: Path) -> Path:
    moto_server.reset()
    now = datetime.now(timezone.utc)
    for day in range(1, 7):
        for name in TEMPLATES.values():
            moto_server.experiment("af-south-1", name, "completed", now - timedelta(days=day, hours=1),
                                   ended=now - timedelta(days=day))
    moto_server.experiment("af-south-1", "EXT3aznet", "stopped", now - timedelta(hours=5),
                           reason="Experiment stopped by stop condition arn:aws:cloudwatch:af-south-1:123456789012:"
                                  "alarm:azora-staging-africa-slo-burn", ended=now - timedelta(hours=4, minutes=50))
    moto_server.experiment("af-south-1", "EXT2poddel", "running", now - timedelta(minutes=3))
    moto_server.experiment("af-south-1", "EXT1aurora", "failed", now - timedelta(days=9), reason="too old")
    moto_server.experiment("af-south-1", "OTHERSTACK", "failed", now - timedelta(days=1), reason="not ours")
    out = tmp_path / "staging-africa.json"
    out.write_text(json.dumps({"region": "af-south-1", "environment": "staging", "role": "primary",
                               "chaosTemplateIds": TEMPLATES}), encoding="utf-8")
    return out


def _run(moto_server: StandInServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         outputs: Path, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(chaos_cmd, "build_aws", lambda a: Aws(clock=FakeClock(), endpoint_url=moto_server.url))
    code = cli.main(["chaos", "report", "--stack", "staging-africa", "--outputs", f"staging-africa={outputs}", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_report_counts_the_stacks_finished_experiments_of_the_window(moto_server: StandInServer, history: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    moto_server.state.calls.clear()
    code, out, _ = _run(moto_server, monkeypatch, capsys, history, "--format", "json")
    doc = json.loads(out)
    assert code == 0
    # 18 completed + 1 stopped finished; the running one is in flight; too old and other stack excluded
    assert doc["experiments"] == 20 and doc["finished"] == 19 and doc["failed"] == 1
    assert doc["successRate"] == pytest.approx(18 / 19) and doc["ok"] is False
    (failure,) = doc["failures"]
    assert failure["template_name"] == "az-network-disruption" and failure["status"] == "stopped"
    assert "stopped by stop condition" in failure["reason"] and failure["ended"]
    assert doc["byTemplate"]["eks-pod-delete"] == {"runs": 7, "succeeded": 6, "failed": 0, "inFlight": 1}
    # GetExperiment only for failures and summaries without a reason
    assert sum(1 for s, a in moto_server.state.calls if s == "fis" and a.startswith("GET /experiments/")) >= 1


def test_report_pages_through_list_experiments(moto_server: StandInServer, history: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(timezone.utc)
    for i in range(230):
        moto_server.experiment("af-south-1", "EXT1aurora", "completed", now - timedelta(hours=2, minutes=i))
    moto_server.state.calls.clear()
    code, out, _ = _run(moto_server, monkeypatch, capsys, history, "--format", "json")
    assert code == 0 and json.loads(out)["finished"] == 19 + 230
    assert sum(1 for s, a in moto_server.state.calls if (s, a) == ("fis", "GET /experiments")) == 3


def test_fail_on_miss_and_markdown(moto_server: StandInServer, history: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(moto_server, monkeypatch, capsys, history, "--format", "markdown", "--fail-on-miss")
    assert code == 1
    assert "**Success rate:** 94.7 % (target >= 99 %): **miss**" in out
    assert "| az-network-disruption | 7 | 6 | 1 | 0 |" in out and "alarm:azora-staging-africa-slo-burn" in out


def test_a_week_of_successes_passes(moto_server: StandInServer, history: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(moto_server, monkeypatch, capsys, history, "--since", "4h", "--fail-on-miss")
    # only the in-flight run is in the last 4 hours: no finished experiment, no rate
    assert code == 1 and "n/a (no finished experiment)" in out
    code, out, _ = _run(moto_server, monkeypatch, capsys, history, "--since",
                        (datetime.now(timezone.utc) - timedelta(days=6, hours=2)).isoformat(), "--fail-on-miss")
    assert code == 1  # the stopped one is inside
    moto_server.state.experiments = {k: v for k, v in moto_server.state.experiments.items()
                                     if v["state"]["status"] != "stopped"}
    code, out, _ = _run(moto_server, monkeypatch, capsys, history, "--fail-on-miss")
    assert code == 0 and "success rate 100.0 % (target >= 99 %): PASS" in out


def test_throttled_fis_is_retried(moto_server: StandInServer, history: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    moto_server.fault("fis", r"GET /experiments", status=429, code="ThrottlingException", count=2)
    code, out, _ = _run(moto_server, monkeypatch, capsys, history)
    assert code == 0 and "finished 19" in out


@pytest.mark.parametrize("bad", ["a week", "7w", "2026-01-01T00:00:00"])
def test_bad_since_is_one_line(bad: str) -> None:
    with pytest.raises(ChaosError, match="--since"):
        parse_since(bad, datetime.now(timezone.utc))


def test_unknown_stack_is_a_usage_error(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chaos", "report", "--stack", "prod-mars", "--outputs", f"staging-africa={history}"]) == 2
    assert "not among the outputs given" in capsys.readouterr().err


