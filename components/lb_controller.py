"""`LoadBalancerController`: the AWS Load Balancer Controller for an `EksCluster`.

The controller owns the ``TargetGroupBinding`` CRD (``elbv2.k8s.aws/v1beta1``) and reconciles it:
it registers the pod IPs behind a Kubernetes Service in an ALB target group that `RegionalEdge`
created and deregisters pods as they go. Without it a `TargetGroupBindings` resource cannot even
be created (no CRD) and the target groups stay empty.

Security groups: the rule admitting the ALB to the pods belongs to Pulumi (`IngressGateway` puts it
on the nodes' security group), so the bindings carry no ``networking`` section and the controller
never calls ``AuthorizeSecurityGroupIngress``/``RevokeSecurityGroupIngress``: with no binding
asking for rules it computes none to add, and it only ever revokes rules whose description carries
its own label ``elbv2.k8s.aws/targetGroupBinding=shared``, which no rule here has. Its policy
therefore grants neither (the chart cannot switch that reconciliation off; it just has nothing to
do). Give ``node_security_group_id`` only when a binding does use ``networking`` rules: the policy
then allows both calls on that one group.

What is created: an IAM role assumed through EKS Pod Identity (``pods.eks.amazonaws.com``, with
``sts:TagSession``, only for this cluster's ``kube-system/aws-load-balancer-controller``) carrying
a TargetGroupBinding-only policy (`controller_policy`: describe, register/deregister targets in
the given target groups), the Pod Identity association,
and the Helm release of chart ``aws-load-balancer-controller`` from https://aws.github.io/eks-charts
with its Ingress, Service, WAF, Shield and backend-security-group features off (`helm_values`).
The release is given the cluster name, region and VPC id explicitly: the nodes allow IMDSv2 with
hop limit 1, so the controller's pods cannot discover them from instance metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .base import AzoraComponent
from .eks import pod_identity_trust

CHART = "aws-load-balancer-controller"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
DEFAULT_CHART_VERSION = "1.13.4"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"


@dataclass(frozen=True)
class LoadBalancerControllerArgs:
    cluster_name: pulumi.Input[str]
    region: str
    vpc_id: pulumi.Input[str]
    #: the cluster's ready Kubernetes provider (`EksCluster.k8s_provider`)
    k8s_provider: pulumi.ProviderResource
    #: only for TargetGroupBindings with ``networking`` rules: the nodes' security group
    #: (`EksCluster.node_security_group_id`), the one group whose ingress rules the controller may
    #: then change. None (default): the controller may change no security group
    node_security_group_id: pulumi.Input[str] | None = None
    #: the target groups the controller may register pods in (the edge's); nothing else
    target_group_arns: Sequence[pulumi.Input[str]] = ()
    #: chart version of ``aws-load-balancer-controller`` (eks-charts)
    chart_version: str = DEFAULT_CHART_VERSION
    replicas: int = 2
    #: resources the release waits for (e.g. the node groups)
    depends_on: tuple[pulumi.Resource, ...] = ()


#: read-only calls the controller makes at start-up, in its TargetGroupBinding webhooks (target
#: type, VPC and IP family of the target group) and while reconciling a binding (target health,
#: the pods' ENIs and their security groups, the VPC's CIDRs); none of them changes anything
READ_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeAccountAttributes", "ec2:DescribeAvailabilityZones", "ec2:DescribeVpcs",
    "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags",
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
)
#: what a TargetGroupBinding does to AWS: pod IPs in and out of its target group
TARGET_ACTIONS: tuple[str, ...] = ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")
#: what a binding's ``networking`` rules do: open the pods' port to the ALB on the node SG (granted
#: only with ``node_security_group_id``)
INGRESS_ACTIONS: tuple[str, ...] = ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress")


def controller_policy(region: str, account_id: str, node_security_group_id: str | None,
                      target_group_arns: Sequence[str]) -> dict[str, Any]:
    """The controller's IAM policy when all it does is reconcile TargetGroupBindings.

    Pulumi owns the load balancers, listeners, certificates, WAF association and target groups
    (`RegionalEdge`); the controller only binds target groups to Services. So, of the published
    ``docs/install/iam_policy.json`` (v2.13), it keeps only:

    - the read-only ``Describe*`` calls a binding needs, limited to this region;
    - ``RegisterTargets``/``DeregisterTargets`` on exactly ``target_group_arns`` (when empty,
      no target group at all);
    - only when ``node_security_group_id`` is given (bindings with ``networking`` rules):
      ``AuthorizeSecurityGroupIngress``/``RevokeSecurityGroupIngress`` on that group only (its
      ARN: the controller resolves the pods' ENIs to this group).

    Everything that creates, modifies or deletes load balancers, listeners, rules, certificates,
    security groups or tags, and every WAF, WAF Regional, Shield, ACM, Cognito and IAM action, is
    gone; the Helm values (`helm_values`) switch the controller features that would call them off.
    """
    statements: list[dict[str, Any]] = [
        {"Sid": "Describe", "Effect": "Allow", "Resource": "*", "Action": list(READ_ACTIONS),
         "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
    ]
    if node_security_group_id is not None:
        statements.append({
            "Sid": "NodeSecurityGroupIngress", "Effect": "Allow", "Action": list(INGRESS_ACTIONS),
            "Resource": f"arn:aws:ec2:{region}:{account_id}:security-group/{node_security_group_id}"})
    if target_group_arns:
        statements.append({"Sid": "RegisterTargets", "Effect": "Allow", "Action": list(TARGET_ACTIONS),
                           "Resource": sorted(set(target_group_arns))})
    return {"Version": "2012-10-17", "Statement": statements}


def helm_values(cluster_name: pulumi.Input[str], region: str, vpc_id: pulumi.Input[str],
                replicas: int = 2) -> dict[str, Any]:
    """The chart values: cluster, region and VPC given explicitly (no IMDS lookup), the service
    account Pod Identity binds, two replicas spread over nodes with a PDB, and everything but
    TargetGroupBinding reconciliation switched off, so the controller never attempts a call its
    policy no longer allows:

    - ``enableShield``/``enableWaf``/``enableWafv2`` false: it never (dis)associates WAF or
      Shield on a load balancer (the edge's WAF association is Pulumi's);
    - feature gate ``EnableServiceController`` false and the Service mutator webhook off: no
      ``LoadBalancer`` Service becomes an NLB;
    - no ``IngressClass``/``IngressClassParams`` and the ``kubernetes.io/ingress.class`` and
      group-name annotations refused by its webhook: no Ingress becomes an ALB;
    - ``enableBackendSecurityGroup`` false: it never creates the shared backend security group
      (only Ingress/Service load balancers use it).
    """
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "replicaCount": replicas,
        "enableServiceMutatorWebhook": False,
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        "enableBackendSecurityGroup": False,
        "createIngressClassResource": False,
        "ingressClassParams": {"create": False},
        "disableIngressClassAnnotation": True,
        "disableIngressGroupNameAnnotation": True,
        "controllerConfig": {"featureGates": {"EnableServiceController": False}},
        "podDisruptionBudget": {"maxUnavailable": 1},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
    }


class LoadBalancerController(AzoraComponent):
    """The AWS Load Balancer Controller: Pod Identity IAM role + policy and the Helm release.

    Outputs: ``role_arn``, ``policy`` (the role's policy: bindings of a new target group work once
    it is updated), ``release`` (depend on it before creating TargetGroupBindings: the
    CRD comes with the chart) and ``release_status``.
    """

    def __init__(self, name: str, args: LoadBalancerControllerArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:eks:LoadBalancerController", name, provider, opts)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider, parent=self))
        cluster_arn = pulumi.Output.all(identity.account_id, args.cluster_name).apply(
            lambda v: f"arn:aws:eks:{args.region}:{v[0]}:cluster/{v[1]}")

        self.role = aws.iam.Role(
            self.child_name("role"), assume_role_policy=pod_identity_trust(cluster_arn, NAMESPACE, SERVICE_ACCOUNT),
            description="AWS Load Balancer Controller (EKS Pod Identity)", opts=self.child_opts())
        self.policy = aws.iam.RolePolicy(
            self.child_name("policy"), role=self.role.id,
            policy=pulumi.Output.all(identity.account_id, args.node_security_group_id,
                                     *args.target_group_arns).apply(
                lambda v: json.dumps(controller_policy(args.region, v[0], v[1], v[2:]))),
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
                                 depends_on=[self.pod_identity, self.policy, *args.depends_on]),
        )

        self.role_arn: pulumi.Output[str] = self.role.arn
        self.release_status = self.release.status
        self.register_outputs({"roleArn": self.role_arn, "releaseStatus": self.release_status})
