"""Unit tests of the engine side of the policy check: request builders and config reconciliation
(no pack process)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from google.protobuf import json_format

from azora_infra.check.config import (
    PolicyConfig,
    PolicyConfigError,
    PolicyInfo,
    load_policy_config_file,
    parse_policy_config,
    reconcile,
)
from azora_infra.check.engine import EngineView, alias_urns, go_duration_seconds
from azora_infra.check.pack import PackError, PackManifest, pack_environment
from azora_infra.check.synthetic import SSE_TYPE, synthetic_plan
from azora_infra.plan.values import SECRET_SIG, SIG, UNKNOWN


@pytest.fixture(scope="module")
def view() -> EngineView:
    return EngineView(synthetic_plan(2))


def _named(view: EngineView, name: str, type_: str | None = None) -> dict:
    return next(r for r in view.resources if r["name"] == name and (type_ is None or r["type"] == type_))


@pytest.mark.parametrize(("text", "seconds"), [
    ("", 0.0), (None, 0.0), ("0", 0.0), ("20m", 1200.0), ("1h30m", 5400.0), ("1.5h", 5400.0),
    ("300ms", 0.3), ("90s", 90.0), ("2h45m10s", 9910.0), ("1m0.5s", 60.5),
])
def test_go_durations(text: str | None, seconds: float) -> None:
    assert go_duration_seconds(text) == pytest.approx(seconds)


def test_invalid_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        go_duration_seconds("20 minutes")


def test_analyze_request_fields(view: EngineView) -> None:
    db = _named(view, "svc00000-db")
    req = view.analyze_request(db)
    assert (req.type, req.urn, req.name) == ("aws:rds/cluster:Cluster", db["urn"], "svc00000-db")
    opts = req.options
    # custom timeouts: Go durations in seconds
    assert (opts.customTimeouts.create, opts.customTimeouts.update, opts.customTimeouts.delete) == (5400, 2700, 90)
    assert opts.protect and list(opts.ignoreChanges) == ["masterPassword"]
    assert opts.deleteBeforeReplace and opts.deleteBeforeReplaceDefined
    assert list(opts.additionalSecretOutputs) == ["masterPassword"]
    assert opts.parent == db["parent"] and "azora:test:Service::svc00000" in opts.parent
    # the secret stays wrapped on the wire (the pack unwraps it to plaintext)
    props = json_format.MessageToDict(req.properties)
    assert props["masterPassword"] == {SIG: SECRET_SIG, "value": "pw-svc00000"}
    assert props["backupRetentionPeriod"] == 35
    # provider: type, name, URN and the provider resource's inputs (version, JSON-string defaultTags)
    assert req.HasField("provider")
    assert (req.provider.type, req.provider.name) == ("pulumi:providers:aws", "aws-af-south-1")
    assert req.provider.urn.endswith("::pulumi:providers:aws::aws-af-south-1")
    pprops = json_format.MessageToDict(req.provider.properties)
    assert pprops["region"] == "af-south-1" and pprops["version"] == "7.51.1"
    assert json.loads(pprops["defaultTags"])["tags"]["azora:team"] == "platform"


def test_custom_timeouts_always_present(view: EngineView) -> None:
    key = _named(view, "svc00000-key")
    opts = view.analyze_request(key).options
    assert opts.HasField("customTimeouts")
    assert (opts.customTimeouts.create, opts.customTimeouts.update, opts.customTimeouts.delete) == (0, 0, 0)
    assert not opts.deleteBeforeReplaceDefined


def test_no_provider_for_components_providers_and_stack(view: EngineView) -> None:
    for type_ in ("pulumi:pulumi:Stack", "pulumi:providers:aws", "azora:test:Service"):
        res = next(r for r in view.resources if r["type"] == type_)
        assert not view.analyze_request(res).HasField("provider"), type_
        assert not view.analyzer_resource(res).HasField("provider"), type_


def test_unknown_sentinel_kept(view: EngineView) -> None:
    sse = _named(view, "svc00000-data", SSE_TYPE)
    props = json_format.MessageToDict(view.analyze_request(sse).properties)
    assert props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == UNKNOWN


def test_aliases_expanded_to_urns(view: EngineView) -> None:
    bucket = _named(view, "svc00000-data", "aws:s3/bucket:Bucket")
    expected = "urn:pulumi:bench::azora-platform::azora:test:Service$aws:s3/bucketV2:BucketV2::svc00000-data"
    assert list(view.analyze_request(bucket).options.aliases) == [expected]
    res = {"urn": bucket["urn"], "type": bucket["type"], "name": "b", "parent": bucket["parent"],
           "options": {"aliases": [{"name": "old", "noParent": True}, "urn:pulumi:x::y::t::z"]}}
    assert alias_urns(res) == ["urn:pulumi:bench::azora-platform::aws:s3/bucket:Bucket::old", "urn:pulumi:x::y::t::z"]


def test_analyzer_resource_outputs_and_dependencies(view: EngineView) -> None:
    sse = _named(view, "svc00001-data", SSE_TYPE)
    res = view.analyzer_resource(sse)
    assert res.parent == sse["parent"]
    assert list(res.dependencies) == sse["dependencies"]
    assert {k: list(v.urns) for k, v in res.propertyDependencies.items()} == sse["propertyDependencies"]
    db = view.analyzer_resource(_named(view, "svc00001-db"))
    # outputs: additionalSecretOutputs wrapped as the engine stores them
    assert json_format.MessageToDict(db.properties)["masterPassword"][SIG] == SECRET_SIG
    stack = view.analyze_stack_request()
    assert len(stack.resources) == len(view) == 12


def test_real_plan_shape_maps_directly() -> None:
    """A resource exactly as build_plan records it (default provider, empty propertyDependencies)."""
    plan = {"stack": "dev", "project": "p", "resources": [
        {"urn": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", "type": "pulumi:pulumi:Stack", "name": "p-dev",
         "custom": False, "parent": None, "inputs": {}, "outputs": {"a": 1}, "provider": None, "options": {}},
        {"urn": "urn:pulumi:dev::p::pulumi:providers:aws::default_7_51_1", "type": "pulumi:providers:aws",
         "name": "default_7_51_1", "custom": True, "parent": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev",
         "inputs": {"region": "eu-west-1", "version": "7.51.1"}, "provider": None, "default": True, "options": {}},
        {"urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "type": "aws:s3/bucket:Bucket", "name": "b",
         "custom": True, "parent": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", "inputs": {"tags": {}},
         "providerRef": "urn:pulumi:dev::p::pulumi:providers:aws::default_7_51_1::abc",
         "provider": {"urn": "urn:pulumi:dev::p::pulumi:providers:aws::default_7_51_1"},
         "propertyDependencies": {"bucket": []}, "options": {"customTimeouts": {}}},
    ]}
    view = EngineView(plan)
    assert view.root_urn.endswith("::p-dev")
    req = view.analyze_request(plan["resources"][2])
    assert req.provider.name == "default_7_51_1"
    assert json_format.MessageToDict(req.provider.properties) == {"region": "eu-west-1", "version": "7.51.1"}
    assert not view.analyzer_resource(plan["resources"][2]).propertyDependencies


# -- policy config ---------------------------------------------------------------------------------

POLICIES = [
    PolicyInfo("allowed-regions", "mandatory", schema_properties={"allowedRegions": {"type": "array"}},
               schema_required=("allowedRegions",)),
    PolicyInfo("required-tags", "mandatory",
               schema_properties={"requiredTags": {"type": "array", "default": ["azora:team"]}}),
    PolicyInfo("probe", "advisory"),
]
OK = {"allowed-regions": {"allowedRegions": ["af-south-1"]}}


def test_defaults_and_own_levels() -> None:
    final = reconcile(POLICIES, None, parse_policy_config(OK))
    assert {k: v.enforcement_level for k, v in final.items()} == {
        "allowed-regions": "mandatory", "required-tags": "mandatory", "probe": "advisory"}
    assert final["required-tags"].properties == {"requiredTags": ["azora:team"]}


def test_all_then_per_policy_override() -> None:
    doc = {**OK, "all": "advisory", "required-tags": {"enforcementLevel": "mandatory", "requiredTags": ["x"]}}
    final = reconcile(POLICIES, None, parse_policy_config(doc))
    assert final["allowed-regions"].enforcement_level == "advisory"
    assert final["probe"].enforcement_level == "advisory"
    assert final["required-tags"].enforcement_level == "mandatory"
    assert final["required-tags"].properties == {"requiredTags": ["x"]}
    assert "all" not in final


def test_initial_config_without_level_means_advisory_like_the_cli() -> None:
    initial = {"required-tags": PolicyConfig("advisory", {"requiredTags": ["a"]})}  # as read from the proto
    final = reconcile(POLICIES, initial, parse_policy_config(OK))
    assert final["required-tags"].enforcement_level == "advisory"
    # and the policy-config file still wins over initialConfig
    final = reconcile(POLICIES, initial, parse_policy_config({**OK, "required-tags": "mandatory"}))
    assert final["required-tags"].enforcement_level == "mandatory"
    assert final["required-tags"].properties == {"requiredTags": ["a"]}


def test_required_property_missing() -> None:
    with pytest.raises(PolicyConfigError, match="allowed-regions: 'allowedRegions' is a required property"):
        reconcile(POLICIES, None, None)


def test_schema_type_error_and_injected_level_enum() -> None:
    with pytest.raises(PolicyConfigError, match=r"required-tags: requiredTags: 'x' is not of type 'array'"):
        reconcile(POLICIES, None, parse_policy_config({**OK, "required-tags": {"requiredTags": "x"}}))


@pytest.mark.parametrize(("doc", "message"), [
    ({"probe": "strict"}, "'strict' is not a valid enforcement level"),
    ({"probe": {"enforcementLevel": 3}}, "must be a string"),
    ({"probe": 3}, "must be a string or object"),
    ([1], "must be a JSON object"),
])
def test_malformed_policy_config(doc: object, message: str) -> None:
    with pytest.raises(PolicyConfigError, match=message):
        parse_policy_config(doc)


def test_policy_config_file(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_text('{"all": "advisory"}')
    (tmp_path / "bad.json").write_text('{"all": ')
    (tmp_path / "empty.json").write_text("  \n")
    assert load_policy_config_file(tmp_path / "ok.json") == {"all": "advisory"}
    assert load_policy_config_file(tmp_path / "empty.json") == {}
    with pytest.raises(PolicyConfigError, match="not valid JSON"):
        load_policy_config_file(tmp_path / "bad.json")
    with pytest.raises(PolicyConfigError, match="cannot read"):
        load_policy_config_file(tmp_path / "missing.json")


# -- pack manifest and environment -----------------------------------------------------------------

def test_interpreter_is_the_packs_venv_when_asked(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "PulumiPolicy.yaml").write_text(
        "runtime:\n  name: python\n  options:\n    virtualenv: venv\nversion: 2.0.0\n")
    manifest = PackManifest.load(tmp_path)
    assert manifest.version == "2.0.0" and manifest.interpreter() == sys.executable  # no venv yet
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    assert PackManifest.load(tmp_path).interpreter() == str(python)
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")  # no virtualenv asked for
    assert PackManifest.load(tmp_path).interpreter() == sys.executable


def test_manifest_errors(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"no PulumiPolicy\.yaml"):
        PackManifest.load(tmp_path)
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: nodejs\n")
    with pytest.raises(PackError, match="is not python"):
        PackManifest.load(tmp_path)


def test_pack_environment() -> None:
    env = pack_environment(organization="organization", project="azora-platform", stack="africa",
                           config={"aws:region": "af-south-1"}, base={"PATH": "/bin"})
    assert env == {"PATH": "/bin", "PULUMI_ORGANIZATION": "organization", "PULUMI_PROJECT": "azora-platform",
                   "PULUMI_STACK": "africa", "PULUMI_DRY_RUN": "true",
                   "PULUMI_CONFIG": '{"aws:region": "af-south-1"}'}
