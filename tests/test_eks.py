"""EksCluster and Karpenter: secure defaults, add-on ordering, access, kubeconfig, config switches."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra.compose.kubernetes import build_kubernetes
from azora_infra.config import ConfigError, parse_config
from azora_infra.config.eks import EksConfig
from azora_infra.plan.model import Plan, Resource
from components.eks import (
    ADDONS_AFTER_NODES,
    ADDONS_BEFORE_NODES,
    LOG_TYPES,
    AccessSpec,
    EksCluster,
    EksClusterArgs,
    NodeGroupSpec,
    kubeconfig,
)
from components.karpenter import INTERRUPTION_EVENTS, Karpenter, KarpenterArgs
from tests.harness import ALERTING, record

REGION = "af-south-1"
KEY = "arn:aws:kms:af-south-1:123456789012:key/{}"
DEPLOYER = "arn:aws:iam::123456789012:role/pulumi-deployer"
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
DEV = "arn:aws:iam::123456789012:role/developer"
VIEWER = "arn:aws:iam::123456789012:role/auditor"

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region=REGION)
        eks = EksCluster("eks", EksClusterArgs(
            cluster_name="azora-test", region=REGION, vpc_id="vpc-1", subnet_ids=["subnet-a", "subnet-b"],
            secrets_key_arn=KEY.format("secrets"), logs_key_arn=KEY.format("logs"), data_key_arn=KEY.format("data"),
            deployer_role_arn=DEPLOYER,
            access=AccessSpec(platform_admins=(ADMIN,), developers=(DEV,), viewers=(VIEWER,)),
            developer_namespaces=("education", "ai"),
            node_groups={"system": NodeGroupSpec(labels={"azora.io/node-pool": "system"})},
            instance_tags={"azora:team": "platform"}), provider)
        Karpenter("karpenter", KarpenterArgs(
            cluster_name=eks.cluster_name, cluster_arn=eks.cluster_arn, cluster_endpoint=eks.endpoint,
            region=REGION, k8s_provider=eks.k8s_provider, data_key_arn=KEY.format("data"), version="1.6.3",
            instance_tags={"azora:team": "platform"}), provider)
    return record(program)


def _addon(plan: Plan, name: str) -> Resource:
    return next(a for a in plan.of_type(ADDON) if a.inputs["addonName"] == name)


def _policy(r: Resource, key: str = "policy") -> dict[str, Any]:
    doc = r.inputs[key]
    return json.loads(doc) if isinstance(doc, str) else doc


# --- the cluster ----------------------------------------------------------------------------------

def test_cluster_is_private_encrypted_and_api_authenticated(plan: Plan) -> None:
    cluster = plan.named(CLUSTER, "eks-cluster").inputs
    vpc = cluster["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert cluster["encryptionConfig"] == {"resources": ["secrets"], "provider": {"keyArn": KEY.format("secrets")}}
    assert cluster["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["deletionProtection"] is True
    assert cluster["zonalShiftConfig"] == {"enabled": True}
    assert cluster["version"] == "1.33"
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}


def test_all_five_log_types_go_to_our_kms_log_group(plan: Plan) -> None:
    cluster = plan.named(CLUSTER, "eks-cluster")
    assert cluster.inputs["enabledClusterLogTypes"] == list(LOG_TYPES)
    assert len(LOG_TYPES) == 5
    group = plan.named("aws:cloudwatch/logGroup:LogGroup", "eks-control-plane")
    assert group.inputs["name"] == "/aws/eks/azora-test/cluster"
    assert group.inputs["kmsKeyId"] == KEY.format("logs")
    assert group.inputs["retentionInDays"] == 90
    # EKS would otherwise create the group itself (no KMS, never expires)
    assert group.urn in cluster.raw["dependencies"]


def test_cluster_role_may_use_the_secrets_key(plan: Plan) -> None:
    cluster = plan.named(CLUSTER, "eks-cluster")
    policy = plan.named("aws:iam/rolePolicy:RolePolicy", "eks-cluster-encryption")
    assert policy.urn in cluster.raw["dependencies"]
    stmt = _policy(policy)["Statement"][0]
    assert stmt["Resource"] == KEY.format("secrets") and "kms:Encrypt" in stmt["Action"]


def test_irsa_oidc_provider_from_the_cluster_issuer(plan: Plan) -> None:
    oidc = plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert len(oidc) == 1
    assert oidc[0].inputs["url"].startswith(f"https://oidc.eks.{REGION}.amazonaws.com/id/")
    assert oidc[0].inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_security_groups_have_the_recommended_rules(plan: Plan) -> None:
    cluster_sg = plan.named("aws:ec2/securityGroup:SecurityGroup", "eks-cluster").outputs["id"]
    node_sg_r = plan.named("aws:ec2/securityGroup:SecurityGroup", "eks-node")
    node_sg = node_sg_r.outputs["id"]
    assert node_sg_r.inputs["tags"]["karpenter.sh/discovery"] == "azora-test"
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    to_cluster = [r.inputs for r in rules if r.inputs["securityGroupId"] == cluster_sg]
    assert to_cluster == [{**to_cluster[0], "referencedSecurityGroupId": node_sg, "fromPort": 443, "toPort": 443}]
    from_cp = {r.inputs["fromPort"] for r in rules
               if r.inputs["securityGroupId"] == node_sg and r.inputs.get("referencedSecurityGroupId") == cluster_sg}
    assert {443, 10250, 8443, 15017} <= from_cp
    dns = {r.inputs["ipProtocol"] for r in rules if r.inputs["securityGroupId"] == node_sg
           and r.inputs.get("referencedSecurityGroupId") == node_sg and r.inputs["fromPort"] == 53}
    assert dns == {"tcp", "udp"}
    # nothing reaches the nodes from a CIDR
    assert not [r for r in rules if "cidrIpv4" in r.inputs]


# --- nodes -------------------------------------------------------------------------------------------

def test_launch_template_requires_imdsv2_hop_1_and_encrypted_gp3(plan: Plan) -> None:
    lt = plan.named("aws:ec2/launchTemplate:LaunchTemplate", "eks-ng-system").inputs
    assert lt["metadataOptions"]["httpTokens"] == "required"
    assert lt["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (dev,) = lt["blockDeviceMappings"]
    assert dev["deviceName"] == "/dev/xvda"
    assert dev["ebs"] == {"volumeSize": 50, "volumeType": "gp3", "encrypted": "true",
                          "kmsKeyId": KEY.format("data"), "deleteOnTermination": "true"}
    node_sg = plan.named("aws:ec2/securityGroup:SecurityGroup", "eks-node").outputs["id"]
    assert lt["vpcSecurityGroupIds"] == [node_sg]
    instance_tags = next(t for t in lt["tagSpecifications"] if t["resourceType"] == "instance")["tags"]
    assert instance_tags["azora:team"] == "platform"


def test_node_group_rolls_33_percent_and_leaves_desired_size_to_the_autoscaler(plan: Plan) -> None:
    ng = plan.named(NODE_GROUP, "eks-ng-system")
    assert ng.inputs["updateConfig"] == {"maxUnavailablePercentage": 33}
    assert ng.options["ignoreChanges"] == ["scalingConfig.desiredSize"]
    assert ng.inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert ng.inputs["capacityType"] == "ON_DEMAND"
    assert ng.inputs["instanceTypes"] == ["m7g.large", "m7g.xlarge"]
    assert ng.inputs["nodeRepairConfig"] == {"enabled": True}
    assert ng.inputs["scalingConfig"] == {"minSize": 2, "maxSize": 6, "desiredSize": 3}
    assert ng.inputs["labels"] == {"azora.io/node-group": "system", "azora.io/node-pool": "system"}
    lt = plan.named("aws:ec2/launchTemplate:LaunchTemplate", "eks-ng-system")
    assert ng.inputs["launchTemplate"] == {"id": lt.outputs["id"], "version": "1"}
    assert "diskSize" not in ng.inputs  # the launch template owns the volume


def test_node_role_has_no_cni_policy_the_cni_gets_it_by_pod_identity(plan: Plan) -> None:
    attachments = plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    node = {a.inputs["policyArn"].rsplit("/", 1)[-1] for a in attachments if a.name.startswith("eks-node-")}
    assert node == {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"}
    cni_role = plan.named("aws:iam/role:Role", "eks-vpc-cni")
    assert _policy(cni_role, "assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert any(a.name == "eks-vpc-cni-AmazonEKS_CNI_Policy" for a in attachments)
    cni = _addon(plan, "vpc-cni")
    assert cni.inputs["podIdentityAssociations"] == [
        {"roleArn": cni_role.outputs["arn"], "serviceAccount": "aws-node"}]
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    ebs = _addon(plan, "aws-ebs-csi-driver")
    assert ebs.inputs["podIdentityAssociations"][0]["serviceAccount"] == "ebs-csi-controller-sa"
    kms = _policy(plan.named("aws:iam/rolePolicy:RolePolicy", "eks-ebs-csi-kms"))
    assert {s["Resource"] for s in kms["Statement"]} == {KEY.format("data")}


def test_addon_ordering_cni_and_agent_before_nodes_the_rest_after(plan: Plan) -> None:
    ng = plan.named(NODE_GROUP, "eks-ng-system")
    assert {"vpc-cni", "eks-pod-identity-agent"} <= set(ADDONS_BEFORE_NODES)
    for name in ADDONS_BEFORE_NODES:
        addon = _addon(plan, name)
        assert addon.urn in ng.raw["dependencies"], name
        assert ng.urn not in addon.raw["dependencies"], name
    assert {"coredns", "aws-ebs-csi-driver", "metrics-server"} == set(ADDONS_AFTER_NODES)
    for name in ADDONS_AFTER_NODES:
        assert ng.urn in _addon(plan, name).raw["dependencies"], name
    assert len(plan.of_type(ADDON)) == 6


def test_metrics_server_addon_feeds_the_hpas(plan: Plan) -> None:
    """Without metrics-server no HPA gets CPU metrics and none ever scales: the EKS community
    add-on runs on the nodes (after them), listens on 10251, which the control plane may reach."""
    metrics = _addon(plan, "metrics-server")
    assert metrics.inputs["clusterName"] == plan.named(CLUSTER, "eks-cluster").outputs["name"]
    assert metrics.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"
    cluster_sg = plan.named("aws:ec2/securityGroup:SecurityGroup", "eks-cluster").outputs["id"]
    assert any(r.inputs["fromPort"] == 10251 and r.inputs["referencedSecurityGroupId"] == cluster_sg
               for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"))
    # the Kubernetes provider (and so every HPA) waits for it
    provider = next(r for r in plan.of_type("pulumi:providers:kubernetes") if r.name == "eks-k8s")
    assert metrics.urn in provider.raw["dependencies"]


def test_autoscaling_role_gets_a_grant_on_the_data_key(plan: Plan) -> None:
    grant = plan.named("aws:kms/grant:Grant", "eks-autoscaling-ebs")
    assert grant.inputs["keyId"] == KEY.format("data")
    assert grant.inputs["granteePrincipal"].endswith(
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
    assert grant.urn in plan.named(NODE_GROUP, "eks-ng-system").raw["dependencies"]


# --- access ------------------------------------------------------------------------------------------

def test_access_entries_map_principals_to_groups_and_policies(plan: Plan) -> None:
    entries = {e.inputs["principalArn"]: e.inputs for e in plan.of_type("aws:eks/accessEntry:AccessEntry")}
    assert entries[DEPLOYER]["kubernetesGroups"] == ["azora:platform-admins"]
    assert entries[ADMIN]["kubernetesGroups"] == ["azora:platform-admins"]
    assert entries[DEV]["kubernetesGroups"] == ["azora:developers"]
    assert entries[VIEWER]["kubernetesGroups"] == ["azora:viewers"]
    policies = {p.inputs["principalArn"]: p.inputs
                for p in plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    assert policies[DEPLOYER]["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert policies[ADMIN]["accessScope"] == {"type": "cluster"}
    assert policies[DEV]["policyArn"].endswith("/AmazonEKSEditPolicy")
    assert policies[DEV]["accessScope"] == {"type": "namespace", "namespaces": ["education", "ai"]}
    assert policies[VIEWER]["policyArn"].endswith("/AmazonEKSViewPolicy")


def test_kubeconfig_names_region_and_role_and_provider_waits_for_access(plan: Plan) -> None:
    prov = plan.named("pulumi:providers:kubernetes", "eks-k8s")
    config = json.loads(prov.inputs["kubeconfig"])
    exec_ = config["users"][0]["user"]["exec"]
    args = exec_["args"]
    assert exec_["command"] == "aws" and args[:2] == ["eks", "get-token"]
    assert args[args.index("--region") + 1] == REGION
    assert args[args.index("--role-arn") + 1] == DEPLOYER
    assert args[args.index("--cluster-name") + 1] == "azora-test"
    assert config["clusters"][0]["cluster"]["server"].endswith(f".{REGION}.eks.amazonaws.com")
    assert prov.inputs["clusterIdentifier"] == plan.named(CLUSTER, "eks-cluster").outputs["arn"]
    deployer_policy = plan.named("aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
                                 "eks-access-deployer-policy")
    assert deployer_policy.urn in prov.raw["dependencies"]
    assert plan.named(NODE_GROUP, "eks-ng-system").urn in prov.raw["dependencies"]
    assert "kubeconfig" in plan.named("azora:eks:EksCluster", "eks").outputs


def test_kubeconfig_without_role_still_has_region() -> None:
    args = kubeconfig("c", "https://x", "ca", "eu-west-1")["users"][0]["user"]["exec"]["args"]
    assert "--role-arn" not in args
    assert args[args.index("--region") + 1] == "eu-west-1"


def test_every_aws_child_uses_the_region_provider(plan: Plan) -> None:
    comp = plan.named("azora:eks:EksCluster", "eks")
    for r in plan.descendants(comp.urn):
        if r.type.startswith("aws:"):
            assert r.provider is not None and r.provider["name"] == "aws-af-south-1", r.name


def test_deployer_listed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="one access entry per principal"):
        EksCluster("x", EksClusterArgs(
            cluster_name="c", region=REGION, vpc_id="v", subnet_ids=["s"], secrets_key_arn="k",
            logs_key_arn="k", data_key_arn="k", deployer_role_arn=ADMIN,
            access=AccessSpec(platform_admins=(ADMIN,))), provider=None)  # type: ignore[arg-type]


# --- Karpenter ---------------------------------------------------------------------------------------

def test_karpenter_controller_uses_pod_identity(plan: Plan) -> None:
    role = plan.named("aws:iam/role:Role", "karpenter-controller")
    assert _policy(role, "assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assoc = plan.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-controller").inputs
    assert (assoc["namespace"], assoc["serviceAccount"]) == ("kube-system", "karpenter")
    assert assoc["roleArn"] == role.outputs["arn"]
    sids = {s["Sid"] for s in _policy(plan.named("aws:iam/rolePolicy:RolePolicy", "karpenter-controller"))["Statement"]}
    assert {"AllowInterruptionQueueActions", "AllowPassingInstanceRole", "AllowScopedDeletion",
            "AllowEncryptedVolumes"} <= sids


def test_karpenter_nodes_have_role_profile_and_ec2_linux_access_entry(plan: Plan) -> None:
    node_role = plan.named("aws:iam/role:Role", "karpenter-node")
    profile = plan.named("aws:iam/instanceProfile:InstanceProfile", "karpenter-node")
    assert profile.inputs["role"] == node_role.outputs["name"]
    entry = plan.named("aws:eks/accessEntry:AccessEntry", "karpenter-node").inputs
    assert entry["type"] == "EC2_LINUX" and entry["principalArn"] == node_role.outputs["arn"]
    assert "kubernetesGroups" not in entry


def test_interruption_queue_is_encrypted_and_fed_by_four_rules(plan: Plan) -> None:
    queue = plan.named("aws:sqs/queue:Queue", "karpenter-interruption")
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["name"] == "azora-test-karpenter"
    policy = _policy(plan.named("aws:sqs/queuePolicy:QueuePolicy", "karpenter-interruption"))
    assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
               for s in policy["Statement"])
    rules = {r.name: json.loads(r.inputs["eventPattern"]) for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert {p["detail-type"][0] for p in rules.values()} == {
        "AWS Health Event", "EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification"}
    assert len(INTERRUPTION_EVENTS) == 4
    targets = plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == 4 and {t.inputs["arn"] for t in targets} == {queue.outputs["arn"]}


def test_only_the_stacks_own_rules_may_send_to_the_interruption_queue(plan: Plan) -> None:
    """A message from any other EventBridge rule (another stack's, another account's) could make
    Karpenter drain nodes: the queue admits EventBridge only with ``aws:SourceArn`` = our rules."""
    policy = _policy(plan.named("aws:sqs/queuePolicy:QueuePolicy", "karpenter-interruption"))
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    rule_arns = sorted(r.outputs["arn"] for r in plan.of_type("aws:cloudwatch/eventRule:EventRule"))
    assert len(rule_arns) == 4
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}  # no unconditioned sqs.amazonaws.com
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arns}}
    # the policy waits for the rules (their ARNs are in it)
    queue_policy = plan.named("aws:sqs/queuePolicy:QueuePolicy", "karpenter-interruption")
    rule_urns = {r.urn for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert rule_urns <= set(queue_policy.raw["dependencies"])


@pytest.mark.parametrize(("role", "namespace", "account"), [
    ("karpenter-controller", "kube-system", "karpenter"),
    ("eks-vpc-cni", "kube-system", "aws-node"),
    ("eks-ebs-csi", "kube-system", "ebs-csi-controller-sa"),
])
def test_pod_identity_roles_trust_one_service_account_of_this_cluster(plan: Plan, role: str, namespace: str,
                                                                      account: str) -> None:
    (statement,) = _policy(plan.named("aws:iam/role:Role", role), "assumeRolePolicy")["Statement"]
    cluster = plan.named("aws:eks/cluster:Cluster", "eks-cluster")
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {
        "aws:RequestTag/eks-cluster-arn": cluster.outputs["arn"],
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": account}}


def test_karpenter_release_and_node_pools(plan: Plan) -> None:
    release = plan.named("kubernetes:helm.sh/v3:Release", "karpenter-release")
    assert release.inputs["chart"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert release.inputs["version"] == "1.6.3"
    assert release.inputs["values"]["settings"]["clusterName"] == "azora-test"
    assert release.inputs["values"]["settings"]["interruptionQueue"] == "azora-test-karpenter"
    assert release.provider is not None and release.provider["name"] == "eks-k8s"
    assoc = plan.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-controller")
    assert assoc.urn in release.raw["dependencies"]
    node_class = plan.named("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "karpenter-nodeclass-default").inputs
    spec = node_class["spec"]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert spec["blockDeviceMappings"][0]["ebs"]["kmsKeyID"] == KEY.format("data")
    assert spec["blockDeviceMappings"][0]["ebs"]["encrypted"] is True
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "azora-test"}}]
    pools = {p.inputs["metadata"]["name"]: p.inputs["spec"]
             for p in plan.of_type("kubernetes:karpenter.sh/v1:NodePool")}
    capacity = {name: next(r["values"] for r in s["template"]["spec"]["requirements"]
                           if r["key"] == "karpenter.sh/capacity-type") for name, s in pools.items()}
    assert capacity == {"default": ["on-demand"], "stateless-spot": ["spot"]}
    # spot capacity only for workloads that declare themselves stateless (toleration)
    assert pools["stateless-spot"]["template"]["spec"]["taints"] == [
        {"key": "azora.io/stateless", "value": "true", "effect": "NoSchedule"}]
    assert "taints" not in pools["default"]["template"]["spec"]


# --- config switches ---------------------------------------------------------------------------------

BASE_STACK: dict[str, Any] = {
    "aws:region": REGION, "azora:region": REGION, "azora:role": "primary", "azora:primaryStack": "africa",
    "azora:network": {"cidr": "10.10.0.0/16"},
    "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
    "azora:alerting": ALERTING,
}


def _stack(eks: dict[str, Any] | None = None, **extra: Any):  # type: ignore[no-untyped-def]
    raw = {**BASE_STACK, **{f"azora:{k}": v for k, v in extra.items()}}
    if eks is not None:
        raw["azora:eks"] = eks
    return parse_config(raw, "Pulumi.test.yaml")


@pytest.fixture(scope="module")
def switched() -> Plan:
    cfg = _stack({
        "publicAccessCidrs": ["203.0.113.0/24"],
        "nodeGroups": {
            "system": {"amiType": "BOTTLEROCKET", "diskSizeGib": 80},
            "batch": {"capacityType": "SPOT", "stateless": True, "instanceTypes": ["c7g.xlarge"],
                      "architecture": "arm64", "minSize": 0, "desiredSize": 0, "maxSize": 10,
                      "taints": [{"key": "azora.io/batch", "value": "true"}]},
        },
        "karpenter": {"enabled": False},
        "mesh": {"enabled": False},
    }, environment="dev")
    keys = SimpleNamespace(secrets_key_arn=KEY.format("s"), logs_key_arn=KEY.format("l"),
                           data_key_arn=KEY.format("d"))
    network = SimpleNamespace(vpc_id="vpc-1", cidr="10.10.0.0/16", private_subnet_ids=["subnet-a"])

    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region=REGION)
        build_kubernetes(cfg, "test", provider, keys, network)  # type: ignore[arg-type]
    return record(program)


def test_public_endpoint_only_for_listed_cidrs(switched: Plan) -> None:
    vpc = switched.named(CLUSTER, "eks-cluster").inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert vpc["endpointPrivateAccess"] is True


def test_node_egress_is_https_out_and_anything_inside_the_vpc(switched: Plan, plan: Plan) -> None:
    egress = {(r.inputs["ipProtocol"], r.inputs.get("fromPort"), r.inputs["cidrIpv4"])
              for r in switched.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")}
    assert egress == {("tcp", 443, "0.0.0.0/0"), ("-1", None, "10.10.0.0/16")}
    # without the VPC CIDR the component falls back to terraform-aws-eks's all-egress rule
    (all_out,) = plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert (all_out.inputs["ipProtocol"], all_out.inputs["cidrIpv4"]) == ("-1", "0.0.0.0/0")


def test_dev_has_no_deletion_protection(switched: Plan) -> None:
    assert switched.named(CLUSTER, "eks-cluster").inputs["deletionProtection"] is False
    assert switched.named(CLUSTER, "eks-cluster").inputs["name"] == "azora-test"


def test_bottlerocket_gets_encrypted_os_and_data_volumes(switched: Plan) -> None:
    assert switched.named(NODE_GROUP, "eks-ng-system").inputs["amiType"] == "BOTTLEROCKET_ARM_64"
    lt = switched.named("aws:ec2/launchTemplate:LaunchTemplate", "eks-ng-system").inputs
    devices = {d["deviceName"]: d["ebs"] for d in lt["blockDeviceMappings"]}
    assert set(devices) == {"/dev/xvda", "/dev/xvdb"}
    assert devices["/dev/xvdb"]["volumeSize"] == 80
    assert all(d["encrypted"] == "true" and d["kmsKeyId"] == KEY.format("d") for d in devices.values())


def test_spot_group_for_stateless_work_with_taints(switched: Plan) -> None:
    batch = switched.named(NODE_GROUP, "eks-ng-batch").inputs
    assert batch["capacityType"] == "SPOT"
    assert batch["taints"] == [{"key": "azora.io/batch", "value": "true", "effect": "NO_SCHEDULE"}]
    assert batch["scalingConfig"] == {"minSize": 0, "maxSize": 10, "desiredSize": 0}


def test_switched_off_parts_are_absent(switched: Plan) -> None:
    assert not switched.of_type("azora:eks:Karpenter")
    # no Karpenter, Istio or gateway releases; the AWS Load Balancer Controller, cert-manager and
    # External Secrets Operator are always installed
    assert sorted(r.name for r in switched.of_type("kubernetes:helm.sh/v3:Release")) == [
        "cert-manager-release", "external-secrets-release", "lb-controller-release"]
    assert not switched.of_type("azora:gateway:IngressGateway")
    # without a deployer role, the caller's IAM role (from its STS session) gets the admin entry
    entries = [e.inputs["principalArn"] for e in switched.of_type("aws:eks/accessEntry:AccessEntry")]
    assert entries == ["arn:aws:iam::123456789012:role/ci-deployer"]


def test_defaults_validate_without_an_eks_section() -> None:
    cfg = _stack()
    assert cfg.eks == EksConfig()
    assert cfg.eks.public_access_cidrs == ()
    assert cfg.eks.log_retention_days == 90
    assert cfg.eks.node_groups["system"].eks_ami_type == "AL2023_ARM_64_STANDARD"
    assert cfg.eks.node_groups["system"].capacity_type.value == "ON_DEMAND"
    assert set(cfg.eks.namespaces) == {"education", "marketplace", "ai"}


@pytest.mark.parametrize(("eks", "field", "message"), [
    ({"nodeGroups": {"batch": {"capacityType": "SPOT"}}}, "azora:eks.nodeGroups.batch.capacityType",
     "only for node groups marked `stateless: true`"),
    ({"publicAccessCidrs": ["0.0.0.0/0"]}, "azora:eks.publicAccessCidrs", "whole internet"),
    ({"publicAccessCidrs": ["10.0.0.0/8"]}, "azora:eks.publicAccessCidrs", "not a public range"),
    ({"publicAccessCidrs": ["nonsense"]}, "azora:eks.publicAccessCidrs", "not a valid IPv4 network"),
    ({"logRetentionDays": 45}, "azora:eks.logRetentionDays", "not a CloudWatch Logs retention period"),
    ({"nodeGroups": {"x": {"instanceTypes": ["m7i.large"]}}}, "azora:eks.nodeGroups.x.instanceTypes",
     "architecture arm64"),
    ({"nodeGroups": {"x": {"minSize": 3, "desiredSize": 2}}}, "azora:eks.nodeGroups.x.desiredSize", "minSize"),
    ({"nodeGroups": {}}, "azora:eks.nodeGroups", "at least one"),
    ({"namespaces": {"kube-system": {"team": "x"}}}, "azora:eks.namespaces.kube-system", "reserved"),
    ({"access": {"developers": [DEV], "viewers": [DEV]}}, "azora:eks.access.viewers", "one access entry"),
    ({"access": {"viewers": ["arn:aws:iam::123456789012:user/bob"]}}, "azora:eks.access.viewers",
     "not an IAM role ARN"),
    ({"kubernetesVersion": "1.20"}, "azora:eks.kubernetesVersion", "not a supported"),
    ({"namespaces": {"ai": {"team": "ai", "quota": {"limitsCpu": "lots"}}}},
     "azora:eks.namespaces.ai.quota.limitsCpu", "not a Kubernetes quantity"),
])
def test_config_errors_name_the_field(eks: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _stack(eks)
    text = str(err.value)
    assert field in text and message in text, text


# --- the whole africa program ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def africa(repo_plan: Callable[[str], dict[str, Any]]) -> Plan:
    return Plan(repo_plan("africa"))  # the session's plan of the repo's africa stack


def test_africa_plan_has_a_private_kms_encrypted_cluster(africa: Plan) -> None:
    (cluster,) = africa.of_type(CLUSTER)
    assert cluster.inputs["name"] == "azora-africa"
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster.inputs["vpcConfig"]["endpointPrivateAccess"] is True
    secrets_key = africa.named("aws:kms/key:Key", "keys-secrets").outputs["arn"]
    assert cluster.inputs["encryptionConfig"]["provider"]["keyArn"] == secrets_key
    assert cluster.inputs["deletionProtection"] is True  # africa is prod
    assert cluster.region == "af-south-1"
    private = {s.outputs["id"] for s in africa.of_type("aws:ec2/subnet:Subnet")
               if s.inputs["tags"]["azora:tier"] == "private"}
    assert set(cluster.inputs["vpcConfig"]["subnetIds"]) == private
    outputs = africa.outputs
    assert outputs["eksClusterName"] == "azora-africa"
    assert outputs["eksNodeSecurityGroupId"] == africa.named(
        "aws:ec2/securityGroup:SecurityGroup", "eks-node").outputs["id"]
    assert outputs["eksOidcProviderArn"].startswith("arn:aws:iam::123456789012:oidc-provider/oidc.eks.af-south-1")
    assert outputs["eksClusterEndpoint"].endswith(".af-south-1.eks.amazonaws.com")
    kubeconfig_args = json.loads(africa.named("pulumi:providers:kubernetes", "eks-k8s").inputs["kubeconfig"])[
        "users"][0]["user"]["exec"]["args"]
    assert kubeconfig_args[kubeconfig_args.index("--region") + 1] == "af-south-1"
