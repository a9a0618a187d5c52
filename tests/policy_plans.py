"""Synthetic plans for the policy-pack tests, in the format of `azora_infra.plan.runner.build_plan`
(docs/plan-format.md): a root stack, an explicit aws provider with `region` and JSON `defaultTags`,
resources with urn/type/name/custom/parent/inputs/outputs/options/provider/providerRef."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from azora_infra.check import CheckResult, run_check

PACK = Path(__file__).resolve().parents[1] / "policies"
ACCOUNT = "123456789012"
COST_TAGS = {"azora:team": "platform", "azora:service": "azora-os", "azora:cost-center": "cc-1",
             "azora:environment": "prod"}
STACK_TYPE = "pulumi:pulumi:Stack"


def _options(protect: bool = False) -> dict[str, Any]:
    return {"protect": protect, "retainOnDelete": False, "ignoreChanges": [], "deleteBeforeReplace": False,
            "additionalSecretOutputs": [], "customTimeouts": {}, "aliases": []}


class PlanBuilder:
    def __init__(self, stack: str, region: str = "af-south-1", project: str = "azora-policy-tests",
                 default_tags: Mapping[str, str] | None = None) -> None:
        self.stack, self.project, self.region = stack, project, region
        self.root = self.urn(STACK_TYPE, f"{project}-{stack}")
        self.resources: list[dict[str, Any]] = [{
            "urn": self.root, "type": STACK_TYPE, "name": f"{project}-{stack}", "custom": False, "id": None,
            "parent": None, "dependencies": [], "propertyDependencies": {}, "providerRef": None, "provider": None,
            "version": None, "inputs": {}, "outputs": {}, "default": False, "options": _options()}]
        self.providers: dict[str, dict[str, Any]] = {}
        self.default_provider = self.provider(f"aws-{region}", region, default_tags or COST_TAGS)

    def urn(self, type_: str, name: str, parent_type: str | None = None) -> str:
        qualified = f"{parent_type}${type_}" if parent_type else type_
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def provider(self, name: str, region: str, tags: Mapping[str, str]) -> str:
        urn = self.urn("pulumi:providers:aws", name)
        inputs = {"region": region, "defaultTags": json.dumps({"tags": dict(tags)}),
                  "skipCredentialsValidation": "false", "skipRegionValidation": "true", "version": "7.51.1"}
        rec = {"urn": urn, "type": "pulumi:providers:aws", "name": name, "custom": True, "id": f"prov-{name}",
               "parent": self.root, "dependencies": [], "propertyDependencies": {}, "providerRef": None,
               "provider": None, "version": "7.51.1", "inputs": inputs, "outputs": dict(inputs), "default": False,
               "options": _options()}
        self.resources.append(rec)
        ref = f"{urn}::prov-{name}"
        self.providers[ref] = {"urn": urn, "ref": ref, "type": "pulumi:providers:aws", "name": name,
                               "default": False, "region": region, "defaultTags": dict(tags)}
        return ref

    def component(self, type_: str, name: str) -> str:
        urn = self.urn(type_, name)
        self.resources.append({"urn": urn, "type": type_, "name": name, "custom": False, "id": name,
                               "parent": self.root, "dependencies": [], "propertyDependencies": {},
                               "providerRef": None, "provider": None, "version": None, "inputs": {},
                               "outputs": {}, "default": False, "options": _options()})
        return urn

    def add(self, type_: str, name: str, inputs: Mapping[str, Any] | None = None, *, protect: bool = False,
            provider: str | None = None, deps: Mapping[str, str | list[str]] | None = None,
            outputs: Mapping[str, Any] | None = None, id: str | None = None, arn: str | None = None) -> str:
        """Add a custom resource; ``deps`` maps a property to the URN(s) it depends on."""
        urn = self.urn(type_, name)
        ref = provider or self.default_provider
        prov = self.providers[ref]
        region = str((inputs or {}).get("region") or prov["region"])
        service = type_.split(":")[1].split("/")[0]
        rid = id or name
        prop_deps = {k: ([v] if isinstance(v, str) else list(v)) for k, v in (deps or {}).items()}
        out = {**copy.deepcopy(dict(inputs or {})), "id": rid,
               "arn": arn or f"arn:aws:{service}:{region}:{ACCOUNT}:{name}", "region": region,
               **dict(outputs or {})}
        self.resources.append({
            "urn": urn, "type": type_, "name": name, "custom": True, "id": rid, "parent": self.root,
            "dependencies": sorted({u for us in prop_deps.values() for u in us}),
            "propertyDependencies": prop_deps, "providerRef": ref, "provider": dict(prov), "version": "7.51.1",
            "inputs": copy.deepcopy(dict(inputs or {})), "outputs": out, "default": False,
            "options": _options(protect)})
        return urn

    def plan(self) -> dict[str, Any]:
        return {"formatVersion": 1, "generator": "tests", "project": self.project, "stack": self.stack,
                "organization": "organization", "programDir": ".",
                "config": {"aws:region": self.region}, "secretConfigKeys": [],
                "resources": self.resources, "outputs": {}}


#: the stack rule every data store and load balancer meets only with CloudWatch alarms on it
ALARM_COVERAGE = "alarms-per-resource"


def check(plan: Mapping[str, Any], policy_config: Mapping[str, Any] | None = None) -> CheckResult:
    """The real pack process, as the CLI drives it.

    A synthetic plan without any CloudWatch alarm tests other themes: the alarm-coverage rule's
    findings (every cluster, cache, ALB, health check lacks its alarms) are dropped from its result;
    plans with alarms (tests/test_policies_alarms.py, the repo stacks) keep them."""
    result = run_check(plan, PACK, policy_config)
    if not any(r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm" for r in plan["resources"]):
        result.violations = [v for v in result.violations if v.policy != ALARM_COVERAGE]
    return result


def policies_on(result: CheckResult, name: str) -> set[str]:
    """Policies reporting a violation on the resource with this logical name (can't-run advisories and
    exemption listings excluded)."""
    return {v.policy for v in result.on(name) if not v.cant_run}
