"""`EksCluster`: a private, encrypted, logged EKS cluster with managed node groups and a ready
Kubernetes provider.

Secure defaults (at least terraform-aws-eks v21's): private API endpoint (public only for an
explicit CIDR allow-list), Kubernetes secrets envelope-encrypted with the region's KMS key, all
five control-plane log types to a log group this component owns (KMS, retention), authentication
mode ``API`` (access entries, no aws-auth ConfigMap) with no implicit creator admin, IRSA OIDC
provider and EKS Pod Identity, managed add-ons (the VPC CNI with network-policy enforcement),
IMDSv2-only nodes (hop limit 1) on encrypted gp3 volumes, rolling updates at most 33 %
unavailable, node auto-repair, and a Kubernetes provider whose kubeconfig names the region (and
role) explicitly (pulumi-eks #1038 / #1426 cannot happen).
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

#: control-plane log types; all five are shipped (terraform-aws-eks ships three by default)
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

#: Kubernetes groups the access entries put principals in; `KubernetesBaseline` binds RBAC to them
GROUP_PLATFORM_ADMINS = "azora:platform-admins"
GROUP_DEVELOPERS = "azora:developers"
GROUP_VIEWERS = "azora:viewers"

ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/{}"
MANAGED_POLICY = "arn:aws:iam::aws:policy/{}"

#: add-ons that must run before nodes can become Ready (the CNI, the credentials agent the CNI
#: gets its role from, and kube-proxy, which programs the API server's Service address the CNI
#: talks to; both DaemonSets are healthy with zero nodes)
ADDONS_BEFORE_NODES = ("vpc-cni", "eks-pod-identity-agent", "kube-proxy")
#: add-ons with Deployments: they would stay DEGRADED (and time out) without nodes.
#: metrics-server (an EKS community add-on, listening on 10251) feeds every HPA its CPU metrics.
ADDONS_AFTER_NODES = ("coredns", "aws-ebs-csi-driver", "metrics-server")

#: node security group ingress from the control plane: (port from, port to, why)
CONTROL_PLANE_TO_NODE_PORTS: tuple[tuple[int, int, str], ...] = (
    (443, 443, "webhooks and extension API servers"),
    (4443, 4443, "metrics-server"),
    (6443, 6443, "extension API servers (prometheus-adapter)"),
    (8443, 8443, "Karpenter webhook"),
    (9443, 9443, "AWS Load Balancer Controller webhook"),
    (10250, 10250, "kubelet (logs, exec, metrics)"),
    (10251, 10251, "metrics-server (EKS add-on)"),
    (15017, 15017, "Istio sidecar-injection webhook (istiod)"),
)


@dataclass(frozen=True)
class TaintSpec:
    key: str
    value: str | None = None
    #: NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE
    effect: str = "NO_SCHEDULE"


@dataclass(frozen=True)
class NodeGroupSpec:
    """One managed node group."""

    #: the EKS ``amiType`` (AL2023_ARM_64_STANDARD, BOTTLEROCKET_x86_64, ...)
    ami_type: str = "AL2023_ARM_64_STANDARD"
    #: ON_DEMAND or SPOT
    capacity_type: str = "ON_DEMAND"
    instance_types: Sequence[str] = ("m7g.large", "m7g.xlarge")
    min_size: int = 2
    max_size: int = 6
    desired_size: int = 3
    #: root (AL2023) or data (Bottlerocket) volume, gp3, encrypted with the data key
    disk_size_gib: int = 50
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[TaintSpec] = ()

    @property
    def bottlerocket(self) -> bool:
        return self.ami_type.startswith("BOTTLEROCKET")


@dataclass(frozen=True)
class AccessSpec:
    """IAM roles mapped to cluster roles through EKS access entries (one entry per principal)."""

    platform_admins: Sequence[str] = ()
    developers: Sequence[str] = ()
    viewers: Sequence[str] = ()


def assume_role_policy(service: str) -> str:
    """Trust policy for an AWS service principal (``sts:TagSession`` too: EKS Pod Identity and the
    EKS control plane tag their sessions).

    Used as is only for ``eks.amazonaws.com`` (the cluster role) and ``ec2.amazonaws.com`` (node
    roles): neither service documents sending ``aws:SourceArn``/``aws:SourceAccount`` when it
    assumes a role, so a condition on them would lock the role out. Both roles can only be handed
    to the service by a principal of this account with ``iam:PassRole`` (a role cannot be passed
    across accounts), which is what keeps another account from using them. Pod Identity roles use
    `pod_identity_trust_policy` instead."""
    actions = ["sts:AssumeRole", "sts:TagSession"] if service.startswith(("pods.eks", "eks.")) \
        else ["sts:AssumeRole"]
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": actions}]})


#: the session tags EKS Pod Identity adds to every role session it requests (EKS user guide,
#: "List of session tags added by EKS Pod Identity")
POD_IDENTITY_TAGS = ("eks-cluster-arn", "kubernetes-namespace", "kubernetes-service-account")


def pod_identity_trust_policy(cluster_arn: str, namespace: str, service_account: str) -> str:
    """Trust policy of an EKS Pod Identity role, limited to one service account of one cluster.

    ``pods.eks.amazonaws.com`` documents no ``aws:SourceArn``/``aws:SourceAccount``; what it
    documents is the session tags it sets on ``AssumeRole``/``TagSession`` (cluster ARN,
    namespace, service account), so the condition is on those: an association made for another
    service account or another cluster cannot assume the role."""
    values = (cluster_arn, namespace, service_account)
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {f"aws:RequestTag/{k}": v for k, v in zip(POD_IDENTITY_TAGS, values,
                                                                                 strict=True)}}}]})


def pod_identity_trust(cluster_arn: pulumi.Input[str], namespace: str, service_account: str) -> pulumi.Output[str]:
    """`pod_identity_trust_policy` for a cluster ARN that is still an output."""
    return pulumi.Output.from_input(cluster_arn).apply(
        lambda arn: pod_identity_trust_policy(arn, namespace, service_account))


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str,
               role_arn: str | None = None) -> dict[str, Any]:
    """A kubeconfig whose exec credential plugin runs
    ``aws eks get-token --cluster-name <name> --region <region> [--role-arn <role>]``.

    The region is always explicit: without it the AWS CLI falls back to the caller's default region
    and asks the wrong regional STS/EKS (pulumi-eks #1038).
    """
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    if role_arn:
        args += ["--role-arn", role_arn]
    user = f"{cluster_name}-deployer"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint,
                                                        "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": cluster_name,
        "preferences": {},
        "users": [{"name": user, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": args,
            "env": [{"name": "AWS_REGION", "value": region}],
            "interactiveMode": "Never",
        }}}],
    }


@dataclass(frozen=True)
class EksClusterArgs:
    #: the EKS cluster name (the network tags subnets for it: ``kubernetes.io/cluster/<name>``)
    cluster_name: str
    region: str
    vpc_id: pulumi.Input[str]
    #: private subnets for the control-plane ENIs and the nodes
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    #: KMS key (ARN) that envelope-encrypts Kubernetes secrets
    secrets_key_arn: pulumi.Input[str]
    #: KMS key (ARN) of the control-plane log group
    logs_key_arn: pulumi.Input[str]
    #: KMS key (ARN) of node volumes (and EBS CSI volumes)
    data_key_arn: pulumi.Input[str]
    kubernetes_version: str = "1.33"
    #: the VPC CIDR: node egress is then HTTPS to anywhere plus anything inside the VPC.
    #: None: all egress (terraform-aws-eks's default)
    vpc_cidr: str | None = None
    #: empty: private endpoint only; else the public endpoint is open to these CIDRs only
    public_access_cidrs: Sequence[str] = ()
    log_retention_days: int = 90
    deletion_protection: bool = True
    #: IAM role the deployment runs as (cluster-admin access entry; the kubeconfig assumes it).
    #: None: the caller's own identity (its IAM role, via the STS session context) gets the entry.
    deployer_role_arn: str | None = None
    node_groups: Mapping[str, NodeGroupSpec] = field(
        default_factory=lambda: {"system": NodeGroupSpec()})
    access: AccessSpec = field(default_factory=AccessSpec)
    #: namespaces the developers' access entry (edit) is scoped to
    developer_namespaces: Sequence[str] = ()
    #: ARC zonal shift: move traffic away from an impaired AZ
    zonal_shift: bool = True
    #: STANDARD: no extended-support charges; upgrade before end of standard support
    support_type: str = "STANDARD"
    #: tags for the EC2 instances and volumes the node groups launch (provider default tags do
    #: not reach them): pass the cost-allocation tags
    instance_tags: Mapping[str, str] = field(default_factory=dict)
    #: Pulumi `protect` on the cluster
    protect: bool = False


class EksCluster(AzoraComponent):
    """An EKS cluster with managed add-ons, managed node groups and a ready Kubernetes provider.

    Outputs: ``cluster_name``, ``cluster_arn``, ``endpoint``, ``certificate_authority``,
    ``oidc_provider_arn``, ``oidc_issuer``, ``cluster_security_group_id``,
    ``node_security_group_id`` (data stores allow access only from it), ``node_role_arn``,
    ``node_role_name``, ``kubeconfig`` (secret JSON) and ``k8s_provider`` (a
    `pulumi_kubernetes.Provider` that is usable once the cluster, the deployer's access entry,
    the nodes and the add-ons exist).
    """

    def __init__(self, name: str, args: EksClusterArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.node_groups:
            raise ValueError("EksCluster: at least one node group is required")
        principals = [*args.access.platform_admins, *args.access.developers, *args.access.viewers]
        if args.deployer_role_arn and args.deployer_role_arn in principals:
            raise ValueError(f"EksCluster: the deployer {args.deployer_role_arn} already gets cluster-admin; "
                             "remove it from the access lists (one access entry per principal)")
        super().__init__("azora:eks:EksCluster", name, provider, opts)
        self._args = args
        self._control_plane_iam()
        self._security_groups()
        self._control_plane_logs()
        self._cluster()
        self._irsa()
        self._access_entries()
        self._early_addons()
        self._nodes()
        self._provider_and_outputs()

    def _control_plane_iam(self) -> None:
        """The control plane's role: the EKS cluster policy and envelope encryption with the secrets key."""
        args = self._args
        cluster_name = args.cluster_name
        self.cluster_role = aws.iam.Role(
            self.child_name("cluster"), assume_role_policy=assume_role_policy("eks.amazonaws.com"),
            description=f"EKS control plane of {cluster_name}", opts=self.child_opts())
        self._cluster_iam: list[pulumi.Resource] = [aws.iam.RolePolicyAttachment(
            self.child_name("cluster", "eks"), role=self.cluster_role.name,
            policy_arn=MANAGED_POLICY.format("AmazonEKSClusterPolicy"), opts=self.child_opts())]
        self._cluster_iam.append(aws.iam.RolePolicy(
            self.child_name("cluster", "encryption"), role=self.cluster_role.id,
            policy=pulumi.Output.from_input(args.secrets_key_arn).apply(lambda arn: json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "SecretsEnvelopeEncryption", "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                    "Resource": arn}]})),
            opts=self.child_opts()))

    def _security_groups(self) -> None:
        """Security groups (the "recommended rules" of terraform-aws-eks)."""
        args = self._args
        cluster_name = args.cluster_name
        self.cluster_security_group = aws.ec2.SecurityGroup(
            self.child_name("cluster"), vpc_id=args.vpc_id,
            description=f"EKS control plane of {cluster_name} (additional)",
            tags={"Name": f"{cluster_name}-cluster"}, opts=self.child_opts())
        self.node_security_group = aws.ec2.SecurityGroup(
            self.child_name("node"), vpc_id=args.vpc_id, description=f"EKS nodes of {cluster_name}",
            tags={"Name": f"{cluster_name}-node", f"kubernetes.io/cluster/{cluster_name}": "owned",
                  "karpenter.sh/discovery": cluster_name},
            opts=self.child_opts())
        cluster_sg, node_sg = self.cluster_security_group.id, self.node_security_group.id
        self.cluster_security_group_id: pulumi.Output[str] = cluster_sg
        self.node_security_group_id: pulumi.Output[str] = node_sg
        aws.vpc.SecurityGroupIngressRule(
            self.child_name("cluster", "from-nodes-443"), security_group_id=cluster_sg,
            referenced_security_group_id=node_sg, ip_protocol="tcp", from_port=443, to_port=443,
            description="Nodes to the API server", opts=self.child_opts())
        for lo, hi, why in CONTROL_PLANE_TO_NODE_PORTS:
            aws.vpc.SecurityGroupIngressRule(
                self.child_name("node", f"from-cluster-{lo}"), security_group_id=node_sg,
                referenced_security_group_id=cluster_sg, ip_protocol="tcp", from_port=lo, to_port=hi,
                description=f"Control plane to nodes: {why}", opts=self.child_opts())
        for proto in ("tcp", "udp"):
            aws.vpc.SecurityGroupIngressRule(
                self.child_name("node", f"self-dns-{proto}"), security_group_id=node_sg,
                referenced_security_group_id=node_sg, ip_protocol=proto, from_port=53, to_port=53,
                description="Node to node CoreDNS", opts=self.child_opts())
        aws.vpc.SecurityGroupIngressRule(
            self.child_name("node", "self-ephemeral"), security_group_id=node_sg,
            referenced_security_group_id=node_sg, ip_protocol="tcp", from_port=1025, to_port=65535,
            description="Node to node (pod to pod; network policies and mTLS narrow it)",
            opts=self.child_opts())
        if args.vpc_cidr:
            # out of the VPC only HTTPS (AWS APIs, registries, external APIs); inside it, anything
            # (pods on other nodes, the DNS resolver, data stores, endpoints): SGs and policies narrow it
            aws.vpc.SecurityGroupEgressRule(
                self.child_name("node", "egress-https"), security_group_id=node_sg, ip_protocol="tcp",
                from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0",
                description="Nodes and pods out: HTTPS", opts=self.child_opts())
            aws.vpc.SecurityGroupEgressRule(
                self.child_name("node", "egress-vpc"), security_group_id=node_sg, ip_protocol="-1",
                cidr_ipv4=args.vpc_cidr, description="Nodes and pods inside the VPC", opts=self.child_opts())
        else:
            aws.vpc.SecurityGroupEgressRule(
                self.child_name("node", "egress-all"), security_group_id=node_sg, ip_protocol="-1",
                cidr_ipv4="0.0.0.0/0", description="Nodes out (image pulls, AWS APIs via endpoints/NAT)",
                opts=self.child_opts())

    def _control_plane_logs(self) -> None:
        """Control-plane logs (our log group, created before the cluster)."""
        args = self._args
        cluster_name = args.cluster_name
        self.log_group = aws.cloudwatch.LogGroup(
            self.child_name("control-plane"), name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=args.log_retention_days, kms_key_id=args.logs_key_arn, opts=self.child_opts())

    def _cluster(self) -> None:
        """The cluster: private endpoint (public only for listed CIDRs), encrypted secrets, all logs."""
        args = self._args
        cluster_name = args.cluster_name
        public = bool(args.public_access_cidrs)
        self.cluster = aws.eks.Cluster(
            self.child_name("cluster"),
            name=cluster_name,
            version=args.kubernetes_version,
            role_arn=self.cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.subnet_ids,
                security_group_ids=[self.cluster_security_group_id],
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(args.public_access_cidrs) if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_key_arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False),
            bootstrap_self_managed_addons=False,
            deletion_protection=args.deletion_protection,
            zonal_shift_config=aws.eks.ClusterZonalShiftConfigArgs(enabled=args.zonal_shift),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.support_type),
            opts=self.child_opts(depends_on=[self.log_group, *self._cluster_iam],
                                 protect=args.protect),
        )
        self.cluster_name: pulumi.Output[str] = self.cluster.name
        self.cluster_arn: pulumi.Output[str] = self.cluster.arn
        self.endpoint: pulumi.Output[str] = self.cluster.endpoint
        self.certificate_authority: pulumi.Output[str] = self.cluster.certificate_authority.data
        self.oidc_issuer: pulumi.Output[str] = self.cluster.identities.apply(
            lambda ids: (ids[0].oidcs[0].issuer or "") if ids and ids[0].oidcs else "")

    def _irsa(self) -> None:
        """IRSA (for charts that still use web identity)."""
        args = self._args
        cluster_name = args.cluster_name
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            self.child_name("oidc"), url=self.oidc_issuer, client_id_lists=["sts.amazonaws.com"],
            tags={"Name": f"{cluster_name}-irsa"}, opts=self.child_opts())
        self.oidc_provider_arn: pulumi.Output[str] = self.oidc_provider.arn

    def _access_entries(self) -> None:
        """Access entries: the deployer (cluster-admin), then admins, developers and viewers."""
        args = self._args
        deployer_arn: pulumi.Input[str]
        if args.deployer_role_arn:
            deployer_arn = args.deployer_role_arn
        else:
            invoke = pulumi.InvokeOutputOptions(provider=self.provider, parent=self)
            caller = aws.get_caller_identity_output(opts=invoke)
            deployer_arn = aws.iam.get_session_context_output(arn=caller.arn, opts=invoke).issuer_arn
        self.deployer_access = self._access(
            "deployer", deployer_arn, [GROUP_PLATFORM_ADMINS], "AmazonEKSClusterAdminPolicy", None)
        for role, k8s_group, policy, arns, namespaces in (
            ("admin", GROUP_PLATFORM_ADMINS, "AmazonEKSClusterAdminPolicy", args.access.platform_admins, None),
            ("developer", GROUP_DEVELOPERS, "AmazonEKSEditPolicy", args.access.developers,
             list(args.developer_namespaces)),
            ("viewer", GROUP_VIEWERS, "AmazonEKSViewPolicy", args.access.viewers, None),
        ):
            for arn in arns:
                # key: account and role name (stable, unique per principal)
                key = f"{arn.split(':')[4]}-{arn.rsplit('/', 1)[-1].lower()}"
                # developers without team namespaces: the RBAC group only, no namespace-scoped policy
                unscoped = namespaces is not None and not namespaces
                self._access(f"{role}-{key}", arn, [k8s_group], None if unscoped else policy, namespaces)

    def _early_addons(self) -> None:
        """Add-on roles (EKS Pod Identity) and the add-ons nodes need before they become Ready."""
        args = self._args
        self.cni_role = self._pod_role("vpc-cni", "aws-node", ["AmazonEKS_CNI_Policy"])
        self.ebs_csi_role = self._pod_role("ebs-csi", "ebs-csi-controller-sa",
                                           ["service-role/AmazonEBSCSIDriverPolicy"])
        aws.iam.RolePolicy(
            self.child_name("ebs-csi", "kms"), role=self.ebs_csi_role.id,
            policy=pulumi.Output.from_input(args.data_key_arn).apply(_ebs_kms_policy), opts=self.child_opts())

        self.addons: dict[str, aws.eks.Addon] = {}
        self._addon_identity = {
            "vpc-cni": [aws.eks.AddonPodIdentityAssociationArgs(role_arn=self.cni_role.arn,
                                                                service_account="aws-node")],
            "aws-ebs-csi-driver": [aws.eks.AddonPodIdentityAssociationArgs(
                role_arn=self.ebs_csi_role.arn, service_account="ebs-csi-controller-sa")],
        }
        self._addon_config = {"vpc-cni": json.dumps({"enableNetworkPolicy": "true"})}
        for addon in ADDONS_BEFORE_NODES:
            self.addons[addon] = self._addon(addon, self._addon_identity.get(addon),
                                             self._addon_config.get(addon), [])

    def _nodes(self) -> None:
        """Node role, launch templates and managed node groups; then the add-ons that need nodes."""
        args = self._args
        cluster_name = args.cluster_name
        self.node_role = aws.iam.Role(
            self.child_name("node"), assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            description=f"EKS managed nodes of {cluster_name}", opts=self.child_opts())
        node_policies = [
            aws.iam.RolePolicyAttachment(
                self.child_name("node", policy), role=self.node_role.name,
                policy_arn=MANAGED_POLICY.format(policy), opts=self.child_opts())
            # no AmazonEKS_CNI_Policy: the VPC CNI gets it through its own Pod Identity role
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
                           "AmazonSSMManagedInstanceCore")
        ]
        self.node_role_arn: pulumi.Output[str] = self.node_role.arn
        self.node_role_name: pulumi.Output[str] = self.node_role.name
        # Instances the Auto Scaling service-linked role launches need the data key for their
        # encrypted volumes; a grant lets that role use it without editing the key policy.
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=self.provider, parent=self))
        self.autoscaling_grant = aws.kms.Grant(
            self.child_name("autoscaling-ebs"), key_id=args.data_key_arn,
            grantee_principal=identity.account_id.apply(
                lambda acct: f"arn:aws:iam::{acct}:role/aws-service-role/autoscaling.amazonaws.com/"
                             "AWSServiceRoleForAutoScaling"),
            operations=["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
                        "GenerateDataKeyWithoutPlaintext", "DescribeKey", "CreateGrant"],
            opts=self.child_opts())

        self.launch_templates: dict[str, aws.ec2.LaunchTemplate] = {}
        self.node_groups: dict[str, aws.eks.NodeGroup] = {}
        early_addons = [self.addons[a] for a in ADDONS_BEFORE_NODES]
        for key, group in args.node_groups.items():
            lt = aws.ec2.LaunchTemplate(
                self.child_name("ng", key),
                description=f"{cluster_name} node group {key}: IMDSv2 only, encrypted gp3",
                update_default_version=True,
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                    instance_metadata_tags="disabled"),
                block_device_mappings=_block_devices(group, args.data_key_arn),
                vpc_security_group_ids=[self.node_security_group_id],
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(
                        resource_type=kind, tags={**args.instance_tags, "Name": f"{cluster_name}-{key}"})
                    for kind in ("instance", "volume", "network-interface")],
                tags={"Name": f"{cluster_name}-{key}"},
                opts=self.child_opts())
            self.launch_templates[key] = lt
            self.node_groups[key] = aws.eks.NodeGroup(
                self.child_name("ng", key),
                cluster_name=self.cluster.name,
                node_group_name_prefix=f"{key}-",
                version=self.cluster.version,
                node_role_arn=self.node_role.arn,
                subnet_ids=args.subnet_ids,
                ami_type=group.ami_type,
                capacity_type=group.capacity_type,
                instance_types=list(group.instance_types),
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=group.min_size, max_size=group.max_size, desired_size=group.desired_size),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
                node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=lt.id, version=lt.latest_version.apply(str)),
                labels={"azora.io/node-group": key, **group.labels},
                taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect)
                        for t in group.taints] or None,
                tags={"Name": f"{cluster_name}-{key}"},
                # the cluster autoscaler / Karpenter own the running size after creation
                opts=self.child_opts(depends_on=[*node_policies, *early_addons, self.autoscaling_grant],
                                     ignore_changes=["scalingConfig.desiredSize"]),
            )
        nodes: list[pulumi.Resource] = list(self.node_groups.values())
        for addon in ADDONS_AFTER_NODES:
            self.addons[addon] = self._addon(addon, self._addon_identity.get(addon),
                                             self._addon_config.get(addon), nodes)

    def _provider_and_outputs(self) -> None:
        """A ready Kubernetes provider, and the outputs."""
        args = self._args
        kube_role = args.deployer_role_arn
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.certificate_authority,
        ).apply(lambda v: json.dumps(kubeconfig(v[0], v[1], v[2], args.region, kube_role))))
        self.k8s_provider = k8s.Provider(
            self.child_name("k8s"),
            kubeconfig=self.kubeconfig,
            # replace the provider (and so every Kubernetes object) only when the cluster changes,
            # not when a token or endpoint string changes (pulumi-eks #207, #764)
            cluster_identifier=self.cluster.arn,
            enable_server_side_apply=True,
            delete_unreachable=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[
                *self.deployer_access, *self.node_groups.values(), *self.addons.values()]),
        )

        self.register_outputs({
            "clusterName": self.cluster_name, "clusterArn": self.cluster_arn, "endpoint": self.endpoint,
            "oidcProviderArn": self.oidc_provider_arn, "oidcIssuer": self.oidc_issuer,
            "clusterSecurityGroupId": self.cluster_security_group_id,
            "nodeSecurityGroupId": self.node_security_group_id,
            "nodeRoleArn": self.node_role_arn, "kubeconfig": self.kubeconfig,
        })

    # --- helpers ------------------------------------------------------------------------------------
    def _access(self, key: str, principal_arn: pulumi.Input[str], groups: list[str], policy: str | None,
                namespaces: list[str] | None) -> list[pulumi.Resource]:
        entry = aws.eks.AccessEntry(
            self.child_name("access", key), cluster_name=self.cluster.name, principal_arn=principal_arn,
            kubernetes_groups=groups, type="STANDARD", opts=self.child_opts())
        created: list[pulumi.Resource] = [entry]
        if policy:
            scope = (aws.eks.AccessPolicyAssociationAccessScopeArgs(type="namespace", namespaces=namespaces)
                     if namespaces else aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"))
            created.append(aws.eks.AccessPolicyAssociation(
                self.child_name("access", key, "policy"), cluster_name=self.cluster.name,
                principal_arn=entry.principal_arn, policy_arn=ACCESS_POLICY.format(policy),
                access_scope=scope, opts=self.child_opts(depends_on=[entry])))
        return created

    def _pod_role(self, key: str, service_account: str, policies: list[str]) -> aws.iam.Role:
        # add-ons run in kube-system
        role = aws.iam.Role(
            self.child_name(key),
            assume_role_policy=pod_identity_trust(self.cluster.arn, "kube-system", service_account),
            description=f"EKS Pod Identity role: {key}", opts=self.child_opts())
        for policy in policies:
            aws.iam.RolePolicyAttachment(
                self.child_name(key, policy.rsplit("/", 1)[-1]), role=role.name,
                policy_arn=MANAGED_POLICY.format(policy), opts=self.child_opts())
        return role

    def _addon(self, addon: str, pod_identity: list[aws.eks.AddonPodIdentityAssociationArgs] | None,
               configuration: str | None, after: Sequence[pulumi.Resource]) -> aws.eks.Addon:
        # no addon_version: EKS installs the default version for the cluster's Kubernetes version
        return aws.eks.Addon(
            self.child_name("addon", addon), cluster_name=self.cluster.name, addon_name=addon,
            configuration_values=configuration, pod_identity_associations=pod_identity,
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
            opts=self.child_opts(depends_on=list(after) or None))


def _block_devices(group: NodeGroupSpec, key_arn: pulumi.Input[str]) -> list[
        aws.ec2.LaunchTemplateBlockDeviceMappingArgs]:
    def volume(device: str, size: int) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
        return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name=device, ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_size=size, volume_type="gp3", encrypted="true", kms_key_id=key_arn,
                delete_on_termination="true"))
    if group.bottlerocket:
        # Bottlerocket: a small OS volume and the data volume (images, ephemeral storage)
        return [volume("/dev/xvda", 4), volume("/dev/xvdb", group.disk_size_gib)]
    return [volume("/dev/xvda", group.disk_size_gib)]


def _ebs_kms_policy(key_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "UseDataKey", "Effect": "Allow",
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": key_arn},
        {"Sid": "GrantsForVolumes", "Effect": "Allow",
         "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": key_arn,
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ]})
