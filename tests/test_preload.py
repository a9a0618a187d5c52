"""The zygote's preload list covers the SDK modules of every resource type the prod stacks plan, so
the forked planners find them imported (a module missing would only cost time, never change a plan)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from azora_infra.plan.preload import SDK_MODULES, module_of, preload


def test_module_of_maps_type_tokens_to_sdk_modules() -> None:
    assert module_of("aws:wafv2/webAcl:WebAcl") == "pulumi_aws.wafv2"
    assert module_of("aws:lambda/function:Function") == "pulumi_aws.lambda_"
    assert module_of("kubernetes:apps/v1:Deployment") == "pulumi_kubernetes.apps.v1"
    assert module_of("kubernetes:rbac.authorization.k8s.io/v1:Role") == "pulumi_kubernetes.rbac.v1"
    assert module_of("kubernetes:helm.sh/v3:Release") == "pulumi_kubernetes.helm.v3"
    assert module_of("kubernetes:networking.istio.io/v1:VirtualService") == "pulumi_kubernetes.apiextensions"
    assert module_of("azora:eks:EksCluster") is None and module_of("pulumi:pulumi:Stack") is None


@pytest.mark.parametrize("stack", ["africa", "europe", "asia"])
def test_the_preload_list_covers_every_resource_type_of_the_prod_plans(
        repo_plan: Callable[[str], dict[str, Any]], stack: str) -> None:
    needed = {module_of(r["type"]) for r in repo_plan(stack)["resources"]} - {None}
    missing = sorted(needed - set(SDK_MODULES))
    assert not missing, f"add {missing} to SDK_MODULES in azora_infra/plan/preload.py"


def test_preload_skips_what_is_not_installed() -> None:
    assert preload(("json", "no_such_sdk_module_azora")) == ["no_such_sdk_module_azora"]
