"""Policy pack, data stores: encryption, RDS/Aurora, ElastiCache, data-loss, tagging, residency.

One synthetic plan holds a compliant baseline of every type (reported by nothing) and, per rule, a copy
with one change that breaks exactly that rule; the plan goes through the real pack process once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_plans import COST_TAGS, PlanBuilder, check, policies_on

DATA_KEY = "arn:aws:kms:af-south-1:123456789012:key/data"
EU_KEY = "arn:aws:kms:eu-west-1:123456789012:key/data"
INTERNAL = {"azora:data-class": "internal"}
PERSONAL = {"azora:data-class": "personal"}
T_CLUSTER = "aws:rds/cluster:Cluster"
T_INSTANCE = "aws:rds/instance:Instance"
T_MEMBER = "aws:rds/clusterInstance:ClusterInstance"
T_GLOBAL = "aws:rds/globalCluster:GlobalCluster"
T_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
T_CACHE = "aws:elasticache/cluster:Cluster"
T_CACHE_GLOBAL = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"

CLUSTER = {"engine": "aurora-postgresql", "engineVersion": "16.4", "storageEncrypted": True, "kmsKeyId": DATA_KEY,
           "backupRetentionPeriod": 14, "deletionProtection": True, "iamDatabaseAuthenticationEnabled": True,
           "port": 5433, "enabledCloudwatchLogsExports": ["postgresql"], "copyTagsToSnapshot": True,
           "skipFinalSnapshot": False, "finalSnapshotIdentifier": "final", "tags": INTERNAL}
MYSQL_CLUSTER = {**CLUSTER, "engine": "aurora-mysql", "engineVersion": "8.0.mysql_aurora.3.08.0", "port": 3307,
                 "enabledCloudwatchLogsExports": ["audit", "error", "general", "slowquery"], "backtrackWindow": 3600}
INSTANCE = {"engine": "postgres", "engineVersion": "16.4", "storageEncrypted": True, "kmsKeyId": DATA_KEY,
            "backupRetentionPeriod": 14, "multiAz": True, "publiclyAccessible": False, "deletionProtection": True,
            "iamDatabaseAuthenticationEnabled": True, "port": 5433, "enabledCloudwatchLogsExports": ["postgresql"],
            "copyTagsToSnapshot": True, "finalSnapshotIdentifier": "final", "monitoringInterval": 60,
            "monitoringRoleArn": "arn:aws:iam::123456789012:role/rds-monitoring", "performanceInsightsEnabled": True,
            "performanceInsightsKmsKeyId": DATA_KEY, "tags": INTERNAL}
MEMBER = {"clusterIdentifier": "c", "instanceClass": "db.r7g.large", "publiclyAccessible": False,
          "monitoringInterval": 60, "monitoringRoleArn": "arn:aws:iam::123456789012:role/rds-monitoring",
          "performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": DATA_KEY}
GLOBAL = {"globalClusterIdentifier": "g", "engine": "aurora-postgresql", "storageEncrypted": True,
          "deletionProtection": True, "tags": INTERNAL}
PG_PARAMS = [{"name": "rds.force_ssl", "value": "1"}, {"name": "log_statement", "value": "ddl"},
             {"name": "log_min_duration_statement", "value": "1000"}]
GROUP = {"description": "cache", "engine": "redis", "atRestEncryptionEnabled": True, "transitEncryptionEnabled": True,
         "kmsKeyId": DATA_KEY, "authToken": "s3cret-token-value", "multiAzEnabled": True,
         "automaticFailoverEnabled": True, "subnetGroupName": "network-cache", "port": 6380,
         "snapshotRetentionLimit": 7, "tags": INTERNAL}
CACHE = {"engine": "memcached", "nodeType": "cache.t4g.small", "subnetGroupName": "network-cache", "port": 11212,
         "tags": INTERNAL}


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with changes; a value of None removes the key."""
    out = {k: v for k, v in base.items() if k not in changes}
    out.update({k: v for k, v in changes.items() if v is not None})
    return out


