"""`LoadTest` (`azora:loadtest:LoadTest`): k6 load tests inside a region's EKS cluster (staging).

The k6-operator (Grafana's Helm chart) runs a `TestRun` (`k6.io/v1alpha1`) as ``parallelism``
runner pods, each taking its share of the virtual users. The script lives in a ConfigMap: stages
of 100, 1,000 and 10,000 virtual users against ``target_url`` (the region's public endpoint),
thresholds p95 < 200 ms and error rate < 1 % (the seed's numbers), and a summary line
``AZORA_K6_SUMMARY {json}`` per runner that `azora-infra load-test` reads back.

`k6_test_run_manifest` is the one definition of a run: the component creates it at deploy time only
when ``run_on_deploy``; `azora-infra load-test` creates a new one per run through the Kubernetes API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .base import AzoraComponent

CHART = "k6-operator"
CHART_REPOSITORY = "https://grafana.github.io/helm-charts"
SCRIPT_FILE = "load.js"
SUMMARY_MARKER = "AZORA_K6_SUMMARY "


@dataclass(frozen=True)
class Stage:
    duration: str
    target: int


#: ramp to 100, hold; to 1,000, hold; to 10,000 (10k concurrent users per region), hold; ramp down
DEFAULT_STAGES = (Stage("2m", 100), Stage("3m", 100), Stage("3m", 1000), Stage("5m", 1000),
                  Stage("7m", 10000), Stage("10m", 10000), Stage("3m", 0))


@dataclass(frozen=True)
class LoadTestArgs:
    k8s_provider: pulumi.ProviderResource
    #: the URL the virtual users request (the region's public endpoint), https only
    target_url: str
    #: request paths, visited round-robin by each virtual user
    paths: Sequence[str] = ("/healthz",)
    namespace: str = "load-test"
    chart_version: str = "3.14.2"
    stages: Sequence[Stage] = DEFAULT_STAGES
    p95_ms: int = 200
    max_error_rate: float = 0.01
    #: runner pods; each runs 1/parallelism of the virtual users
    parallelism: int = 10
    runner_cpu: str = "2"
    runner_memory: str = "4Gi"
    run_on_deploy: bool = False
    labels: dict[str, str] = field(default_factory=lambda: {"app.kubernetes.io/part-of": "azora-load-test"})

    def validate(self) -> None:
        if not self.target_url.startswith("https://"):
            raise ValueError(f"LoadTest: target_url must be https, got {self.target_url!r}")
        if not self.stages or max(s.target for s in self.stages) < 1:
            raise ValueError("LoadTest: stages must reach at least one virtual user")
        if not 1 <= self.parallelism <= 100:
            raise ValueError("LoadTest: parallelism must be 1-100")
        if not 0 < self.max_error_rate < 1 or self.p95_ms <= 0:
            raise ValueError("LoadTest: thresholds must be p95_ms > 0 and 0 < max_error_rate < 1")
        if not all(p.startswith("/") for p in self.paths) or not self.paths:
            raise ValueError("LoadTest: paths must start with '/'")

    @property
    def thresholds(self) -> dict[str, list[str]]:
        return {"http_req_duration": [f"p(95)<{self.p95_ms}"], "http_req_failed": [f"rate<{self.max_error_rate:g}"]}


def k6_script(args: LoadTestArgs) -> str:
    """The k6 script: options (stages, thresholds) and a summary line for `azora-infra load-test`."""
    options = {"stages": [{"duration": s.duration, "target": s.target} for s in args.stages],
               "thresholds": args.thresholds, "summaryTrendStats": ["avg", "med", "p(95)", "p(99)", "max"]}
    return f"""import http from 'k6/http';
import {{ check, sleep }} from 'k6';

export const options = {json.dumps(options, indent=2)};

const BASE = {json.dumps(args.target_url.rstrip('/'))};
const PATHS = {json.dumps(list(args.paths))};

