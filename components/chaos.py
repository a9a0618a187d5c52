"""`ChaosExperiments` (`azora:chaos:ChaosExperiments`): AWS FIS experiment templates for one region.

One template per fault, targets chosen by the deployment's tags (``target_tags``, e.g. the
environment and service cost tags) plus a narrower tag or filter per fault:

- ``aurora-writer-failover``: `aws:rds:failover-db-cluster` on one tagged `aws:rds:cluster`
  (+ ``aurora_failover_tags``); ``aurora-reader-reboot``: `aws:rds:reboot-db-instances` on one
  `aws:rds:db` also tagged ``azora:db-role=reader``;
- ``cache-az-power``: `aws:elasticache:replicationgroup-interrupt-az-power` on the tagged
  replication groups' nodes in ``availability_zone``;
- ``eks-node-termination``: `aws:eks:terminate-nodegroup-instances`, a third of one tagged node group;
- ``eks-pod-delete`` / ``eks-pod-cpu-stress`` / ``eks-pod-network-latency``: `aws:eks:pod-*` on the
  pods matching ``pod_selector`` in ``pod_namespace`` (FIS selects pods by these parameters only);
- ``az-network-disruption``: `aws:network:disrupt-connectivity` on every tagged subnet of
  ``availability_zone``;
- ``api-throttle``: `aws:fis:inject-api-throttle-error` on the EC2 calls of
  ``api_throttle_role_arns`` (FIS selects roles by ARN).

Every template: stop conditions on ``stop_alarm_arns`` (1-5 CloudWatch alarms of this region;
FIS stops the experiment when one is in ALARM), its own least-privilege role per fault family,
logs to a KMS-encrypted log group, and an experiment report (PDF + dashboard snapshots) written to
a private, KMS-encrypted bucket of this component. The pod faults also get what Kubernetes needs:
a ServiceAccount, a Role and a RoleBinding in the pod namespace, and an EKS access entry mapping
the pod-fault role to the user ``fis-experiment``.

The daily random run lives in `components/chaos_schedule.py` (`ChaosSchedule`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from azora_infra.tags import data_tags

from .base import AzoraComponent
from .buckets import BucketOptions, Lifecycle, deny_insecure_transport, private_bucket

#: the Kubernetes user the pod-fault role is mapped to (FIS documentation's name)
FIS_K8S_USER = "fis-experiment"
FIS_SERVICE_ACCOUNT = "fis-experiment"
MAX_STOP_CONDITIONS = 5


@dataclass(frozen=True)
class Experiment:
    action: str
    family: str  # one IAM role per family
    target_type: str
    target_key: str  # the action's target name
    description: str
    parameters: Mapping[str, str] = field(default_factory=dict)


EXPERIMENTS: dict[str, Experiment] = {
    "aurora-writer-failover": Experiment(
        "aws:rds:failover-db-cluster", "aurora", "aws:rds:cluster", "Clusters",
        "Aurora writer failover inside the region: a reader becomes the writer"),
    "aurora-reader-reboot": Experiment(
        "aws:rds:reboot-db-instances", "aurora", "aws:rds:db", "DBInstances",
        "reboot one Aurora reader", {"forceFailover": "false"}),
    "cache-az-power": Experiment(
        "aws:elasticache:replicationgroup-interrupt-az-power", "cache", "aws:elasticache:replicationgroup",
        "ReplicationGroups", "power interruption of the cache nodes in one availability zone", {"duration": "PT10M"}),
    "eks-node-termination": Experiment(
        "aws:eks:terminate-nodegroup-instances", "nodes", "aws:eks:nodegroup", "Nodegroups",
        "terminate a third of one node group's instances", {"instanceTerminationPercentage": "34"}),
    "eks-pod-delete": Experiment(
        "aws:eks:pod-delete", "pods", "aws:eks:pod", "Pods", "delete pods (their controllers must replace them)",
        {"gracePeriodSeconds": "0"}),
    "eks-pod-cpu-stress": Experiment(
        "aws:eks:pod-cpu-stress", "pods", "aws:eks:pod", "Pods", "80 % CPU stress in pods for 5 minutes",
        {"duration": "PT5M", "percent": "80"}),
    "eks-pod-network-latency": Experiment(
        "aws:eks:pod-network-latency", "pods", "aws:eks:pod", "Pods", "200 ms network latency in pods for 5 minutes",
        {"duration": "PT5M", "delayMilliseconds": "200", "jitterMilliseconds": "20"}),
    "az-network-disruption": Experiment(
        "aws:network:disrupt-connectivity", "network", "aws:ec2:subnet", "Subnets",
        "deny all traffic in and out of one availability zone's subnets for 5 minutes",
        {"scope": "all", "duration": "PT5M"}),
    "api-throttle": Experiment(
        "aws:fis:inject-api-throttle-error", "api", "aws:iam:role", "Roles",
        "throttle half of the EC2 API calls of the node provisioner for 5 minutes",
        {"service": "ec2", "operations": "DescribeInstances,CreateFleet,RunInstances", "percentage": "50",
         "duration": "PT5M"}),
}
POD_EXPERIMENTS = tuple(k for k, e in EXPERIMENTS.items() if e.family == "pods")


@dataclass(frozen=True)
class ChaosExperimentsArgs:
    region: str
    #: names: <prefix>-<experiment>, log group /aws/fis/<prefix>
    name_prefix: str
    #: the tags that select this deployment's resources (e.g. azora:environment, azora:service)
    target_tags: Mapping[str, str]
    #: CloudWatch alarms (this region) that stop every experiment: 1 to 5
    stop_alarm_arns: Sequence[pulumi.Input[str]]
    logs_key_arn: pulumi.Input[str]
    #: the key of the experiment-report bucket
    reports_key_arn: pulumi.Input[str]
    #: the availability zone the AZ faults (network, cache power) hit
    availability_zone: str
    experiments: Sequence[str] = tuple(EXPERIMENTS)
    log_retention_days: int = 90
    #: extra tags narrowing the Aurora failover target (e.g. the class of the clusters with a writer here)
    aurora_failover_tags: Mapping[str, str] = field(default_factory=dict)
    #: EKS: the cluster (name, ARN) and a Kubernetes provider for the pod faults' RBAC
    eks_cluster_name: pulumi.Input[str] | None = None
    eks_cluster_arn: pulumi.Input[str] | None = None
    k8s_provider: pulumi.ProviderResource | None = None
    pod_namespace: str = "default"
    #: label selector of the pods the pod faults may hit (pods opt in with this label)
    pod_selector: str = "azora.io/chaos=enabled"
    #: the roles whose EC2 API calls `api-throttle` throttles (e.g. Karpenter's controller)
    api_throttle_role_arns: Sequence[pulumi.Input[str]] = ()
    #: a steady-state guard of this component: an alarm on the ALB's 5xx rate (ARN suffix
    #: ``app/<name>/<id>``), added to the stop conditions (until SLO burn-rate alarms are passed in)
    guard_load_balancer_arn_suffix: pulumi.Input[str] | None = None
    guard_error_rate_percent: float = 5.0
    guard_alarm_actions: Sequence[pulumi.Input[str]] = ()
    #: CloudWatch dashboards to snapshot into the experiment report
    report_dashboard_arns: Sequence[pulumi.Input[str]] = ()
    protect: bool = False

    def validate(self) -> None:
        unknown = sorted(set(self.experiments) - set(EXPERIMENTS))
        if unknown:
            raise ValueError(f"ChaosExperiments: unknown experiments {unknown} (known: {', '.join(EXPERIMENTS)})")
        count = len(self.stop_alarm_arns) + (self.guard_load_balancer_arn_suffix is not None)
        if not 1 <= count <= MAX_STOP_CONDITIONS:
            raise ValueError(f"ChaosExperiments: {count} stop alarms: FIS takes 1 to "
                             f"{MAX_STOP_CONDITIONS}, and an experiment without one cannot be stopped by an SLO alarm")
        for arn in self.stop_alarm_arns:
            if isinstance(arn, str) and not arn.startswith(f"arn:aws:cloudwatch:{self.region}:"):
                raise ValueError(f"ChaosExperiments: stop alarm {arn} is not a CloudWatch alarm of {self.region}: "
                                 "FIS evaluates stop conditions in the experiment's region")
        if not self.target_tags:
            raise ValueError("ChaosExperiments: target_tags is empty: the experiments would target every "
                             "resource of the account")
        pods = set(self.experiments) & set(POD_EXPERIMENTS)
        if (pods or "eks-node-termination" in self.experiments) and self.eks_cluster_name is None:
            raise ValueError("ChaosExperiments: the EKS experiments need eks_cluster_name (and eks_cluster_arn)")
        if pods and (self.k8s_provider is None or self.eks_cluster_arn is None):
            raise ValueError("ChaosExperiments: the pod experiments need k8s_provider and eks_cluster_arn")
        if "api-throttle" in self.experiments and not self.api_throttle_role_arns:
            raise ValueError("ChaosExperiments: api-throttle needs api_throttle_role_arns")


def trust_policy(account: str, region: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "fis.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:fis:{region}:{account}:experiment/*"}}}]})


def _tag_condition(tags: Mapping[str, str]) -> dict[str, Any]:
    return {"StringEquals": {f"aws:ResourceTag/{k}": v for k, v in sorted(tags.items())}}


def family_policy(family: str, account: str, region: str, tags: Mapping[str, str], *,
                  cluster_arn: str | None = None, role_arns: Sequence[str] = (),
                  bucket_arn: str, reports_key_arn: str) -> str:
    """The least privilege of one fault family: its fault actions on the tagged resources only, the
    reads FIS needs to resolve targets, and delivery of logs and the report."""
    arn = f"arn:aws:{{}}:{region}:{account}:{{}}"
    cond = _tag_condition(tags)
    statements: list[dict[str, Any]] = []
    if family == "aurora":
        statements += [
            {"Sid": "FaultOnTaggedDatabases", "Effect": "Allow",
             "Action": ["rds:FailoverDBCluster", "rds:RebootDBInstance"],
             "Resource": [arn.format("rds", "cluster:*"), arn.format("rds", "db:*")], "Condition": cond},
            {"Sid": "DescribeDatabases", "Effect": "Allow",
             "Action": ["rds:DescribeDBClusters", "rds:DescribeDBInstances"], "Resource": "*"}]
    elif family == "cache":
        statements += [
            {"Sid": "FaultOnTaggedCaches", "Effect": "Allow", "Action": "elasticache:InterruptClusterAzPower",
             "Resource": arn.format("elasticache", "replicationgroup:*"), "Condition": cond},
            {"Sid": "DescribeCaches", "Effect": "Allow", "Action": "elasticache:DescribeReplicationGroups",
             "Resource": "*"}]
    elif family == "nodes":
        statements += [
            {"Sid": "TerminateTaggedNodes", "Effect": "Allow", "Action": "ec2:TerminateInstances",
             "Resource": arn.format("ec2", "instance/*"), "Condition": cond},
            {"Sid": "DescribeNodes", "Effect": "Allow",
             "Action": ["eks:DescribeNodegroup", "ec2:DescribeInstances"], "Resource": "*"}]
    elif family == "pods":
        statements.append({"Sid": "DescribeTheCluster", "Effect": "Allow", "Action": "eks:DescribeCluster",
                           "Resource": cluster_arn or arn.format("eks", "cluster/*")})
    elif family == "network":
        statements += [
            {"Sid": "DisruptTaggedSubnets", "Effect": "Allow", "Action": "ec2:ReplaceNetworkAclAssociation",
             "Resource": [arn.format("ec2", "subnet/*"), arn.format("ec2", "network-acl/*")]},
            {"Sid": "OwnNetworkAcls", "Effect": "Allow",
             "Action": ["ec2:CreateNetworkAcl", "ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl", "ec2:CreateTags"],
             "Resource": [arn.format("ec2", "network-acl/*"), arn.format("ec2", "vpc/*")]},
            {"Sid": "DescribeNetwork", "Effect": "Allow",
             "Action": ["ec2:DescribeNetworkAcls", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
                        "ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries"], "Resource": "*"}]
    elif family == "api":
        # the EC2 API errors are injected through ec2:InjectApiError, scoped to this action and roles
        statements.append({"Sid": "ThrottleTheseRolesEc2Calls", "Effect": "Allow", "Action": "ec2:InjectApiError",
                           "Resource": "*", "Condition": {
                               "ForAnyValue:StringEquals": {"ec2:FisActionId": ["aws:fis:inject-api-throttle-error"]},
                               # every target of the call must be one of these roles, not just one of them
                               "ForAllValues:StringEquals": {"ec2:FisTargetArns": list(role_arns)}}})
    else:
        raise ValueError(f"unknown fault family {family!r}")
    statements += [
        {"Sid": "ResolveTaggedTargets", "Effect": "Allow", "Action": "tag:GetResources", "Resource": "*"},
        {"Sid": "DeliverLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups"], "Resource": "*"},
        {"Sid": "WriteReports", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/fis-reports/*"},
        {"Sid": "ReportDashboards", "Effect": "Allow",
         "Action": ["cloudwatch:GetDashboard", "cloudwatch:GetMetricWidgetImage"], "Resource": "*"},
        {"Sid": "EncryptReports", "Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": reports_key_arn},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def reports_bucket_policy(bucket_arn: str, account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        deny_insecure_transport(bucket_arn),
        {"Sid": "AccountOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"],
         "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account}}},
    ]})


POD_RULES = [  # FIS user guide, "Use the AWS FIS aws:eks:pod actions": the Role the experiment user needs
    (["configmaps"], ["get", "create", "patch", "delete"]),
    (["pods"], ["create", "list", "get", "delete", "deletecollection"]),
    (["pods/ephemeralcontainers"], ["update"]),
    (["pods/exec"], ["create"]),
]


class ChaosExperiments(AzoraComponent):
    """FIS templates of one region. Outputs: ``template_ids`` / ``template_arns`` (experiment key ->
    id/ARN), ``role_arns`` (family -> role ARN), ``log_group_arn``, ``reports_bucket``."""

    def __init__(self, name: str, args: ChaosExperimentsArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:chaos:ChaosExperiments", name, provider, opts)
        self._args = args
        self._account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
        self.log_group = self._logs()
        self.guard_alarm = self._guard()
        self.stop_alarm_arns: list[pulumi.Input[str]] = [
            *([self.guard_alarm.arn] if self.guard_alarm is not None else []), *args.stop_alarm_arns]
        self.reports_bucket = self._reports_bucket()
        families = sorted({EXPERIMENTS[k].family for k in args.experiments})
        self.roles = {f: self._role(f) for f in families}
        k8s_ready = self._kubernetes() if "pods" in self.roles else []
        self.templates = {k: self._template(k, k8s_ready) for k in args.experiments}
        self.template_ids: dict[str, pulumi.Output[str]] = {k: t.id for k, t in self.templates.items()}
        self.template_arns: dict[str, pulumi.Output[str]] = {
            k: pulumi.Output.concat("arn:aws:fis:", args.region, ":", self._account, ":experiment-template/", t.id)
            for k, t in self.templates.items()}
        self.role_arns = {f: r.arn for f, r in self.roles.items()}
        self.log_group_arn = self.log_group.arn
        self.register_outputs({"templateIds": self.template_ids, "roleArns": self.role_arns,
                               "stopAlarmArns": self.stop_alarm_arns,
                               "logGroupArn": self.log_group_arn, "reportsBucket": self.reports_bucket.id})

    def _logs(self) -> aws.cloudwatch.LogGroup:
        a = self._args
        return aws.cloudwatch.LogGroup(
            self.child_name("logs"), name=f"/aws/fis/{a.name_prefix}", kms_key_id=a.logs_key_arn,
            retention_in_days=a.log_retention_days, opts=self.child_opts())

    def _guard(self) -> aws.cloudwatch.MetricAlarm | None:
        """ALB 5xx responses (load balancer's and targets') over requests, per minute: ALARM after two
        minutes above the limit stops every running experiment."""
        a = self._args
        if a.guard_load_balancer_arn_suffix is None:
            return None
        dims = {"LoadBalancer": a.guard_load_balancer_arn_suffix}

        def metric(mid: str, name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=mid, return_data=False, metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace="AWS/ApplicationELB", metric_name=name, dimensions=dims, period=60, stat="Sum"))

        return aws.cloudwatch.MetricAlarm(
            self.child_name("guard"), name=f"{a.name_prefix}-chaos-guard-5xx",
            alarm_description=(f"{a.name_prefix}: more than {a.guard_error_rate_percent:g} % of requests fail (5xx) "
                               "for 2 minutes: stops running FIS experiments. Runbook: docs/runbooks/chaos.md"),
            tags={"azora:alarm": "chaos-guard", "azora:severity": "ticket"},
            comparison_operator="GreaterThanThreshold", threshold=a.guard_error_rate_percent,
            evaluation_periods=2, datapoints_to_alarm=2, treat_missing_data="notBreaching",
            metric_queries=[
                metric("target5xx", "HTTPCode_Target_5XX_Count"), metric("elb5xx", "HTTPCode_ELB_5XX_Count"),
                metric("requests", "RequestCount"),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate", return_data=True, label="5xx % of requests",
                    expression="IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)")],
            alarm_actions=list(a.guard_alarm_actions) or None, ok_actions=list(a.guard_alarm_actions) or None,
            opts=self.child_opts())

    def _reports_bucket(self) -> aws.s3.Bucket:
        a = self._args
        made = private_bucket(self, "reports", BucketOptions(
            bucket_name=self._account.apply(lambda acct: f"{a.name_prefix}-fis-reports-{acct}"[:63]),
            tags={"Name": f"{a.name_prefix}-fis-reports", **data_tags("internal")}, kms_key_arn=a.reports_key_arn,
            lifecycle=Lifecycle(rule_id="expire-reports", expiration_days=400, noncurrent_days=30),
            protect=a.protect))
        aws.s3.BucketPolicy(
            self.child_name("reports"), bucket=made.bucket.id,
            policy=pulumi.Output.all(made.bucket.arn, self._account).apply(lambda v: reports_bucket_policy(v[0], v[1])),
            opts=self.child_opts(depends_on=[made.public_access_block]))
        return made.bucket

    def _role(self, family: str) -> aws.iam.Role:
        a = self._args
        role = aws.iam.Role(
            self.child_name("role", family), name=f"{a.name_prefix}-fis-{family}"[:64],
            description=f"AWS FIS: {family} faults of {a.name_prefix} (tagged targets only)",
            assume_role_policy=self._account.apply(lambda acct: trust_policy(acct, a.region)),
            opts=self.child_opts())
        policy = pulumi.Output.all(self._account, a.eks_cluster_arn, list(a.api_throttle_role_arns),
                                   self.reports_bucket.arn, a.reports_key_arn).apply(
            lambda v: family_policy(family, v[0], a.region, a.target_tags, cluster_arn=v[1], role_arns=v[2],
                                    bucket_arn=v[3], reports_key_arn=v[4]))
        aws.iam.RolePolicy(self.child_name("role", family), role=role.id, policy=policy, opts=self.child_opts())
        return role

    def _kubernetes(self) -> list[pulumi.Resource]:
        """What the pod faults need in the cluster: the FIS role mapped to the user `fis-experiment`,
        a ServiceAccount for the FIS pod, and a Role bound to both in the pod namespace."""
        a = self._args
        assert a.k8s_provider is not None and a.eks_cluster_name is not None
        entry = aws.eks.AccessEntry(
            self.child_name("pods-access"), cluster_name=a.eks_cluster_name, principal_arn=self.roles["pods"].arn,
            user_name=FIS_K8S_USER, type="STANDARD", opts=self.child_opts())
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=a.k8s_provider)
        labels = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "azora-chaos"}

        def meta(name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=a.pod_namespace, labels=labels)

        sa = k8s.core.v1.ServiceAccount(self.child_name("pods-sa"), metadata=meta(FIS_SERVICE_ACCOUNT),
                                        automount_service_account_token=True, opts=k8s_opts)
        role = k8s.rbac.v1.Role(
            self.child_name("pods-role"), metadata=meta("azora-fis-experiment"),
            rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=r, verbs=v) for r, v in POD_RULES],
            opts=k8s_opts)
        binding = k8s.rbac.v1.RoleBinding(
            self.child_name("pods-binding"), metadata=meta("azora-fis-experiment"),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role",
                                             name="azora-fis-experiment"),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=FIS_SERVICE_ACCOUNT,
                                              namespace=a.pod_namespace),
                      k8s.rbac.v1.SubjectArgs(kind="User", name=FIS_K8S_USER, api_group="rbac.authorization.k8s.io")],
            opts=pulumi.ResourceOptions(parent=self, provider=a.k8s_provider, depends_on=[role, sa]))
        return [entry, sa, role, binding]

    def _target(self, key: str) -> aws.fis.ExperimentTemplateTargetArgs:
        a = self._args
        e = EXPERIMENTS[key]
        tags = dict(a.target_tags)
        mode: str = "COUNT(1)"
        params: dict[str, pulumi.Input[str]] | None = None
        filters: list[aws.fis.ExperimentTemplateTargetFilterArgs] | None = None
        arns: list[pulumi.Input[str]] | None = None
        if key == "aurora-writer-failover":
            tags.update(a.aurora_failover_tags)
        elif key == "aurora-reader-reboot":
            tags["azora:db-role"] = "reader"
        elif key == "cache-az-power":
            mode, params = "ALL", {"availabilityZoneIdentifier": a.availability_zone}
        elif key == "az-network-disruption":
            mode = "ALL"
            filters = [aws.fis.ExperimentTemplateTargetFilterArgs(path="AvailabilityZone",
                                                                   values=[a.availability_zone])]
        elif e.family == "pods":
            tags = {}
            mode = "ALL" if key != "eks-pod-delete" else "COUNT(1)"
            assert a.eks_cluster_name is not None
            params = {"clusterIdentifier": a.eks_cluster_name, "namespace": a.pod_namespace,
                      "selectorType": "labelSelector", "selectorValue": a.pod_selector}
        elif key == "api-throttle":
            tags, mode, arns = {}, "ALL", list(a.api_throttle_role_arns)
        return aws.fis.ExperimentTemplateTargetArgs(
            name=e.target_key.lower(), resource_type=e.target_type, selection_mode=mode, parameters=params,
            filters=filters, resource_arns=arns,
            resource_tags=[aws.fis.ExperimentTemplateTargetResourceTagArgs(key=k, value=v)
                           for k, v in sorted(tags.items())] or None)

    def _template(self, key: str, depends_on: list[pulumi.Resource]) -> aws.fis.ExperimentTemplate:
        a = self._args
        e = EXPERIMENTS[key]
        params = dict(e.parameters)
        if e.family == "pods":
            params["kubernetesServiceAccount"] = FIS_SERVICE_ACCOUNT
        target = self._target(key)
        return aws.fis.ExperimentTemplate(
            self.child_name(key),
            description=f"{a.name_prefix}: {e.description}"[:512],
            role_arn=self.roles[e.family].arn,
            actions=[aws.fis.ExperimentTemplateActionArgs(
                name=key, action_id=e.action, description=e.description,
                parameters=[aws.fis.ExperimentTemplateActionParameterArgs(key=k, value=v)
                            for k, v in sorted(params.items())] or None,
                target=aws.fis.ExperimentTemplateActionTargetArgs(key=e.target_key, value=target.name))],
            targets=[target],
            stop_conditions=[aws.fis.ExperimentTemplateStopConditionArgs(source="aws:cloudwatch:alarm", value=arn)
                             for arn in self.stop_alarm_arns],
            log_configuration=aws.fis.ExperimentTemplateLogConfigurationArgs(
                log_schema_version=2,
                cloudwatch_logs_configuration=aws.fis.ExperimentTemplateLogConfigurationCloudwatchLogsConfigurationArgs(
                    log_group_arn=self.log_group.arn.apply(lambda arn: f"{arn}:*"))),
            experiment_options=aws.fis.ExperimentTemplateExperimentOptionsArgs(
                account_targeting="single-account", empty_target_resolution_mode="fail"),
            experiment_report_configuration=aws.fis.ExperimentTemplateExperimentReportConfigurationArgs(
                outputs=aws.fis.ExperimentTemplateExperimentReportConfigurationOutputsArgs(
                    s3_configuration=aws.fis.ExperimentTemplateExperimentReportConfigurationOutputsS3ConfigurationArgs(
                        bucket_name=self.reports_bucket.id, prefix=f"fis-reports/{key}")),
                data_sources=aws.fis.ExperimentTemplateExperimentReportConfigurationDataSourcesArgs(
                    cloudwatch_dashboards=[
                        aws.fis.ExperimentTemplateExperimentReportConfigurationDataSourcesCloudwatchDashboardArgs(
                            dashboard_arn=d) for d in a.report_dashboard_arns]) if a.report_dashboard_arns else None,
                pre_experiment_duration="PT10M", post_experiment_duration="PT10M"),
            tags={"Name": f"{a.name_prefix}-{key}", "azora:chaos-experiment": key},
            opts=self.child_opts(depends_on=depends_on if e.family == "pods" else None))
