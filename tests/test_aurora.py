"""Aurora PostgreSQL: global cluster, primary / secondary members, resident database, credentials
and rotation, config rules, and the real stacks (africa owns the global cluster, europe joins it)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from azora_infra.compose.database import build_database
from azora_infra.config import ConfigError, parse_config
from azora_infra.config.database import DatabaseConfig
from azora_infra.config.stack import StackConfig
from azora_infra.plan.model import Plan, Resource
from components.aurora import (
    GLOBAL_MEMBER_IGNORE,
    AuroraCluster,
    AuroraClusterArgs,
    AuroraGlobalDatabase,
    AuroraGlobalDatabaseArgs,
    AuroraInstanceSpec,
    ReaderAutoscaling,
    global_cluster_identifier_from,
)
from components.db_credentials import EXCLUDE_CHARACTERS, ROTATION_APP_ID
from tests.harness import ALERTING, record

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
SG = "aws:ec2/securityGroup:SecurityGroup"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SAR = "aws:serverlessrepository/cloudFormationStack:CloudFormationStack"
PASSWORD = "random:index/randomPassword:RandomPassword"
FAILOVER_FIELDS = {"globalClusterIdentifier", "replicationSourceIdentifier", "snapshotIdentifier",
                   "masterUsername", "masterPassword", "engineVersion"}
PRIMARY_REF = "organization/azora-platform/africa"


def _keys(region: str) -> dict[str, str]:
    return {f"{p}_key_arn": f"arn:aws:kms:{region}:123456789012:key/{p}" for p in ("data", "logs", "secrets")}


def _args(region: str, ident: str, **kw: Any) -> AuroraClusterArgs:
    return AuroraClusterArgs(
        region=region, cluster_identifier=ident, vpc_id="vpc-1", db_subnet_group_name="network-database",
        allowed_security_group_ids=["sg-eks-nodes"], database_subnet_ids=["subnet-db-a", "subnet-db-b"],
        endpoint_security_group_id="sg-endpoints", data_key_arn=f"arn:aws:kms:{region}:123456789012:key/data",
        logs_key_arn=f"arn:aws:kms:{region}:123456789012:key/logs",
        secrets_key_arn=f"arn:aws:kms:{region}:123456789012:key/secrets", **kw)


def _provider(region: str) -> aws.Provider:
    return aws.Provider(f"aws-{region}", region=region,
                        default_tags=aws.ProviderDefaultTagsArgs(tags={"azora:team": "platform"}))


def _cluster(plan: Plan, ident: str) -> Resource:
    return next(r for r in plan.of_type(CLUSTER) if r.inputs["clusterIdentifier"] == ident)


def _under(plan: Plan, component: str, type_: str) -> list[Resource]:
    comp = plan.named("azora:database:AuroraCluster", component)
    return [r for r in plan.descendants(comp.urn) if r.type == type_]


@pytest.fixture(scope="module")
def primary() -> Plan:
    """af-south-1: the global cluster, its primary (2 readers) and a resident personal database."""
    def program() -> None:
        provider = _provider("af-south-1")
        glob = AuroraGlobalDatabase("global-database", AuroraGlobalDatabaseArgs(
            global_cluster_identifier="azora-global", engine_version="16.6"), provider)
        AuroraCluster("aurora", _args(
            "af-south-1", "azora-africa-global", global_role="primary",
            global_cluster_identifier=glob.global_cluster_identifier,
            instances={"writer": AuroraInstanceSpec(instance_class="db.r7g.xlarge", writer=True),
                       "reader-a": AuroraInstanceSpec(), "reader-b": AuroraInstanceSpec(promotion_tier=2)}),
            provider)
        AuroraCluster("resident", _args("af-south-1", "azora-africa-resident", data_class="personal",
                                        autoscaling=ReaderAutoscaling(min_readers=1, max_readers=4)), provider)
    return record(program)


@pytest.fixture(scope="module")
def secondary() -> tuple[Plan, list[str]]:
    """eu-west-1: a secondary joining the global cluster named by the primary stack's export."""
    asked: list[str] = []

    def outputs(ref: str) -> dict[str, Any]:
        asked.append(ref)
        return {"globalClusterIdentifier": "azora-global-from-africa"}

    def program() -> None:
        provider = _provider("eu-west-1")
        ref = pulumi.StackReference("database-primary", stack_name=PRIMARY_REF)
        AuroraCluster("aurora", _args("eu-west-1", "azora-europe-global", global_role="secondary",
                                      global_cluster_identifier=global_cluster_identifier_from(ref)), provider)
    return record(program, region="eu-west-1", stack_outputs=outputs), asked