export default function () {{
  const res = http.get(BASE + PATHS[__ITER % PATHS.length], {{ tags: {{ name: 'azora' }} }});
  check(res, {{ 'status is 2xx/3xx': (r) => r.status >= 200 && r.status < 400 }});
  sleep(1);
}}

export function handleSummary(data) {{
  const m = data.metrics;
  const thresholds = {{}};
  for (const [metric, v] of Object.entries(m)) {{
    for (const [name, t] of Object.entries(v.thresholds || {{}})) thresholds[metric + ':' + name] = t.ok;
  }}
  const summary = {{
    p95Ms: m.http_req_duration.values['p(95)'],
    requests: m.http_reqs.values.count,
    failed: m.http_req_failed.values.passes,
    maxVus: m.vus_max ? m.vus_max.values.max : null,
    thresholds: thresholds,
  }};
  return {{ stdout: '{SUMMARY_MARKER}' + JSON.stringify(summary) + '\\n' }};
}}
"""


def script_config_map_name() -> str:
    return "azora-load-test-script"


def k6_test_run_manifest(name: str, namespace: str, parallelism: int, runner_cpu: str = "2",
                      runner_memory: str = "4Gi") -> dict[str, Any]:
    """A k6-operator TestRun of the script ConfigMap; runner pods non-root, no privilege escalation."""
    security = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"}}
    pod = {"securityContext": {"runAsNonRoot": True, "runAsUser": 12345, "seccompProfile": {"type": "RuntimeDefault"}},
           "containerSecurityContext": security}
    return {
        "apiVersion": "k6.io/v1alpha1", "kind": "TestRun",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "azora-load-test"}},
        "spec": {
            "parallelism": parallelism,
            "script": {"configMap": {"name": script_config_map_name(), "file": SCRIPT_FILE}},
            "arguments": "--no-color",
            "separate": False,
            "cleanup": "",
            "runner": {**pod, "resources": {"requests": {"cpu": runner_cpu, "memory": runner_memory},
                                            "limits": {"cpu": runner_cpu, "memory": runner_memory}}},
            "initializer": pod, "starter": pod,
        },
    }


class LoadTest(AzoraComponent):
    """Outputs: ``namespace``, ``script_config_map``, ``parallelism``, ``thresholds``."""

    def __init__(self, name: str, args: LoadTestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:loadtest:LoadTest", name, args.k8s_provider, opts)
        ns = k8s.core.v1.Namespace(
            self.child_name("ns"), metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels={
                **args.labels, "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted"}), opts=self.child_opts())
        self.release = k8s.helm.v3.Release(
            self.child_name("operator"), name=CHART, chart=CHART, version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY), namespace="k6-operator-system",
            create_namespace=True, atomic=True, cleanup_on_fail=True, timeout=600,
            values={"manager": {"containerSecurityContext": {"allowPrivilegeEscalation": False,
                                                             "capabilities": {"drop": ["ALL"]}}}},
            opts=self.child_opts())
        self.script = k8s.core.v1.ConfigMap(
            self.child_name("script"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=script_config_map_name(), namespace=args.namespace,
                                                labels=args.labels),
            data={SCRIPT_FILE: k6_script(args)}, opts=self.child_opts(depends_on=[ns]))
        if args.run_on_deploy:
            m = k6_test_run_manifest("azora-load-on-deploy", args.namespace, args.parallelism, args.runner_cpu,
                                     args.runner_memory)
            k8s.apiextensions.CustomResource(
                self.child_name("run"), api_version=m["apiVersion"], kind=m["kind"], metadata=m["metadata"],
                spec=m["spec"], opts=self.child_opts(depends_on=[self.release, self.script]))
        self.namespace = args.namespace
        self.script_config_map = script_config_map_name()
        self.parallelism = args.parallelism
        self.thresholds = args.thresholds
        self.register_outputs({"namespace": self.namespace, "scriptConfigMap": self.script_config_map,
                               "parallelism": self.parallelism, "thresholds": self.thresholds})