#: (resource name, type, inputs, protect, provider key, expected policies)
CASES: list[tuple[str, str, dict[str, Any], bool, str, set[str]]] = [
    # encryption
    ("rds-storage-encrypted-bad", T_CLUSTER, variant(CLUSTER, storageEncrypted=None), True, "af",
     {"rds-storage-encrypted"}),
    ("rds-global-cluster-encrypted-bad", T_GLOBAL, variant(GLOBAL, storageEncrypted=False), True, "af",
     {"rds-global-cluster-encrypted"}),
    ("rds-cmk-bad", T_INSTANCE, variant(INSTANCE, kmsKeyId=None), True, "af", {"rds-cmk"}),
    ("rds-performance-insights-cmk-bad", T_MEMBER, variant(MEMBER, performanceInsightsKmsKeyId=None), False, "af",
     {"rds-performance-insights-cmk"}),
    ("elasticache-at-rest-encryption-bad", T_GROUP, variant(GROUP, atRestEncryptionEnabled=None), True, "af",
     {"elasticache-at-rest-encryption"}),
    ("elasticache-in-transit-encryption-bad", T_GROUP, variant(GROUP, transitEncryptionEnabled=False), True, "af",
     {"elasticache-in-transit-encryption", "elasticache-auth"}),
    ("elasticache-transit-off-secondary-bad", T_GROUP, variant(GROUP, globalReplicationGroupId="g",
                                                               transitEncryptionEnabled=False), True, "af",
     {"elasticache-in-transit-encryption", "elasticache-auth"}),
    ("elasticache-cmk-bad", T_GROUP, variant(GROUP, kmsKeyId=None), True, "af", {"elasticache-cmk"}),
    ("global-cluster-member-kms-region-bad", T_CLUSTER, variant(CLUSTER, globalClusterIdentifier="g", kmsKeyId=EU_KEY),
     True, "af", {"global-cluster-member-kms-region"}),
    # rds
    ("rds-backup-retention-bad", T_CLUSTER, variant(CLUSTER, backupRetentionPeriod=None), True, "af",
     {"rds-backup-retention"}),
    ("rds-multi-az-bad", T_INSTANCE, variant(INSTANCE, multiAz=False), True, "af", {"rds-multi-az"}),
    ("rds-multi-az-cluster-bad", T_CLUSTER, variant(CLUSTER, availabilityZones=["af-south-1a"]), True, "af",
     {"rds-multi-az"}),
    ("rds-not-public-bad", T_MEMBER, variant(MEMBER, publiclyAccessible=True), False, "af", {"rds-not-public"}),
    ("rds-iam-auth-bad", T_CLUSTER, variant(CLUSTER, iamDatabaseAuthenticationEnabled=None), True, "af",
     {"rds-iam-auth"}),
    ("rds-non-default-port-bad", T_CLUSTER, variant(CLUSTER, port=None), True, "af", {"rds-non-default-port"}),
    ("rds-log-exports-bad", T_CLUSTER, variant(MYSQL_CLUSTER, enabledCloudwatchLogsExports=["error"]), True, "eu",
     {"rds-log-exports"}),
    ("aurora-mysql-backtrack-bad", T_CLUSTER, variant(MYSQL_CLUSTER, backtrackWindow=None), True, "eu",
     {"aurora-mysql-backtrack"}),
    ("rds-enhanced-monitoring-bad", T_MEMBER, variant(MEMBER, monitoringInterval=0), False, "af",
     {"rds-enhanced-monitoring"}),
    ("rds-auto-minor-version-upgrade-bad", T_MEMBER, variant(MEMBER, autoMinorVersionUpgrade=False), False, "af",
     {"rds-auto-minor-version-upgrade"}),
    ("rds-performance-insights-bad", T_MEMBER, variant(MEMBER, performanceInsightsEnabled=None,
                                                         performanceInsightsKmsKeyId=None), False, "af",
     {"rds-performance-insights"}),
    ("rds-copy-tags-to-snapshot-bad", T_INSTANCE, variant(INSTANCE, copyTagsToSnapshot=None), True, "af",
     {"rds-copy-tags-to-snapshot"}),
    ("rds-encryption-in-transit-bad", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
     {"family": "aurora-postgresql16", "parameters": PG_PARAMS[1:]}, False, "af", {"rds-encryption-in-transit"}),
    ("rds-encryption-in-transit-mysql-bad", "aws:rds/parameterGroup:ParameterGroup",
     {"family": "mysql8.0", "parameters": []}, False, "af", {"rds-encryption-in-transit"}),
    ("rds-postgres-query-logging-bad", "aws:rds/parameterGroup:ParameterGroup",
     {"family": "postgres16", "parameters": PG_PARAMS[:1]}, False, "af", {"rds-postgres-query-logging"}),
    ("rds-modern-ca-cert-bad", T_MEMBER, variant(MEMBER, caCertIdentifier="rds-ca-2019"), False, "af",
     {"rds-modern-ca-cert"}),
    ("rds-engine-not-vulnerable-bad", T_INSTANCE, variant(INSTANCE, engineVersion="13.3"), True, "af",
     {"rds-engine-not-vulnerable"}),
    ("rds-snapshot-encrypted-bad", "aws:rds/clusterSnapshot:ClusterSnapshot",
     {"dbClusterIdentifier": "c", "dbClusterSnapshotIdentifier": "s", "storageEncrypted": False}, False, "af",
     {"rds-snapshot-encrypted"}),
    ("rds-snapshot-not-public-bad", "aws:rds/snapshot:Snapshot",
     {"dbInstanceIdentifier": "i", "dbSnapshotIdentifier": "s", "sharedAccounts": ["all"]}, False, "af",
     {"rds-snapshot-not-public"}),
    ("rds-snapshot-copy-cmk-bad", "aws:rds/snapshotCopy:SnapshotCopy",
     {"sourceDbSnapshotIdentifier": "s", "targetDbSnapshotIdentifier": "t"}, False, "af", {"rds-snapshot-copy-cmk"}),
    ("rds-backup-replication-cmk-bad",
     "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
     {"sourceDbInstanceArn": "arn:aws:rds:af-south-1:123456789012:db:i"}, False, "af",
     {"rds-backup-replication-cmk"}),
    ("rds-activity-stream-cmk-bad", "aws:rds/clusterActivityStream:ClusterActivityStream",
     {"resourceArn": "arn:aws:rds:af-south-1:123456789012:cluster:c", "mode": "async"}, False, "af",
     {"rds-activity-stream-cmk"}),
    # elasticache
    ("elasticache-auth-bad", T_GROUP, variant(GROUP, authToken=None), True, "af", {"elasticache-auth"}),
    ("elasticache-multi-az-bad", T_GROUP, variant(GROUP, multiAzEnabled=None), True, "af", {"elasticache-multi-az"}),
    ("elasticache-automatic-failover-bad", T_GROUP, variant(GROUP, automaticFailoverEnabled=False), True, "af",
     {"elasticache-automatic-failover"}),
    ("elasticache-in-vpc-subnet-group-bad", T_CACHE, variant(CACHE, subnetGroupName="default"), False, "af",
     {"elasticache-in-vpc-subnet-group"}),
    ("elasticache-non-default-port-bad", T_GROUP, variant(GROUP, port=None), True, "af",
     {"elasticache-non-default-port"}),
    ("elasticache-snapshot-retention-bad", T_GROUP, variant(GROUP, snapshotRetentionLimit=None), True, "af",
     {"elasticache-snapshot-retention"}),
    ("elasticache-auto-minor-version-upgrade-bad", T_CACHE, variant(CACHE, autoMinorVersionUpgrade=False), False,
     "af", {"elasticache-auto-minor-version-upgrade"}),
    # data loss
    ("protect-stateful-bad", T_CLUSTER, dict(CLUSTER), False, "af", {"protect-stateful"}),
    ("rds-deletion-protection-bad", T_GLOBAL, variant(GLOBAL, deletionProtection=None), True, "af",
     {"rds-deletion-protection"}),
    ("rds-final-snapshot-bad", T_CLUSTER, variant(CLUSTER, skipFinalSnapshot=True), True, "af",
     {"rds-final-snapshot"}),
    ("rds-final-snapshot-noid-bad", T_INSTANCE, variant(INSTANCE, finalSnapshotIdentifier=None), True, "af",
     {"rds-final-snapshot"}),
    # tagging
    ("required-tags-bad", "aws:sns/topic:Topic", {"name": "t"}, False, "untagged", {"required-tags"}),
    ("data-class-tag-bad", T_CACHE, variant(CACHE, tags=None), False, "af", {"data-class-tag"}),
    ("data-class-tag-invalid-bad", T_CACHE, variant(CACHE, tags={"azora:data-class": "secret"}), False, "af",
     {"data-class-tag"}),
    # residency
    ("residency-personal-region-bad", T_GROUP, variant(GROUP, tags=PERSONAL, region="eu-west-1"), True, "af",
     {"residency-personal-region"}),
    ("residency-global-database-bad", T_CLUSTER, variant(CLUSTER, tags=PERSONAL, globalClusterIdentifier="g"), True,
     "af", {"residency-global-database"}),
    ("residency-global-database-global-bad", T_GLOBAL, variant(GLOBAL, tags=PERSONAL), True, "af",
     {"residency-global-database"}),
    ("residency-global-cache-bad", T_GROUP, variant(GROUP, tags=PERSONAL, globalReplicationGroupId="g"), True, "af",
     {"residency-global-cache"}),
]

