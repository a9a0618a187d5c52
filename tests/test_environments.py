"""Environments beside prod: staging (`staging-africa`, `staging-europe`, `staging-asia`) and dev
(`dev`) plan next to the prod stacks without sharing a global name, staging's secondaries follow
staging's primary, dev creates no global resource, presets size each environment, and
`azora-infra validate` refuses a set that would collide (one line naming the file and the field).

The plans are the real ones (`repo_plan`: staging and dev are planned lazily, once per session)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from azora_infra import cli
from azora_infra.compose.dns_backup import build_dns
from azora_infra.config import ConfigError, Environment, Role, StackConfig, load_project, load_stack_file
from azora_infra.config.presets import (
    PRESETS,
    PROD_GLOBAL_CLUSTER,
    PROD_GLOBAL_DATASTORE,
    PROD_ZONE,
    apply_defaults,
    global_names,
)
from azora_infra.config.project import environments, peer_regions
from azora_infra.plan.model import Plan
from azora_infra.provider import allowed_accounts, region_provider
from tests.harness import ROOT, record

PlanOf = Callable[[str], dict[str, Any]]

PROD = ("africa", "europe", "asia")
STAGING = ("staging-africa", "staging-europe", "staging-asia")
ALL = (*PROD, *STAGING, "dev")

GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
GLOBAL_DATASTORE = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
CLUSTER = "aws:rds/cluster:Cluster"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"


def _global_names(plan: Plan) -> dict[str, set[str]]:
    """The names a plan gives its global resources, as AWS would know them."""
    return {
        "global cluster": {r.inputs["globalClusterIdentifier"] for r in plan.of_type(GLOBAL_CLUSTER)},
        "global datastore": {r.inputs["globalReplicationGroupIdSuffix"] for r in plan.of_type(GLOBAL_DATASTORE)},
        "zone": {r.inputs["name"] for r in plan.of_type(ZONE)},
    }


# -- plans ------------------------------------------------------------------------------------------


def test_prod_and_staging_plans_coexist_without_global_name_collisions(repo_plan: PlanOf) -> None:
    prod, staging = Plan(repo_plan("africa")), Plan(repo_plan("staging-africa"))
    # prod keeps the names it was deployed with (renaming one would replace the resource)
    assert _global_names(prod) == {"global cluster": {"azora-global"}, "global datastore": {"azora-cache"},
                                   "zone": {"azora.example"}}
    assert _global_names(staging) == {"global cluster": {"azora-staging-global"},
                                      "global datastore": {"azora-staging-cache"},
                                      "zone": {"staging.azora.example"}}
    # the identifiers the primaries export (what secondaries join) differ too
    for key in ("globalClusterIdentifier", "cacheGlobalReplicationGroupId", "hostedZoneId"):
        assert prod.outputs[key] != staging.outputs[key], key
    # and no regional cluster, cache or latency record of one environment takes a name of the other
    for kind, field in ((CLUSTER, "clusterIdentifier"), (CACHE, "replicationGroupId"), (RECORD, "name")):
        names = {s: {r.inputs[field] for st in group for r in Plan(repo_plan(st)).of_type(kind)}
                 for s, group in (("prod", ("africa",)), ("staging", STAGING))}
        assert names["prod"] and names["staging"] and not names["prod"] & names["staging"], kind


def test_staging_secondaries_join_staging_africa(repo_plan: PlanOf) -> None:
    primary = Plan(repo_plan("staging-africa")).outputs
    prod = Plan(repo_plan("africa")).outputs
    for stack in ("staging-europe", "staging-asia"):
        plan = Plan(repo_plan(stack))
        assert plan.of_type(GLOBAL_CLUSTER) == [] and plan.of_type(GLOBAL_DATASTORE) == [] and plan.of_type(ZONE) == []
        # what the StackReferences read is staging-africa's exports, never prod's
        member = plan.named(CLUSTER, "aurora-cluster")
        assert member.inputs["globalClusterIdentifier"] == primary["globalClusterIdentifier"] == "azora-staging-global"
        cache = plan.named(CACHE, "cache-rg")
        assert cache.inputs["globalReplicationGroupId"] == primary["cacheGlobalReplicationGroupId"]
        assert cache.inputs["globalReplicationGroupId"] != prod["cacheGlobalReplicationGroupId"]
        latency = plan.named(RECORD, "dns-endpoint-latency")
        assert latency.inputs["zoneId"] == primary["hostedZoneId"] != prod["hostedZoneId"]
        assert latency.inputs["name"] == "api.staging.azora.example"
        assert plan.outputs["role"] == "secondary" and plan.outputs["environment"] == "staging"


def test_a_staging_secondary_references_the_staging_primary_by_full_name() -> None:
    """The StackReference (read, not registered in the plan) asks for staging-africa."""
    asked: list[str] = []

    def outputs(ref: str) -> dict[str, Any]:
        asked.append(ref)
        return {"hostedZoneId": "ZSTAGINGZONE"}

    cfg = load_stack_file(ROOT / "Pulumi.staging-europe.yaml")

    def program() -> None:
        build_dns(cfg, "staging-europe", region_provider(cfg), alb_dns_name="eu.elb.amazonaws.com",
                  alb_zone_id="Z32O12XQLNTSW2", project_dir=ROOT)

    plan = record(program, stack="staging-europe", region="eu-west-1", stack_outputs=outputs)
    assert asked == ["organization/azora-platform/staging-africa"]
    (rec,) = plan.of_type(RECORD)
    assert rec.inputs["zoneId"] == "ZSTAGINGZONE"
    # the latency peers are staging's regions (read from the staging stack files), not prod's stacks
    endpoint = plan.named("azora:dns:RegionalEndpoint", "dns-endpoint")
    assert endpoint.outputs["latencyRegions"] == ["eu-west-1", "af-south-1", "ap-southeast-1"]


def test_dev_plans_without_any_global_resource(repo_plan: PlanOf) -> None:
    plan = Plan(repo_plan("dev"))
    for kind in (GLOBAL_CLUSTER, GLOBAL_DATASTORE, ZONE, RECORD, HEALTH_CHECK):
        assert plan.of_type(kind) == [], kind
    clusters = plan.of_type(CLUSTER)
    assert {c.inputs["clusterIdentifier"] for c in clusters} == {"azora-dev-global", "azora-dev-resident"}
    assert all(not c.inputs.get("globalClusterIdentifier") for c in clusters)
    (cache,) = plan.of_type(CACHE)
    assert not cache.inputs.get("globalReplicationGroupId")
    assert plan.outputs["role"] == "standalone" and plan.outputs["environment"] == "dev"
    for key in ("hostedZoneId", "globalClusterArn", "healthCheckId", "cacheGlobalReplicationGroupId"):
        assert key not in plan.outputs, key
    # one region: nowhere to copy backups to, no Route 53 health-check alarm in us-east-1
    assert plan.outputs["backupCopyDestinations"] and not any(plan.outputs["backupCopyDestinations"].values())
    assert "route53AlertTopicArns" not in plan.outputs


def test_dev_reads_no_stack_reference() -> None:
    cfg = load_stack_file(ROOT / "Pulumi.dev.yaml")
    asked: list[str] = []

    def outputs(ref: str) -> dict[str, Any]:
        asked.append(ref)
        return {}

    def program() -> None:
        dns = build_dns(cfg, "dev", region_provider(cfg), alb_dns_name="x.elb.amazonaws.com",
                        alb_zone_id="Z32O12XQLNTSW2", project_dir=ROOT)
        assert dns.zone is None and dns.zone_id is None and dns.endpoint is None

    plan = record(program, stack="dev", stack_outputs=outputs)
    assert asked == [] and plan.of_type(RECORD) == []
    assert cfg.role is Role.STANDALONE and cfg.primary_stack is None
    with pytest.raises(ValueError, match="a standalone stack has no primary stack"):
        _ = cfg.primary


def test_staging_is_smaller_than_prod_in_the_plans(repo_plan: PlanOf) -> None:
    prod, staging = Plan(repo_plan("africa")), Plan(repo_plan("staging-africa"))
    assert prod.named(CACHE, "cache-rg").inputs["numNodeGroups"] == 2
    assert staging.named(CACHE, "cache-rg").inputs["numNodeGroups"] == 1
    assert staging.named(CACHE, "cache-rg").inputs["nodeType"] == "cache.m7g.large"

    def desired(plan: Plan) -> int:
        return sum(g.inputs["scalingConfig"]["desiredSize"] for g in plan.of_type("aws:eks/nodeGroup:NodeGroup"))

    assert 0 < desired(staging) < desired(prod)


# -- presets ----------------------------------------------------------------------------------------


def test_presets_size_each_environment() -> None:
    stacks = load_project(ROOT)
    prod, staging, dev = stacks["africa"], stacks["staging-africa"], stacks["dev"]
    assert prod.cache.shards > staging.cache.shards == dev.cache.shards == 1
    assert prod.eks.karpenter.cpu_limit > staging.eks.karpenter.cpu_limit > dev.eks.karpenter.cpu_limit
    assert prod.database.backup_retention_days > staging.database.backup_retention_days
    assert (prod.preset.protect, staging.preset.protect, dev.preset.protect) == (True, False, False)
    assert (prod.preset.chaos, staging.preset.chaos, dev.preset.chaos) == (False, True, False)
    assert not dev.nat_per_az and staging.nat_per_az
    # dev is standalone: burstable nodes allowed (nothing global), no global datastore
    assert dev.cache.node_type == "cache.t4g.small" and not dev.cache.global_datastore
    assert dev.database.global_database.instances["writer"].instance_class == "db.t4g.medium"


def _nested(path: list[str], value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(path):
        out = {part: out}
    return dict(out)


def test_prod_preset_equals_the_section_models_defaults() -> None:
    """So a prod stack file plans exactly as before presets filled anything in."""
    fields = StackConfig.model_fields
    by_alias = {(f.alias or name): name for name, f in fields.items()}
    for path, value in PRESETS[Environment.PROD].defaults.items():
        section, *rest = path.split(".")
        factory = fields[by_alias.get(section, section)].default_factory
        assert factory is not None, path
        default = factory()  # type: ignore[call-arg]
        filled = type(default).model_validate(_nested(rest, value))
        assert filled.model_dump() == default.model_dump(), path


def test_a_file_setting_wins_over_the_preset(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "Pulumi.staging-africa.yaml").read_text(encoding="utf-8"))
    raw["config"]["azora:cache"] = {"shards": 3}
    raw["config"]["azora:database"] = {"globalDatabase": {"identifier": "azora-stg-gdb"}}
    path = tmp_path / "Pulumi.staging-africa.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    cfg = load_stack_file(path)
    assert cfg.cache.shards == 3 and cfg.cache.node_type == "cache.m7g.large"  # the rest still from the preset
    assert cfg.global_names.global_cluster == "azora-stg-gdb"
    assert cfg.global_names.zone == "staging.azora.example"


def test_preset_defaults_fill_only_what_the_file_leaves_out() -> None:
    defaults = {"cache.shards": 1, "cache.nodeType": "cache.m7g.large", "eks.karpenter.cpuLimit": 64,
                "edge.gateway.minReplicas": 3}
    raw = {"cache": {"shards": 4}, "eks": {"karpenter": {"cpu_limit": 8}}, "edge": "not a mapping"}
    out = apply_defaults(raw, defaults)
    # the file's value wins (camelCase or the model's snake_case name), a missing one is filled in
    assert out["cache"] == {"shards": 4, "nodeType": "cache.m7g.large"}
    assert out["eks"] == {"karpenter": {"cpu_limit": 8}}
    assert out["edge"] == "not a mapping"  # left for the section's own validation to report
    assert raw == {"cache": {"shards": 4}, "eks": {"karpenter": {"cpu_limit": 8}}, "edge": "not a mapping"}
    assert apply_defaults({}, defaults)["eks"] == {"karpenter": {"cpuLimit": 64}}


@pytest.mark.parametrize("suffix", ["Azora", "azora--cache", "-azora", "a" * 35])
def test_a_bad_global_datastore_suffix_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   suffix: str) -> None:
    _repo_copy(tmp_path)
    for stack in STAGING:
        _edit(tmp_path, stack, cache__globalDatastoreSuffix=suffix)
    assert _validate(tmp_path, capsys).startswith(
        f"azora-infra validate: Pulumi.staging-africa.yaml: azora:cache.globalDatastoreSuffix: {suffix!r} is not a "
        "global datastore suffix")


def test_global_names_are_scoped_by_environment() -> None:
    prod = global_names(Environment.PROD)
    assert (prod.global_cluster, prod.global_datastore, prod.zone) == (PROD_GLOBAL_CLUSTER, PROD_GLOBAL_DATASTORE,
                                                                       PROD_ZONE) == ("azora-global", "azora-cache",
                                                                                      "azora.example")
    assert prod.regional_prefix == "azora"  # KMS aliases and vaults as deployed
    staging = global_names(Environment.STAGING)
    assert (staging.global_cluster, staging.global_datastore, staging.zone, staging.regional_prefix) == (
        "azora-staging-global", "azora-staging-cache", "staging.azora.example", "azora-staging")
    names = [global_names(e) for e in Environment]
    for attr in ("global_cluster", "global_datastore", "zone", "account_prefix", "regional_prefix"):
        assert len({getattr(n, attr) for n in names}) == len(names), attr


# -- the repo's seven stacks ------------------------------------------------------------------------


def test_the_seven_stacks_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("7 stacks valid")
    for stack in ALL:
        assert f"\n{stack}: " in f"\n{out}", stack
    sets = environments(load_project(ROOT))
    assert {env: sorted(members) for env, members in sets.items()} == {
        Environment.PROD: sorted(PROD), Environment.STAGING: sorted(STAGING), Environment.DEV: ["dev"]}
    assert [n for n, c in sets[Environment.STAGING].items() if c.is_primary] == ["staging-africa"]
    assert {c.primary_stack for c in sets[Environment.STAGING].values()} == {"staging-africa"}


@pytest.mark.parametrize("stack", ALL)
def test_every_stack_plans(repo_plan: PlanOf, stack: str) -> None:
    plan = Plan(repo_plan(stack))
    cfg = load_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    assert plan.outputs["region"] == cfg.region and plan.outputs["environment"] == cfg.environment.value
    assert len(plan) > 300


def test_backups_are_copied_within_the_environment() -> None:
    assert peer_regions("staging-africa", "af-south-1", ROOT) == ("ap-southeast-1", "eu-west-1")
    assert peer_regions("africa", "af-south-1", ROOT) == ("ap-southeast-1", "eu-west-1")
    assert peer_regions("dev", "af-south-1", ROOT) == ()


# -- validate refuses a colliding set ---------------------------------------------------------------


def _repo_copy(tmp: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp / "Pulumi.yaml")
    for stack in ALL:
        shutil.copy(ROOT / f"Pulumi.{stack}.yaml", tmp / f"Pulumi.{stack}.yaml")
    return tmp


def _edit(tmp: Path, stack: str, **settings: Any) -> None:
    """Set `azora:<key>` (``a__b`` is the nested ``a.b``) in the copied stack file."""
    path = tmp / f"Pulumi.{stack}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in settings.items():
        top, *rest = key.split("__")
        node = raw["config"].setdefault(f"azora:{top}", {}) if rest else raw["config"]
        for part in rest[:-1]:
            node = node.setdefault(part, {})
        node[rest[-1] if rest else f"azora:{top}"] = value
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")


def _validate(tmp: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["validate", "--program", str(tmp)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err  # one line, never a traceback
    return lines[0]


def test_validate_accepts_the_copied_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--program", str(_repo_copy(tmp_path))]) == 0
    assert "7 stacks valid" in capsys.readouterr().out


def test_validate_refuses_a_second_primary_in_one_environment(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    _edit(_repo_copy(tmp_path), "staging-europe", role="primary")
    assert _validate(tmp_path, capsys) == (
        "azora-infra validate: Pulumi.staging-europe.yaml: azora:role: exactly one staging stack must be primary "
        "(primary now: staging-africa, staging-europe)")


def test_one_primary_per_environment_not_per_project(tmp_path: Path) -> None:
    """prod's primary and staging's primary coexist; a staging secondary naming prod's primary does not."""
    stacks = load_project(_repo_copy(tmp_path))
    assert sorted(n for n, c in stacks.items() if c.is_primary) == ["africa", "staging-africa"]
    _edit(tmp_path, "staging-asia", primaryStack="africa")
    with pytest.raises(ConfigError, match=r"^Pulumi.staging-asia.yaml: azora:primaryStack: 'africa' is not the "
                                          r"primary stack of staging \('staging-africa'\)$"):
        load_project(tmp_path)


