"""k6 load tests: the `LoadTest` component, `azora:loadTest`, and `azora-infra load-test` against a
Kubernetes API stand-in on 127.0.0.1 over TLS (TestRun create/get/status, runner pods and logs)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pytest
import yaml

from azora_infra import cli
from azora_infra.commands import load_test as lt_cmd
from azora_infra.config import ConfigError, parse_config
from azora_infra.plan.model import Plan
from components.load_test import SUMMARY_MARKER, LoadTest, LoadTestArgs, k6_script, k6_test_run_manifest
from tests.dr_env import FakeClock
from tests.harness import record
from tests.standins.kube import KubeStandIn
from tests.standins.postgres import LocalCa
from tests.test_config import _with

TOKEN = "k8s-aws-v1.test-token"


def _component(**kw: Any) -> Plan:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        LoadTest("load-test", LoadTestArgs(k8s_provider=provider, target_url="https://api.staging.azora.example",
                                           paths=("/healthz", "/api/courses"), **kw))
    return record(program)


def test_component_installs_the_operator_and_the_script() -> None:
    plan = _component()
    (release,) = plan.of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["chart"] == "k6-operator" and release.inputs["version"] == "3.14.2"
    (cm,) = plan.of_type("kubernetes:core/v1:ConfigMap")
    script = cm.inputs["data"]["load.js"]
    options = json.loads(script.split("export const options = ", 1)[1].split(";\n", 1)[0])
    assert [s["target"] for s in options["stages"]] == [100, 100, 1000, 1000, 10000, 10000, 0]
    assert options["thresholds"] == {"http_req_duration": ["p(95)<200"], "http_req_failed": ["rate<0.01"]}
    assert '"/api/courses"' in script and SUMMARY_MARKER in script
    (ns,) = plan.of_type("kubernetes:core/v1:Namespace")
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert not plan.of_type("kubernetes:k6.io/v1alpha1:TestRun")  # runs start from the command


def test_run_on_deploy_creates_a_test_run() -> None:
    plan = _component(run_on_deploy=True)
    (run,) = plan.of_type("kubernetes:k6.io/v1alpha1:TestRun")
    assert run.inputs["spec"]["parallelism"] == 10
    assert run.inputs["spec"]["script"] == {"configMap": {"name": "azora-load-test-script", "file": "load.js"}}


def test_test_run_runners_are_unprivileged() -> None:
    m = k6_test_run_manifest("x", "load-test", 4)
    for part in ("runner", "initializer", "starter"):
        assert m["spec"][part]["containerSecurityContext"]["allowPrivilegeEscalation"] is False
        assert m["spec"][part]["securityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize(("kw", "message"), [
    ({"target_url": "http://plain"}, "must be https"), ({"parallelism": 0}, "parallelism"),
    ({"max_error_rate": 2.0}, "thresholds"), ({"paths": ("healthz",)}, "start with '/'"),
])
def test_bad_component_arguments(kw: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"k8s_provider": None, "target_url": "https://a.example"}
    with pytest.raises(ValueError, match=message):
        LoadTestArgs(**{**base, **kw}).validate()  # type: ignore[arg-type]


def test_custom_thresholds_reach_the_script() -> None:
    args = LoadTestArgs(k8s_provider=None, target_url="https://a.example", p95_ms=150,  # type: ignore[arg-type]
                        max_error_rate=0.005)
    assert '"p(95)<150"' in k6_script(args) and '"rate<0.005"' in k6_script(args)


def test_config_allows_load_tests_in_staging_only() -> None:
    staging = _with(azora__environment="staging", azora__loadTest={"enabled": True,
                                                                  "targetUrl": "https://api.staging.azora.example"})
    assert parse_config(staging, "Pulumi.staging-africa.yaml").load_test.enabled
    with pytest.raises(ConfigError, match=r"azora:loadTest.enabled: load tests .* run in staging only, not in prod"):
        parse_config(_with(azora__loadTest={"enabled": True, "targetUrl": "https://x.example"}), "Pulumi.africa.yaml")
    with pytest.raises(ConfigError, match=r"azora:loadTest\.targetUrl: is required"):
        parse_config(_with(azora__environment="staging", azora__loadTest={"enabled": True}), "x.yaml")
    with pytest.raises(ConfigError, match=r"azora:loadTest\.targetUrl: 'http://x': the load test targets"):
        parse_config(_with(azora__environment="staging", azora__loadTest={"targetUrl": "http://x"}), "x.yaml")


# --- the command ---------------------------------------------------------------------------------

def _log(p95: float, failed: int, requests: int = 100_000, ok: bool = True) -> str:
    summary = {"p95Ms": p95, "requests": requests, "failed": failed, "maxVus": 1000,
               "thresholds": {"http_req_duration:p(95)<200": ok, "http_req_failed:rate<0.01": ok}}
    return "running (25m00s), 0000/1000 VUs\n" + SUMMARY_MARKER + json.dumps(summary) + "\n"


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[KubeStandIn, Path, dict[int, str]]]:
    ca = LocalCa(tmp_path)
    logs: dict[int, str] = {}
    server = KubeStandIn(ca, TOKEN, lambda pod, i: logs.get(i, _log(120.0 + i, 10)))
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "staging-africa",
        "clusters": [{"name": "c", "cluster": {"server": server.url, "certificate-authority-data":
                                                base64.b64encode(ca.ca_file.read_bytes()).decode()}}],
        "users": [{"name": "u", "user": {"token": TOKEN}}],
        "contexts": [{"name": "staging-africa", "context": {"cluster": "c", "user": "u"}}]}), encoding="utf-8")
    yield server, kubeconfig, logs
    server.close()


def _outputs(tmp_path: Path, parallelism: int = 3) -> Path:
    out = tmp_path / "staging-africa.json"
    out.write_text(json.dumps({"region": "af-south-1", "environment": "staging", "loadTest": {
        "namespace": "load-test", "scriptConfigMap": "azora-load-test-script", "parallelism": parallelism,
        "thresholds": {"http_req_duration": ["p(95)<200"], "http_req_failed": ["rate<0.01"]}}}), encoding="utf-8")
    return out


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kubeconfig: Path, outputs: Path,
         *argv: str, clock: FakeClock | None = None) -> tuple[int, str, str]:
    fake = clock or FakeClock()
    monkeypatch.setattr(lt_cmd, "build_clock", lambda a: fake)
    code = cli.main(["load-test", "--stack", "staging-africa", "--outputs", f"staging-africa={outputs}",
                     "--kubeconfig", str(kubeconfig), "--name", "azora-load-test1", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_load_test_runs_and_passes(kube: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    server, kubeconfig, _ = kube
    clock = FakeClock()
    code, out, _ = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path), "--format", "json", clock=clock)
    assert code == 0, out
    doc = json.loads(out.split("\n", 1)[1])
    assert doc["ok"] is True and doc["stage"] == "finished" and doc["requests"] == 300_000
    assert doc["p95Ms"] == 123.0 and doc["errorRate"] == pytest.approx(30 / 300_000)
    run = server.testruns[("load-test", "azora-load-test1")]
    assert run["spec"]["parallelism"] == 3 and run["spec"]["script"]["configMap"]["name"] == "azora-load-test-script"
    assert clock.sleeps == [30.0, 30.0, 30.0]  # polled until finished, on the fake clock


def test_a_slow_p95_fails_the_gate(kube: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, kubeconfig, logs = kube
    logs[2] = _log(240.0, 10, ok=False)
    code, out, _ = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path))
    assert code == 1
    assert "FAIL  p95 < 200 ms" in out and "PASS  error rate < 1 %" in out and "p95 240.0 ms" in out


def test_errors_over_one_percent_fail_the_gate(kube: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, kubeconfig, logs = kube
    logs.update({1: _log(100, 2_000), 2: _log(100, 2_000), 3: _log(100, 2_000)})
    code, out, _ = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path))
    assert code == 1 and "FAIL  error rate < 1 %" in out and "error rate 2.000 %" in out


def test_a_runner_without_summary_fails(kube: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    _, kubeconfig, logs = kube
    logs[3] = "panic: runtime error\n"
    code, out, _ = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path))
    assert code == 1 and "runner azora-load-test1-3-abcde printed no summary" in out


def test_an_errored_run_and_a_bounded_wait(kube: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    server, kubeconfig, _ = kube
    server.final_stage = "error"
    code, out, _ = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path))
    assert code == 1 and "Load test azora-load-test1: error, FAILED" in out
    server.final_stage = "started"  # never finishes
    server.testruns.clear()
    clock = FakeClock()
    code, out, _ = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path), "--timeout", "300", clock=clock)
    assert code == 1 and "not done after 300 s" in out and "delete testrun azora-load-test1" in out
    assert clock.t == pytest.approx(300)


def test_api_errors_are_one_line(kube: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    server, kubeconfig, _ = kube
    server.crds_installed = False
    code, _, err = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path))
    assert code == 2 and "is the k6-operator installed?" in err
    server.crds_installed = True
    server.token = "other"
    code, _, err = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path))
    assert code == 2 and "401 Unauthorized" in err
    no_lt = tmp_path / "o.json"
    no_lt.write_text(json.dumps({"region": "af-south-1"}), encoding="utf-8")
    code, _, err = _run(monkeypatch, capsys, kubeconfig, no_lt)
    assert code == 2 and "no `loadTest` export" in err


def test_the_server_certificate_is_verified(kube: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _, kubeconfig, _ = kube
    doc = yaml.safe_load(kubeconfig.read_text())
    other = LocalCa(tmp_path / "other" if (tmp_path / "other").mkdir() is None else tmp_path)
    doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(other.ca_file.read_bytes()).decode()
    kubeconfig.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, _, err = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path))
    assert code == 2 and "CERTIFICATE_VERIFY_FAILED" in err


def test_exec_credential_plugin(kube: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    _, kubeconfig, _ = kube
    plugin = tmp_path / "get-token"
    plugin.write_text("#!/bin/sh\necho '{\"kind\": \"ExecCredential\", \"status\": {\"token\": \"" + TOKEN + "\"}}'\n")
    plugin.chmod(0o755)
    doc = yaml.safe_load(kubeconfig.read_text())
    doc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin),
                                        "args": ["eks", "get-token"]}}
    kubeconfig.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, out, _ = _run(monkeypatch, capsys, kubeconfig, _outputs(tmp_path))
    assert code == 0, out