#: (name, type, inputs, protect, provider) reported by nothing
PASSES: list[tuple[str, str, dict[str, Any], bool, str]] = [
    ("cluster-ok", T_CLUSTER, dict(CLUSTER), True, "af"),
    ("mysql-cluster-ok", T_CLUSTER, dict(MYSQL_CLUSTER), True, "eu"),
    ("mysql-cluster-af-no-backtrack-ok", T_CLUSTER, variant(MYSQL_CLUSTER, backtrackWindow=None), True, "af"),
    ("instance-ok", T_INSTANCE, dict(INSTANCE), True, "af"),
    ("replica-ok", T_INSTANCE, {"replicateSourceDb": "instance-ok", "instanceClass": "db.r7g.large",
                                "publiclyAccessible": False, "monitoringInterval": 60,
                                "monitoringRoleArn": "arn:aws:iam::123456789012:role/m",
                                "performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": DATA_KEY,
                                "multiAz": True, "deletionProtection": True, "iamDatabaseAuthenticationEnabled": True,
                                "port": 5433, "tags": INTERNAL}, True, "af"),
    ("member-ok", T_MEMBER, dict(MEMBER), False, "af"),
    ("global-ok", T_GLOBAL, dict(GLOBAL), True, "af"),
    ("global-member-ok", T_CLUSTER, variant(CLUSTER, globalClusterIdentifier="g"), True, "af"),
    ("cluster-params-ok", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
     {"family": "aurora-postgresql16", "parameters": PG_PARAMS}, False, "af"),
    ("aurora-instance-params-ok", "aws:rds/parameterGroup:ParameterGroup",
     {"family": "aurora-postgresql16", "parameters": []}, False, "af"),
    ("group-ok", T_GROUP, dict(GROUP), True, "af"),
    ("valkey-default-at-rest-ok", T_GROUP, variant(GROUP, engine="valkey", atRestEncryptionEnabled=None), True, "af"),
    ("cache-ok", T_CACHE, dict(CACHE), False, "af"),
    ("global-secondary-inherits-ok", T_GROUP, variant(GROUP, globalReplicationGroupId="g", engine=None,
                                                      atRestEncryptionEnabled=None, transitEncryptionEnabled=None,
                                                      authToken=None, userGroupIds=["users"]), True, "af"),
    ("personal-cluster-home-ok", T_CLUSTER, variant(CLUSTER, tags=PERSONAL), True, "af"),
    ("dev-cluster-ok", T_CLUSTER, variant(CLUSTER, deletionProtection=False, skipFinalSnapshot=True,
                                          tags={**INTERNAL, "azora:environment": "dev"}), False, "af"),
    ("topic-ok", "aws:sns/topic:Topic", {"name": "t"}, False, "af"),
    ("untaggable-alias-ok", "aws:kms/alias:Alias", {"name": "alias/x", "targetKeyId": "k"}, False, "untagged"),
]


