"""Running a k6 TestRun through the Kubernetes API and reading its thresholds back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from components.load_test import SUMMARY_MARKER, k6_test_run_manifest

from .k8s import Kube, KubeError
from .waits import Waiter

API = "/apis/k6.io/v1alpha1"
DONE_STAGES = ("finished", "error")


@dataclass
class RunnerSummary:
    pod: str
    p95_ms: float
    requests: int
    failed: int
    thresholds: dict[str, bool]


@dataclass
class LoadTestResult:
    name: str
    stage: str
    p95_limit_ms: int
    max_error_rate: float
    runners: list[RunnerSummary] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runners)

    @property
    def error_rate(self) -> float | None:
        return None if not self.requests else sum(r.failed for r in self.runners) / self.requests

    @property
    def p95_ms(self) -> float | None:
        """The worst runner's p95: each runner sees a share of the users; the slowest share bounds it."""
        return max((r.p95_ms for r in self.runners), default=None)

    @property
    def checks(self) -> dict[str, bool]:
        p95, rate = self.p95_ms, self.error_rate
        return {f"p95 < {self.p95_limit_ms} ms": p95 is not None and p95 < self.p95_limit_ms,
                f"error rate < {self.max_error_rate * 100:g} %": rate is not None and rate < self.max_error_rate,
                "k6 thresholds of every runner": bool(self.runners) and all(
                    all(r.thresholds.values()) for r in self.runners)}

    @property
    def ok(self) -> bool:
        return self.stage == "finished" and not self.missing and all(self.checks.values())

    def to_dict(self) -> dict[str, Any]:
        return {"formatVersion": 1, "kind": "azora-load-test", "testRun": self.name, "stage": self.stage,
                "ok": self.ok, "p95Ms": self.p95_ms, "errorRate": self.error_rate, "requests": self.requests,
                "checks": self.checks, "runnersWithoutSummary": self.missing,
                "runners": [vars(r) for r in self.runners]}


def start(kube: Kube, namespace: str, name: str, parallelism: int) -> dict[str, Any]:
    try:
        return dict(kube.request("POST", f"{API}/namespaces/{namespace}/testruns",
                                 k6_test_run_manifest(name, namespace, parallelism)))
    except KubeError as err:
        if err.status == 404:
            raise KubeError(f"{err} (is the k6-operator installed? `azora:loadTest.enabled` in the stack)",
                            404) from None
        raise


def wait(kube: Kube, waiter: Waiter, namespace: str, name: str, timeout_seconds: float) -> str:
    def stage() -> str:
        doc = kube.request("GET", f"{API}/namespaces/{namespace}/testruns/{name}")
        return str((doc.get("status") or {}).get("stage") or "pending")

    return waiter.until(f"TestRun {namespace}/{name}", stage, lambda s: s in DONE_STAGES, timeout_seconds)


def results(kube: Kube, namespace: str, name: str, stage: str, p95_ms: int, max_error_rate: float) -> LoadTestResult:
    out = LoadTestResult(name=name, stage=stage, p95_limit_ms=p95_ms, max_error_rate=max_error_rate)
    pods = kube.request("GET", f"/api/v1/namespaces/{namespace}/pods?labelSelector=k6_cr%3D{name}%2Crunner%3Dtrue")
    for pod in sorted(p["metadata"]["name"] for p in pods.get("items", [])):
        log = kube.request("GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", raw=True)
        line = next((ln for ln in reversed(str(log).splitlines()) if ln.startswith(SUMMARY_MARKER)), None)
        if line is None:
            out.missing.append(pod)
            continue
        try:
            doc = json.loads(line[len(SUMMARY_MARKER):])
            out.runners.append(RunnerSummary(pod=pod, p95_ms=float(doc["p95Ms"]), requests=int(doc["requests"]),
                                             failed=int(doc["failed"]), thresholds=dict(doc.get("thresholds") or {})))
        except (ValueError, KeyError, TypeError):
            out.missing.append(pod)
    return out


def render_text(r: LoadTestResult) -> str:
    lines = [f"Load test {r.name}: {r.stage}, {'PASSED' if r.ok else 'FAILED'} "
             f"({r.requests} requests from {len(r.runners)} runners)"]
    p95 = "n/a" if r.p95_ms is None else f"{r.p95_ms:.1f} ms"
    rate = "n/a" if r.error_rate is None else f"{r.error_rate * 100:.3f} %"
    lines.append(f"  p95 {p95}, error rate {rate}")
    for name, ok in r.checks.items():
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {name}")
    for pod in r.missing:
        lines.append(f"  runner {pod} printed no summary (crashed or still running?)")
    return "\n".join(lines) + "\n"