def _stack_config(environment: str, role: str = "primary") -> StackConfig:
    return StackConfig.model_validate({
        "region": "af-south-1", "environment": environment, "role": role, "primaryStack": "africa",
        "network": {"cidr": "10.10.0.0/16"},
        "tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
    })


@pytest.fixture(scope="module")
def dev() -> Plan:
    """build_database with the dev preset: no deletion protection, no `protect`."""
    cfg = _stack_config("dev")
    keys = SimpleNamespace(**_keys("af-south-1"))
    network = SimpleNamespace(vpc_id="vpc-1", db_subnet_group_name="network-database",
                              database_subnet_ids=["subnet-a"], endpoint_security_group_id="sg-endpoints")

    def program() -> None:
        build_database(cfg, "devstack", _provider("af-south-1"), keys, network, ["sg-nodes"])  # type: ignore[arg-type]
    return record(program, stack="devstack")


# --- the global cluster ------------------------------------------------------------------------

def test_global_cluster_is_pinned_encrypted_and_deletion_protected(primary: Plan) -> None:
    (glob,) = primary.of_type(GLOBAL)
    assert glob.inputs["globalClusterIdentifier"] == "azora-global"
    assert glob.inputs["engine"] == "aurora-postgresql"
    assert glob.inputs["engineVersion"] == "16.6"
    assert glob.inputs["storageEncrypted"] is True
    assert glob.inputs["deletionProtection"] is True
    assert glob.options["protect"] is True
    assert glob.tags["azora:data-class"] == "internal"


def test_primary_joins_the_global_cluster_with_credentials(primary: Plan) -> None:
    c = _cluster(primary, "azora-africa-global")
    assert c.inputs["globalClusterIdentifier"] == "azora-global"
    assert c.inputs["masterUsername"] == "azora_admin"
    assert c.inputs["masterPassword"]
    assert c.inputs["databaseName"] == "azora"
    assert c.inputs["enableGlobalWriteForwarding"] is True  # takes effect if the primary is demoted
    assert set(c.options["ignoreChanges"]) >= FAILOVER_FIELDS
    assert c.tags["azora:data-class"] == "internal"


def test_global_database_refuses_personal_data() -> None:
    with pytest.raises(ValueError, match="personal data stays in its jurisdiction"):
        AuroraGlobalDatabase("g", AuroraGlobalDatabaseArgs(global_cluster_identifier="g", data_class="personal"),
                             None)  # type: ignore[arg-type]  # refused before any resource is built
    with pytest.raises(ValueError, match="cannot be in the global database"):
        AuroraCluster("c", _args("af-south-1", "c", data_class="personal", global_role="primary",
                                 global_cluster_identifier="g"), None)  # type: ignore[arg-type]


# --- the secondary -------------------------------------------------------------------------------