def build_plan() -> dict[str, Any]:
    """The bad and good resources of this module, in one plan (tests/test_fastpath.py reuses it)."""
    b = PlanBuilder("policies-data")
    providers = {"af": b.default_provider,
                 "eu": b.provider("aws-eu-west-1", "eu-west-1", COST_TAGS),
                 "untagged": b.provider("aws-untagged", "af-south-1", {"azora:environment": "prod"})}
    b.component("azora:test:Component", "component-ok")
    b.add("aws:backup/selection:Selection", "selection-ok",
          {"name": "all", "planId": "p", "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
           "selectionTags": [{"type": "STRINGEQUALS", "key": "azora:data-class", "value": v}
                             for v in ("internal", "personal")]})
    b.add("aws:backup/selection:Selection", "selection-eu-ok",
          {"name": "eu", "planId": "p", "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
           "resources": ["arn:aws:rds:eu-west-1:*:cluster:*"]}, provider=providers["eu"])
    for name, type_, inputs, protect, prov, _expected in CASES:
        kw = {"arn": f"arn:aws:rds:eu-west-1:123456789012:cluster:{name}"} if prov == "eu" else {}
        b.add(type_, name, inputs, protect=protect, provider=providers[prov], **kw)
    for name, type_, inputs, protect, prov in PASSES:
        kw = {"arn": f"arn:aws:rds:eu-west-1:123456789012:cluster:{name}"} if prov == "eu" else {}
        b.add(type_, name, inputs, protect=protect, provider=providers[prov], **kw)
    primary = b.urn(T_GROUP, "group-ok")
    b.add(T_CACHE_GLOBAL, "cache-global-ok", {"primaryReplicationGroupId": "group-ok",
                                              "globalReplicationGroupIdSuffix": "g"},
          protect=True, deps={"primaryReplicationGroupId": primary})
    personal = b.urn(T_GROUP, "residency-global-cache-bad")
    b.add(T_CACHE_GLOBAL, "residency-global-cache-global-bad",
          {"primaryReplicationGroupId": "residency-global-cache-bad", "globalReplicationGroupIdSuffix": "p"},
          protect=True, deps={"primaryReplicationGroupId": personal})
    return b.plan()


