"""`LoadBalancerController`: the AWS Load Balancer Controller for an `EksCluster`.

The controller owns the ``TargetGroupBinding`` CRD (``elbv2.k8s.aws/v1beta1``) and reconciles it:
it registers the pod IPs behind a Kubernetes Service in an ALB target group that `RegionalEdge`
created, deregisters pods as they go, and opens the pods' port to the ALB's security group on the
nodes' security group. Without it a `TargetGroupBindings` resource cannot even be created (no CRD)
and the target groups stay empty.

What is created: an IAM role assumed through EKS Pod Identity (``pods.eks.amazonaws.com``, with
``sts:TagSession``) carrying the controller's published IAM policy (`controller_policy`), the
Pod Identity association for ``kube-system/aws-load-balancer-controller``, and the Helm release
of chart ``aws-load-balancer-controller`` from https://aws.github.io/eks-charts. The release is
given the cluster name, region and VPC id explicitly: the nodes allow IMDSv2 with hop limit 1, so
the controller's pods cannot discover them from instance metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .base import AzoraComponent
from .eks import assume_role_policy

CHART = "aws-load-balancer-controller"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
DEFAULT_CHART_VERSION = "1.13.4"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
#: the tag the controller puts on every load balancer, target group and security group it creates;
#: its write permissions on existing resources are conditioned on it
CLUSTER_TAG = "elbv2.k8s.aws/cluster"


@dataclass(frozen=True)
class LoadBalancerControllerArgs:
    cluster_name: pulumi.Input[str]
    region: str
    vpc_id: pulumi.Input[str]
    #: the cluster's ready Kubernetes provider (`EksCluster.k8s_provider`)
    k8s_provider: pulumi.ProviderResource
    #: chart version of ``aws-load-balancer-controller`` (eks-charts)
    chart_version: str = DEFAULT_CHART_VERSION
    replicas: int = 2
    #: resources the release waits for (e.g. the node groups)
    depends_on: tuple[pulumi.Resource, ...] = ()


def controller_policy(region: str, account_id: str) -> dict[str, Any]:
    """The controller's IAM policy: the published ``docs/install/iam_policy.json`` of
    kubernetes-sigs/aws-load-balancer-controller (v2.13), with the ARN patterns narrowed from
    ``*:*`` to this region and account.

    Read-only ``Describe*``/``Get*`` calls are on ``*``; creating load balancers, target groups
    and security groups requires the ``elbv2.k8s.aws/cluster`` request tag; modifying or deleting
    them, or changing their tags, requires that tag on the resource (so the controller cannot
    touch load balancers it did not create). Registering targets is allowed on any target group
    in the account and region: TargetGroupBindings point at target groups created outside the
    controller (`RegionalEdge`'s), which do not carry the tag.
    """
    elb = f"arn:aws:elasticloadbalancing:{region}:{account_id}"
    security_groups = f"arn:aws:ec2:{region}:{account_id}:security-group/*"
    tagged = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    request_tagged = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
    # changing tags is allowed on resources that carry the tag, when the request does not set it
    retag = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    balancers_and_groups = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    statements: list[dict[str, Any]] = [
        {"Sid": "CreateElbServiceLinkedRole", "Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole"],
         "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
        {"Sid": "Describe", "Effect": "Allow", "Resource": "*", "Action": [
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools",
            "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
            "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
            "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation"]},
        {"Sid": "IngressIntegrations", "Effect": "Allow", "Resource": "*", "Action": [
            "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
            "iam:ListServerCertificates", "iam:GetServerCertificate",
            "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
            "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
            "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "shield:GetSubscriptionState",
            "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"]},
        # TargetGroupBinding networking: open the pods' port to the ALB on the nodes' security group
        {"Sid": "ManageNodeSecurityGroupRules", "Effect": "Allow", "Resource": "*",
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]},
        {"Sid": "CreateSecurityGroup", "Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"], "Resource": "*"},
        {"Sid": "TagNewSecurityGroup", "Effect": "Allow", "Action": ["ec2:CreateTags"], "Resource": security_groups,
         "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **request_tagged}},
        {"Sid": "RetagOwnSecurityGroups", "Effect": "Allow", "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
         "Resource": security_groups, "Condition": retag},
        {"Sid": "ManageOwnSecurityGroups", "Effect": "Allow", "Resource": "*", "Condition": tagged,
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
                    "ec2:DeleteSecurityGroup"]},
        {"Sid": "CreateTaggedLoadBalancers", "Effect": "Allow", "Resource": "*", "Condition": request_tagged,
         "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]},
        {"Sid": "ManageListenersAndRules", "Effect": "Allow", "Resource": "*", "Action": [
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"]},
        {"Sid": "RetagOwnLoadBalancers", "Effect": "Allow", "Resource": balancers_and_groups, "Condition": retag,
         "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]},
        {"Sid": "TagListenersAndRules", "Effect": "Allow",
         "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
         "Resource": [f"{elb}:listener/net/*/*/*", f"{elb}:listener/app/*/*/*",
                      f"{elb}:listener-rule/net/*/*/*", f"{elb}:listener-rule/app/*/*/*"]},
        {"Sid": "ManageOwnLoadBalancers", "Effect": "Allow", "Resource": "*", "Condition": tagged, "Action": [
            "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
            "elasticloadbalancing:ModifyIpPools"]},
        {"Sid": "TagOnCreate", "Effect": "Allow", "Action": ["elasticloadbalancing:AddTags"],
         "Resource": balancers_and_groups,
         "Condition": {"StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup",
                                                                              "CreateLoadBalancer"]},
                       **request_tagged}},
        # what a TargetGroupBinding does: pod IPs in and out of the target group
        {"Sid": "RegisterTargets", "Effect": "Allow", "Resource": f"{elb}:targetgroup/*/*",
         "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]},
        {"Sid": "ManageListenerSettings", "Effect": "Allow", "Resource": "*", "Action": [
            "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
            "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"]},
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def helm_values(cluster_name: pulumi.Input[str], region: str, vpc_id: pulumi.Input[str],
                replicas: int = 2) -> dict[str, Any]:
    """The chart values: cluster, region and VPC given explicitly (no IMDS lookup), the service
    account Pod Identity binds, two replicas spread over nodes with a PDB, and the Service
    mutator webhook off (it would make every new ``LoadBalancer`` Service an NLB of this
    controller; the platform creates its load balancers with Pulumi)."""
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "replicaCount": replicas,
        "enableServiceMutatorWebhook": False,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
    }


class LoadBalancerController(AzoraComponent):
    """The AWS Load Balancer Controller: Pod Identity IAM role + policy and the Helm release.

    Outputs: ``role_arn``, ``release`` (depend on it before creating TargetGroupBindings: the
    CRD comes with the chart) and ``release_status``.
    """

    def __init__(self, name: str, args: LoadBalancerControllerArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:eks:LoadBalancerController", name, provider, opts)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider, parent=self))

        self.role = aws.iam.Role(
            self.child_name("role"), assume_role_policy=assume_role_policy("pods.eks.amazonaws.com"),
            description="AWS Load Balancer Controller (EKS Pod Identity)", opts=self.child_opts())
        policy = aws.iam.RolePolicy(
            self.child_name("policy"), role=self.role.id,
            policy=identity.account_id.apply(lambda acct: json.dumps(controller_policy(args.region, acct))),
            opts=self.child_opts())
        self.pod_identity = aws.eks.PodIdentityAssociation(
            self.child_name("pod-identity"), cluster_name=args.cluster_name, namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT, role_arn=self.role.arn, opts=self.child_opts())

        self.release = k8s.helm.v3.Release(
            self.child_name("release"),
            name=CHART,
            chart=CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=NAMESPACE,
            values=helm_values(args.cluster_name, args.region, args.vpc_id, args.replicas),
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            # the pods must get credentials on first start: the association and its policy first
            opts=self.child_opts(provider=args.k8s_provider,
                                 depends_on=[self.pod_identity, policy, *args.depends_on]),
        )

        self.role_arn: pulumi.Output[str] = self.role.arn
        self.release_status = self.release.status
        self.register_outputs({"roleArn": self.role_arn, "releaseStatus": self.release_status})
