"""`azora-infra check` output for CI: SARIF 2.1.0 (validated against the official OASIS schema, vendored
in tests/data), JUnit XML, GitHub annotations, progress on a terminal and --quiet. The program is
tests/programs/defects with its unencrypted-database defect, so every output points at the line of
`__main__.py` that registered the database."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from azora_infra.cli import main
from azora_infra.plan import run_plan

TESTS = Path(__file__).parent
PROGRAM = TESTS / "programs" / "defects"
SCHEMA = json.loads((TESTS / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
DB_LINE = next(i for i, line in enumerate((PROGRAM / "__main__.py").read_text().splitlines(), 1)
               if "aws.rds.Cluster(" in line)


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "unencrypted.json"
    path.write_text(json.dumps(run_plan("unencrypted", PROGRAM)), encoding="utf-8")
    return path


def _check(plan: Path, *args: str) -> int:
    return main(["check", "--stack", "unencrypted", "--program", str(PROGRAM), "--plan", str(plan), *args])


def _json_report(plan: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "report.json"
    assert _check(plan, "--format", "json", "--output", str(out)) == 1
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_plan_records_where_each_resource_was_registered(saved_plan: Path) -> None:
    plan = json.loads(saved_plan.read_text(encoding="utf-8"))
    [db] = [r for r in plan["resources"] if r["type"] == "aws:rds/cluster:Cluster"]
    assert db["sourcePosition"] == {"uri": (PROGRAM / "__main__.py").resolve().as_uri(), "line": DB_LINE}
    [root] = [r for r in plan["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    assert "sourcePosition" not in root


def test_sarif_validates_and_points_at_the_source_line(saved_plan: Path, tmp_path: Path) -> None:
    out = tmp_path / "check.sarif"
    assert _check(saved_plan, "--format", "sarif", "--output", str(out)) == 1
    log = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    [run] = log["runs"]
    report = _json_report(saved_plan, tmp_path)
    assert len(run["results"]) == len(report["violations"]) > 0  # one result per violation
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {p["name"] for p in report["policies"]}
    rule = rules["rds-storage-encrypted"]
    assert "Fix: set storageEncrypted=true" in rule["help"]["text"]
    assert rule["properties"]["security-severity"] == "9.5" and rule["defaultConfiguration"]["level"] == "error"
    assert rules["rds-iam-auth"]["defaultConfiguration"]["level"] == "warning"
    [hit] = [r for r in run["results"] if r["ruleId"] == "rds-storage-encrypted"]
    assert hit["level"] == "error" and run["tool"]["driver"]["rules"][hit["ruleIndex"]]["id"] == hit["ruleId"]
    assert "set storageEncrypted=true" in hit["message"]["text"]
    [loc] = hit["locations"]
    assert loc["physicalLocation"] == {"artifactLocation": {"uri": "__main__.py", "uriBaseId": "SRCROOT"},
                                       "region": {"startLine": DB_LINE}}
    urn = next(v["urn"] for v in report["violations"] if v["policy"] == "rds-storage-encrypted")
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == urn
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == PROGRAM.resolve().as_uri() + "/"
    assert run["automationDetails"]["id"] == "azora-guard/unencrypted/"


def test_junit_has_one_case_per_policy_per_failed_resource(saved_plan: Path, tmp_path: Path) -> None:
    out = tmp_path / "check.xml"
    assert _check(saved_plan, "--format", "junit", "--output", str(out)) == 1
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    report = _json_report(saved_plan, tmp_path)
    pairs = {(v["urn"], v["policy"]) for v in report["violations"]}
    assert {(c.get("classname"), c.get("name")) for c in cases} == pairs and len(cases) == len(pairs)
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert failed == {(v["urn"], v["policy"]) for v in report["violations"] if v["enforcementLevel"] == "mandatory"}
    assert int(suite.get("tests", "0")) == len(cases) and int(suite.get("failures", "0")) == len(failed) == 1
    for c in cases:
        assert all(c.get(k) is not None for k in ("classname", "name", "time"))
        failure = c.find("failure")
        if failure is not None:
            assert failure.get("message") and "set storageEncrypted=true" in (failure.text or "")


def test_clean_junit_report_is_not_empty() -> None:
    from azora_infra.check.junit import to_junit
    from azora_infra.check.run import CheckResult

    root = ET.fromstring(to_junit(CheckResult("s", "p", "1", 3, [("a", "mandatory")])))
    [suite] = root.findall("testsuite")
    assert suite.get("failures") == "0" and len(suite.findall("testcase")) == 1


def test_github_annotations_under_actions(saved_plan: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert _check(saved_plan) == 1
    out = capsys.readouterr().out
    commands = [line for line in out.splitlines() if line.startswith("::")]
    [error] = [c for c in commands if c.startswith("::error ")]
    assert error.startswith(f"::error file=__main__.py,line={DB_LINE},title=rds-storage-encrypted (mandatory)::")
    assert "%0Aurn%3Apulumi" not in error and "%0Aurn:pulumi:unencrypted" in error  # data escapes only newlines
    assert all(c.startswith("::warning ") for c in commands if c is not error)
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert _check(saved_plan) == 1
    assert "::error" not in capsys.readouterr().out


def test_annotations_keep_a_machine_readable_stdout(saved_plan: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert _check(saved_plan, "--format", "json") == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["stack"] == "unencrypted"
    assert "::error file=__main__.py" in captured.err


def test_progress_only_on_a_terminal_and_never_with_quiet(saved_plan: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _check(saved_plan) == 1
    assert capsys.readouterr().err == ""  # not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"no-such-policy": "advisory"}))
    assert _check(saved_plan, "--policy-config", str(cfg)) == 1
    err = capsys.readouterr().err
    assert "checking unencrypted: " in err and " resources" in err and "no-such-policy" in err
    assert _check(saved_plan, "--policy-config", str(cfg), "--quiet") == 1
    assert capsys.readouterr().err == ""


def test_concurrency_must_be_positive(saved_plan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(saved_plan, "--concurrency", "0") == 2
    assert "--concurrency must be at least 1" in capsys.readouterr().err