@pytest.fixture(scope="module")
def result() -> Any:
    return check(build_plan())


@pytest.mark.parametrize("name,expected", [(c[0], c[5]) for c in CASES], ids=[c[0] for c in CASES])
def test_failing_resource_is_reported_by_exactly_its_rule(result: Any, name: str, expected: set[str]) -> None:
    assert policies_on(result, name) == expected


@pytest.mark.parametrize("name", [p[0] for p in PASSES] + ["selection-ok", "cache-global-ok", "component-ok"])
def test_compliant_resource_is_reported_by_nothing(result: Any, name: str) -> None:
    assert policies_on(result, name) == set()


def test_global_datastore_of_a_personal_group_is_reported(result: Any) -> None:
    assert policies_on(result, "residency-global-cache-global-bad") == {"residency-global-cache"}


def test_messages_say_what_to_change(result: Any) -> None:
    [v] = [v for v in result.on("rds-backup-retention-bad") if v.policy == "rds-backup-retention"]
    assert "set it to at least 7" in v.message and v.enforcement_level == "mandatory"
    [v] = [v for v in result.on("required-tags-bad")]
    assert "azora:team" in v.message and "azora:environment" not in v.message.split("missing", 1)[1]
    [v] = [v for v in result.on("residency-personal-region-bad")]
    assert "eu-west-1 (EU)" in v.message and "ZA" in v.message


def test_levels_follow_the_registry(result: Any) -> None:
    levels = result.levels
    assert levels["rds-storage-encrypted"] == "mandatory" and levels["rds-iam-auth"] == "advisory"
    assert levels["residency-personal-region"] == "mandatory"
    assert levels["policy-exemptions"] == "advisory"