def test_secondary_has_no_credentials_and_its_own_region_key(secondary: tuple[Plan, list[str]]) -> None:
    plan, _ = secondary
    c = _cluster(plan, "azora-europe-global")
    for field in ("masterUsername", "masterPassword", "databaseName", "manageMasterUserPassword"):
        assert field not in c.inputs, field
    assert c.inputs["kmsKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/data"
    assert c.inputs["storageEncrypted"] is True
    assert c.inputs["enableGlobalWriteForwarding"] is True
    assert set(c.options["ignoreChanges"]) >= FAILOVER_FIELDS
    assert set(c.options["ignoreChanges"]) == set(GLOBAL_MEMBER_IGNORE)
    # no password, no secret, no rotation function in a secondary
    assert not plan.of_type(PASSWORD) and not plan.of_type(SECRET) and not plan.of_type(SAR)
    for inst in plan.of_type(INSTANCE):
        assert inst.inputs["performanceInsightsKmsKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/data"


def test_secondary_reads_the_global_identifier_through_the_stack_reference(
        secondary: tuple[Plan, list[str]]) -> None:
    plan, asked = secondary
    assert asked == [PRIMARY_REF]
    assert _cluster(plan, "azora-europe-global").inputs["globalClusterIdentifier"] == "azora-global-from-africa"


# --- the resident database -------------------------------------------------------------------------

def test_resident_database_is_never_in_the_global_cluster_and_is_personal(primary: Plan) -> None:
    c = _cluster(primary, "azora-africa-resident")
    assert "globalClusterIdentifier" not in c.inputs
    assert "enableGlobalWriteForwarding" not in c.inputs
    assert c.tags["azora:data-class"] == "personal"
    assert c.inputs["masterUsername"] == "azora_admin"
    for inst in _under(primary, "resident", INSTANCE):
        assert inst.tags["azora:data-class"] == "personal"
    assert "globalClusterIdentifier" not in c.options["ignoreChanges"]
    assert "masterPassword" in c.options["ignoreChanges"]


# --- instances, scaling, observability, protection ----------------------------------------------------

def test_instances_are_keyed_by_name_writer_first(primary: Plan) -> None:
    insts = {r.name: r for r in _under(primary, "aurora", INSTANCE)}
    assert set(insts) == {"aurora-writer", "aurora-reader-a", "aurora-reader-b"}
    writer = insts["aurora-writer"]
    assert writer.inputs["identifier"] == "azora-africa-global-writer"
    assert writer.inputs["instanceClass"] == "db.r7g.xlarge"
    assert writer.inputs["promotionTier"] == 0
    assert insts["aurora-reader-a"].inputs["instanceClass"] == "db.r7g.large"
    assert insts["aurora-reader-a"].inputs["promotionTier"] == 1
    assert insts["aurora-reader-b"].inputs["promotionTier"] == 2
    for name in ("aurora-reader-a", "aurora-reader-b"):  # Aurora makes the first instance the writer
        assert writer.urn in insts[name].raw["dependencies"]
    for inst in insts.values():
        i = inst.inputs
        assert i["engine"] == "aurora-postgresql"
        assert i["publiclyAccessible"] is False
        assert i["performanceInsightsEnabled"] is True
        assert i["performanceInsightsKmsKeyId"] == "arn:aws:kms:af-south-1:123456789012:key/data"
        assert i["performanceInsightsRetentionPeriod"] == 7
        assert i["monitoringInterval"] == 15
        assert i["monitoringRoleArn"].startswith("arn:aws:iam::123456789012:role/")
        assert i["autoMinorVersionUpgrade"] is True
        assert inst.tags["azora:data-class"] == "internal"


def test_enhanced_monitoring_role(primary: Plan) -> None:
    roles = _under(primary, "aurora", "aws:iam/role:Role")
    (role,) = roles
    doc = json.loads(role.inputs["assumeRolePolicy"])
    assert doc["Statement"][0]["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    # confused-deputy protection: only for DB instances of this account and region
    assert doc["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:rds:af-south-1:123456789012:db:*"}}
    (att,) = _under(primary, "aurora", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert att.inputs["policyArn"].endswith("service-role/AmazonRDSEnhancedMonitoringRole")


def test_reader_autoscaling_tracks_70_percent_cpu(primary: Plan) -> None:
    (target,) = _under(primary, "aurora", "aws:appautoscaling/target:Target")
    assert target.inputs["serviceNamespace"] == "rds"
    assert target.inputs["scalableDimension"] == "rds:cluster:ReadReplicaCount"
    assert target.inputs["resourceId"] == "cluster:azora-africa-global"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 5)
    (policy,) = _under(primary, "aurora", "aws:appautoscaling/policy:Policy")
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    tt = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tt["predefinedMetricSpecification"]["predefinedMetricType"] == "RDSReaderAverageCPUUtilization"
    assert tt["targetValue"] == 70
    assert tt["scaleInCooldown"] == 600  # scale down only after 10 minutes
    (resident_target,) = _under(primary, "resident", "aws:appautoscaling/target:Target")
    assert resident_target.inputs["maxCapacity"] == 4


def test_cluster_security_settings(primary: Plan) -> None:
    c = _cluster(primary, "azora-africa-global")
    i = c.inputs
    assert i["storageEncrypted"] is True
    assert i["kmsKeyId"] == "arn:aws:kms:af-south-1:123456789012:key/data"
    assert i["iamDatabaseAuthenticationEnabled"] is True
    assert i["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert i["backupRetentionPeriod"] == 35
    assert i["preferredBackupWindow"] == "00:30-01:30"
    assert i["copyTagsToSnapshot"] is True
    assert i["skipFinalSnapshot"] is False
    assert i["finalSnapshotIdentifier"] == "azora-africa-global-final"
    assert i["deletionProtection"] is True
    assert c.options["protect"] is True
    assert i["dbSubnetGroupName"] == "network-database"
    assert "manageMasterUserPassword" not in i  # not supported on global clusters


def test_parameter_group_forces_tls_and_logs(primary: Plan) -> None:
    (pg,) = _under(primary, "aurora", "aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert pg.inputs["family"] == "aurora-postgresql16"
    params = {p["name"]: p["value"] for p in pg.inputs["parameters"]}
    assert params["rds.force_ssl"] == "1"
    assert params["ssl_min_protocol_version"] == "TLSv1.2"
    assert params["log_connections"] == "1" and params["log_statement"] == "ddl"
    assert _cluster(primary, "azora-africa-global").inputs["dbClusterParameterGroupName"] == pg.inputs["name"]


def test_log_group_precreated_with_kms_and_retention(primary: Plan) -> None:
    (lg,) = _under(primary, "aurora", "aws:cloudwatch/logGroup:LogGroup")
    assert lg.inputs["name"] == "/aws/rds/cluster/azora-africa-global/postgresql"
    assert lg.inputs["kmsKeyId"] == "arn:aws:kms:af-south-1:123456789012:key/logs"
    assert lg.inputs["retentionInDays"] == 365
    assert lg.urn in _cluster(primary, "azora-africa-global").raw["dependencies"]


def test_database_ingress_only_from_the_given_security_groups(primary: Plan) -> None:
    db_sg = primary.named(SG, "aurora-sg")
    rotation_sg = primary.named(SG, "aurora-rotation-sg")
    (rule,) = db_sg.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (5432, 5432, "tcp")
    assert set(rule["securityGroups"]) == {"sg-eks-nodes", rotation_sg.outputs["id"]}
    assert not rule.get("cidrBlocks") and not rule.get("ipv6CidrBlocks") and not rule.get("self")
    assert db_sg.inputs["egress"] == []
    assert _cluster(primary, "azora-africa-global").inputs["vpcSecurityGroupIds"] == [db_sg.outputs["id"]]
    # the rotation function may reach only the database (5432) and the API endpoints (443)
    egress = {r.name: r.inputs for r in primary.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
              if r.inputs["securityGroupId"] == rotation_sg.outputs["id"]}
    assert {(e["fromPort"], e["referencedSecurityGroupId"]) for e in egress.values()} == {
        (5432, db_sg.outputs["id"]), (443, "sg-endpoints")}


# --- credentials ------------------------------------------------------------------------------------

def test_password_in_secrets_manager_under_the_secrets_key(primary: Plan) -> None:
    (pw,) = _under(primary, "aurora", PASSWORD)
    assert pw.inputs["length"] >= 32
    assert not set('/@" ') & set(pw.inputs["overrideSpecial"])
    (secret,) = _under(primary, "aurora", SECRET)
    assert secret.inputs["kmsKeyId"] == "arn:aws:kms:af-south-1:123456789012:key/secrets"
    assert secret.options["protect"] is True
    (version,) = _under(primary, "aurora", SECRET_VERSION)
    assert "secretString" in version.options["ignoreChanges"]  # rotation owns it afterwards
    assert version.raw["inputs"]["secretString"].get("4dabf18193072939515e22adb298388d")  # a secret
    doc = json.loads(version.inputs["secretString"])
    assert doc["engine"] == "postgres" and doc["port"] == 5432 and doc["username"] == "azora_admin"
    assert doc["password"] == pw.outputs["result"]
    assert doc["dbClusterIdentifier"] == "azora-africa-global"
    assert doc["host"].startswith("azora-africa-global.cluster-")


def test_rotation_every_30_days_by_the_aws_function(primary: Plan) -> None:
    (app,) = _under(primary, "aurora", SAR)
    assert app.inputs["applicationId"] == ROTATION_APP_ID
    assert app.inputs["semanticVersion"] == "1.1.671"
    assert set(app.inputs["capabilities"]) == {"CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"}
    p = app.inputs["parameters"]
    assert p["endpoint"] == "https://secretsmanager.af-south-1.amazonaws.com"
    assert p["functionName"] == "azora-africa-global-rotation"
    assert p["vpcSubnetIds"] == "subnet-db-a,subnet-db-b"
    assert p["vpcSecurityGroupIds"] == primary.named(SG, "aurora-rotation-sg").outputs["id"]
    assert p["kmsKeyArn"] == "arn:aws:kms:af-south-1:123456789012:key/secrets"
    assert p["excludeCharacters"] == EXCLUDE_CHARACTERS
    (rotation,) = _under(primary, "aurora", ROTATION)
    assert rotation.inputs["rotationRules"]["automaticallyAfterDays"] == 30
    assert rotation.inputs["rotationLambdaArn"] == \
        "arn:aws:lambda:af-south-1:123456789012:function:azora-africa-global-rotation"
    (secret,) = _under(primary, "aurora", SECRET)
    assert rotation.inputs["secretId"] == secret.outputs["arn"]
    # the first rotation runs at once: only after the writer exists
    writer = primary.named(INSTANCE, "aurora-writer")
    comp = primary.named("azora:database:SecretRotation", "aurora-rotation")
    assert writer.urn in comp.raw["dependencies"]
    assert len(_under(primary, "resident", ROTATION)) == 1


def test_every_child_has_the_region_provider(primary: Plan) -> None:
    for name in ("aurora", "resident"):
        children = primary.descendants(primary.named("azora:database:AuroraCluster", name).urn)
        assert len(children) > 15
        for r in children:
            if r.custom and r.type.startswith("aws:"):
                assert r.provider is not None and r.provider["name"] == "aws-af-south-1", r.name


# --- presets through build_database --------------------------------------------------------------

def test_dev_has_no_deletion_protection_and_no_protect(dev: Plan) -> None:
    clusters = {r.inputs["clusterIdentifier"]: r for r in dev.of_type(CLUSTER)}
    assert set(clusters) == {"azora-devstack-global", "azora-devstack-resident"}
    for c in clusters.values():
        assert c.inputs["deletionProtection"] is False
        assert c.options["protect"] is False
        assert c.inputs["skipFinalSnapshot"] is False  # a final snapshot even in dev
        assert c.inputs["vpcSecurityGroupIds"]
    (glob,) = dev.of_type(GLOBAL)
    assert glob.inputs["deletionProtection"] is False and glob.options["protect"] is False
    assert clusters["azora-devstack-resident"].tags["azora:data-class"] == "personal"
    assert clusters["azora-devstack-global"].tags["azora:data-class"] == "internal"


# --- config ---------------------------------------------------------------------------------------

RAW: dict[str, Any] = {
    "aws:region": "af-south-1", "azora:region": "af-south-1", "azora:role": "primary",
    "azora:primaryStack": "africa", "azora:network": {"cidr": "10.10.0.0/16"},
    "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
    "azora:alerting": ALERTING,
}


def _parse(database: dict[str, Any]) -> StackConfig:
    raw = copy.deepcopy(RAW)
    raw["azora:database"] = database
    return parse_config(raw, "Pulumi.africa.yaml")


def test_defaults_validate_without_a_database_section() -> None:
    db = parse_config(RAW, "Pulumi.africa.yaml").database
    assert db == DatabaseConfig()
    assert db.engine_version == "16.6" and db.parameter_group_family == "aurora-postgresql16"
    assert db.backup_retention_days == 35 and db.secret_rotation_days == 30
    assert db.global_database.data_class.value == "internal"
    assert db.resident.data_class.value == "personal"
    assert db.global_database.autoscaling.target_cpu_percent == 70
    assert db.global_database.writer == "writer"


@pytest.mark.parametrize(("database", "field", "message"), [
    ({"globalDatabase": {"dataClass": "personal"}}, "azora:database.globalDatabase.dataClass",
     "cannot hold personal data"),
    ({"backupRetentionDays": 36}, "azora:database.backupRetentionDays", "35"),
    ({"monitoringIntervalSeconds": 20}, "azora:database.monitoringIntervalSeconds", "enhanced monitoring"),
    ({"performanceInsightsRetentionDays": 30}, "azora:database.performanceInsightsRetentionDays", "multiple of 31"),
    ({"engineVersion": "16"}, "azora:database.engineVersion", "major.minor"),
    ({"engineVersion": "13.9"}, "azora:database.engineVersion", "14.9 or later"),
    ({"resident": {"instances": {"a": {"role": "reader"}}}}, "azora:database.resident.instances",
     "exactly one instance must have role writer"),
    ({"globalDatabase": {"instances": {"w": {"role": "writer", "instanceClass": "db.t4g.medium"}}}},
     "azora:database.globalDatabase.instances.w.instanceClass", "burstable"),
    ({"globalDatabase": {"autoscaling": {"minReaders": 4, "maxReaders": 2}}},
     "azora:database.globalDatabase.autoscaling.maxReaders", "minReaders"),
    ({"preferredBackupWindow": "02:00-02:10"}, "azora:database.preferredBackupWindow", "30 minutes"),
    ({"preferredBackupWindow": "02:00-03:00", "preferredMaintenanceWindow": "sun:02:30-sun:03:30"},
     "azora:database.preferredMaintenanceWindow", "overlaps"),
    ({"globalDatabase": {"masterUsername": "postgres"}}, "azora:database.globalDatabase.masterUsername", "reserved"),
    ({"globalDatabase": {"enabeld": True}}, "azora:database.globalDatabase.enabeld", "not a known setting"),
])
def test_config_errors_name_the_field(database: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _parse(database)
    text = str(err.value)
    assert text.startswith("Pulumi.africa.yaml: ")
    assert f"{field}: " in text, text
    assert message in text, text


def test_config_round_trip_into_the_component_args() -> None:
    cfg = _parse({"globalDatabase": {"instances": {
        "main": {"role": "writer", "instanceClass": "db.r7g.2xlarge"}, "ro": {}},
        "autoscaling": {"enabled": False}}})
    g = cfg.database.global_database
    assert {n: (i.role.value, i.instance_class, i.tier) for n, i in g.instances.items()} == {
        "main": ("writer", "db.r7g.2xlarge", 0), "ro": ("reader", "db.r7g.large", 1)}
    assert g.autoscaling.enabled is False


# --- the real stacks ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stacks(repo_plan: Callable[[str], dict[str, Any]]) -> tuple[Plan, Plan]:
    return Plan(repo_plan("africa")), Plan(repo_plan("europe"))


def test_africa_owns_the_global_cluster_and_europe_joins_it(stacks: tuple[Plan, Plan]) -> None:
    africa, europe = stacks
    (glob,) = africa.of_type(GLOBAL)
    gid = glob.inputs["globalClusterIdentifier"]
    assert africa.outputs["globalClusterIdentifier"] == gid
    assert glob.options["protect"] is True and glob.inputs["deletionProtection"] is True  # prod preset
    af = {r.inputs["clusterIdentifier"]: r for r in africa.of_type(CLUSTER)}
    assert af["azora-africa-global"].inputs["globalClusterIdentifier"] == gid
    assert "globalClusterIdentifier" not in af["azora-africa-resident"].inputs
    assert all(c.options["protect"] is True for c in af.values())
    assert not europe.of_type(GLOBAL)
    eu = {r.inputs["clusterIdentifier"]: r for r in europe.of_type(CLUSTER)}
    joined = eu["azora-europe-global"]
    assert joined.inputs["globalClusterIdentifier"] == gid  # resolved from africa's own plan
    assert "masterUsername" not in joined.inputs
    assert joined.region == "eu-west-1" and ":eu-west-1:" in joined.inputs["kmsKeyId"]
    assert eu["azora-europe-resident"].tags["azora:data-class"] == "personal"
    assert "globalClusterIdentifier" not in eu["azora-europe-resident"].inputs
    # 5432 only from the EKS nodes (and the rotation function)
    nodes = europe.outputs.get("eksNodeSecurityGroupId")
    for sg in (r for r in europe.of_type(SG) if r.name in ("aurora-sg", "resident-sg")):
        (rule,) = sg.inputs["ingress"]
        assert not rule.get("cidrBlocks")
        if nodes:
            assert nodes in rule["securityGroups"]
    for key in ("auroraClusterArn", "auroraClusterEndpoint", "residentClusterArn", "residentClusterEndpoint",
                "databaseSecretArns", "globalClusterArn"):
        assert key in europe.outputs and key in africa.outputs, key
    assert set(africa.outputs["databaseSecretArns"]) == {"global", "resident"}
    assert set(europe.outputs["databaseSecretArns"]) == {"resident"}
