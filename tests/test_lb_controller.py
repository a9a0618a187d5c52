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
    CLUSTER_TAG,
    LoadBalancerController,
    LoadBalancerControllerArgs,
    controller_policy,
)
from tests.harness import record

BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        LoadBalancerController("lbc", LoadBalancerControllerArgs(
            cluster_name="azora-test", region="af-south-1", vpc_id="vpc-1234",
            k8s_provider=k8s.Provider("k8s", kubeconfig="{}"), chart_version="1.13.4"), provider)
    return record(program)


def _one(plan: Plan, type_: str) -> Resource:
    found = plan.of_type(type_)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


# --- the component ----------------------------------------------------------------------------------

def test_role_is_assumed_through_pod_identity(plan: Plan) -> None:
    trust = json.loads(_one(plan, "aws:iam/role:Role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]


def test_pod_identity_association_names_the_service_account(plan: Plan) -> None:
    assoc = _one(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation").inputs
    assert (assoc["clusterName"], assoc["namespace"], assoc["serviceAccount"]) == (
        "azora-test", "kube-system", "aws-load-balancer-controller")


def test_role_policy_is_the_scoped_controller_policy(plan: Plan) -> None:
    doc = json.loads(_one(plan, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert doc == controller_policy("af-south-1", "123456789012")


def test_helm_release(plan: Plan) -> None:
    rel = _one(plan, RELEASE)
    i = rel.inputs
    assert (i["chart"], i["version"], i["namespace"], i["repositoryOpts"]["repo"]) == (
        "aws-load-balancer-controller", "1.13.4", "kube-system", CHART_REPOSITORY)
    v = i["values"]
    assert (v["clusterName"], v["region"], v["vpcId"]) == ("azora-test", "af-south-1", "vpc-1234")
    assert v["serviceAccount"]["name"] == "aws-load-balancer-controller"
    assert v["replicaCount"] == 2 and v["enableServiceMutatorWebhook"] is False
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

def test_policy_has_no_wildcard_action_and_tag_conditioned_writes() -> None:
    doc = controller_policy("af-south-1", "123456789012")
    statements = doc["Statement"]
    for s in statements:
        assert s["Effect"] == "Allow"
        assert "*" not in _actions(s) and not any(a.endswith(":*") for a in _actions(s))
    by_sid = {s["Sid"]: s for s in statements}
    # creating load balancers / target groups requires the cluster tag on the request
    create = by_sid["CreateTaggedLoadBalancers"]
    assert set(_actions(create)) == {"elasticloadbalancing:CreateLoadBalancer",
                                     "elasticloadbalancing:CreateTargetGroup"}
    assert create["Condition"] == {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
    # modifying / deleting them requires the tag on the resource
    manage = by_sid["ManageOwnLoadBalancers"]
    assert {"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:DeleteTargetGroup"} <= set(_actions(manage))
    assert manage["Condition"] == {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    assert by_sid["ManageOwnSecurityGroups"]["Condition"] == manage["Condition"]
    assert by_sid["RetagOwnLoadBalancers"]["Condition"]["Null"] == {
        f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}
    # every destructive elasticloadbalancing action sits in a tag-conditioned statement
    for s in statements:
        if any(a.startswith("elasticloadbalancing:Delete") and "Listener" not in a and "Rule" not in a
               for a in _actions(s)):
            assert CLUSTER_TAG in json.dumps(s.get("Condition", {})), s["Sid"]
    # TargetGroupBindings register pods in target groups the controller did not create (ours):
    # allowed on target groups of this region and account only
    reg = by_sid["RegisterTargets"]
    assert reg["Resource"] == "arn:aws:elasticloadbalancing:af-south-1:123456789012:targetgroup/*/*"
    assert "elasticloadbalancing:DescribeTargetHealth" in _actions(by_sid["Describe"])
    assert by_sid["CreateElbServiceLinkedRole"]["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}


def test_policy_arns_name_the_region_and_account() -> None:
    doc = controller_policy("eu-west-1", "210987654321")
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
            "azora:alerting": {"page": {"emails": ["oncall@azora.example"]}}, "azora:eks": eks}


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
