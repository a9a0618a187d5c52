"""The CI pipeline (.github/workflows) and its helpers (.ci/): the workflows pass actionlint; pull
requests run the same gates as .ci/run plus diff coverage, the coverage comment, SARIF upload and the
dependency audit; a deploy waits for every check and for the prod approval, primary before
secondaries; the audit gate and the coverage summary do what they say."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc  # type: ignore[no-any-return]


def _script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(step.get("uses", "")).split("@")[0] for step in job.get("steps", [])]


def test_workflows_pass_actionlint() -> None:
    beside = Path(sys.executable).parent / "actionlint"  # installed into the venv by the dev extra
    exe = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert exe, "actionlint is not installed (pip install -e '.[dev]')"
    out = subprocess.run([exe, "-no-color"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    bad = WORKFLOWS.parent / "bad-workflow-for-test.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.nope }}\n")
    try:
        out = subprocess.run([exe, "-no-color", str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        bad.unlink()
    assert out.returncode == 1 and "nope" in out.stdout  # it really checks


def test_pull_requests_run_the_ci_gates() -> None:
    ci = _load("ci.yml")
    assert "pull_request" in ci["on"] and "workflow_call" in ci["on"]
    tests = ci["jobs"]["tests"]
    run = _runs(tests)
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for gate in ("ruff check .", "mypy\n", "mypy policies", "actionlint", "--cov-fail-under=90",
                 "--cov-report=html:", "--cov-report=json:", "--cov-report=lcov:"):
        assert gate in run and gate in ci_run, gate
    assert "diff-cover reports/coverage.xml" in run and "--fail-under=60" in run
    # D1.1 / D1.4: the suite runs in parallel and is stopped (failing the job) past 15 minutes
    (step,) = [s for s in tests["steps"] if "python -m pytest" in s.get("run", "")]
    assert "-n auto" in step["run"] and step["timeout-minutes"] <= 15
    assert "python -m pytest -n auto" in ci_run
    assert "actions/github-script" in _uses(tests) and "azora-coverage-summary" in json.dumps(tests)
    check = ci["jobs"]["policy-check"]
    assert check["strategy"]["matrix"]["stack"] == ["africa", "europe", "asia", "staging-africa", "staging-europe",
                                                    "staging-asia", "dev"]
    assert "--format sarif" in _runs(check) and "github/codeql-action/upload-sarif" in _uses(check)
    assert check["permissions"]["security-events"] == "write"
    audit = _runs(ci["jobs"]["audit"])
    assert "pip-audit" in audit and ".ci/vuln_gate.py" in audit


def test_main_previews_with_oidc_and_deploys_primary_first_behind_approval() -> None:
    main = _load("main.yml")
    jobs = main["jobs"]
    assert main["on"]["push"]["branches"] == ["main"]
    assert jobs["checks"]["uses"] == "./.github/workflows/ci.yml"
    preview = jobs["preview"]
    assert preview["permissions"]["id-token"] == "write"
    [creds] = [s for s in preview["steps"]
               if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
    assert "role-to-assume" in creds["with"] and "aws-access-key-id" not in creds["with"]
    [pulumi] = [s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["policyPacks"] == "policies"
    assert {"africa", "europe", "asia"} <= {i["stack"] for i in preview["strategy"]["matrix"]["include"]}
    primary, secondaries = jobs["deploy-primary"], jobs["deploy-secondaries"]
    for job in (primary, secondaries):
        assert job["environment"] == "prod"
        assert {"checks", "preview"} <= set(job["needs"])  # tests, coverage and the policy check passed
    assert "deploy-primary" in secondaries["needs"]
    assert "africa" in json.dumps(primary) and {i["stack"] for i in secondaries["strategy"]["matrix"]["include"]} == {
        "europe", "asia"}


def test_staging_is_deployed_and_load_tested_before_the_prod_approval() -> None:
    """D13.4/D13.5/D17.5: staging (primary first) is deployed and load tested on every push to main,
    and the prod deploys (behind approval) need that load test to have passed."""
    jobs = _load("main.yml")["jobs"]
    previewed = {i["stack"] for i in jobs["preview"]["strategy"]["matrix"]["include"]}
    assert previewed == {"africa", "europe", "asia", "staging-africa", "staging-europe", "staging-asia"}
    s_primary, s_secondaries, load = (jobs["deploy-staging-primary"], jobs["deploy-staging-secondaries"],
                                      jobs["load-test-staging"])
    for job in (s_primary, s_secondaries, load):
        assert job["environment"] == "staging"
    assert {"checks", "preview"} <= set(s_primary["needs"])
    assert "deploy-staging-primary" in s_secondaries["needs"]
    assert {i["stack"] for i in s_secondaries["strategy"]["matrix"]["include"]} == {"staging-europe", "staging-asia"}
    [up] = [st for st in s_primary["steps"] if str(st.get("uses", "")).startswith("pulumi/actions")]
    assert up["with"]["command"] == "up" and up["with"]["stack-name"].endswith("/staging-africa")
    assert {"deploy-staging-primary", "deploy-staging-secondaries"} <= set(load["needs"])
    script = _runs(load)
    assert "azora-infra load-test --stack staging-africa" in script and "aws eks update-kubeconfig" in script
    for prod in (jobs["deploy-primary"], jobs["deploy-secondaries"]):
        assert "load-test-staging" in prod["needs"] and prod["environment"] == "prod"


def _audit(*vulns: tuple[str, list[str]]) -> dict[str, Any]:
    return {"dependencies": [{"name": "pkg", "version": "1.0",
                              "vulns": [{"id": v, "aliases": a, "fix_versions": []} for v, a in vulns]},
                             {"name": "clean", "version": "2.0", "vulns": []}]}


OSV = {"GHSA-high": {"database_specific": {"severity": "HIGH"}},
       "GHSA-low": {"database_specific": {"severity": "LOW"}},
       "GHSA-crit": {"database_specific": {"severity": "CRITICAL"}},
       "PYSEC-1": {"aliases": ["GHSA-low"]}}


@pytest.mark.parametrize(("vulns", "code"), [
    ([], 0),
    ([("PYSEC-1", ["GHSA-low"])], 0),
    ([("PYSEC-2", ["GHSA-high"])], 1),
    ([("GHSA-crit", [])], 1),
    ([("PYSEC-9", [])], 1),  # severity unknown: fail closed
])
def test_vulnerability_gate_fails_on_critical_high_or_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str],
                                                              vulns: list[tuple[str, list[str]]], code: int) -> None:
    gate = _script("vuln_gate")
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(_audit(*vulns)))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert gate.main([str(path)], fetch=OSV.get) == code
    assert f"{len(vulns)} known vulnerabilities" in capsys.readouterr().out
    assert "### Dependency audit" in summary.read_text()
    assert gate.main([]) == 2


def test_coverage_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = _script("coverage_summary")
    cov = {"totals": {"percent_covered": 91.25},
           "files": {"a.py": {"summary": {"percent_covered": 50.0, "num_statements": 10}},
                     "b.py": {"summary": {"percent_covered": 100.0, "num_statements": 5}}}}
    text = summary.render(cov, {"total_percent_covered": 55, "total_num_lines": 20})
    assert summary.MARKER in text and "**91.2 %**" in text and "✅" in text
    assert "diff coverage of changed lines: **55.0 %** (20 lines, gate 60 %) ❌" in text
    assert text.index("`a.py`") < text.index("`b.py`")
    assert "no changed Python lines" in summary.render(cov, {"total_num_lines": 0})
    (tmp_path / "c.json").write_text(json.dumps(cov))
    assert summary.main([str(tmp_path / "c.json")]) == 0 and "91.2" in capsys.readouterr().out
    assert summary.main([]) == 2
