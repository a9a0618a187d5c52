"""`Karpenter`: node autoscaling for an `EksCluster`, the AWS side and the Helm release.

What terraform-aws-eks's `modules/karpenter` creates (pulumi-eks has no equivalent: #1114), plus the
release and a default node pool: a controller IAM role assumed through EKS Pod Identity, a node
IAM role + instance profile + `EC2_LINUX` access entry, an SQS interruption queue fed by
EventBridge (spot interruption warnings, rebalance recommendations, instance state changes, AWS
Health scheduled changes) so nodes are drained before AWS takes them, the chart
`oci://public.ecr.aws/karpenter/karpenter`, and an `EC2NodeClass` with the same node hardening as
the managed node groups (IMDSv2 hop 1, encrypted gp3 with the data key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .base import AzoraComponent
from .eks import MANAGED_POLICY, assume_role_policy, pod_identity_trust

CHART = "oci://public.ecr.aws/karpenter/karpenter"
SERVICE_ACCOUNT = "karpenter"

#: EventBridge rules feeding the interruption queue: key -> event pattern
INTERRUPTION_EVENTS: dict[str, dict[str, Any]] = {
    "health-scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "instance-state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}


@dataclass(frozen=True)
class KarpenterArgs:
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    cluster_endpoint: pulumi.Input[str]
    region: str
    #: the cluster's ready Kubernetes provider (`EksCluster.k8s_provider`)
    k8s_provider: pulumi.ProviderResource
    #: KMS key (ARN) encrypting the volumes of nodes Karpenter launches
    data_key_arn: pulumi.Input[str]
    #: chart version
    version: str = "1.6.3"
    #: kube-system (the controller is part of the platform, like the add-ons)
    namespace: str = "kube-system"
    #: an `EC2NodeClass` "default" and NodePools "default" (on-demand) and "stateless-spot"
    #: (spot, tainted `azora.io/stateless=true:NoSchedule`: only workloads that tolerate it land there)
    default_node_pool: bool = True
    cpu_limit: int = 200
    #: tags Karpenter puts on the instances and volumes it launches (cost allocation)
    instance_tags: Mapping[str, str] = field(default_factory=dict)
    #: resources the release waits for (e.g. the cluster's node groups)
    depends_on: tuple[pulumi.Resource, ...] = ()


class Karpenter(AzoraComponent):
    """Karpenter's IAM, interruption handling and Helm release for one cluster.

    Outputs: ``controller_role_arn``, ``node_role_arn``, ``node_role_name``,
    ``instance_profile_name``, ``queue_name``, ``queue_arn``, ``release_status``.
    """

    def __init__(self, name: str, args: KarpenterArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:eks:Karpenter", name, provider, opts)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider, parent=self))
        cluster_name = pulumi.Output.from_input(args.cluster_name)
        self._nodes(args)
        self._interruption_queue(cluster_name)
        self._controller(args, identity.account_id)
        self._release(args)
        if args.default_node_pool:
            self._node_pools(args, cluster_name)

        self.controller_role_arn: pulumi.Output[str] = self.controller_role.arn
        self.node_role_arn: pulumi.Output[str] = self.node_role.arn
        self.node_role_name: pulumi.Output[str] = self.node_role.name
        self.instance_profile_name: pulumi.Output[str] = self.instance_profile.name
        self.queue_name: pulumi.Output[str] = self.queue.name
        self.queue_arn: pulumi.Output[str] = self.queue.arn
        self.release_status = self.release.status
        self.register_outputs({
            "controllerRoleArn": self.controller_role_arn, "nodeRoleArn": self.node_role_arn,
            "instanceProfileName": self.instance_profile_name, "queueName": self.queue_name,
            "queueArn": self.queue_arn,
        })

    def _nodes(self, args: KarpenterArgs) -> None:
        """The role, instance profile and access entry of the nodes Karpenter launches."""
        self.node_role = aws.iam.Role(
            self.child_name("node"), assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            description="Nodes launched by Karpenter", opts=self.child_opts())
        for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                       "AmazonSSMManagedInstanceCore"):
            aws.iam.RolePolicyAttachment(self.child_name("node", policy), role=self.node_role.name,
                                         policy_arn=MANAGED_POLICY.format(policy), opts=self.child_opts())
        self.instance_profile = aws.iam.InstanceProfile(
            self.child_name("node"), role=self.node_role.name, opts=self.child_opts())
        self.node_access = aws.eks.AccessEntry(
            self.child_name("node"), cluster_name=args.cluster_name, principal_arn=self.node_role.arn,
            type="EC2_LINUX", opts=self.child_opts())

    def _interruption_queue(self, cluster_name: pulumi.Output[str]) -> None:
        """The interruption queue (SQS-managed SSE: EventBridge can deliver to it without a KMS
        key-policy grant) fed by the interruption rules, and only by them."""
        self.queue = aws.sqs.Queue(
            self.child_name("interruption"), name=cluster_name.apply(lambda n: f"{n}-karpenter"),
            message_retention_seconds=300, sqs_managed_sse_enabled=True, opts=self.child_opts())
        self.rules: dict[str, aws.cloudwatch.EventRule] = {}
        for key, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                self.child_name(key), description=f"Karpenter interruption: {pattern['detail-type'][0]}",
                event_pattern=json.dumps(pattern), opts=self.child_opts())
            self.rules[key] = rule
            aws.cloudwatch.EventTarget(
                self.child_name(key), rule=rule.name, arn=self.queue.arn, target_id="KarpenterInterruptionQueue",
                opts=self.child_opts())
        # only these rules may send: a message from any other rule could make Karpenter drain nodes
        aws.sqs.QueuePolicy(
            self.child_name("interruption"), queue_url=self.queue.url,
            policy=pulumi.Output.all(self.queue.arn, *[r.arn for _, r in sorted(self.rules.items())]).apply(
                lambda v: _queue_policy(v[0], v[1:])),
            opts=self.child_opts())

    def _controller(self, args: KarpenterArgs, account_id: pulumi.Output[str]) -> None:
        """The controller's role and policy, bound to its service account by EKS Pod Identity."""
        self.controller_role = aws.iam.Role(
            self.child_name("controller"),
            assume_role_policy=pod_identity_trust(args.cluster_arn, args.namespace, SERVICE_ACCOUNT),
            description="Karpenter controller (EKS Pod Identity)", opts=self.child_opts())
        aws.iam.RolePolicy(
            self.child_name("controller"), role=self.controller_role.id,
            policy=pulumi.Output.all(account_id, args.cluster_name, args.cluster_arn, self.queue.arn,
                                     self.node_role.arn, args.data_key_arn).apply(
                lambda v: controller_policy(args.region, *v)),
            opts=self.child_opts())
        self.pod_identity = aws.eks.PodIdentityAssociation(
            self.child_name("controller"), cluster_name=args.cluster_name, namespace=args.namespace,
            service_account=SERVICE_ACCOUNT, role_arn=self.controller_role.arn, opts=self.child_opts())

    def _release(self, args: KarpenterArgs) -> None:
        self.release = k8s.helm.v3.Release(
            self.child_name("release"),
            name="karpenter",
            chart=CHART,
            version=args.version,
            namespace=args.namespace,
            values={
                "serviceAccount": {"name": SERVICE_ACCOUNT},
                "replicas": 2,
                "settings": {
                    "clusterName": args.cluster_name,
                    "clusterEndpoint": args.cluster_endpoint,
                    "interruptionQueue": self.queue.name,
                },
                "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
                "controller": {"resources": {"requests": {"cpu": "500m", "memory": "512Mi"},
                                             "limits": {"cpu": "1", "memory": "1Gi"}}},
            },
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            opts=self.child_opts(provider=args.k8s_provider,
                                 depends_on=[self.pod_identity, self.node_access, *args.depends_on]),
        )

    def _node_pools(self, args: KarpenterArgs, cluster_name: pulumi.Output[str]) -> None:
        discovery = cluster_name.apply(lambda n: [{"tags": {"karpenter.sh/discovery": n}}])
        k8s_opts = self.child_opts(provider=args.k8s_provider, depends_on=[self.release])
        self.node_class = k8s.apiextensions.CustomResource(
            self.child_name("nodeclass", "default"),
            api_version="karpenter.k8s.aws/v1", kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default"),
            spec={
                "instanceProfile": self.instance_profile.name,
                "amiSelectorTerms": [{"alias": "al2023@latest"}],
                "subnetSelectorTerms": discovery,
                "securityGroupSelectorTerms": discovery,
                "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required",
                                    "httpPutResponseHopLimit": 1, "httpProtocolIPv6": "disabled"},
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                    "volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True,
                    "kmsKeyID": args.data_key_arn, "deleteOnTermination": True}}],
                "tags": dict(args.instance_tags),
            },
            opts=k8s_opts,
        )
        base_requirements = [
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]},
            {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m", "r"]},
            {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["6"]},
        ]
        pools: dict[str, tuple[str, list[dict[str, str]]]] = {
            "default": ("on-demand", []),
            "stateless-spot": ("spot", [{"key": "azora.io/stateless", "value": "true", "effect": "NoSchedule"}]),
        }
        self.node_pools: dict[str, k8s.apiextensions.CustomResource] = {}
        for pool, (capacity, taints) in pools.items():
            template: dict[str, Any] = {
                "metadata": {"labels": {"azora.io/node-pool": pool}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                    "requirements": [*base_requirements, {"key": "karpenter.sh/capacity-type", "operator": "In",
                                                          "values": [capacity]}],
                    "expireAfter": "720h",
                },
            }
            if taints:
                template["spec"]["taints"] = taints
            self.node_pools[pool] = k8s.apiextensions.CustomResource(
                self.child_name("nodepool", pool),
                api_version="karpenter.sh/v1", kind="NodePool",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=pool),
                spec={
                    "template": template,
                    "limits": {"cpu": str(args.cpu_limit)},
                    # replace at most 10 % of nodes at a time (PDBs then keep services up)
                    "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m",
                                   "budgets": [{"nodes": "10%"}]},
                },
                opts=self.child_opts(provider=args.k8s_provider, depends_on=[self.node_class]),
            )


