"""pulumi-aws v7 type tokens the rules read (deprecated V2 aliases included where they still exist)."""

from __future__ import annotations

RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_GLOBAL = "aws:rds/globalCluster:GlobalCluster"
RDS_PARAMS = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
RDS_CLUSTER_SNAPSHOT = "aws:rds/clusterSnapshot:ClusterSnapshot"
RDS_SNAPSHOT = "aws:rds/snapshot:Snapshot"
RDS_SNAPSHOT_COPY = "aws:rds/snapshotCopy:SnapshotCopy"
RDS_BACKUP_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
RDS_ACTIVITY_STREAM = "aws:rds/clusterActivityStream:ClusterActivityStream"

CACHE_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
CACHE_GLOBAL = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"

KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
KMS_REPLICA = "aws:kms/replicaKey:ReplicaKey"

S3_BUCKET = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_SSE = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
S3_PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
S3_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
S3_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
S3_ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
S3_OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
S3_REPLICATION = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
S3_OBJECT_LOCK = ("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
                  "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2")
S3_LIFECYCLE = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
S3_NOTIFICATION = ("aws:s3/bucketNotification:BucketNotification",)
S3_ACCESS_POINT = "aws:s3/accessPoint:AccessPoint"
S3_OBJECTS = ("aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/objectCopy:ObjectCopy")

CLOUDTRAIL = "aws:cloudtrail/trail:Trail"
CLOUDTRAIL_EDS = "aws:cloudtrail/eventDataStore:EventDataStore"

WAF_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_RULE = "aws:wafv2/webAclRule:WebAclRule"
WAF_RULE_GROUP = "aws:wafv2/ruleGroup:RuleGroup"
WAF_RULE_GROUP_ASSOC = "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation"
WAF_ASSOC = "aws:wafv2/webAclAssociation:WebAclAssociation"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"

LB = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TARGET_GROUP = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
CLB = "aws:elb/loadBalancer:LoadBalancer"

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE_TABLE_ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
ENDPOINT_SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"

BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
QUERY_LOG = "aws:route53/queryLog:QueryLog"
DNSSEC = "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec"
DOMAIN = "aws:route53domains/registeredDomain:RegisteredDomain"

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

BUDGET = "aws:budgets/budget:Budget"
GUARDDUTY = "aws:guardduty/detector:Detector"
CONFIG_RECORDER = "aws:cfg/recorder:Recorder"
CONFIG_RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
SECURITY_HUB = "aws:securityhub/account:Account"
USER_POOL = "aws:cognito/userPool:UserPool"

#: data stores: carry azora:data-class (backup vaults do not: one vault holds recovery points of several
#: classes; a backup plan's class comes from its tags or its selections)
DATA_STORES = (RDS_CLUSTER, RDS_INSTANCE, RDS_GLOBAL, CACHE_GROUP, CACHE_CLUSTER, *S3_BUCKET)
