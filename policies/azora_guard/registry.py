"""Rule metadata: the ONE place for every rule's name, theme, enforcement level, severity, what it
checks, what to change, whether it can be exempted, its config schema and its anchor mapping
(AwsGuard / compliance-policies / cdk-nag / Checkov IDs and the row of
``research/policy-anchors.md``). The theme modules hold only the checks; ``docs/policies.md`` is
generated from this table (``python -m policies.azora_guard.docs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azora_infra import regions as region_catalog
from azora_infra import tags as tag_keys

MANDATORY = "mandatory"
ADVISORY = "advisory"
LOW, MEDIUM, HIGH, CRITICAL = "low", "medium", "high", "critical"

#: exemptable: "yes" | "no" (never) | "not-personal" (not on a resource tagged data-class personal)
YES, NEVER, NOT_PERSONAL = "yes", "no", "not-personal"
#: the policy tag (GetAnalyzerInfo) of a rule that can never be silenced: see `RuleMeta.locked`
NEVER_SILENCED_TAG = "never-silenced"

THEMES = ("residency", "tagging", "encryption", "data-loss", "backup", "network", "rds", "elasticache",
          "eks", "kms", "s3", "elb", "waf", "route53", "secrets", "logs", "cloudtrail", "stack",
          "baseline", "alarms", "exemptions")


@dataclass(frozen=True)
class Anchors:
    awsguard: str = ""
    cp: str = ""  # pulumi/compliance-policies
    cdknag: str = ""
    checkov: str = ""

    @property
    def any(self) -> bool:
        return bool(self.awsguard or self.cp or self.cdknag or self.checkov)


@dataclass(frozen=True)
class RuleMeta:
    name: str
    theme: str
    level: str
    severity: str
    checks: str  # what it checks (the policy description)
    fix: str  # what to change (the default violation message)
    anchors: Anchors = Anchors()
    rows: tuple[int, ...] = ()  # rows of the research table this rule covers; () = a gap rule
    exemptable: str = YES
    config: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON-schema properties
    kind: str = "resource"  # "resource" | "stack"

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    @property
    def locked(self) -> bool:
        """A mandatory rule that can never be exempted can never be silenced either: no policy
        config may lower its level or change its properties, and ``all`` skips it (policies/lock.py)."""
        return self.exemptable == NEVER and self.level == MANDATORY


# -- config schema pieces whose defaults come from azora_infra (one source) ------------------------
REQUIRED_TAGS_CONFIG = {
    "requiredTags": {"type": "array", "items": {"type": "string"},
                     "description": "tag keys every taggable AWS resource carries (merged with provider defaultTags)",
                     "default": list(tag_keys.REQUIRED_TAGS)},
}
DATA_CLASS_CONFIG = {
    "dataStoreTags": {"type": "array", "items": {"type": "string"},
                      "description": "tag keys data stores carry in addition to requiredTags",
                      "default": list(tag_keys.DATA_STORE_TAGS)},
    "dataClasses": {"type": "array", "items": {"type": "string"},
                    "description": "valid values of azora:data-class",
                    "default": [dc.value for dc in region_catalog.DataClass]},
}


def _int(name: str, default: int, desc: str) -> dict[str, dict[str, Any]]:
    return {name: {"type": "integer", "minimum": 0, "default": default, "description": desc}}


def _strs(name: str, default: list[str], desc: str) -> dict[str, dict[str, Any]]:
    return {name: {"type": "array", "items": {"type": "string"}, "default": default, "description": desc}}


M, A = MANDATORY, ADVISORY
_RULES: list[RuleMeta] = []


def _r(name: str, theme: str, level: str, severity: str, checks: str, fix: str, *, rows: tuple[int, ...] = (),
       aw: str = "", cp: str = "", nag: str = "", ckv: str = "", exempt: str = YES,
       config: dict[str, dict[str, Any]] | None = None, kind: str = "resource") -> None:
    _RULES.append(RuleMeta(name, theme, level, severity, checks, fix, Anchors(aw, cp, nag, ckv), rows, exempt,
                           config or {}, kind))


# ---------------------------------------------------------------------------------------------------
# Gap rules (no anchor has them)
# ---------------------------------------------------------------------------------------------------
_r("residency-personal-region", "residency", M, CRITICAL,
   "A resource whose merged tags carry azora:data-class=personal is in a region of its home jurisdiction "
   "(home = the jurisdiction of its provider's region; its region = its own `region` input, else the provider's).",
   "move the resource back to its home jurisdiction: remove the `region` override or use a provider in a region "
   "of the same jurisdiction", exempt=NEVER)
_r("residency-global-database", "residency", M, CRITICAL,
   "Personal data is never in an Aurora global database (a personal cluster has no globalClusterIdentifier; "
   "a global cluster is never tagged personal).",
   "keep personal data in a regional cluster: remove globalClusterIdentifier (or reclassify the data if it is "
   "not personal)", exempt=NEVER)
_r("residency-global-cache", "residency", M, CRITICAL,
   "Personal data is never in an ElastiCache global datastore (no globalReplicationGroupId on a personal "
   "replication group; no GlobalReplicationGroup whose primary is personal).",
   "remove globalReplicationGroupId / the GlobalReplicationGroup for a personal cache", exempt=NEVER,
   kind="stack")
_r("residency-s3-replication", "residency", M, CRITICAL,
   "S3 replication of a personal bucket targets only buckets of this stack in the same jurisdiction.",
   "replicate personal data only to a bucket managed in this stack in a region of the same jurisdiction",
   exempt=NEVER, kind="stack")
_r("residency-kms-replica", "residency", M, CRITICAL,
   "A KMS replica key of a personal key (or tagged personal) is in the primary key's jurisdiction.",
   "do not replicate a personal-data key out of its jurisdiction: remove the ReplicaKey or move it to a region "
   "of the primary key's jurisdiction", exempt=NEVER, kind="stack")
_r("residency-backup-copy", "residency", M, CRITICAL,
   "AWS Backup copy actions of a personal backup plan (data class from the plan's tags or its selections' tag "
   "filters) target vaults in the plan's own jurisdiction.",
   "copy personal backups only to a vault in a region of the same jurisdiction (or drop the copyActions)",
   exempt=NEVER, kind="stack")
_r("required-tags", "tagging", M, MEDIUM,
   "Every taggable AWS resource (its pulumi-aws class accepts `tags`) carries the cost-allocation tags in its "
   "`tags` merged with the provider's defaultTags.",
   "add the missing tags to the provider's default_tags (preferred) or to the resource's tags",
   config=REQUIRED_TAGS_CONFIG)
_r("data-class-tag", "tagging", M, MEDIUM,
   "Data stores (RDS clusters/instances/global clusters, ElastiCache replication groups/clusters, S3 buckets) "
   "carry azora:data-class with a known data class (backup vaults hold several classes and are not tagged).",
   "tag the data store with azora:data-class = public | internal | confidential | personal",
   config=DATA_CLASS_CONFIG)
_r("protect-stateful", "data-loss", M, HIGH,
   "In prod (merged azora:environment), stateful resources have Pulumi `protect`: RDS clusters, instances and "
   "global clusters, ElastiCache replication/global groups, backup vaults, KMS keys, S3 buckets holding data "
   "(tagged azora:data-class).",
   "set opts protect=True on the resource (AzoraComponent.child_opts(protect=preset.protect))")
_r("rds-final-snapshot", "data-loss", M, HIGH,
   "In prod, RDS clusters and instances keep a final snapshot: skipFinalSnapshot is not true and "
   "finalSnapshotIdentifier is set.",
   "set skipFinalSnapshot=false and finalSnapshotIdentifier to a stable name")
_r("eks-deletion-protection", "data-loss", M, MEDIUM,
   "In prod, EKS clusters set deletionProtection=true.", "set deletionProtection=true on the EKS cluster")
_r("global-cluster-member-kms-region", "encryption", M, HIGH,
   "Members of an Aurora global cluster are encrypted with a KMS key of their own region (kmsKeyId ARN region "
   "== the cluster's region).",
   "set kmsKeyId to the data key of the cluster's own region (RegionKeys.data_key_arn of that stack)",
   exempt=NOT_PERSONAL)
_r("backup-vault-lock", "backup", M, HIGH,
   "Every backup vault has a VaultLockConfiguration in compliance mode (changeableForDays set) with "
   "minRetentionDays and maxRetentionDays.",
   "add aws.backup.VaultLockConfiguration(backupVaultName=vault.name, changeableForDays=3, minRetentionDays=..., "
   "maxRetentionDays=...)", kind="stack",
   config=_int("minBackupRetentionDays", 7, "minimum retention of recovery points (days)"))
_r("backup-plan-retention", "backup", M, HIGH,
   "Every backup plan rule (and copy action) keeps recovery points at least minBackupRetentionDays "
   "(lifecycle.deleteAfter; absent = kept forever).",
   "raise lifecycle.deleteAfter to at least the minimum retention",
   config=_int("minBackupRetentionDays", 7, "minimum retention of recovery points (days)"))
_r("backup-continuous", "backup", M, MEDIUM,
   "Every backup plan has a rule with enableContinuousBackup=true (point-in-time restore to 1 s, 35 days).",
   "set enableContinuousBackup=true on one rule (lifecycle.deleteAfter <= 35)")
_r("backup-copy-actions", "backup", M, MEDIUM,
   "Backup plans for non-personal data classes copy recovery points to another region (copyActions); not in "
   "dev (merged azora:environment dev: one region, no other vault).",
   "add copyActions with destinationVaultArn = a vault in another region", kind="stack")
_r("route53-routing-health-check", "route53", M, HIGH,
   "Route53 records with a latency, failover or weighted routing policy carry a healthCheckId.",
   "set healthCheckId to the endpoint's aws.route53.HealthCheck")
_r("route53-health-check-budget", "route53", M, MEDIUM,
   "Route53 health checks detect failure within the failover budget: requestInterval 10 or 30 (default 30), "
   "failureThreshold 1-10 (default 3), requestInterval x failureThreshold <= maxDetectionSeconds.",
   "use requestInterval=10 and a failureThreshold with interval x threshold within the budget",
   config=_int("maxDetectionSeconds", 30, "failover detection budget (seconds)"))
_r("route53-health-checked-ttl", "route53", A, LOW,
   "Non-alias records with a routing policy use a TTL <= 60 s so failover takes effect quickly.",
   "set ttl <= 60 on records behind health checks", config=_int("maxTtlSeconds", 60, "max TTL (s)"))
_r("data-store-backup-selected", "stack", M, HIGH,
   "Every data store AWS Backup supports (RDS clusters/instances, S3 buckets tagged azora:data-class) is "
   "selected by a backup selection in its region - by ARN (wildcards allowed) or by a tag filter on its "
   "azora:data-class.",
   "add the resource's ARN to a backup selection's resources, or tag it so a selection's selectionTags match",
   rows=(17,), nag="HIPAA/NIST RDSInBackupPlan", ckv="CKV2_AWS_8", kind="stack")

# ---------------------------------------------------------------------------------------------------
# RDS / Aurora
# ---------------------------------------------------------------------------------------------------
_r("rds-storage-encrypted", "encryption", M, CRITICAL,
   "RDS clusters and standalone instances encrypt storage (storageEncrypted=true; read replicas inherit).",
   "set storageEncrypted=true and kmsKeyId to the region's data key", rows=(1,), aw="rds-storage-encrypted",
   cp="aws-rds-cluster-disallow-unencrypted-storage; aws-rds-instance-disallow-unencrypted-storage",
   nag="AwsSolutions-RDS2", ckv="CKV_AWS_96, CKV_AWS_16", exempt=NOT_PERSONAL)
_r("rds-global-cluster-encrypted", "encryption", M, CRITICAL,
   "Aurora global clusters set storageEncrypted=true (unless created from sourceDbClusterIdentifier).",
   "set storageEncrypted=true on the GlobalCluster", rows=(2,), ckv="CKV_AWS_140", exempt=NOT_PERSONAL)
_r("rds-cmk", "encryption", M, HIGH,
   "RDS clusters and instances use a customer-managed KMS key (kmsKeyId set).",
   "set kmsKeyId to the region's data key (RegionKeys.data_key_arn)", rows=(3,),
   aw="rds-storage-encrypted (kmsKeyId)",
   cp="aws-rds-cluster-configure-customer-managed-key; aws-rds-instance-configure-customer-managed-key",
   ckv="CKV_AWS_327", exempt=NOT_PERSONAL)
_r("rds-backup-retention", "rds", M, MEDIUM,
   "RDS clusters and instances keep automated backups >= minRetentionDays (backupRetentionPeriod; provider "
   "default 1).",
   "set backupRetentionPeriod to at least the minimum (max 35)", rows=(4,), aw="rds-instance-backup-enabled",
   cp="aws-rds-{cluster,instance}-enable-backup-retention; aws-rds-{cluster,instance}-configure-backup-retention",
   nag="AwsSolutions-RDS13", ckv="CKV_AWS_133", config=_int("minRetentionDays", 7, "days"))
_r("rds-multi-az", "rds", M, MEDIUM,
   "Instances set multiAz=true; Aurora clusters do not pin availabilityZones to a single AZ.",
   "set multiAz=true (instance) / list >= 2 availabilityZones or leave them to AWS (cluster)", rows=(5,),
   aw="rds-instance-multi-az-enabled", cp="aws-rds-cluster-disallow-single-availability-zone",
   nag="AwsSolutions-RDS3", ckv="CKV_AWS_157")
_r("rds-not-public", "rds", M, CRITICAL,
   "RDS instances and Aurora cluster instances are not publicly accessible.",
   "set publiclyAccessible=false", rows=(6,), aw="rds-instance-public-access",
   cp="aws-rds-instance-disallow-public-access; aws-rds-clusterinstance-disallow-public-access",
   nag="HIPAA/NIST/PCI RDSInstancePublicAccess", ckv="CKV_AWS_17")
_r("rds-deletion-protection", "data-loss", M, HIGH,
   "In prod, RDS clusters, instances and global clusters set deletionProtection=true.",
   "set deletionProtection=true", rows=(7,), nag="AwsSolutions-RDS10", ckv="CKV_AWS_139, CKV_AWS_293")
_r("rds-iam-auth", "rds", A, MEDIUM, "RDS clusters/instances enable IAM database authentication.",
   "set iamDatabaseAuthenticationEnabled=true", rows=(8,), nag="AwsSolutions-RDS6",
   ckv="CKV_AWS_162, CKV_AWS_161")
_r("rds-non-default-port", "rds", A, LOW, "RDS clusters/instances do not listen on the engine's default port.",
   "set port to a non-default value (not 3306/5432/1433/1521)", rows=(9,), nag="AwsSolutions-RDS11")
_r("rds-log-exports", "rds", A, MEDIUM,
   "RDS clusters/instances export the engine's logs to CloudWatch (aurora-postgresql/postgres: postgresql; "
   "aurora-mysql/mysql: audit, error, general, slowquery).",
   "set enabledCloudwatchLogsExports to the engine's log types", rows=(10,),
   nag="AwsSolutions-RDS16; HIPAA/NIST/PCI RDSLoggingEnabled", ckv="CKV_AWS_324, CKV_AWS_129, CKV_AWS_325")
_r("aurora-mysql-backtrack", "rds", A, LOW,
   "Aurora MySQL clusters enable backtrack (skipped in af-south-1, where it is unavailable, and for global "
   "database members, where binlog replication is incompatible).",
   "set backtrackWindow > 0 (seconds, up to 259200)", rows=(11,), nag="AwsSolutions-RDS14", ckv="CKV_AWS_326")
_r("rds-enhanced-monitoring", "rds", A, MEDIUM,
   "RDS instances and cluster instances enable enhanced monitoring (monitoringInterval in 1/5/10/15/30/60 and "
   "monitoringRoleArn).", "set monitoringInterval=60 (or less) and monitoringRoleArn", rows=(12,),
   nag="HIPAA/NIST RDSEnhancedMonitoringEnabled", ckv="CKV_AWS_118")
_r("rds-auto-minor-version-upgrade", "rds", A, LOW,
   "RDS instances and cluster instances keep autoMinorVersionUpgrade (provider default true).",
   "remove autoMinorVersionUpgrade=false", rows=(13,), nag="HIPAA/PCI RDSAutomaticMinorVersionUpgradeEnabled",
   ckv="CKV_AWS_226")
_r("rds-performance-insights", "rds", A, LOW,
   "RDS instances and cluster instances enable Performance Insights.",
   "set performanceInsightsEnabled=true", rows=(14,),
   cp="aws-rds-instance-enable-performance-insights; aws-rds-clusterinstance-enable-performance-insights",
   ckv="CKV_AWS_353")
_r("rds-performance-insights-cmk", "encryption", M, MEDIUM,
   "When Performance Insights is on, it is encrypted with a customer-managed key.",
   "set performanceInsightsKmsKeyId to the region's data key", rows=(15,),
   cp="aws-rds-instance-disallow-unencrypted-performance-insights; "
      "aws-rds-clusterinstance-disallow-unencrypted-performance-insights", ckv="CKV_AWS_354")
_r("rds-copy-tags-to-snapshot", "tagging", A, LOW,
   "RDS clusters/instances copy tags to snapshots (cost-allocation and data-class tags follow the data).",
   "set copyTagsToSnapshot=true", rows=(16,), ckv="CKV_AWS_313, CKV2_AWS_60")
_r("rds-encryption-in-transit", "rds", M, HIGH,
   "RDS (cluster) parameter groups force TLS: rds.force_ssl=1 (PostgreSQL) / require_secure_transport=ON "
   "(MySQL).", "add parameter rds.force_ssl=1 (postgres) or require_secure_transport=ON (mysql)", rows=(18,),
   ckv="CKV2_AWS_69")
_r("rds-postgres-query-logging", "rds", A, LOW,
   "PostgreSQL parameter groups set log_statement and log_min_duration_statement.",
   "add parameters log_statement (e.g. ddl) and log_min_duration_statement (e.g. 1000)", rows=(19,),
   ckv="CKV2_AWS_27, CKV2_AWS_30")
_r("rds-modern-ca-cert", "rds", A, MEDIUM,
   "RDS instances and cluster instances use a current CA (absent = AWS default rds-ca-rsa2048-g1).",
   "set caCertIdentifier to rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1", rows=(20,),
   ckv="CKV_AWS_211")
_r("rds-engine-not-vulnerable", "rds", A, HIGH,
   "RDS engine versions are not in the known-vulnerable list (postgres log_fdw CVE versions).",
   "upgrade engineVersion past the vulnerable minor version", rows=(21,), ckv="CKV_AWS_250, CKV_AWS_388",
   config=_strs("vulnerableVersions", ["postgres:10.17", "postgres:11.12", "postgres:12.7", "postgres:13.3"],
                "engine:version pairs to reject"))
_r("rds-snapshot-encrypted", "rds", M, HIGH, "RDS cluster snapshots are not unencrypted.",
   "snapshot only encrypted clusters (storageEncrypted=true on the source)", rows=(22,), ckv="CKV_AWS_146")
_r("rds-snapshot-not-public", "rds", M, CRITICAL, "RDS snapshots are not shared with 'all'.",
   "remove 'all' from sharedAccounts", rows=(23,), ckv="CKV_AWS_302")
_r("rds-snapshot-copy-cmk", "rds", M, HIGH, "RDS snapshot copies use a customer-managed key.",
   "set kmsKeyId on the SnapshotCopy", rows=(24,), ckv="CKV_AWS_266")
_r("rds-backup-replication-cmk", "rds", M, HIGH,
   "Cross-region automated-backup replication uses a customer-managed key.",
   "set kmsKeyId on the InstanceAutomatedBackupsReplication", rows=(25,), ckv="CKV_AWS_245")
_r("rds-activity-stream-cmk", "rds", M, HIGH, "Database activity streams use a customer-managed key.",
   "set kmsKeyId on the ClusterActivityStream", rows=(26,), ckv="CKV_AWS_246")

# ---------------------------------------------------------------------------------------------------
# ElastiCache
# ---------------------------------------------------------------------------------------------------
_r("elasticache-at-rest-encryption", "encryption", M, CRITICAL,
   "Replication groups encrypt at rest (atRestEncryptionEnabled; provider default false for redis, true for "
   "valkey; secondaries of a global datastore inherit it from the primary group, checked in its stack).",
   "set atRestEncryptionEnabled=true and kmsKeyId to the region's data key", rows=(28,),
   nag="AwsSolutions-AEC3", ckv="CKV_AWS_29", exempt=NOT_PERSONAL)
_r("elasticache-in-transit-encryption", "encryption", M, HIGH,
   "Replication groups encrypt in transit (transitEncryptionEnabled=true; provider default false; inherited by "
   "secondaries of a global datastore).",
   "set transitEncryptionEnabled=true", rows=(29,), nag="AwsSolutions-AEC3", ckv="CKV_AWS_30")
_r("elasticache-auth", "elasticache", M, HIGH,
   "Replication groups require authentication (authToken/authTokenWo or userGroupIds) with transit encryption.",
   "set authToken (from Secrets Manager) or userGroupIds, with transitEncryptionEnabled=true", rows=(30,),
   nag="AwsSolutions-AEC6", ckv="CKV_AWS_31")
_r("elasticache-cmk", "encryption", M, HIGH, "Replication groups use a customer-managed key (kmsKeyId).",
   "set kmsKeyId to the region's data key", rows=(31,), ckv="CKV_AWS_191", exempt=NOT_PERSONAL)
_r("elasticache-multi-az", "elasticache", M, MEDIUM, "Replication groups set multiAzEnabled=true.",
   "set multiAzEnabled=true (and automaticFailoverEnabled=true, >= 2 nodes)", rows=(32,), nag="AwsSolutions-AEC4")
_r("elasticache-automatic-failover", "elasticache", M, MEDIUM,
   "Replication groups set automaticFailoverEnabled=true.", "set automaticFailoverEnabled=true", rows=(33,),
   ckv="CKV2_AWS_50")
_r("elasticache-in-vpc-subnet-group", "elasticache", M, MEDIUM,
   "Replication groups and clusters use a non-default subnet group (subnetGroupName set, not 'default').",
   "set subnetGroupName to the network's cache subnet group", rows=(34,), nag="AwsSolutions-AEC1",
   ckv="CKV_AWS_323")
_r("elasticache-non-default-port", "elasticache", A, LOW,
   "Replication groups and clusters do not use the default port (6379/11211).",
   "set port to a non-default value", rows=(35,), nag="AwsSolutions-AEC5")
_r("elasticache-snapshot-retention", "elasticache", A, MEDIUM,
   "Replication groups and clusters keep automatic snapshots (snapshotRetentionLimit >= minimum; default 0).",
   "set snapshotRetentionLimit (days)", rows=(36,), nag="HIPAA/NIST ElastiCacheRedisClusterAutomaticBackup",
   ckv="CKV_AWS_134", config=_int("minSnapshotRetentionDays", 1, "days"))
_r("elasticache-auto-minor-version-upgrade", "elasticache", A, LOW,
   "Replication groups and clusters keep autoMinorVersionUpgrade (provider default true).",
   "remove autoMinorVersionUpgrade=false", rows=(37,), ckv="CKV_AWS_322")

# ---------------------------------------------------------------------------------------------------
# EKS
# ---------------------------------------------------------------------------------------------------
_r("eks-endpoint-not-public", "eks", M, HIGH,
   "The EKS API endpoint is private (vpcConfig.endpointPublicAccess=false; provider default true).",
   "set vpcConfig.endpointPublicAccess=false and endpointPrivateAccess=true", rows=(39,),
   cp="aws-eks-cluster-disallow-api-endpoint-public-access", nag="AwsSolutions-EKS1", ckv="CKV_AWS_39")
_r("eks-public-cidrs-restricted", "eks", M, CRITICAL,
   "If the EKS endpoint is public, vpcConfig.publicAccessCidrs is set and excludes 0.0.0.0/0 and ::/0.",
   "restrict vpcConfig.publicAccessCidrs to known CIDRs (or make the endpoint private)", rows=(40,),
   cp="aws-eks-cluster-disallow-api-endpoint-public-access", ckv="CKV_AWS_38")
_r("eks-secrets-encryption", "eks", M, HIGH,
   "EKS envelope-encrypts secrets (encryptionConfig.resources includes 'secrets' with provider.keyArn).",
   "set encryptionConfig={resources: ['secrets'], provider: {keyArn: the region's secrets key}}", rows=(41,),
   cp="aws-eks-cluster-enable-cluster-encryption-config", ckv="CKV_AWS_58")
_r("eks-control-plane-logging", "eks", M, MEDIUM,
   "EKS exports all control-plane logs (api, audit, authenticator, controllerManager, scheduler).",
   "set enabledClusterLogTypes to all five log types", rows=(42,), nag="AwsSolutions-EKS2", ckv="CKV_AWS_37")
_r("eks-supported-version", "eks", A, MEDIUM, "EKS runs a supported Kubernetes minor (absent = latest).",
   "set version to a supported minor", rows=(43,), ckv="CKV_AWS_339",
   config=_strs("supportedVersions", ["1.30", "1.31", "1.32", "1.33", "1.34"], "supported minors"))
_r("eks-nodegroup-no-open-ssh", "eks", M, HIGH,
   "Node groups with an SSH key restrict SSH to sourceSecurityGroupIds.",
   "set remoteAccess.sourceSecurityGroupIds (or remove remoteAccess.ec2SshKey)", rows=(44,), ckv="CKV_AWS_100")

# ---------------------------------------------------------------------------------------------------
# KMS
# ---------------------------------------------------------------------------------------------------
_r("kms-key-rotation", "kms", M, HIGH, "Symmetric KMS keys rotate (enableKeyRotation=true).",
   "set enableKeyRotation=true (rotationPeriodInDays <= 365)", rows=(45,), aw="cmk-backing-key-rotation-enabled",
   cp="aws-kms-key-enable-key-rotation", nag="AwsSolutions-KMS5", ckv="CKV_AWS_7")
_r("kms-no-bypass-lockout-check", "kms", M, MEDIUM, "KMS keys do not bypass the policy lockout safety check.",
   "remove bypassPolicyLockoutSafetyCheck=true", rows=(46,),
   cp="aws-kms-key-disallow-bypass-policy-lockout-safety-check")
_r("kms-description", "kms", A, LOW, "KMS keys have a description of at least 6 characters.",
   "set description (purpose and region)", rows=(47,), cp="aws-kms-key-missing-description")
_r("kms-policy-no-wildcard-principal", "kms", M, CRITICAL,
   "Key policies have no Allow statement for Principal '*' without a Condition.",
   "replace Principal '*' with explicit principals or add a Condition (kms:CallerAccount / kms:ViaService)",
   rows=(48,), ckv="CKV_AWS_33")
_r("kms-key-policy-defined", "kms", A, MEDIUM,
   "Every KMS key has an explicit policy (its `policy` or an aws.kms.KeyPolicy).",
   "set policy on the key (least-privilege administrators, users and services)", rows=(49,),
   ckv="CKV2_AWS_64", kind="stack")
_r("kms-key-enabled", "kms", A, MEDIUM, "KMS keys are enabled (isEnabled not false).",
   "remove isEnabled=false or delete the key", rows=(50,), ckv="CKV_AWS_227")

# ---------------------------------------------------------------------------------------------------
# S3 (pulumi-aws v7 side resources)
# ---------------------------------------------------------------------------------------------------
_r("s3-access-logging", "s3", A, MEDIUM,
   "Every bucket that is not itself a log target has an aws.s3.BucketLogging.",
   "add aws.s3.BucketLogging(bucket=..., targetBucket=the region's access-log bucket)", rows=(51,),
   aw="s3-bucket-logging-enabled", nag="AwsSolutions-S1", ckv="CKV_AWS_18", kind="stack")
_r("s3-default-encryption", "stack", M, HIGH,
   "Every bucket has an aws.s3.BucketServerSideEncryptionConfiguration.",
   "add BucketServerSideEncryptionConfiguration(bucket=..., rules=[{applyServerSideEncryptionByDefault: "
   "{sseAlgorithm: 'aws:kms', kmsMasterKeyId: data key}, bucketKeyEnabled: true}])", rows=(52,),
   cp="aws-s3-bucket-enable-server-side-encryption", ckv="CKV_AWS_19", kind="stack", exempt=NOT_PERSONAL)
_r("s3-encryption-kms", "s3", M, HIGH,
   "Bucket SSE uses aws:kms or aws:kms:dsse - except on buckets that receive load-balancer access logs, which AWS "
   "only supports with SSE-S3 (AES256).",
   "set sseAlgorithm='aws:kms'", rows=(53,), cp="aws-s3-bucket-configure-server-side-encryption-kms",
   nag="HIPAA/NIST-R5/PCI S3DefaultEncryptionKMS", ckv="CKV_AWS_145", exempt=NOT_PERSONAL, kind="stack")
_r("s3-encryption-cmk", "s3", M, HIGH,
   "Bucket SSE names a customer-managed key (kmsMasterKeyId) - except on load-balancer access-log buckets "
   "(SSE-S3 only).",
   "set kmsMasterKeyId to the region's data key", rows=(54,),
   cp="aws-s3-bucket-configure-server-side-encryption-customer-managed-key", exempt=NOT_PERSONAL, kind="stack")
_r("s3-bucket-key", "s3", A, LOW, "Bucket SSE rules enable S3 Bucket Keys.", "set bucketKeyEnabled=true",
   rows=(55,), cp="aws-s3-bucket-enable-server-side-encryption-bucket-key")
_r("s3-public-access-block", "stack", M, CRITICAL,
   "Every bucket has an aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, "
   "ignorePublicAcls and restrictPublicBuckets all true.",
   "add BucketPublicAccessBlock(bucket=..., all four flags true)", rows=(56,), nag="AwsSolutions-S2",
   ckv="CKV2_AWS_6, CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56", kind="stack")
_r("s3-no-public-read-acl", "s3", M, CRITICAL,
   "Buckets and bucket ACLs grant no public read (acl public-read/public-read-write/authenticated-read or "
   "AllUsers/AuthenticatedUsers grants).", "use acl 'private' (better: BucketOwnerEnforced, no ACLs)",
   rows=(57,), cp="aws-s3-bucket-disallow-public-read", nag="HIPAA/NIST/PCI S3BucketPublicReadProhibited",
   ckv="CKV_AWS_20, CKV2_AWS_43, CKV_AWS_375, CKV_AWS_379")
_r("s3-no-public-write-acl", "s3", M, CRITICAL,
   "Buckets and bucket ACLs grant no public write (public-read-write or AllUsers WRITE).",
   "use acl 'private' (better: BucketOwnerEnforced, no ACLs)", rows=(58,),
   nag="HIPAA/NIST/PCI S3BucketPublicWriteProhibited", ckv="CKV_AWS_57")
_r("s3-acls-disabled", "s3", A, MEDIUM, "Bucket ownership controls use BucketOwnerEnforced (ACLs disabled).",
   "set rule.objectOwnership='BucketOwnerEnforced'", rows=(59,), ckv="CKV2_AWS_65")
_r("s3-ssl-requests-only", "s3", M, HIGH,
   "Every bucket has a bucket policy denying requests with aws:SecureTransport=false.",
   "add a BucketPolicy statement Deny s3:* for Principal '*' on the bucket and bucket/* when "
   "Bool aws:SecureTransport=false", rows=(60,), nag="AwsSolutions-S10", kind="stack")
_r("s3-policy-no-public-principal", "s3", M, CRITICAL,
   "Bucket policies have no Allow for Principal '*' without a Condition.",
   "replace Principal '*' with explicit principals or add a restricting Condition", rows=(61,),
   nag="AwsSolutions-S5", ckv="CKV_AWS_70")
_r("s3-policy-no-lockout", "s3", M, MEDIUM,
   "Bucket policies do not deny all actions to every principal unconditionally (lock-out).",
   "add a Condition to the Deny statement or narrow its Principal/Action", rows=(62,), ckv="CKV_AWS_93")
_r("s3-versioning", "stack", M, HIGH,
   "Every bucket has an aws.s3.BucketVersioning with versioningConfiguration.status=Enabled.",
   "add BucketVersioning(bucket=..., versioningConfiguration={status: 'Enabled'})", rows=(63,),
   nag="HIPAA/NIST/PCI S3BucketVersioningEnabled", ckv="CKV_AWS_21", kind="stack")
_r("s3-replication", "s3", A, LOW, "Bucket replication configurations have at least one enabled rule.",
   "set rules[].status='Enabled'", rows=(64,),
   cp="aws-s3-bucket-enable-replication-configuration; aws-s3-bucket-configure-replication-configuration",
   nag="HIPAA/NIST/PCI S3BucketReplicationEnabled", ckv="CKV_AWS_144")
_r("s3-object-lock", "s3", A, LOW,
   "Buckets tagged for audit (azora:data-class=confidential or personal) enable object lock.",
   "set objectLockEnabled=true and add a BucketObjectLockConfiguration with a default retention", rows=(65,),
   nag="NIST-R4 S3BucketDefaultLockEnabled", ckv="CKV_AWS_143", kind="stack")
_r("s3-lifecycle-configured", "s3", A, LOW, "Every bucket has a lifecycle configuration.",
   "add aws.s3.BucketLifecycleConfiguration (expire noncurrent versions, abort incomplete uploads)",
   rows=(66,), ckv="CKV2_AWS_61", kind="stack")
_r("s3-lifecycle-abort-mpu", "s3", A, LOW,
   "Lifecycle configurations abort incomplete multipart uploads.",
   "add abortIncompleteMultipartUpload={daysAfterInitiation: 7} to an enabled rule", rows=(67,),
   ckv="CKV_AWS_300")
_r("s3-event-notifications", "s3", A, LOW, "Every bucket has an event notification configuration.",
   "add aws.s3.BucketNotification (EventBridge) for the bucket", rows=(68,), ckv="CKV2_AWS_62", kind="stack")
_r("s3-access-point-block-public", "s3", M, HIGH,
   "S3 access points block public access (all publicAccessBlockConfiguration flags true; default true).",
   "set all publicAccessBlockConfiguration flags true", rows=(69,), ckv="CKV_AWS_392")
_r("s3-object-cmk", "s3", A, MEDIUM, "S3 objects managed by Pulumi are encrypted with a CMK (kmsKeyId).",
   "set kmsKeyId on the object", rows=(70,), ckv="CKV_AWS_186, CKV_AWS_181")

# ---------------------------------------------------------------------------------------------------
# CloudTrail
# ---------------------------------------------------------------------------------------------------
_r("cloudtrail-kms", "cloudtrail", M, HIGH, "Trails encrypt logs with a KMS key.",
   "set kmsKeyId to the region's logs key", rows=(71,), nag="HIPAA/NIST/PCI CloudTrailEncryptionEnabled",
   ckv="CKV_AWS_35")
_r("cloudtrail-log-file-validation", "cloudtrail", M, MEDIUM, "Trails enable log file validation.",
   "set enableLogFileValidation=true", rows=(72,), nag="HIPAA/NIST/PCI CloudTrailLogFileValidationEnabled",
   ckv="CKV_AWS_36")
_r("cloudtrail-cloudwatch-logs", "cloudtrail", A, MEDIUM, "Trails deliver to CloudWatch Logs.",
   "set cloudWatchLogsGroupArn and cloudWatchLogsRoleArn", rows=(73,),
   nag="HIPAA/NIST/PCI CloudTrailCloudWatchLogsEnabled", ckv="CKV2_AWS_10")
_r("cloudtrail-multi-region", "cloudtrail", A, MEDIUM, "Trails are multi-region.",
   "set isMultiRegionTrail=true", rows=(74,), ckv="CKV_AWS_67")
_r("cloudtrail-logging-enabled", "cloudtrail", M, MEDIUM, "Trails log (enableLogging not false).",
   "remove enableLogging=false", rows=(75,), ckv="CKV_AWS_251")
_r("cloudtrail-sns-topic", "cloudtrail", A, LOW, "Trails notify an SNS topic.", "set snsTopicName",
   rows=(76,), ckv="CKV_AWS_252")
_r("cloudtrail-event-data-store-cmk", "cloudtrail", M, MEDIUM, "Event data stores use a CMK.",
   "set kmsKeyId on the EventDataStore", rows=(77,), ckv="CKV_AWS_294")

# ---------------------------------------------------------------------------------------------------
# WAFv2
# ---------------------------------------------------------------------------------------------------
_r("waf-logging", "waf", A, MEDIUM, "Every web ACL has a WebAclLoggingConfiguration.",
   "add aws.wafv2.WebAclLoggingConfiguration(resourceArn=acl.arn, logDestinationConfigs=[...])", rows=(78,),
   nag="HIPAA/NIST/PCI WAFv2LoggingEnabled", ckv="CKV2_AWS_31, CKV_AWS_176", kind="stack")
_r("waf-has-rules", "waf", M, HIGH,
   "Every web ACL has rules: inline `rules`/`ruleJson`, or standalone aws:wafv2/webAclRule:WebAclRule / "
   "WebAclRuleGroupAssociation resources targeting it.",
   "add rules (managed rule groups, rate limit) inline or as WebAclRule resources", rows=(79,),
   ckv="CKV_AWS_175", kind="stack")
_r("waf-rules-have-actions", "waf", M, MEDIUM,
   "Every web ACL / rule group / standalone web ACL rule has an action or overrideAction.",
   "set action (rule statements) or overrideAction (rule-group references)", rows=(80,), ckv="CKV_AWS_342")
_r("waf-log4j-managed-rules", "waf", M, HIGH,
   "Every web ACL includes AWSManagedRulesKnownBadInputsRuleSet (inline or standalone rule).",
   "add a managedRuleGroupStatement {vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet'}",
   rows=(81,), ckv="CKV_AWS_192, CKV2_AWS_76", kind="stack")
_r("alb-waf-associated", "waf", M, HIGH,
   "Every internet-facing application load balancer has a WebAclAssociation.",
   "add aws.wafv2.WebAclAssociation(resourceArn=alb.arn, webAclArn=acl.arn)", rows=(82,),
   nag="NIST/PCI ALBWAFEnabled", ckv="CKV2_AWS_28", kind="stack")

# ---------------------------------------------------------------------------------------------------
# ELB
# ---------------------------------------------------------------------------------------------------
_r("lb-access-logs", "elb", M, MEDIUM, "Load balancers write access logs (accessLogs.enabled and bucket).",
   "set accessLogs={enabled: true, bucket: the region's log bucket}", rows=(83,), aw="elb-logging-enabled",
   cp="aws-lb-loadbalancer-enable-access-logging; aws-lb-loadbalancer-configure-access-logging; "
      "aws-elb-loadbalancer-configure-access-logging", nag="AwsSolutions-ELB2", ckv="CKV_AWS_91, CKV_AWS_92")
_r("lb-deletion-protection", "data-loss", M, MEDIUM, "In prod, load balancers set enableDeletionProtection.",
   "set enableDeletionProtection=true", rows=(84,), aw="elb-deletion-protection-enabled",
   nag="HIPAA/NIST ELBDeletionProtectionEnabled", ckv="CKV_AWS_150")
_r("alb-drop-invalid-headers", "elb", M, MEDIUM, "Application load balancers drop invalid header fields.",
   "set dropInvalidHeaderFields=true", rows=(85,), nag="HIPAA/NIST-R4/PCI ALBHttpDropInvalidHeaderEnabled",
   ckv="CKV_AWS_131")
_r("alb-desync-mitigation", "elb", A, MEDIUM,
   "Load balancers use desync mitigation 'defensive' or 'strictest' (default defensive).",
   "set desyncMitigationMode='defensive' or 'strictest'", rows=(86,), ckv="CKV_AWS_328")
_r("lb-cross-zone-multi-az", "elb", M, MEDIUM,
   "Load balancers span >= 2 subnets/AZs; NLB/GWLB enable cross-zone balancing; CLBs keep cross-zone on.",
   "place the load balancer in >= 2 AZ subnets and set enableCrossZoneLoadBalancing=true (NLB)", rows=(87,),
   cp="aws-elb-loadbalancer-configure-multi-availability-zone", nag="AwsSolutions-ELB4",
   ckv="CKV_AWS_152, CKV_AWS_138")
_r("lb-http-redirects-to-https", "elb", M, HIGH,
   "HTTP listeners only redirect to HTTPS (every default action is a redirect with protocol HTTPS).",
   "make the HTTP listener's defaultActions a redirect {protocol: 'HTTPS', port: '443', statusCode: "
   "'HTTP_301'}", rows=(88,), aw="alb-http-to-https-redirection",
   cp="aws-lb-listener-disallow-unencrypted-traffic; aws-alb-listener-disallow-unencrypted-traffic",
   nag="HIPAA/NIST/PCI ALBHttpToHttpsRedirection", ckv="CKV_AWS_2, CKV2_AWS_20")
_r("lb-listener-tls-policy", "elb", M, HIGH,
   "HTTPS/TLS listeners use a TLS 1.3 security policy from allowedSslPolicies (absent = "
   "ELBSecurityPolicy-2016-08, not allowed).", "set sslPolicy='ELBSecurityPolicy-TLS13-1-2-2021-06' (or "
   "stricter)", rows=(89,), cp="aws-lb-listener-configure-secure-tls; aws-alb-listener-configure-secure-tls",
   ckv="CKV_AWS_103, CKV2_AWS_74",
   config=_strs("allowedSslPolicies", [
       "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
       "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
       "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
       "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
       "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09"],
       "security policies HTTPS/TLS listeners may use"))
_r("lb-acm-certificate", "elb", M, MEDIUM,
   "HTTPS/TLS listeners (and CLB secure listeners) use an ACM certificate ARN.",
   "set certificateArn to an ACM certificate (arn:aws:acm:...)", rows=(90,),
   nag="HIPAA/NIST-R5/PCI ELBv2ACMCertificateRequired; ELBACMCertificateRequired", ckv="CKV_AWS_127")
_r("clb-secure-listeners", "elb", M, HIGH, "Classic load balancer listeners use HTTPS/SSL.",
   "set listeners[].lbProtocol to HTTPS or SSL", rows=(91,), cp="aws-elb-loadbalancer-disallow-unencrypted-traffic",
   nag="AwsSolutions-ELB5", ckv="CKV_AWS_376")
_r("clb-not-used-for-http", "elb", A, MEDIUM, "Classic load balancers are not used for HTTP/HTTPS traffic.",
   "use an application load balancer (aws.lb.LoadBalancer) instead", rows=(92,), nag="AwsSolutions-ELB1")
_r("clb-connection-draining", "elb", A, LOW, "Classic load balancers enable connection draining.",
   "set connectionDraining=true", rows=(93,), nag="AwsSolutions-ELB3")
_r("lb-health-check", "elb", A, MEDIUM,
   "Target groups keep health checks (absent = provider default, enabled); CLBs define healthCheck.",
   "remove healthCheck.enabled=false / add healthCheck", rows=(94,), cp="aws-elb-loadbalancer-enable-health-check",
   ckv="CKV_AWS_261")
_r("lb-target-group-not-http", "elb", A, MEDIUM, "Target groups do not use plain HTTP to targets.",
   "set protocol='HTTPS' on the target group (end-to-end TLS)", rows=(95,), ckv="CKV_AWS_378")

# ---------------------------------------------------------------------------------------------------
# VPC / security groups / NACL / routes / flow logs
# ---------------------------------------------------------------------------------------------------
_PUBLIC_PORTS = {"publicPorts": {"type": "array", "items": {"type": "integer"}, "default": [80, 443],
                                 "description": "ports that may be open to the internet (public ALBs)"}}
_r("sg-no-world-ingress", "network", M, HIGH,
   "No security-group ingress from 0.0.0.0/0 or ::/0 except to publicPorts (default 80, 443 for public "
   "ALBs).", "restrict the source to a CIDR/security group, or open only publicPorts", rows=(96,),
   cp="aws-ec2-securitygroup-disallow-public-internet-ingress", nag="AwsSolutions-EC23", ckv="CKV_AWS_277",
   config=_PUBLIC_PORTS)
_r("sg-no-world-ssh", "network", M, CRITICAL, "No ingress from 0.0.0.0/0 or ::/0 covering port 22.",
   "remove the world-open SSH rule (use SSM Session Manager)", rows=(97,), nag="HIPAA/NIST/PCI EC2RestrictedSSH",
   ckv="CKV_AWS_24")
_r("sg-no-world-rdp", "network", M, CRITICAL, "No ingress from 0.0.0.0/0 or ::/0 covering port 3389.",
   "remove the world-open RDP rule", rows=(98,), ckv="CKV_AWS_25")
_r("sg-no-world-common-ports", "network", M, HIGH,
   "No ingress from 0.0.0.0/0 or ::/0 covering 20, 21, 3306, 3389, 4333, 5432, 6379.",
   "restrict the source of database/admin ports to security groups inside the VPC", rows=(99,),
   nag="HIPAA/NIST/PCI EC2RestrictedCommonPorts",
   config={"commonPorts": {"type": "array", "items": {"type": "integer"},
                           "default": [20, 21, 3306, 3389, 4333, 5432, 6379], "description": "ports"}})
_r("sg-no-http-ingress", "network", A, LOW,
   "No ingress on port 80 from the internet (a public ALB's port 80 only redirects to HTTPS).",
   "serve HTTPS only; keep port 80 only on the ALB that redirects", rows=(100,),
   cp="aws-ec2-securitygroup-disallow-inbound-http-traffic", ckv="CKV_AWS_260")
_r("sg-no-unrestricted-egress", "network", A, MEDIUM, "No egress to 0.0.0.0/0 on all protocols and ports.",
   "restrict egress to the ports and destinations the workload needs", rows=(101,), ckv="CKV_AWS_382")
_r("sg-descriptions", "network", A, LOW,
   "Security groups and every inline/standalone rule carry a description.",
   "set description on the group and each rule", rows=(102,),
   cp="aws-ec2-securitygroup-missing-description; -missing-ingress-rule-description; "
      "-missing-egress-rule-description", nag="AwsSolutions-EC27", ckv="CKV_AWS_23")
_r("sg-no-inline-and-standalone-rules", "network", M, MEDIUM,
   "A security group with inline ingress/egress rules is not also targeted by standalone rule resources.",
   "manage the group's rules one way: move inline rules to aws.vpc.SecurityGroupIngressRule/EgressRule",
   rows=(103,), aw="security-group-no-rule-management-conflicts", kind="stack")
_r("sg-attached", "network", A, LOW, "Every security group is used by some resource.",
   "attach the group or delete it", rows=(104,), ckv="CKV2_AWS_5", kind="stack")
_r("default-sg-closed", "network", M, HIGH,
   "Every VPC's default security group is managed (aws.ec2.DefaultSecurityGroup) with no ingress/egress.",
   "add aws.ec2.DefaultSecurityGroup(vpcId=vpc.id, ingress=[], egress=[])", rows=(105,),
   nag="HIPAA/NIST/PCI VPCDefaultSecurityGroupClosed", ckv="CKV2_AWS_12", kind="stack")
_r("vpc-flow-logs", "network", M, HIGH, "Every VPC has a FlowLog (vpcId = the VPC).",
   "add aws.ec2.FlowLog(vpcId=vpc.id, trafficType='ALL', logDestination=an encrypted log group)", rows=(106,),
   nag="AwsSolutions-VPC7", ckv="CKV2_AWS_11", kind="stack")
_r("subnet-no-auto-public-ip", "network", M, MEDIUM,
   "Subnets do not auto-assign public IPs (mapPublicIpOnLaunch / assignIpv6AddressOnCreation not true).",
   "set mapPublicIpOnLaunch=false", rows=(107,), nag="HIPAA/NIST-R5/PCI VPCSubnetAutoAssignPublicIpDisabled",
   ckv="CKV_AWS_130")
_r("nacl-avoid", "network", A, LOW, "Network ACLs are avoided in favour of security groups.",
   "use security groups instead of custom NACLs", rows=(108,), nag="AwsSolutions-VPC3")
_r("nacl-no-unrestricted-ingress", "network", M, HIGH,
   "No NACL allow-ingress from 0.0.0.0/0 or ::/0 to 20, 21, 22, 3389 or all ports.",
   "restrict the NACL rule's CIDR or ports", rows=(109,),
   ckv="CKV_AWS_229, CKV_AWS_230, CKV_AWS_231, CKV_AWS_232, CKV_AWS_352")
_r("nacl-attached", "network", A, LOW, "Every NACL is associated with subnets.",
   "set subnetIds or delete the NACL", rows=(110,), ckv="CKV2_AWS_1")
_r("route-no-unrestricted-igw", "network", M, MEDIUM,
   "Default routes (0.0.0.0/0, ::/0) to an internet gateway exist only in route tables whose associated "
   "subnets are all tagged azora:tier=public.",
   "route private subnets through a NAT gateway; keep IGW routes in the public tier", rows=(111,),
   nag="HIPAA/NIST-R5/PCI VPCNoUnrestrictedRouteToIGW", kind="stack")
_r("route-default-via-nat", "network", M, MEDIUM,
   "Default routes do not point at an instance network interface (use a NAT gateway).",
   "replace networkInterfaceId with natGatewayId", rows=(112,), ckv="CKV2_AWS_35")
_r("route-peering-not-permissive", "network", M, MEDIUM,
   "Routes to a VPC peering connection are not 0.0.0.0/0 or ::/0.",
   "route only the peer VPC's CIDR to the peering connection", rows=(113,), ckv="CKV2_AWS_44")
_r("no-default-vpc", "network", A, MEDIUM, "The default VPC is not managed (aws.ec2.DefaultVpc).",
   "remove the DefaultVpc resource; use the component's VPC", rows=(114,), ckv="CKV_AWS_148")
_r("vpc-endpoint-service-acceptance", "network", M, MEDIUM, "VPC endpoint services require acceptance.",
   "set acceptanceRequired=true", rows=(115,), ckv="CKV_AWS_123")

# ---------------------------------------------------------------------------------------------------
# Backup / Secrets / Route53 / Logs
# ---------------------------------------------------------------------------------------------------
_r("backup-vault-cmk", "backup", M, HIGH, "Backup vaults are encrypted with a customer-managed key.",
   "set kmsKeyArn to the region's backup key (RegionKeys.backup_key_arn)", rows=(116,), ckv="CKV_AWS_166",
   exempt=NOT_PERSONAL)
_r("secret-cmk", "secrets", M, HIGH, "Secrets are encrypted with a customer-managed key.",
   "set kmsKeyId to the region's secrets key", rows=(117,),
   cp="aws-secretsmanager-secret-configure-customer-managed-key", nag="HIPAA/NIST-R5/PCI SecretsManagerUsingKMSKey",
   ckv="CKV_AWS_149")
_r("secret-rotation", "secrets", M, MEDIUM, "Every secret has an aws.secretsmanager.SecretRotation.",
   "add aws.secretsmanager.SecretRotation(secretId=secret.id, rotationRules={automaticallyAfterDays: 30})",
   rows=(118,), nag="AwsSolutions-SMG4", ckv="CKV2_AWS_57", kind="stack")
_r("secret-rotation-max-days", "secrets", M, MEDIUM,
   "Secret rotation happens at least every maxRotationDays (automaticallyAfterDays or a rate() schedule).",
   "set rotationRules.automaticallyAfterDays <= the maximum", rows=(119,), ckv="CKV_AWS_304",
   config=_int("maxRotationDays", 30, "days (seed: rotate every 30 days)"))
_r("secret-description", "secrets", A, LOW, "Secrets have a description of at least 6 characters.",
   "set description", rows=(120,), cp="aws-secretsmanager-secret-missing-description")
_r("route53-dnssec", "route53", A, MEDIUM, "Public hosted zones sign with DNSSEC (HostedZoneDnsSec).",
   "add aws.route53.KeySigningKey and aws.route53.HostedZoneDnsSec for the zone", rows=(121,),
   ckv="CKV2_AWS_38", kind="stack")
_r("route53-query-logging", "route53", A, LOW, "Public hosted zones have query logging (aws.route53.QueryLog).",
   "add aws.route53.QueryLog(zoneId=zone.zone_id, cloudwatchLogGroupArn=...)", rows=(122,),
   ckv="CKV2_AWS_39", kind="stack")
_r("route53-record-target-exists", "route53", A, MEDIUM,
   "Alias A/AAAA records point at a load balancer managed in this stack (dangling-DNS guard).",
   "point the alias at a resource in the stack, or remove the stale record", rows=(123,), ckv="CKV2_AWS_23",
   kind="stack")
_r("route53-domain-transfer-lock", "route53", M, MEDIUM, "Registered domains keep the transfer lock.",
   "set transferLock=true", rows=(124,), ckv="CKV_AWS_377")
_r("log-group-cmk", "logs", M, HIGH, "Log groups are encrypted with a customer-managed key.",
   "set kmsKeyId to the region's logs key (RegionKeys.logs_key_arn)", rows=(125,),
   nag="HIPAA/NIST/PCI CloudWatchLogGroupEncrypted", ckv="CKV_AWS_158")
_r("log-group-retention", "logs", M, MEDIUM,
   "Log groups set retentionInDays >= minRetentionDays (absent = never expire).",
   "set retentionInDays to at least the minimum (the environment preset)", rows=(126,),
   nag="HIPAA/NIST/PCI/Serverless CloudWatchLogGroupRetentionPeriod", ckv="CKV_AWS_66, CKV_AWS_338",
   config=_int("minRetentionDays", 30, "days (prod presets use 365)"))

# ---------------------------------------------------------------------------------------------------
# Region baseline, identities, customers (gap rules: the stack as a whole)
# ---------------------------------------------------------------------------------------------------
_BASELINE_REGION = {"region": {"type": "string", "description": "the region a region stack baselines (default: "
                               "stack config azora:region; a stack without it is not a region stack)"}}
_r("region-audit-trail", "baseline", M, HIGH,
   "An Azora region stack has a logging CloudTrail trail in its region that delivers to a bucket of the stack, in "
   "the region's jurisdiction, with Object Lock in COMPLIANCE mode for at least minRetentionYears.",
   "add components.audit.AuditTrail (azora:audit): a trail to the region's object-locked archive", exempt=NEVER,
   kind="stack", config={**_BASELINE_REGION,
                         **_int("minRetentionYears", 7, "years audit log files stay immutable (seed: 7)")})
_r("region-security-services", "baseline", M, HIGH,
   "An Azora region stack enables, in its region, a GuardDuty detector, an AWS Config recorder that is recording "
   "(RecorderStatus isEnabled) and Security Hub.",
   "add components.posture.SecurityPosture (azora:posture)", exempt=NEVER, kind="stack", config=_BASELINE_REGION)
_r("budget-covers-cost-centers", "baseline", M, MEDIUM,
   "Every azora:cost-center the stack's taggable resources carry (merged tags) has an AWS Budgets budget whose "
   "costFilters include TagKeyValue 'user:azora:cost-center$<value>' and, if it filters by Region, the stack's region.",
   "add the cost center to azora:cost.budgets.costCenters (components.cost.CostBudgets)", kind="stack",
   config=_BASELINE_REGION)
_r("user-pool-residency", "residency", M, CRITICAL,
   "A Cognito user pool (holding identities: personal unless tagged with another data class) is in a region of its "
   "home jurisdiction (the stack's azora:region, else its provider's region).",
   "create the user pool with the provider of a region of its own jurisdiction", exempt=NEVER)
_r("customer-tag-format", "tagging", M, LOW,
   "A resource's merged azora:customer tag, when present, is a customer id (lower-case letters, digits, dashes).",
   "set azora:customer to the customer's id as configured (azora:tags.customer / azora:ownership.<part>.customer)")

# ---------------------------------------------------------------------------------------------------
# Alarms that reach people (gap rules: issue 11)
# ---------------------------------------------------------------------------------------------------
_r("alarms-per-resource", "alarms", M, HIGH,
   "Every application load balancer, Aurora cluster, ElastiCache replication group and Route 53 health check "
   "has CloudWatch alarms on its requiredMetrics (a secondary member of a global database also on "
   "secondaryClusterMetrics); an alarm is on a resource when a metric dimension names it or depends on it.",
   "add the missing alarms (components.alarms.RegionAlarms creates them from the alarm catalog)", kind="stack",
   config={"requiredMetrics": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                               "description": "resource type -> metric names it needs an alarm on",
                               "default": {"aws:lb/loadBalancer:LoadBalancer": ["HTTPCode_Target_5XX_Count",
                                                                                 "TargetResponseTime"],
                                           "aws:rds/cluster:Cluster": ["CPUUtilization", "FreeableMemory",
                                                                       "DatabaseConnections"],
                                           "aws:elasticache/replicationGroup:ReplicationGroup": [
                                               "EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions"],
                                           "aws:route53/healthCheck:HealthCheck": ["HealthCheckStatus"]}},
           **_strs("secondaryClusterMetrics", ["AuroraGlobalDBReplicationLag"],
                   "metrics a secondary member of an Aurora global database needs alarms on")})
_r("alarm-actions", "alarms", M, HIGH,
   "Every CloudWatch metric and composite alarm has actions (alarmActions, actionsEnabled not false), or is "
   "evaluated by a composite alarm that has them.",
   "set alarmActions to the severity's SNS topic (page alarms also the Incident Manager response plan)",
   kind="stack")
_r("alarm-topic-subscribed", "alarms", M, HIGH,
   "In prod (merged azora:environment tag prod or absent), every SNS topic of the stack an alarm notifies has at "
   "least one subscription (aws.sns.TopicSubscription or a chat channel configuration).",
   "subscribe people to the topic: e-mail, the pager's HTTPS endpoint (azora:alerting) or a Slack channel",
   kind="stack")
_r("alarm-topic-subscribed-nonprod", "alarms", A, MEDIUM,
   "Outside prod, every SNS topic of the stack an alarm notifies has at least one subscription.",
   "subscribe someone to the topic (azora:alerting), or accept that this environment's alarms reach nobody",
   kind="stack")
_r("alarm-runbook", "alarms", M, MEDIUM,
   "Every CloudWatch metric and composite alarm's description names its runbook (runbookPattern, "
   "docs/runbooks/<file>.md).",
   "add 'Runbook: docs/runbooks/<file>.md' to alarmDescription",
   config={"runbookPattern": {"type": "string", "default": r"docs/runbooks/[A-Za-z0-9._-]+\.md",
                              "description": "regular expression the description must contain"}})

# ---------------------------------------------------------------------------------------------------
# Exemptions
# ---------------------------------------------------------------------------------------------------
EXEMPTIONS_POLICY = "policy-exemptions"
EXEMPTION_VALID_POLICY = "policy-exemption-valid"
_r(EXEMPTIONS_POLICY, "exemptions", A, LOW,
   "Lists every exemption in force (tag azora:policy-exempt:<policy> or config `exemptions`), one advisory "
   "diagnostic each whose message is JSON {policy, urn, reason}.",
   "nothing to change: this is the audit trail of exemptions", exempt=NEVER,
   config={"exemptions": {"type": "array", "default": [], "description": "[{policy, urn | name, reason}]",
                          "items": {"type": "object", "required": ["policy"], "additionalProperties": False,
                                    "properties": {"policy": {"type": "string"}, "urn": {"type": "string"},
                                                   "name": {"type": "string"}, "reason": {"type": "string"}}}}})
_r(EXEMPTION_VALID_POLICY, "exemptions", M, HIGH,
   "Every exemption names a known, exemptable policy and gives a non-empty reason.",
   "give the exemption a reason (tag value / config `reason`) or remove it", exempt=NEVER)


RULES: dict[str, RuleMeta] = {r.name: r for r in _RULES}
assert len(RULES) == len(_RULES), "duplicate rule name"

#: Rows of research/policy-anchors.md that no rule covers, with the reason.
NOT_APPLICABLE: tuple[tuple[int, str, str, str], ...] = (
    (27, "rds-no-classic-db-security-group", "AwsSolutions-RDS8; CKV_AWS_198",
     "EC2-Classic DB security groups no longer exist in pulumi-aws v7 (no resource type to check)."),
    (38, "elasticache-no-classic-security-group", "CKV_AWS_196",
     "EC2-Classic cache security groups no longer exist in pulumi-aws v7 (no resource type to check)."),
)


def rule(name: str) -> RuleMeta:
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"unknown policy {name!r}") from None


def covered_rows() -> set[int]:
    return {row for r in RULES.values() for row in r.rows}
