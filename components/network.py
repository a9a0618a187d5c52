"""`RegionalNetwork`: the region's VPC, its subnet tiers, egress, flow logs and private endpoints."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .base import AzoraComponent

TIERS = ("public", "private", "database", "cache")
GATEWAY_ENDPOINTS = ("s3", "dynamodb")


@dataclass(frozen=True)
class SubnetLayout:
    """The subnet CIDRs per tier and AZ, derived from the VPC CIDR.

    Three quarters of the VPC are private subnets (one per AZ: EKS pods use VPC addresses); the
    last quarter is cut into /(p+6) blocks for the public, database and cache tiers, leaving room
    to grow each tier.
    """

    cidr: str
    azs: tuple[str, ...]

    def blocks(self) -> dict[str, dict[str, str]]:
        vpc = ipaddress.IPv4Network(self.cidr)
        if vpc.prefixlen > 22:
            raise ValueError(f"VPC {self.cidr} is too small: /16 to /22 are supported")
        if not 1 <= len(self.azs) <= 3:
            raise ValueError("1 to 3 availability zones are supported")
        quarters = list(vpc.subnets(new_prefix=vpc.prefixlen + 2))
        small = list(quarters[3].subnets(new_prefix=vpc.prefixlen + 6))
        layout: dict[str, dict[str, str]] = {t: {} for t in TIERS}
        for i, az in enumerate(self.azs):
            layout["private"][az] = str(quarters[i])
            layout["public"][az] = str(small[i])
            layout["database"][az] = str(small[4 + i])
            layout["cache"][az] = str(small[8 + i])
        return layout


@dataclass(frozen=True)
class RegionalNetworkArgs:
    cidr: str
    azs: Sequence[str]
    region: str
    #: the KMS key (ARN) that encrypts the flow-log group
    logs_key_arn: pulumi.Input[str]
    #: one NAT gateway per AZ (production) or a single one (dev)
    nat_per_az: bool = True
    flow_log_retention_days: int = 365
    interface_endpoints: Sequence[str] = ()
    #: EKS cluster name for subnet discovery tags (load balancers, Karpenter)
    cluster_name: str | None = None


def flow_logs_trust_policy(region: str, account_id: str) -> str:
    """VPC Flow Logs may assume the role only for flow logs of this account in this region
    (``aws:SourceAccount`` and ``aws:SourceArn``, as the VPC user guide recommends)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{region}:{account_id}:vpc-flow-log/*"}}}]})


class RegionalNetwork(AzoraComponent):
    """A VPC across the region's AZs with public, private and isolated (database, cache) tiers.

    Outputs: ``vpc_id``, ``subnet_ids`` (tier -> AZ -> id) and per-tier lists
    (``public_subnet_ids``, ``private_subnet_ids``, ``database_subnet_ids``,
    ``cache_subnet_ids``), ``db_subnet_group_name``, ``cache_subnet_group_name``,
    ``endpoint_security_group_id``, ``flow_log_group_name``, ``nat_gateway_ids``.
    """

    def __init__(self, name: str, args: RegionalNetworkArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:network:RegionalNetwork", name, provider, opts)
        self._args = args
        self._azs = tuple(args.azs)
        self._vpc()
        self._subnets(SubnetLayout(args.cidr, self._azs).blocks())
        self._public_routes()
        self._nat_gateways()
        isolated_rt = self._private_and_isolated_routes()
        self._flow_logs(name)
        self._endpoints([*self.private_route_tables.values(), isolated_rt])
        self._subnet_groups(name)

        self.vpc_id: pulumi.Output[str] = self.vpc.id
        self.cidr = args.cidr
        self.subnet_ids = {t: {az: s.id for az, s in by_az.items()} for t, by_az in self.subnets.items()}
        self.public_subnet_ids = [s.id for s in self.subnets["public"].values()]
        self.private_subnet_ids = [s.id for s in self.subnets["private"].values()]
        self.database_subnet_ids = [s.id for s in self.subnets["database"].values()]
        self.cache_subnet_ids = [s.id for s in self.subnets["cache"].values()]
        self.db_subnet_group_name: pulumi.Output[str] = self.db_subnet_group.name
        self.cache_subnet_group_name: pulumi.Output[str] = self.cache_subnet_group.name
        self.endpoint_security_group_id: pulumi.Output[str] = self.endpoint_security_group.id
        self.flow_log_group_name: pulumi.Output[str] = self.flow_log_group.name
        self.nat_gateway_ids = {az: n.id for az, n in self.nat_gateways.items()}
        self.register_outputs({
            "vpcId": self.vpc_id, "cidr": self.cidr, "subnetIds": self.subnet_ids,
            "dbSubnetGroupName": self.db_subnet_group_name, "cacheSubnetGroupName": self.cache_subnet_group_name,
            "endpointSecurityGroupId": self.endpoint_security_group_id,
            "flowLogGroupName": self.flow_log_group_name, "natGatewayIds": self.nat_gateway_ids,
        })

    def _vpc(self) -> None:
        self.vpc = aws.ec2.Vpc(
            self.child_name("vpc"), cidr_block=self._args.cidr, enable_dns_hostnames=True,
            enable_dns_support=True, tags={"Name": self.child_name("vpc")}, opts=self.child_opts())
        # Adopting the default security group with no rules strips AWS's allow-all defaults.
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            self.child_name("default-sg"), vpc_id=self.vpc.id, ingress=[], egress=[],
            tags={"Name": self.child_name("default-sg-do-not-use")}, opts=self.child_opts())
        self.internet_gateway = aws.ec2.InternetGateway(
            self.child_name("igw"), vpc_id=self.vpc.id, tags={"Name": self.child_name("igw")},
            opts=self.child_opts())

    def _subnets(self, layout: dict[str, dict[str, str]]) -> None:
        """One subnet per tier and AZ, tagged for load-balancer and Karpenter discovery."""
        cluster_name = self._args.cluster_name
        discovery = {"karpenter.sh/discovery": cluster_name} if cluster_name else {}
        cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"} if cluster_name else {}
        tier_tags = {
            "public": {"kubernetes.io/role/elb": "1", **cluster_tag},
            "private": {"kubernetes.io/role/internal-elb": "1", **cluster_tag, **discovery},
            "database": {},
            "cache": {},
        }
        self.subnets: dict[str, dict[str, aws.ec2.Subnet]] = {t: {} for t in TIERS}
        for tier in TIERS:
            for az in self._azs:
                self.subnets[tier][az] = aws.ec2.Subnet(
                    self.child_name(tier, az), vpc_id=self.vpc.id, cidr_block=layout[tier][az],
                    availability_zone=az, map_public_ip_on_launch=False,
                    tags={"Name": self.child_name(tier, az), "azora:tier": tier, **tier_tags[tier]},
                    opts=self.child_opts())

    def _public_routes(self) -> None:
        """The public route table: everything out through the internet gateway."""
        public_rt = aws.ec2.RouteTable(
            self.child_name("public"), vpc_id=self.vpc.id, tags={"Name": self.child_name("public")},
            opts=self.child_opts())
        aws.ec2.Route(self.child_name("public", "internet"), route_table_id=public_rt.id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=self.internet_gateway.id,
                      opts=self.child_opts())
        for az, subnet in self.subnets["public"].items():
            aws.ec2.RouteTableAssociation(self.child_name("public", az), subnet_id=subnet.id,
                                          route_table_id=public_rt.id, opts=self.child_opts())

    def _nat_gateways(self) -> None:
        """A NAT gateway per AZ (or one, for dev) in the public subnets."""
        self._nat_azs = self._azs if self._args.nat_per_az else self._azs[:1]
        self.nat_gateways: dict[str, aws.ec2.NatGateway] = {}
        for az in self._nat_azs:
            eip = aws.ec2.Eip(self.child_name("nat", az), domain="vpc",
                              tags={"Name": self.child_name("nat", az)}, opts=self.child_opts())
            self.nat_gateways[az] = aws.ec2.NatGateway(
                self.child_name("nat", az), allocation_id=eip.allocation_id,
                subnet_id=self.subnets["public"][az].id, connectivity_type="public",
                tags={"Name": self.child_name("nat", az)},
                opts=self.child_opts(depends_on=[self.internet_gateway]))

    def _private_and_isolated_routes(self) -> aws.ec2.RouteTable:
        """Private subnets out through their AZ's NAT (or the only one); the database and cache
        tiers share one route table with no route out of the VPC at all (returned)."""
        self.private_route_tables: dict[str, aws.ec2.RouteTable] = {}
        for az in self._azs:
            rt = aws.ec2.RouteTable(self.child_name("private", az), vpc_id=self.vpc.id,
                                    tags={"Name": self.child_name("private", az)}, opts=self.child_opts())
            nat = self.nat_gateways.get(az) or self.nat_gateways[self._nat_azs[0]]
            aws.ec2.Route(self.child_name("private", az, "nat"), route_table_id=rt.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=self.child_opts())
            aws.ec2.RouteTableAssociation(self.child_name("private", az), subnet_id=self.subnets["private"][az].id,
                                          route_table_id=rt.id, opts=self.child_opts())
            self.private_route_tables[az] = rt
        isolated_rt = aws.ec2.RouteTable(self.child_name("isolated"), vpc_id=self.vpc.id,
                                         tags={"Name": self.child_name("isolated")}, opts=self.child_opts())
        for tier in ("database", "cache"):
            for az, subnet in self.subnets[tier].items():
                aws.ec2.RouteTableAssociation(self.child_name(tier, az), subnet_id=subnet.id,
                                              route_table_id=isolated_rt.id, opts=self.child_opts())
        return isolated_rt

    def _flow_logs(self, name: str) -> None:
        """Every packet decision, to a KMS-encrypted log group with retention."""
        args = self._args
        self.flow_log_group = aws.cloudwatch.LogGroup(
            self.child_name("flow-logs"), name=f"/azora/vpc/{name}/flow-logs",
            retention_in_days=args.flow_log_retention_days, kms_key_id=args.logs_key_arn,
            opts=self.child_opts())
        identity = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(provider=self.provider, parent=self))
        flow_role = aws.iam.Role(
            self.child_name("flow-logs"),
            assume_role_policy=identity.account_id.apply(lambda acct: flow_logs_trust_policy(args.region, acct)),
            opts=self.child_opts())
        aws.iam.RolePolicy(
            self.child_name("flow-logs"), role=flow_role.id,
            policy=self.flow_log_group.arn.apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [arn, f"{arn}:*"]}]})),
            opts=self.child_opts())
        self.flow_log = aws.ec2.FlowLog(
            self.child_name("flow-logs"), vpc_id=self.vpc.id, traffic_type="ALL",
            log_destination_type="cloud-watch-logs", log_destination=self.flow_log_group.arn,
            iam_role_arn=flow_role.arn, max_aggregation_interval=60,
            tags={"Name": self.child_name("flow-logs")}, opts=self.child_opts())

    def _endpoints(self, route_tables: list[aws.ec2.RouteTable]) -> None:
        """Private access to AWS APIs: what a private EKS cluster and its nodes need (gateway
        endpoints on the private and isolated route tables, interface endpoints in the private
        subnets behind an HTTPS-from-the-VPC security group)."""
        args = self._args
        for service in GATEWAY_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                self.child_name("endpoint", service), vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}", vpc_endpoint_type="Gateway",
                route_table_ids=[rt.id for rt in route_tables],
                tags={"Name": self.child_name("endpoint", service)}, opts=self.child_opts())
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            self.child_name("endpoints"), vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to interface endpoints",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=443, to_port=443,
                                                      cidr_blocks=[args.cidr], description="HTTPS from the VPC")],
            egress=[],
            tags={"Name": self.child_name("endpoints")}, opts=self.child_opts())
        self.interface_endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        for service in args.interface_endpoints:
            self.interface_endpoints[service] = aws.ec2.VpcEndpoint(
                self.child_name("endpoint", service.replace(".", "-")), vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}", vpc_endpoint_type="Interface",
                private_dns_enabled=True, subnet_ids=[s.id for s in self.subnets["private"].values()],
                security_group_ids=[self.endpoint_security_group.id],
                tags={"Name": self.child_name("endpoint", service)}, opts=self.child_opts())

    def _subnet_groups(self, name: str) -> None:
        """The isolated tiers' RDS and ElastiCache subnet groups."""
        self.db_subnet_group = aws.rds.SubnetGroup(
            self.child_name("database"), name=f"{name}-database",
            description=f"Isolated database subnets of {name}",
            subnet_ids=[s.id for s in self.subnets["database"].values()], opts=self.child_opts())
        self.cache_subnet_group = aws.elasticache.SubnetGroup(
            self.child_name("cache"), name=f"{name}-cache",
            description=f"Isolated cache subnets of {name}",
            subnet_ids=[s.id for s in self.subnets["cache"].values()], opts=self.child_opts())