def _queue_policy(queue_arn: str, rule_arns: Sequence[str]) -> str:
    """EventBridge may send only from this stack's interruption rules (``aws:SourceArn``, the
    condition EventBridge documents for SQS targets; the rule ARNs name this account); TLS only. Karpenter's
    reference template also admits ``sqs.amazonaws.com`` without a condition: nothing here sends
    through it, so it is left out."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "InterruptionRulesOnly", "Effect": "Allow",
         "Principal": {"Service": "events.amazonaws.com"},
         "Action": "sqs:SendMessage", "Resource": queue_arn,
         "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}}},
        {"Sid": "DenyHTTP", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queue_arn,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]})


def controller_policy(region: str, account: str, cluster_name: str, cluster_arn: str, queue_arn: str,
                      node_role_arn: str, data_key_arn: str) -> str:
    """The controller's IAM policy (Karpenter v1's reference policy, scoped to this cluster's tag;
    the node classes name our instance profile, so no instance-profile management is granted)."""
    ec2 = f"arn:aws:ec2:{region}"
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"}
    request_owned = {f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned",
                     "aws:RequestTag/eks:eks-cluster-name": cluster_name}
    statements: list[dict[str, Any]] = [
        {"Sid": "AllowScopedEC2InstanceAccessActions", "Effect": "Allow",
         "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
         "Resource": [f"{ec2}::image/*", f"{ec2}::snapshot/*", f"{ec2}:*:security-group/*",
                      f"{ec2}:*:subnet/*", f"{ec2}:*:capacity-reservation/*"]},
        {"Sid": "AllowScopedEC2LaunchTemplateAccessActions", "Effect": "Allow",
         "Action": ["ec2:RunInstances", "ec2:CreateFleet"], "Resource": f"{ec2}:*:launch-template/*",
         "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}},
        {"Sid": "AllowScopedEC2InstanceActionsWithTags", "Effect": "Allow",
         "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
         "Resource": [f"{ec2}:*:fleet/*", f"{ec2}:*:instance/*", f"{ec2}:*:volume/*",
                      f"{ec2}:*:network-interface/*", f"{ec2}:*:launch-template/*",
                      f"{ec2}:*:spot-instances-request/*"],
         "Condition": {"StringEquals": request_owned,
                       "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}}},
        {"Sid": "AllowScopedResourceCreationTagging", "Effect": "Allow", "Action": "ec2:CreateTags",
         "Resource": [f"{ec2}:*:fleet/*", f"{ec2}:*:instance/*", f"{ec2}:*:volume/*",
                      f"{ec2}:*:network-interface/*", f"{ec2}:*:launch-template/*",
                      f"{ec2}:*:spot-instances-request/*"],
         "Condition": {"StringEquals": {**request_owned,
                                        "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                       "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}}},
        {"Sid": "AllowScopedResourceTagging", "Effect": "Allow", "Action": "ec2:CreateTags",
         "Resource": f"{ec2}:*:instance/*",
         "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                       "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                       "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim",
                                                                     "Name"]}}},
        {"Sid": "AllowScopedDeletion", "Effect": "Allow",
         "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
         "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
         "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}},
        {"Sid": "AllowRegionalReadActions", "Effect": "Allow",
         "Action": ["ec2:DescribeAvailabilityZones", "ec2:DescribeImages", "ec2:DescribeInstances",
                    "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates",
                    "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets",
                    "ec2:DescribeCapacityReservations", "ec2:DescribePlacementGroups"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
        {"Sid": "AllowSSMReadActions", "Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*"},
        {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Action": "pricing:GetProducts", "Resource": "*"},
        {"Sid": "AllowInterruptionQueueActions", "Effect": "Allow",
         "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], "Resource": queue_arn},
        {"Sid": "AllowPassingInstanceRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": node_role_arn,
         "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com"]}}},
        {"Sid": "AllowInstanceProfileReadActions", "Effect": "Allow", "Action": "iam:GetInstanceProfile",
         "Resource": f"arn:aws:iam::{account}:instance-profile/*"},
        {"Sid": "AllowAPIServerEndpointDiscovery", "Effect": "Allow", "Action": "eks:DescribeCluster",
         "Resource": cluster_arn},
        # volumes encrypted with the region's data key: RunInstances needs the key through EC2
        {"Sid": "AllowEncryptedVolumes", "Effect": "Allow",
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
                    "kms:CreateGrant"],
         "Resource": data_key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}}},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
