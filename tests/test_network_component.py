"""RegionalNetwork: tiers, egress, flow logs, endpoints, conventions."""

from __future__ import annotations

import ipaddress
import json

import pulumi_aws as aws
import pytest

from components.network import RegionalNetwork, RegionalNetworkArgs, SubnetLayout
from tests.harness import record

AZS = ("af-south-1a", "af-south-1b", "af-south-1c")


def _network(nat_per_az: bool = True, endpoints: tuple[str, ...] = ("ecr.api", "sts")):
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1",
                                default_tags=aws.ProviderDefaultTagsArgs(tags={"azora:team": "t"}))
        RegionalNetwork("net", RegionalNetworkArgs(
            cidr="10.10.0.0/16", azs=AZS, region="af-south-1", logs_key_arn="arn:aws:kms:af-south-1:1:key/x",
            nat_per_az=nat_per_az, flow_log_retention_days=365, interface_endpoints=endpoints,
            cluster_name="azora-test"), provider)
    return record(program)


def test_subnet_layout_is_disjoint_and_inside_the_vpc() -> None:
    blocks = SubnetLayout("10.10.0.0/16", AZS).blocks()
    nets = [ipaddress.IPv4Network(c) for tier in blocks.values() for c in tier.values()]
    assert len(nets) == 12
    vpc = ipaddress.IPv4Network("10.10.0.0/16")
    assert all(n.subnet_of(vpc) for n in nets)
    for i, a in enumerate(nets):
        for b in nets[i + 1:]:
            assert not a.overlaps(b)
    assert ipaddress.IPv4Network(blocks["private"]["af-south-1a"]).prefixlen == 18


def test_subnet_layout_refuses_too_small_vpc() -> None:
    with pytest.raises(ValueError, match="too small"):
        SubnetLayout("10.0.0.0/24", AZS).blocks()


def test_every_child_has_parent_and_the_region_provider() -> None:
    plan = _network()
    comp = plan.named("azora:network:RegionalNetwork", "net")
    children = plan.descendants(comp.urn)
    assert children
    for r in children:
        assert r.parent == comp.urn
        assert r.provider is not None and r.provider["name"] == "aws-af-south-1", r.name
        assert not r.provider["default"]


def test_three_tiers_across_three_azs_with_discovery_tags() -> None:
    plan = _network()
    subnets = plan.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 12
    tiers = {}
    for s in subnets:
        tiers.setdefault(s.inputs["tags"]["azora:tier"], set()).add(s.inputs["availabilityZone"])
        assert s.inputs["mapPublicIpOnLaunch"] is False
    assert tiers == {t: set(AZS) for t in ("public", "private", "database", "cache")}
    public = [s for s in subnets if s.inputs["tags"]["azora:tier"] == "public"]
    private = [s for s in subnets if s.inputs["tags"]["azora:tier"] == "private"]
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in public)
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert all(s.inputs["tags"]["karpenter.sh/discovery"] == "azora-test" for s in private)


def test_nat_per_az_in_prod_and_single_in_dev() -> None:
    assert len(_network(nat_per_az=True).of_type("aws:ec2/natGateway:NatGateway")) == 3
    dev = _network(nat_per_az=False)
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) == 1
    # every private route table still routes out (through the single NAT)
    routes = [r for r in dev.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(routes) == 3


def test_isolated_tiers_have_no_route_out() -> None:
    plan = _network()
    isolated = plan.named("aws:ec2/routeTable:RouteTable", "net-isolated")
    routes = [r for r in plan.of_type("aws:ec2/route:Route")
              if r.inputs["routeTableId"] == isolated.outputs["id"]]
    assert routes == []
    assocs = [a for a in plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
              if a.inputs["routeTableId"] == isolated.outputs["id"]]
    assert len(assocs) == 6


def test_flow_logs_to_encrypted_group_with_retention() -> None:
    plan = _network()
    group = plan.named("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
    assert group.inputs["kmsKeyId"] == "arn:aws:kms:af-south-1:1:key/x"
    assert group.inputs["retentionInDays"] == 365
    flow = plan.named("aws:ec2/flowLog:FlowLog", "net-flow-logs")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestination"] == group.outputs["arn"]


def test_flow_log_role_is_assumable_only_for_this_accounts_flow_logs() -> None:
    plan = _network()
    role = plan.named("aws:iam/role:Role", "net-flow-logs")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ec2:af-south-1:123456789012:vpc-flow-log/*"}}


def test_default_security_group_is_stripped() -> None:
    sg = _network().named("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "net-default-sg")
    assert sg.inputs.get("ingress", []) == [] and sg.inputs.get("egress", []) == []


def test_endpoints_for_a_private_cluster() -> None:
    plan = _network(endpoints=("ecr.api", "ecr.dkr", "sts"))
    services = {e.inputs["serviceName"]: e.inputs["vpcEndpointType"]
                for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert services == {
        "com.amazonaws.af-south-1.s3": "Gateway", "com.amazonaws.af-south-1.dynamodb": "Gateway",
        "com.amazonaws.af-south-1.ecr.api": "Interface", "com.amazonaws.af-south-1.ecr.dkr": "Interface",
        "com.amazonaws.af-south-1.sts": "Interface",
    }
    for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if e.inputs["vpcEndpointType"] == "Interface":
            assert e.inputs["privateDnsEnabled"] is True


def test_subnet_groups_use_isolated_subnets() -> None:
    plan = _network()
    db_ids = {s.outputs["id"] for s in plan.of_type("aws:ec2/subnet:Subnet")
              if s.inputs["tags"]["azora:tier"] == "database"}
    group = plan.named("aws:rds/subnetGroup:SubnetGroup", "net-database")
    assert set(group.inputs["subnetIds"]) == db_ids
    cache_group = plan.named("aws:elasticache/subnetGroup:SubnetGroup", "net-cache")
    assert len(cache_group.inputs["subnetIds"]) == 3
