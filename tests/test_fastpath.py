"""The pack's optimised Analyzer servicer (policies/azora_guard/fastpath): pinned to the SDK it was
written against (fails loudly when pulumi-policy's source changes), falls back to the stock servicer
elsewhere, and answers byte for byte as the stock servicer does - on the three repo stacks, the
synthetic stacks, the rule tests' bad and good plans, and the SDK's odd corners (async validations,
unknown values, not-applicable, remediation-only policies, remediate levels)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from azora_infra.check import run_check
from azora_infra.check.engine import EngineView
from azora_infra.check.synthetic import synthetic_plan
from policies.azora_guard import fastpath
from policies.azora_guard.fastpath import _servicer
from policies.azora_guard.fastpath._servicer import FastAnalyzerServicer
from tests import (
    test_policies_data,
    test_policies_edge,
    test_policies_exemptions,
    test_policies_platform,
    test_policies_storage,
)

PACK = Path(__file__).resolve().parents[1] / "policies"
STOCK = {fastpath.ENV_SWITCH: "0"}


def test_pinned_to_the_installed_sdk() -> None:
    assert metadata.version("pulumi_policy") == fastpath.SUPPORTED_VERSION
    pyproject = (PACK.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"pulumi-policy=={fastpath.SUPPORTED_VERSION}"' in pyproject


def test_sdk_source_is_what_the_servicer_was_written_against() -> None:
    changed = _servicer.changed_sdk_functions()
    assert changed == [], (
        f"pulumi-policy's source changed in {changed}: review policies/azora_guard/fastpath/_servicer.py against "
        "the new stock servicer, then update SDK_SOURCE_HASHES (_servicer.sdk_source_hashes())")
    assert fastpath.unavailable_reason() is None


def test_other_versions_and_the_switch_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_policy import version

    monkeypatch.setattr(version, "VERSION", "1.22.0")
    assert fastpath.unavailable_reason() == f"pulumi-policy 1.22.0 is not {fastpath.SUPPORTED_VERSION}"
    monkeypatch.setattr(version, "VERSION", fastpath.SUPPORTED_VERSION)
    monkeypatch.setitem(_servicer.SDK_SOURCE_HASHES, "_PolicyAnalyzerServicer.Analyze", "0" * 40)
    reason = fastpath.unavailable_reason()
    assert reason is not None and "_PolicyAnalyzerServicer.Analyze" in reason
    monkeypatch.setenv(fastpath.ENV_SWITCH, "0")
    assert fastpath.unavailable_reason() == f"{fastpath.ENV_SWITCH}=0"


@pytest.mark.parametrize("fast", [True, False])
def test_run_policy_pack_serves_through_the_stock_pack(monkeypatch: pytest.MonkeyPatch, fast: bool,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`run_policy_pack` is `PolicyPack(**args)` with the servicer class swapped (only where allowed) and
    the wrapper applied at registration."""
    import pulumi_policy
    from pulumi_policy import policy

    seen: dict[str, Any] = {}

    def fake_pack(**kwargs: Any) -> None:
        servicer = policy._PolicyAnalyzerServicer("p", "0.0.1", kwargs["policies"], EnforcementLevel.ADVISORY)
        analyzer_pb2_grpc.add_AnalyzerServicer_to_server(servicer, None)
        seen["kwargs"] = kwargs

    monkeypatch.setattr(pulumi_policy, "PolicyPack", fake_pack)
    monkeypatch.setattr(policy, "_PolicyAnalyzerServicer", _PolicyAnalyzerServicer)
    monkeypatch.setattr(analyzer_pb2_grpc, "add_AnalyzerServicer_to_server",
                        lambda servicer, server: seen.setdefault("registered", servicer))
    if not fast:
        monkeypatch.setattr(_servicer, "SDK_SOURCE_HASHES", {"PolicyPack.__init__": "changed"})
    policies = [ResourceValidationPolicy("p1", "d", lambda args, report: None)]
    fastpath.run_policy_pack(wrap_servicer=lambda s: ("wrapped", s), name="p", policies=policies)
    tag, servicer = seen["registered"]
    assert tag == "wrapped" and isinstance(servicer, FastAnalyzerServicer) is fast
    assert seen["kwargs"] == {"name": "p", "policies": policies}
    assert ("stock servicer" in capsys.readouterr().err) is not fast


# -- byte-identical answers, in process -------------------------------------------------------------

def _servicers(policies: list[Any]) -> tuple[Any, Any]:
    args = ("pack", "0.0.1", policies, EnforcementLevel.ADVISORY)
    return _PolicyAnalyzerServicer(*args), FastAnalyzerServicer(*args)


def _same(stock: Any, fast: Any, method: str, request: Any) -> None:
    want = getattr(stock, method)(request, None).SerializeToString(deterministic=True)
    got = getattr(fast, method)(request, None).SerializeToString(deterministic=True)
    assert got == want, f"{method} differs"


