"""Wiring of the k6 load test (`LoadTest`) from `azora:loadTest` (staging only, by config validation)."""

from __future__ import annotations

from typing import Any

from components.load_test import LoadTest, LoadTestArgs

from ..config import StackConfig
from .kubernetes import RegionKubernetes


def build_load_test(cfg: StackConfig, kube: RegionKubernetes) -> LoadTest | None:
    lt = cfg.load_test
    if not lt.enabled or kube.eks is None or lt.target_url is None:
        return None
    return LoadTest("load-test", LoadTestArgs(
        k8s_provider=kube.eks.k8s_provider, target_url=lt.target_url, paths=tuple(lt.paths),
        chart_version=lt.chart_version, p95_ms=lt.p95_ms, max_error_rate=lt.max_error_rate,
        parallelism=lt.parallelism))


def load_test_outputs(load_test: LoadTest | None) -> dict[str, Any]:
    """Stack exports `azora-infra load-test` reads: where the script is and how to run it."""
    if load_test is None:
        return {}
    return {"loadTest": {"namespace": load_test.namespace, "scriptConfigMap": load_test.script_config_map,
                         "parallelism": load_test.parallelism, "thresholds": load_test.thresholds}}