def test_validate_refuses_overlapping_cidrs_across_environments(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _edit(_repo_copy(tmp_path), "staging-europe", network__cidr="10.20.0.0/18")  # inside prod europe's /16
    assert _validate(tmp_path, capsys) == (
        "azora-infra validate: Pulumi.staging-europe.yaml: azora:network.cidr: 10.20.0.0/18 overlaps "
        "10.20.0.0/16 of stack europe")


def test_validate_refuses_overlapping_cidrs_within_staging(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(_repo_copy(tmp_path), "staging-europe", network__cidr="10.110.32.0/19")  # inside staging-africa's /18
    assert _validate(tmp_path, capsys) == (
        "azora-infra validate: Pulumi.staging-europe.yaml: azora:network.cidr: 10.110.32.0/19 overlaps "
        "10.110.0.0/18 of stack staging-africa")


@pytest.mark.parametrize(("key", "value", "field", "what"), [
    ("database__globalDatabase__identifier", "azora-global", "database.globalDatabase.identifier",
     "Aurora global cluster"),
    ("cache__globalDatastoreSuffix", "azora-cache", "cache.globalDatastoreSuffix",
     "ElastiCache global datastore suffix"),
    ("dns__domain", "azora.example", "dns.domain", "public zone"),
])
def test_validate_refuses_global_names_colliding_across_environments(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: str, field: str, what: str) -> None:
    _repo_copy(tmp_path)
    for stack in STAGING:  # the whole environment takes prod's name (a secondary must follow its primary)
        _edit(tmp_path, stack, **{key: value})
    assert _validate(tmp_path, capsys) == (
        f"azora-infra validate: Pulumi.staging-africa.yaml: azora:{field}: {value} is already the {what} of prod "
        "(stack africa): give staging its own")


def test_validate_refuses_a_secondary_with_its_own_global_name(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    _edit(_repo_copy(tmp_path), "staging-asia", dns__domain="asia.staging.azora.example")
    assert _validate(tmp_path, capsys) == (
        "azora-infra validate: Pulumi.staging-asia.yaml: azora:dns.domain: asia.staging.azora.example differs "
        "from the primary stack's staging.azora.example: a secondary uses its primary's (set it in "
        "Pulumi.staging-africa.yaml)")


def test_validate_refuses_colliding_host_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(_repo_copy(tmp_path), "staging-europe", edge__hostname="europe.azora.example")
    assert _validate(tmp_path, capsys) == (
        "azora-infra validate: Pulumi.staging-europe.yaml: azora:edge.hostname: europe.azora.example is already the "
        "host name of stack europe")


def test_validate_refuses_a_second_stack_beside_a_standalone_one(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _repo_copy(tmp_path)
    raw = yaml.safe_load((tmp_path / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    raw["config"].update({"aws:region": "eu-west-1", "azora:region": "eu-west-1",
                          "azora:network": {"cidr": "10.201.0.0/20", "azCount": 2}})
    (tmp_path / "Pulumi.dev-europe.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert _validate(tmp_path, capsys) == (
        "azora-infra validate: Pulumi.dev-europe.yaml: azora:role: dev already has the standalone stack dev: a "
        "standalone stack is its environment's only stack (make dev a primary to add regions)")


@pytest.mark.parametrize(("settings", "message"), [
    ({"primaryStack": "dev"}, "azora:primaryStack: a standalone stack has no primary"),
    ({"cache__globalDatastore": True, "cache__nodeType": "cache.m7g.large"},
     "azora:cache.globalDatastore: a standalone stack joins no global datastore"),
    ({"role": "secondary"}, "azora:primaryStack: is required for a secondary stack"),
    ({"accountId": "12345"}, "azora:accountId: '12345' is not an AWS account id (12 digits)"),
])
def test_a_bad_dev_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    settings: dict[str, Any], message: str) -> None:
    _edit(_repo_copy(tmp_path), "dev", **settings)
    line = _validate(tmp_path, capsys)
    assert line.startswith(f"azora-infra validate: Pulumi.dev.yaml: {message}"), line


# -- environments sharing an AWS account -----------------------------------------------------------


def test_environments_in_one_account_must_not_share_a_region(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _repo_copy(tmp_path)
    for stack in ("africa", "staging-africa"):
        _edit(tmp_path, stack, accountId="111111111111")
    line = _validate(tmp_path, capsys)
    assert line.startswith("azora-infra validate: Pulumi.staging-africa.yaml: azora:accountId: 111111111111 is also "
                           "the account of africa (prod) in af-south-1: two environments cannot share a region")


def test_environments_in_one_account_own_account_wide_parts_once(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _repo_copy(tmp_path)
    _edit(tmp_path, "staging-africa", accountId="222222222222")
    _edit(tmp_path, "dev", accountId="222222222222", region="eu-west-2")
    raw = yaml.safe_load((tmp_path / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    raw["config"]["aws:region"] = "eu-west-2"
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    line = _validate(tmp_path, capsys)
    assert "Pulumi.staging-africa.yaml: azora:accountId: 222222222222 is also the account of dev, which leads dev" \
        in line and "cost-allocation tag activation" in line
    # one of them turns it off: both fit in the account
    _edit(tmp_path, "dev", cost__activateTags=False)
    assert len(load_project(tmp_path)) == 7
    # stacks of one environment in one account are that environment's own business
    _edit(tmp_path, "staging-europe", accountId="222222222222")
    assert len(load_project(tmp_path)) == 7


def test_a_declared_account_pins_every_provider() -> None:
    cfg = load_stack_file(ROOT / "Pulumi.africa.yaml")
    assert cfg.account_id is None and allowed_accounts(cfg) is None
    pinned = cfg.model_copy(update={"account_id": "333333333333"})
    assert allowed_accounts(pinned) == ["333333333333"]

    def program() -> None:
        region_provider(pinned)

    plan = record(program, stack="africa")
    (provider,) = plan.of_type("pulumi:providers:aws")
    assert provider.inputs["allowedAccountIds"] in (["333333333333"], '["333333333333"]')


def test_stack_configs_know_who_leads_their_environment() -> None:
    stacks = load_project(ROOT)
    leads = sorted(n for n, c in stacks.items() if c.leads_environment)
    assert leads == ["africa", "dev", "staging-africa"]
    assert sorted(n for n, c in stacks.items() if not c.joins_global) == ["dev"]
    assert stacks["staging-asia"].primary == "staging-africa"