def _configure(servicers: tuple[Any, Any], config: dict[str, tuple[int, dict[str, Any]]]) -> None:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, props) in config.items():
        request.policyConfig[name].enforcementLevel = level
        request.policyConfig[name].properties.update(props)
    for servicer in servicers:
        servicer.Configure(request, None)
        servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags={"team": "x"}), None)


def test_sdk_corners_answer_identically() -> None:
    async def later(args: Any, report: Any) -> None:
        await asyncio.sleep(0)
        report(f"async {args.get_config().get('n')}", None)

    def reads_unknown(args: Any, report: Any) -> None:
        if args.resource_type.startswith("aws:s3/bucketServerSide"):
            report(str(args.props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]), None)

    def not_applicable(args: Any, report: Any) -> None:
        args.not_applicable("not for this one")

    def typed(args: Any, report: Any) -> None:
        if args.resource_type == "aws:kms/key:Key":
            report(f"{args.name} in {args.provider.props['region']} tags={args.stack_tags}", None)

    def stack_all(args: Any, report: Any) -> None:
        for r in args.resources:
            if r.parent is not None and r.dependencies:
                report(f"{r.name} <- {r.parent.name} deps={len(r.dependencies)} "
                       f"{sorted(r.property_dependencies)}", r.urn)

    def stack_unknown(args: Any, report: Any) -> None:
        for r in args.resources:
            _ = r.props.get("rules") and r.props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]

    def stack_na(args: Any, report: Any) -> None:
        args.not_applicable()

    policies = [
        ResourceValidationPolicy("async", "async", later, EnforcementLevel.MANDATORY),
        ResourceValidationPolicy("unknown", "unknown", reads_unknown, EnforcementLevel.MANDATORY),
        ResourceValidationPolicy("na", "na", not_applicable),
        ResourceValidationPolicy("remediate-only", "r", remediate=lambda args: None),
        fastpath.TypedResourceValidationPolicy("typed", "typed", typed, EnforcementLevel.ADVISORY,
                                               resource_types=["aws:kms/key:Key"]),
        ResourceValidationPolicy("off", "off", typed, EnforcementLevel.DISABLED),
        StackValidationPolicy("stack-all", "stack", stack_all, EnforcementLevel.MANDATORY),
        StackValidationPolicy("stack-unknown", "stack", stack_unknown),
        StackValidationPolicy("stack-na", "stack", stack_na),
    ]
    plan = synthetic_plan(3)
    view = EngineView(plan)
    servicers = _servicers(policies)
    for config in ({}, {"async": (analyzer_pb2.MANDATORY, {"n": 2}), "remediate-only": (analyzer_pb2.REMEDIATE, {}),
                        "typed": (analyzer_pb2.REMEDIATE, {}), "stack-all": (analyzer_pb2.REMEDIATE, {})}):
        _configure(servicers, config)
        for r in view.resources:
            _same(*servicers, "Analyze", view.analyze_request(r))
            _same(*servicers, "Remediate", view.analyze_request(r))
        _same(*servicers, "AnalyzeStack", view.analyze_stack_request())
        _same(*servicers, "GetAnalyzerInfo", empty_pb2.Empty())


def _rule_plans() -> dict[str, dict[str, Any]]:
    """The rule tests' bad and good plans (every rule fires in one of them)."""
    return {
        "data": test_policies_data.build_plan(),
        "edge": test_policies_edge.build_plan(),
        "platform": test_policies_platform.build_plan(),
        "storage": test_policies_storage.build_plan(),
        "exemptions": test_policies_exemptions.build_plan(),
    }


# -- byte-identical JSON results, through the pack process --------------------------------------------

def _json(plan: dict[str, Any], env: dict[str, str] | None, config: dict[str, Any] | None = None) -> str:
    return json.dumps(run_check(plan, PACK, config, pack_env=env, reuse=False, workers=4).to_json(), sort_keys=True)


PLANS: dict[str, Callable[[Callable[[str], dict[str, Any]]], dict[str, Any]]] = {
    "africa": lambda repo_plan: repo_plan("africa"),
    "europe": lambda repo_plan: repo_plan("europe"),
    "asia": lambda repo_plan: repo_plan("asia"),
    "synthetic": lambda _: synthetic_plan(40),
    "synthetic-known": lambda _: synthetic_plan(20, unknown_key_arns=False),
    **{f"rules-{k}": (lambda _, k=k: _rule_plans()[k]) for k in ("data", "edge", "platform", "storage", "exemptions")},
}


@pytest.mark.parametrize("name", list(PLANS))
def test_optimised_and_stock_give_byte_identical_json(repo_plan: Callable[[str], dict[str, Any]], name: str) -> None:
    plan = PLANS[name](repo_plan)
    fast, stock = _json(plan, None), _json(plan, STOCK)
    assert fast == stock
    assert json.loads(fast)["violations"], "nothing was reported: the comparison proves nothing"
