"""RegionalCache and `azora:cache`: cluster mode, Multi-AZ, encryption, RBAC, logs, global datastore."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra.compose.cache_edge import build_cache
from azora_infra.config import ConfigError, parse_config, validate_stacks
from azora_infra.config.cache import CacheConfig, parameter_group_family
from azora_infra.config.project import check_global_datastore
from azora_infra.plan.model import Plan
from components.cache import PRIMARY_IGNORE, SECONDARY_IGNORE, RegionalCache, RegionalCacheArgs
from tests.harness import ALERTING, record

RG = "aws:elasticache/replicationGroup:ReplicationGroup"
GRG = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
KEY = {p: f"arn:aws:kms:af-south-1:123456789012:key/{p}" for p in ("data", "logs", "secrets")}
GLOBAL_ID = "ldgnf-azora-cache"


def _args(**kw: Any) -> RegionalCacheArgs:
    base: dict[str, Any] = dict(
        region="af-south-1", identifier="azora-test-cache", vpc_id="vpc-1", subnet_group_name="net-cache",
        allowed_security_group_ids=["sg-nodes"], data_key_arn=KEY["data"], logs_key_arn=KEY["logs"],
        secrets_key_arn=KEY["secrets"], shards=3, replicas_per_shard=2, log_retention_days=90)
    return RegionalCacheArgs(**{**base, **kw})


def _cache(**kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        RegionalCache("cache", _args(**kw), provider)
    return record(program)


@pytest.fixture(scope="module")
def primary() -> Plan:
    return _cache(global_role="primary", global_suffix="azora-cache")


def _stack_config(stack: str, region: str, role: str, cache: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "aws:region": region, "azora:region": region, "azora:role": role, "azora:primaryStack": "africa",
        "azora:network": {"cidr": "10.20.0.0/16"},
        "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
        "azora:alerting": ALERTING,
    }
    if cache is not None:
        cfg["azora:cache"] = cache
    return cfg


@pytest.fixture(scope="module")
def secondary() -> Plan:
    """A secondary (europe) joining the global datastore the primary stack exports."""
    raw = _stack_config("europe", "eu-west-1", "secondary")
    cfg = parse_config(raw, "Pulumi.europe.yaml")
    refs: list[str] = []

    def outputs(ref: str) -> dict[str, Any]:
        refs.append(ref)
        return {"cacheGlobalReplicationGroupId": GLOBAL_ID} if ref.endswith("/africa") else {}

    def program() -> None:
        provider = aws.Provider("aws-eu-west-1", region="eu-west-1")
        from components.kms import RegionKeys, RegionKeysArgs
        from components.network import RegionalNetwork, RegionalNetworkArgs
        keys = RegionKeys("keys", RegionKeysArgs(region="eu-west-1"), provider)
        network = RegionalNetwork("network", RegionalNetworkArgs(
            cidr="10.20.0.0/16", azs=cfg.azs, region="eu-west-1", logs_key_arn=keys.logs_key_arn), provider)
        build_cache(cfg, "europe", provider, keys, network, ["sg-nodes"])

    plan = record(program, stack="europe", region="eu-west-1", config=raw, stack_outputs=outputs)
    assert refs == ["organization/azora-platform/africa"]
    return plan


def test_cluster_mode_shards_and_replicas(primary: Plan) -> None:
    rg = primary.named(RG, "cache-rg").inputs
    assert rg["clusterMode"] == "enabled"
    assert rg["numNodeGroups"] == 3 and rg["replicasPerNodeGroup"] == 2
    assert "numCacheClusters" not in rg
    params = primary.named("aws:elasticache/parameterGroup:ParameterGroup", "cache-params").inputs
    assert params["family"] == "valkey8"
    assert {"name": "cluster-enabled", "value": "yes"} in params["parameters"]
    assert rg["parameterGroupName"] == params["name"]


def test_multi_az_failover_and_isolated_subnets(primary: Plan) -> None:
    rg = primary.named(RG, "cache-rg").inputs
    assert rg["multiAzEnabled"] is True and rg["automaticFailoverEnabled"] is True
    assert rg["subnetGroupName"] == "net-cache"
    assert rg["snapshotRetentionLimit"] == 7 and rg["snapshotWindow"] == "01:00-02:00"
    assert rg["maintenanceWindow"] == "sun:03:00-sun:04:00" and rg["autoMinorVersionUpgrade"] is True


def test_encrypted_at_rest_with_the_data_key_and_tls_required(primary: Plan) -> None:
    rg = primary.named(RG, "cache-rg").inputs
    assert rg["atRestEncryptionEnabled"] is True and rg["kmsKeyId"] == KEY["data"]
    assert rg["transitEncryptionEnabled"] is True and rg["transitEncryptionMode"] == "required"
    assert rg["tags"]["azora:data-class"] == "confidential"


def test_only_the_node_security_group_reaches_6379(primary: Plan) -> None:
    sg = primary.named("aws:ec2/securityGroup:SecurityGroup", "cache-sg").inputs
    assert sg["ingress"] == [{"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "securityGroups": ["sg-nodes"],
                              "description": "Valkey/Redis (TLS) from the application nodes"}]
    assert all("cidrBlocks" not in rule for rule in sg["ingress"]) and sg["egress"] == []
    sg_id = primary.named("aws:ec2/securityGroup:SecurityGroup", "cache-sg").outputs["id"]
    assert primary.named(RG, "cache-rg").inputs["securityGroupIds"] == [sg_id]


def test_nobody_connects_without_source_groups() -> None:
    sg = _cache(allowed_security_group_ids=[]).named("aws:ec2/securityGroup:SecurityGroup", "cache-sg")
    assert sg.inputs.get("ingress", []) == []


def test_rbac_default_user_off_app_user_in_kms_secret(primary: Plan) -> None:
    users = {u.inputs["userName"]: u.inputs for u in primary.of_type("aws:elasticache/user:User")}
    assert users["default"]["accessString"] == "off -@all"
    assert users["default"]["userId"] != "default"
    assert users["azora-app"]["authenticationMode"]["type"] == "password"
    group = primary.named("aws:elasticache/userGroup:UserGroup", "cache-users").inputs
    assert sorted(group["userIds"]) == sorted(u["userId"] for u in users.values())
    assert primary.named(RG, "cache-rg").inputs["userGroupIds"] == [group["userGroupId"]]
    secret = primary.named("aws:secretsmanager/secret:Secret", "cache-app-secret").inputs
    assert secret["kmsKeyId"] == KEY["secrets"]
    doc = json.loads(primary.named("aws:secretsmanager/secretVersion:SecretVersion", "cache-app-secret")
                     .inputs["secretString"])
    password = primary.named("random:index/randomPassword:RandomPassword", "cache-app-user").outputs["result"]
    assert doc["username"] == "azora-app" and doc["password"] == password and doc["tls"] is True
    assert doc["host"].startswith("clustercfg.azora-test-cache")
    assert users["azora-app"]["authenticationMode"]["passwords"] == [password]


def test_slow_and_engine_logs_to_kms_log_groups(primary: Plan) -> None:
    groups = {g.inputs["name"]: g.inputs for g in primary.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert set(groups) == {"/aws/elasticache/azora-test-cache/slow-log", "/aws/elasticache/azora-test-cache/engine-log"}
    assert all(g["kmsKeyId"] == KEY["logs"] and g["retentionInDays"] == 90 for g in groups.values())
    deliveries = primary.named(RG, "cache-rg").inputs["logDeliveryConfigurations"]
    assert {(d["logType"], d["destination"], d["destinationType"], d["logFormat"]) for d in deliveries} == {
        ("slow-log", "/aws/elasticache/azora-test-cache/slow-log", "cloudwatch-logs", "json"),
        ("engine-log", "/aws/elasticache/azora-test-cache/engine-log", "cloudwatch-logs", "json")}


def test_primary_creates_the_global_group_protected(primary: Plan) -> None:
    rg = primary.named(RG, "cache-rg")
    grg = primary.named(GRG, "cache-global")
    assert grg.inputs["primaryReplicationGroupId"] == rg.outputs["id"]
    assert grg.inputs["globalReplicationGroupIdSuffix"] == "azora-cache"
    assert grg.inputs["cacheNodeType"] == "cache.r7g.large" and grg.inputs["numNodeGroups"] == 3
    assert grg.options["protect"] is True and grg.options["ignoreChanges"] == ["primaryReplicationGroupId"]
    assert rg.options["protect"] is True and rg.options["ignoreChanges"] == PRIMARY_IGNORE
    assert rg.inputs["finalSnapshotIdentifier"] == "azora-test-cache-final"


def test_secondary_joins_by_stack_reference_without_inherited_settings(secondary: Plan) -> None:
    rg = secondary.named(RG, "cache-rg")
    assert rg.inputs["globalReplicationGroupId"] == GLOBAL_ID
    for inherited in ("engine", "engineVersion", "nodeType", "numNodeGroups", "parameterGroupName",
                      "atRestEncryptionEnabled", "transitEncryptionEnabled", "transitEncryptionMode"):
        assert inherited not in rg.inputs, inherited
    keys = {k.inputs["tags"]["azora:key-purpose"]: k.outputs["arn"] for k in secondary.of_type("aws:kms/key:Key")}
    assert rg.inputs["kmsKeyId"] == keys["data"] and ":eu-west-1:" in keys["data"]
    assert rg.inputs["replicasPerNodeGroup"] == 1
    assert rg.options["ignoreChanges"] == SECONDARY_IGNORE
    assert secondary.of_type(GRG) == [] and secondary.of_type("aws:elasticache/parameterGroup:ParameterGroup") == []
    assert len(secondary.of_type("aws:elasticache/user:User")) == 2  # RBAC users are per region


def test_regional_cache_and_dev_preset() -> None:
    plan = _cache(global_role="none", protect=False, data_class="personal")
    rg = plan.named(RG, "cache-rg")
    assert plan.of_type(GRG) == [] and rg.options["protect"] is False and rg.options["ignoreChanges"] == []
    assert "finalSnapshotIdentifier" not in rg.inputs and rg.inputs["tags"]["azora:data-class"] == "personal"


def test_component_refuses_personal_data_in_a_global_datastore() -> None:
    with pytest.raises(ValueError, match="personal"):
        _validate_only(global_role="primary", data_class="personal")
    with pytest.raises(ValueError, match="global_replication_group_id"):
        _validate_only(global_role="secondary")


def test_component_on_its_own_refuses_what_a_global_datastore_cannot_hold() -> None:
    """Used without the stack config, the component still refuses what AWS would: a primary of
    a small or unsupported node type, and a member in a region without global datastores."""
    with pytest.raises(ValueError, match=r"cache\.t4g\.medium cannot be in a global datastore"):
        _validate_only(global_role="primary", node_type="cache.t4g.medium")
    with pytest.raises(ValueError, match="not available in ap-east-2"):
        _validate_only(global_role="secondary", region="ap-east-2", global_replication_group_id=GLOBAL_ID)
    # a regional cache may be small; a secondary inherits the primary's node type (its own is unused)
    _validate_only(global_role="none", node_type="cache.t4g.medium", region="ap-east-2")
    _validate_only(global_role="secondary", node_type="cache.t4g.medium", global_replication_group_id=GLOBAL_ID)


def _validate_only(**kw: Any) -> None:
    from components.cache import _validate
    _validate(_args(**kw))


# --- config ---------------------------------------------------------------------------------------

def test_personal_cache_refused_in_the_global_datastore_with_the_field() -> None:
    raw = _stack_config("africa", "af-south-1", "primary", {"dataClass": "personal"})
    with pytest.raises(ConfigError) as err:
        parse_config(raw, "Pulumi.africa.yaml")
    assert str(err.value) == (
        "Pulumi.africa.yaml: azora:cache.globalDatastore: a cache with dataClass personal cannot join the "
        "global datastore: it would copy personal data to the other regions, and personal data stays in its "
        "jurisdiction (set globalDatastore: false, or cache non-personal data only)")
    ok = parse_config(_stack_config("africa", "af-south-1", "primary",
                                    {"dataClass": "personal", "globalDatastore": False}), "Pulumi.africa.yaml")
    assert ok.cache.global_datastore is False


@pytest.mark.parametrize(("cache", "field", "fragment"), [
    ({"nodeType": "cache.t4g.medium"}, "azora:cache.nodeType", "cannot be in a global datastore"),
    ({"replicasPerShard": 0}, "azora:cache.replicasPerShard", ""),
    ({"snapshotRetentionDays": 0}, "azora:cache.snapshotRetentionDays", ""),
    ({"snapshotWindow": "02:30-03:30"}, "azora:cache.snapshotWindow", "overlaps the maintenance window"),
    ({"engine": "memcached"}, "azora:cache.engine", ""),
])
def test_cache_config_errors(cache: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(_stack_config("africa", "af-south-1", "primary",
                                   {**cache, "maintenanceWindow": "sun:03:00-sun:04:00"}), "Pulumi.africa.yaml")
    assert err.value.field == field and fragment in err.value.message


def test_defaults_and_families() -> None:
    c = CacheConfig()
    assert (c.engine, c.version, c.node_type, c.global_datastore, c.data_class.value) == (
        "valkey", "8.0", "cache.r7g.large", True, "confidential")
    assert parameter_group_family("redis", "7.1") == "redis7"
    assert parameter_group_family("redis", "6.2") == "redis6.x"


def test_project_allows_at_most_two_secondaries_matching_the_primary() -> None:
    def cfg(stack: str, region: str, role: str, cidr: str, cache: dict[str, Any] | None = None) -> Any:
        raw = _stack_config(stack, region, role, cache)
        raw["azora:network"] = {"cidr": cidr}
        return parse_config(raw, f"Pulumi.{stack}.yaml")

    stacks = {"africa": cfg("africa", "af-south-1", "primary", "10.10.0.0/16"),
              "europe": cfg("europe", "eu-west-1", "secondary", "10.20.0.0/16"),
              "asia": cfg("asia", "ap-southeast-1", "secondary", "10.30.0.0/16")}
    validate_stacks(stacks)
    check_global_datastore(stacks)  # exactly AWS's limit: 1 primary + 2 secondaries
    fourth = {**stacks, "london": cfg("london", "eu-west-2", "secondary", "10.40.0.0/16")}
    with pytest.raises(ConfigError, match="at most 2 secondary regions") as err:
        check_global_datastore(fourth)
    assert str(err.value).startswith("Pulumi.london.yaml: azora:cache.globalDatastore:")
    regional = {**fourth, "london": cfg("london", "eu-west-2", "secondary", "10.40.0.0/16",
                                        {"globalDatastore": False})}
    check_global_datastore(regional)
    mismatch = {**stacks, "asia": cfg("asia", "ap-southeast-1", "secondary", "10.30.0.0/16", {"shards": 4})}
    with pytest.raises(ConfigError, match=r"Pulumi\.asia\.yaml: azora:cache\.shards: 4 differs"):
        check_global_datastore(mismatch)
    orphan = {**stacks, "africa": cfg("africa", "af-south-1", "primary", "10.10.0.0/16", {"globalDatastore": False})}
    with pytest.raises(ConfigError, match="primary stack has no global datastore"):
        check_global_datastore(orphan)


def test_repo_stacks_form_a_valid_global_datastore() -> None:
    from pathlib import Path

    from azora_infra.config import load_project
    from azora_infra.config.project import environments
    sets = environments(load_project(Path(__file__).resolve().parents[1]))
    for members in sets.values():
        check_global_datastore(members)
    # prod and staging each form a datastore; dev (standalone) joins none
    assert {env.value: sorted(n for n, c in m.items() if c.cache.global_datastore) for env, m in sets.items()} == {
        "prod": ["africa", "asia", "europe"], "staging": ["staging-africa", "staging-asia", "staging-europe"],
        "dev": []}


def test_only_the_primary_exports_the_global_group(repo_plan: Any) -> None:
    africa, europe = repo_plan("africa"), repo_plan("europe")
    assert africa["outputs"]["cacheGlobalReplicationGroupId"] == GLOBAL_ID
    assert "cacheGlobalReplicationGroupId" not in europe["outputs"]
