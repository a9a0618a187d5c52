"""LoadBalancerController (AWS Load Balancer Controller) and the edge's TargetGroupBindings."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from azora_infra.config import ConfigError, parse_config
from azora_infra.plan.model import Plan, Resource
from components.edge import TargetGroupBindings, TargetGroupBindingSpec
from components.lb_controller import (
    CHART_REPOSITORY,
    INGRESS_ACTIONS,
    LoadBalancerController,
    LoadBalancerControllerArgs,
    controller_policy,
)
from tests.harness import ALERTING, record

BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
RELEASE = "kubernetes:helm.sh/v3:Release"
ELB = "arn:aws:elasticloadbalancing:af-south-1:123456789012"
TG_WEB = f"{ELB}:targetgroup/edge-tg-web/0123456789abcdef"
TG_API = f"{ELB}:targetgroup/edge-tg-api/fedcba9876543210"
NODE_SG = "sg-0node"


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        LoadBalancerController("lbc", LoadBalancerControllerArgs(
            cluster_name="azora-test", region="af-south-1", vpc_id="vpc-1234",
            k8s_provider=k8s.Provider("k8s", kubeconfig="{}"),
            target_group_arns=(TG_WEB, TG_API), chart_version="1.13.4"), provider)
    return record(program)


def _one(plan: Plan, type_: str) -> Resource:
    found = plan.of_type(type_)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


# --- the component ----------------------------------------------------------------------------------

def test_role_is_assumed_through_pod_identity_for_this_service_account_only(plan: Plan) -> None:
    trust = json.loads(_one(plan, "aws:iam/role:Role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {"StringEquals": {
        "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:af-south-1:123456789012:cluster/azora-test",
        "aws:RequestTag/kubernetes-namespace": "kube-system",
        "aws:RequestTag/kubernetes-service-account": "aws-load-balancer-controller"}}


def test_pod_identity_association_names_the_service_account(plan: Plan) -> None:
    assoc = _one(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation").inputs
    assert (assoc["clusterName"], assoc["namespace"], assoc["serviceAccount"]) == (
        "azora-test", "kube-system", "aws-load-balancer-controller")


def test_role_policy_is_the_scoped_controller_policy(plan: Plan) -> None:
    doc = json.loads(_one(plan, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert doc == controller_policy("af-south-1", "123456789012", None, [TG_WEB, TG_API])
    # no node security group given: the controller may change no security group at all
    assert not any(a.startswith("ec2:") and not a.split(":")[1].startswith("Describe")
                   for s in doc["Statement"] for a in _actions(s))


def test_helm_release(plan: Plan) -> None:
    rel = _one(plan, RELEASE)
    i = rel.inputs
    assert (i["chart"], i["version"], i["namespace"], i["repositoryOpts"]["repo"]) == (
        "aws-load-balancer-controller", "1.13.4", "kube-system", CHART_REPOSITORY)
    v = i["values"]
    assert (v["clusterName"], v["region"], v["vpcId"]) == ("azora-test", "af-south-1", "vpc-1234")
    assert v["serviceAccount"]["name"] == "aws-load-balancer-controller"
    assert v["replicaCount"] == 2 and v["enableServiceMutatorWebhook"] is False
    # nothing but TargetGroupBinding reconciliation: it never tries what its policy no longer allows
    assert (v["enableShield"], v["enableWaf"], v["enableWafv2"], v["enableBackendSecurityGroup"]) == (
        False, False, False, False)
    assert v["controllerConfig"]["featureGates"] == {"EnableServiceController": False}
    assert v["createIngressClassResource"] is False and v["ingressClassParams"] == {"create": False}
    assert v["disableIngressClassAnnotation"] is True and v["disableIngressGroupNameAnnotation"] is True
    assert i["atomic"] is True
    # through the cluster's provider, after the association (the pods get credentials on first start)
    assert rel.provider is not None and (rel.provider["type"], rel.provider["name"]) == (
        "pulumi:providers:kubernetes", "k8s")
    assert any(d.endswith("PodIdentityAssociation::lbc-pod-identity") for d in rel.raw["dependencies"])


def test_every_child_is_parented_and_on_the_right_provider(plan: Plan) -> None:
    (comp,) = plan.of_type("azora:eks:LoadBalancerController")
    children = plan.children(comp.urn)
    assert {c.type for c in children} == {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
                                          "aws:eks/podIdentityAssociation:PodIdentityAssociation", RELEASE}
    for c in children:
        assert c.provider is not None
        want = "k8s" if c.type == RELEASE else "aws-af-south-1"
        assert c.provider["name"] == want and not c.provider["default"], c.name


# --- the policy document ----------------------------------------------------------------------------

def test_policy_is_targetgroupbinding_only() -> None:
    doc = controller_policy("af-south-1", "123456789012", NODE_SG, [TG_WEB, TG_API])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert set(by_sid) == {"Describe", "NodeSecurityGroupIngress", "RegisterTargets"}
    for s in doc["Statement"]:
        assert s["Effect"] == "Allow"
        assert "*" not in _actions(s) and not any(a.endswith(":*") for a in _actions(s))
    # read-only calls on "*", in this region only
    assert all(a.split(":")[1].startswith("Describe") for a in _actions(by_sid["Describe"]))
    assert {"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
            "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs"} <= set(
        _actions(by_sid["Describe"]))
    assert by_sid["Describe"]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "af-south-1"}}
    # pod IPs in and out of exactly the given target groups
    reg = by_sid["RegisterTargets"]
    assert set(_actions(reg)) == {"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}
    assert reg["Resource"] == sorted([TG_WEB, TG_API])
    # ingress rules on the node security group only
    sg = by_sid["NodeSecurityGroupIngress"]
    assert set(_actions(sg)) == {"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"}
    assert sg["Resource"] == "arn:aws:ec2:af-south-1:123456789012:security-group/sg-0node"


def test_security_group_rules_only_for_bindings_with_networking() -> None:
    """Without a node security group (bindings carry no `networking` section) the policy has no
    security-group statement; with one, both calls are allowed on that group only."""
    doc = controller_policy("af-south-1", "123456789012", None, [TG_WEB])
    assert {s["Sid"] for s in doc["Statement"]} == {"Describe", "RegisterTargets"}
    assert not any(a in _actions(s) for s in doc["Statement"] for a in INGRESS_ACTIONS)


def test_without_target_groups_nothing_can_be_registered() -> None:
    doc = controller_policy("af-south-1", "123456789012", NODE_SG, [])
    assert not any("elasticloadbalancing:RegisterTargets" in _actions(s) for s in doc["Statement"])


def test_policy_arns_name_the_region_and_account() -> None:
    doc = controller_policy("eu-west-1", "210987654321", NODE_SG,
                            ["arn:aws:elasticloadbalancing:eu-west-1:210987654321:targetgroup/x/1"])
    arns = [r for s in doc["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str)
                                                  else s["Resource"]) if r != "*"]
    assert arns and all(":eu-west-1:210987654321:" in a for a in arns)


# --- TargetGroupBindings wait for what they are given -------------------------------------------------

def test_bindings_depend_on_what_bind_services_is_given() -> None:
    def program() -> None:
        p = k8s.Provider("k8s", kubeconfig="{}")
        crd_owner = k8s.core.v1.ConfigMap("crd-owner", opts=pulumi.ResourceOptions(provider=p))
        TargetGroupBindings("tgb", {"web": TargetGroupBindingSpec("arn:tg", "apps", "web", 80),
                                    "api": TargetGroupBindingSpec("arn:tg2", "apps", "api", 8080)},
                            p, depends_on=[crd_owner])
    bindings = record(program).of_type(BINDING)
    assert len(bindings) == 2
    for b in bindings:
        assert any(d.endswith("::crd-owner") for d in b.raw["dependencies"]), b.name


# --- config -----------------------------------------------------------------------------------------

def _raw(eks: dict[str, Any]) -> dict[str, Any]:
    return {"aws:region": "af-south-1", "azora:region": "af-south-1", "azora:role": "primary",
            "azora:primaryStack": "africa", "azora:network": {"cidr": "10.10.0.0/16"},
            "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
            "azora:alerting": ALERTING, "azora:eks": eks}


def test_chart_version_config() -> None:
    assert parse_config(_raw({}), "Pulumi.africa.yaml").eks.lb_controller_chart_version == "1.13.4"
    cfg = parse_config(_raw({"lbControllerChartVersion": "v1.14.0"}), "Pulumi.africa.yaml")
    assert cfg.eks.lb_controller_chart_version == "1.14.0"
    with pytest.raises(ConfigError) as err:
        parse_config(_raw({"lbControllerChartVersion": "latest"}), "Pulumi.africa.yaml")
    assert err.value.field == "azora:eks.lbControllerChartVersion"
    assert "not a chart version" in err.value.message


# --- the repository's africa stack ------------------------------------------------------------------

def test_africa_binds_the_edge_services_after_the_controller(repo_plan: Any) -> None:
    africa = Plan(repo_plan("africa"))
    release = africa.named(RELEASE, "lb-controller-release")
    assert release.inputs["values"]["clusterName"] == "azora-africa"
    assert release.inputs["values"]["region"] == "af-south-1"
    bindings = africa.of_type(BINDING)
    groups = africa.of_type("aws:lb/targetGroup:TargetGroup")
    assert bindings and len(bindings) == len(groups)
    group_urns = {g.urn for g in groups}
    for b in bindings:
        assert release.urn in b.raw["dependencies"], b.name
        assert group_urns & set(b.raw["dependencies"]), b.name  # its targetGroupARN
        assert b.inputs["spec"]["targetType"] == "ip"


#: the label the controller writes into the description of every rule it manages (and the only
#: rules it ever revokes): ``elbv2.k8s.aws/targetGroupBinding=shared``
CONTROLLER_RULE_LABEL = "elbv2.k8s.aws/targetGroupBinding=shared"


def test_africa_controller_may_bind_exactly_the_edge_target_groups(repo_plan: Any) -> None:
    """The flow a binding needs, from the plan: every TargetGroupBinding's target group is one the
    controller may register pods in, it may register in no other; the ALB reaches the pods through
    the rule the gateway owns on the node group, so the controller needs no security-group call:
    no binding has `networking` rules (nothing to authorize) and no rule carries the controller's
    label (nothing it would revoke)."""
    africa = Plan(repo_plan("africa"))
    doc = json.loads(africa.named("aws:iam/rolePolicy:RolePolicy", "lb-controller-policy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    groups = {g.outputs["arn"] for g in africa.of_type("aws:lb/targetGroup:TargetGroup")}
    bound = {b.inputs["spec"]["targetGroupARN"] for b in africa.of_type(BINDING)}
    assert bound and bound <= set(by_sid["RegisterTargets"]["Resource"]) == groups
    assert set(by_sid) == {"Describe", "RegisterTargets"}
    assert all("networking" not in b.inputs["spec"] for b in africa.of_type(BINDING))
    node_sg = africa.named("aws:ec2/securityGroup:SecurityGroup", "eks-node").outputs["id"]
    alb_sg = africa.named("aws:ec2/securityGroup:SecurityGroup", "edge-alb").outputs["id"]
    rules = africa.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [r.name for r in rules if r.inputs.get("securityGroupId") == node_sg
            and r.inputs.get("referencedSecurityGroupId") == alb_sg and r.inputs["fromPort"] == 443]
    described = [r.inputs.get("description") or "" for t in (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule")
        for r in africa.of_type(t)]
    described += [rule.get("description") or "" for sg in africa.of_type("aws:ec2/securityGroup:SecurityGroup")
                  for rule in sg.inputs.get("ingress") or []]
    assert described and not [d for d in described if CONTROLLER_RULE_LABEL in d]
    # the launch template's ENIs carry the node SG only (the gateway's rule admits the ALB there)
    for lt in africa.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert lt.inputs["vpcSecurityGroupIds"] == [node_sg], lt.name
