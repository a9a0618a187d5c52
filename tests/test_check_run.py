"""The check against a real pack process (tests/packs/basic), over the Analyzer gRPC protocol.
One pack process serves the whole module (a `session()`), each check its own Configure/Analyze."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from azora_infra.check import CheckSession, PolicyConfigError, PolicyPackProcess, attach, run_check, shutdown
from azora_infra.check.engine import EngineView
from azora_infra.check.run import render_text
from azora_infra.check.synthetic import SSE_TYPE, synthetic_plan

PACKS = Path(__file__).parent / "packs"
BASIC = PACKS / "basic"


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return synthetic_plan(2)


@pytest.fixture(scope="module")
def sess(plan: dict[str, Any]) -> Iterator[CheckSession]:
    proc = PolicyPackProcess(BASIC, stack=plan["stack"], project=plan["project"],
                             config={"aws:region": "af-south-1", "probe:value": "from-stack-config"})
    with attach(proc) as s:
        yield s
    assert not proc.alive()


def _urn(plan: dict[str, Any], name: str, type_: str | None = None) -> str:
    return next(r["urn"] for r in plan["resources"] if r["name"] == name and (type_ is None or r["type"] == type_))


def _echo(result: Any, policy: str, urn: str) -> dict[str, Any]:
    [v] = [v for v in result.violations if v.policy == policy and v.urn == urn]
    return json.loads(v.message.split("\n", 1)[1])


def test_pack_info_and_explicit_levels(sess: CheckSession, plan: dict[str, Any]) -> None:
    result = sess.check(plan)
    assert (result.pack_name, result.pack_version) == ("azora-test-pack", "1.2.3")  # version: PulumiPolicy.yaml
    levels = result.levels
    # mandatory policies stay mandatory: Configure sends an explicit level for every policy
    assert levels["required-tags"] == levels["kms-rotation"] == levels["sse-customer-key"] == "mandatory"
    # initialConfig without a level turns a mandatory policy advisory, as under the CLI
    assert levels["initial-props-only"] == "advisory"
    assert levels["initial-disabled"] == "disabled"
    assert list(levels) == sorted(levels)
    assert result.resources_checked == len(plan["resources"]) == 12
    assert result.exit_code == 0 and not result.mandatory_violations


def test_unknown_values_surface_as_cant_run(sess: CheckSession, plan: dict[str, Any]) -> None:
    result = sess.check(plan)
    cant = result.cant_run
    assert {v.urn for v in cant} == {_urn(plan, f"svc0000{i}-data", SSE_TYPE) for i in range(2)}
    for v in cant:
        assert (v.policy, v.enforcement_level) == ("sse-customer-key", "advisory")
        assert "kmsMasterKeyId can't be known during preview" in v.message
        assert v.to_json()["cantRun"] is True
    assert "could not run" in render_text(result)
    # with known ARNs the same mandatory policy runs and passes
    known = sess.check(synthetic_plan(2, unknown_key_arns=False))
    assert not known.cant_run and not known.of_policy("sse-customer-key")


def test_policy_receives_the_engine_request(sess: CheckSession, plan: dict[str, Any]) -> None:
    result = sess.check(plan, {"probe": {"echo": True, "types": ["aws:rds/cluster:Cluster", "aws:s3/bucket:Bucket"]}})
    db = _echo(result, "probe", _urn(plan, "svc00000-db"))
    assert db["props"]["masterPassword"] == "pw-svc00000"  # secrets: plaintext for the policy
    assert db["opts"] == {
        "protect": True, "ignoreChanges": ["masterPassword"], "deleteBeforeReplace": True, "aliases": [],
        "customTimeouts": [5400.0, 2700.0, 90.0], "additionalSecretOutputs": ["masterPassword"],
        "parent": _urn(plan, "svc00000"),
    }
    assert db["provider"]["name"] == "aws-af-south-1" and db["provider"]["props"]["region"] == "af-south-1"
    assert json.loads(db["provider"]["props"]["defaultTags"])["tags"]["azora:cost-center"] == "cc-1001"
    # the pack process runs with the CLI's PULUMI_* environment and the stack config
    assert db["env"] == {"stack": "bench", "project": "azora-platform", "organization": "organization",
                         "dryRun": True, "probe": "from-stack-config"}
    bucket = _echo(result, "probe", _urn(plan, "svc00000-data", "aws:s3/bucket:Bucket"))
    assert bucket["opts"]["aliases"] == [
        "urn:pulumi:bench::azora-platform::azora:test:Service$aws:s3/bucketV2:BucketV2::svc00000-data"]
    assert bucket["opts"]["deleteBeforeReplace"] is None  # not defined
    assert all(v.enforcement_level == "advisory" for v in result.of_policy("probe"))


def test_mandatory_violation_with_rule_resource_and_message(sess: CheckSession, plan: dict[str, Any]) -> None:
    dirty = copy.deepcopy(plan)
    key = next(r for r in dirty["resources"] if r["name"] == "svc00001-key")
    key["inputs"]["enableKeyRotation"] = False
    result = sess.check(dirty, {"required-tags": {"requiredTags": ["azora:team", "owner"]}})
    assert result.exit_code == 1
    rotation = result.of_policy("kms-rotation")
    assert [(v.urn, v.resource_type, v.enforcement_level) for v in rotation] == [
        (key["urn"], "aws:kms/key:Key", "mandatory")]
    assert "Set enable_key_rotation=True" in rotation[0].message
    tags = result.of_policy("required-tags")
    assert len(tags) == 6 and all("Missing required tags: owner" in v.message for v in tags)
    doc = result.to_json()
    assert set(doc) == {"stack", "policyPack", "resourcesChecked", "policies", "violations", "exemptions"}
    assert {"policy": "kms-rotation", "enforcementLevel": "mandatory", "urn": key["urn"],
            "resourceType": "aws:kms/key:Key", "message": rotation[0].message} in doc["violations"]
    text = render_text(result)
    assert f"{key['urn']}  (aws:kms/key:Key)" in text and "MANDATORY kms-rotation" in text
    assert text.rstrip().splitlines()[-1].startswith("FAILED: 7 mandatory")


def test_all_and_per_policy_levels(sess: CheckSession, plan: dict[str, Any]) -> None:
    cfg = {"required-tags": {"requiredTags": ["owner"]}}
    assert sess.check(plan, {**cfg, "all": "advisory"}).exit_code == 0
    result = sess.check(plan, {"all": "advisory", "required-tags": {"enforcementLevel": "mandatory",
                                                                    "requiredTags": ["owner"]}})
    assert result.levels["kms-rotation"] == "advisory" and result.levels["required-tags"] == "mandatory"
    assert result.exit_code == 1
    assert sess.check(plan, {**cfg, "required-tags": "disabled"}).of_policy("required-tags") == []


def test_config_validation_error(sess: CheckSession, plan: dict[str, Any]) -> None:
    with pytest.raises(PolicyConfigError, match="required-tags: requiredTags: 'owner' is not of type 'array'"):
        sess.check(plan, {"required-tags": {"requiredTags": "owner"}})
    with pytest.raises(PolicyConfigError, match="'loud' is not a valid enforcement level"):
        sess.check(plan, {"probe": {"enforcementLevel": "loud"}})


def test_analyze_stack_urn_mapping(sess: CheckSession, plan: dict[str, Any]) -> None:
    key = _urn(plan, "svc00000-key")
    db = _urn(plan, "svc00001-db")
    result = sess.check(plan, {"stack-probe": {"reportUrns": [key, "urn:pulumi:bench::x::t::gone"], "count": True,
                                               "echoUrn": db}})
    stack = [v for v in result.violations if v.stage == "analyzeStack"]
    root = plan["resources"][0]["urn"]
    by_urn: dict[str, list[str]] = {}
    for v in stack:
        by_urn.setdefault(v.urn, []).append(v.message.split("\n", 1)[1])
    assert by_urn[key] == [f"flagged {key}"]
    assert sorted(by_urn[root]) == ["flagged urn:pulumi:bench::x::t::gone", "resources: 12"]  # unknown → root
    assert {v.resource_type for v in stack if v.urn == root} == {"pulumi:pulumi:Stack"}
    echo = json.loads(by_urn[db][0])
    db_res = next(r for r in plan["resources"] if r["urn"] == db)
    assert echo["parent"] == db_res["parent"]
    assert echo["dependencies"] == db_res["dependencies"] == [_urn(plan, "svc00001-key")]
    assert echo["propertyDependencies"] == {"kmsKeyId": [_urn(plan, "svc00001-key")]}
    assert echo["props"]["masterPassword"] == "pw-svc00001"  # AnalyzeStack properties: outputs, plaintext
    assert echo["provider"].endswith("::aws-af-south-1")


def test_analyze_stack_cant_run_goes_to_the_root(sess: CheckSession, plan: dict[str, Any]) -> None:
    sse = _urn(plan, "svc00001-data", SSE_TYPE)  # its outputs hold an unknown key ARN
    result = sess.check(plan, {"stack-probe": {"echoUrn": sse}})
    [v] = [v for v in result.violations if v.stage == "analyzeStack"]
    assert v.cant_run and v.urn == plan["resources"][0]["urn"] and v.enforcement_level == "advisory"
    assert v.message.startswith("can't run policy 'stack-probe'")


def test_exemptions_collected(sess: CheckSession, plan: dict[str, Any]) -> None:
    exempt = copy.deepcopy(plan)
    key = next(r for r in exempt["resources"] if r["name"] == "svc00000-key")
    key["inputs"]["enableKeyRotation"] = False
    key["inputs"]["tags"]["azora:exempt"] = "kms-rotation:imported key, rotated by the vendor"
    result = sess.check(exempt)
    assert result.exit_code == 0
    assert [e.to_json() for e in result.exemptions] == [{
        "policy": "kms-rotation", "urn": key["urn"], "resourceType": "aws:kms/key:Key",
        "reason": "imported key, rotated by the vendor"}]
    assert not result.of_policy("policy-exemptions") and not result.of_policy("kms-rotation")
    assert result.to_json()["exemptions"][0]["reason"] == "imported key, rotated by the vendor"


def test_remediate_only_when_a_policy_remediates(sess: CheckSession, plan: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = sess.process.call

    def spy(method: str, request: Any, timeout: float | None = None) -> Any:
        calls.append(method)
        return real(method, request, timeout)

    monkeypatch.setattr(sess.process, "call", spy)
    sess.check(plan)
    assert "Remediate" not in calls
    assert calls.count("Analyze") == 12 and calls.count("AnalyzeStack") == 1 and calls.count("Configure") == 1
    # mandatory: the buckets lack the owner tag
    mandatory = sess.check(plan, {"owner-tag": "mandatory"})
    assert len(mandatory.of_policy("owner-tag")) == 2 and mandatory.exit_code == 1
    # remediate: Remediate runs before Analyze, its properties replace the inputs, nothing left to report
    calls.clear()
    fixed = sess.check(plan, {"owner-tag": "remediate"})
    assert calls.count("Remediate") == 12
    assert not fixed.of_policy("owner-tag") and fixed.exit_code == 0
    assert [r.properties["tags"]["owner"] for r in fixed.remediations if r.properties] == ["platform", "platform"]


def test_remediate_violations_count_as_mandatory() -> None:
    from azora_infra.check.run import Violation

    assert Violation("p", "remediate", "u", "t", "m").mandatory


def test_plan_for_another_stack_is_refused(sess: CheckSession) -> None:
    with pytest.raises(ValueError, match="use another session"):
        sess.check(synthetic_plan(1, stack="europe"))


def test_workers_give_the_same_result(sess: CheckSession, plan: dict[str, Any]) -> None:
    cfg = {"required-tags": {"requiredTags": ["owner"]}}
    assert sess.check(plan, cfg, workers=4).to_json() == sess.check(plan, cfg).to_json()


def test_analyze_stack_of_10k_resources_fits_the_message_limits(sess: CheckSession) -> None:
    """~7 MB AnalyzeStack request (over gRPC's 4 MiB default) and a 5 MB response."""
    big = EngineView(synthetic_plan(2000, stack="bench"))
    assert len(big) == 10002
    request = big.analyze_stack_request()
    assert request.ByteSize() > 4 * 1024 * 1024
    sess.check(synthetic_plan(1), {"stack-probe": {"bigReport": 5_000_000}})  # configure the stack policy
    response = sess.process.call("AnalyzeStack", request, timeout=120)
    assert response.ByteSize() > 5_000_000 and len(response.diagnostics) == 1


def test_run_check_reuses_one_process(plan: dict[str, Any]) -> None:
    from azora_infra.check import run as run_module

    shutdown()  # packs other tests of this worker left running
    try:
        first = run_check(plan, BASIC)
        [sess] = run_module._POOL.values()
        pid = sess.process.pid
        second = run_check(plan, BASIC, {"all": "disabled"})
        assert sess.process.pid == pid and len(run_module._POOL) == 1
        assert first.levels["kms-rotation"] == "mandatory" and second.violations == []
    finally:
        shutdown()
    assert not sess.process.alive() and not run_module._POOL
