"""VPC, subnets, security groups, NACLs, routes and flow logs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import tokens as T
from .props import Res, as_list, dig
from .rules import Stack, peek, prop_rule, resource_rule, stack_rule

WORLD = {"0.0.0.0/0", "::/0"}
SG_TYPES = (T.SG, T.SG_RULE, T.SG_INGRESS, T.SG_EGRESS)


@dataclass(frozen=True)
class Perm:
    direction: str  # ingress | egress
    protocol: str
    from_port: int
    to_port: int
    cidrs: tuple[str, ...]
    description: str

    @property
    def all_traffic(self) -> bool:
        return self.protocol in ("-1", "all")

    def covers(self, port: int) -> bool:
        return self.all_traffic or self.from_port <= port <= self.to_port

    @property
    def world(self) -> bool:
        return bool(WORLD & set(self.cidrs))

    def within(self, ports: set[int]) -> bool:
        if self.all_traffic or self.to_port - self.from_port > 64:
            return False
        return all(p in ports for p in range(self.from_port, self.to_port + 1))


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _perm(direction: str, d: Any, v4: str, v6: str, proto_key: str) -> Perm:
    cidrs = [str(c) for c in as_list(dig(d, v4)) + as_list(dig(d, v6)) if c]
    protocol = str(dig(d, proto_key) if dig(d, proto_key) is not None else "-1").lower()
    return Perm(direction, protocol, _int(dig(d, "fromPort"), 0), _int(dig(d, "toPort"), 65535), tuple(cidrs),
                str(dig(d, "description") or ""))


def permissions(r: Res) -> list[Perm]:
    """Every ingress/egress permission a SG resource declares (inline or standalone)."""
    if r.type in (T.SG, T.DEFAULT_SG):
        return ([_perm("ingress", d, "cidrBlocks", "ipv6CidrBlocks", "protocol") for d in as_list(r.get("ingress"))]
                + [_perm("egress", d, "cidrBlocks", "ipv6CidrBlocks", "protocol") for d in as_list(r.get("egress"))])
    if r.type == T.SG_RULE:
        return [_perm(str(r.get("type") or "ingress"), r.props, "cidrBlocks", "ipv6CidrBlocks", "protocol")]
    if r.type in (T.SG_INGRESS, T.SG_EGRESS):
        direction = "ingress" if r.type == T.SG_INGRESS else "egress"
        return [_perm(direction, r.props, "cidrIpv4", "cidrIpv6", "ipProtocol")]
    return []


def _world_ingress(r: Res) -> list[Perm]:
    return [p for p in permissions(r) if p.direction == "ingress" and p.world]


@resource_rule("sg-no-world-ingress", *SG_TYPES)
def world_ingress(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    public = {int(p) for p in cfg.get("publicPorts") or []}
    for p in _world_ingress(r):
        if not p.within(public):
            yield (f"ingress {p.protocol} {p.from_port}-{p.to_port} from {', '.join(p.cidrs)}: restrict the source "
                   f"to a CIDR or security group (only ports {sorted(public)} may face the internet)")


def _port_rule(name: str, ports: tuple[int, ...], what: str) -> None:
    @resource_rule(name, *SG_TYPES)
    def check(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
        for p in _world_ingress(r):
            hit = [port for port in ports if p.covers(port)]
            if hit:
                yield (f"{what} (port {', '.join(map(str, hit))}) open to {', '.join(p.cidrs)}: remove or restrict "
                       "the rule")


_port_rule("sg-no-world-ssh", (22,), "SSH")
_port_rule("sg-no-world-rdp", (3389,), "RDP")
_port_rule("sg-no-http-ingress", (80,), "plain HTTP")


@resource_rule("sg-no-world-common-ports", *SG_TYPES)
def common_ports(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    ports = [int(p) for p in cfg.get("commonPorts") or []]
    for p in _world_ingress(r):
        hit = [port for port in ports if p.covers(port)]
        if hit:
            yield (f"ports {', '.join(map(str, hit))} open to {', '.join(p.cidrs)}: allow them only from security "
                   "groups inside the VPC")


@resource_rule("sg-no-unrestricted-egress", *SG_TYPES)
def open_egress(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    for p in permissions(r):
        if p.direction == "egress" and p.world and p.all_traffic:
            yield "egress to the internet on all protocols/ports: restrict it to the ports and destinations needed"


@resource_rule("sg-descriptions", *SG_TYPES)
def descriptions(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if r.type == T.SG and not r.get("description"):
        yield "security group without description (provider default 'Managed by Pulumi'): set description"
    undocumented = [p for p in permissions(r) if not p.description]
    if undocumented:
        yield f"{len(undocumented)} rule(s) without description: set description on every rule"


@stack_rule("sg-no-inline-and-standalone-rules")
def inline_and_standalone(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for sg in stack.of_type(T.SG):
        inline = as_list(peek(sg, "ingress")) + as_list(peek(sg, "egress"))
        if not inline:
            continue
        standalone = stack.referrers(sg, "securityGroupId", T.SG_RULE, T.SG_INGRESS, T.SG_EGRESS)
        if standalone:
            yield sg, (f"inline rules and standalone rules ({', '.join(s.name for s in standalone)}) fight over the "
                       "group: move the inline rules to aws.vpc.SecurityGroupIngressRule/EgressRule")


@stack_rule("sg-attached")
def attached(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    rule_types = (T.SG_RULE, T.SG_INGRESS, T.SG_EGRESS)
    for sg in stack.of_type(T.SG):
        users = [r for r in stack.dependents(sg.urn) if r.type not in rule_types and r.urn != sg.urn]
        if not users:
            yield sg, "security group used by no resource in the stack: attach it or delete it"


@stack_rule("default-sg-closed")
def default_sg(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for vpc in stack.of_type(T.VPC):
        sgs = stack.referrers(vpc, "vpcId", T.DEFAULT_SG)
        if not sgs:
            yield vpc, ("the VPC's default security group is not managed: add "
                        "aws.ec2.DefaultSecurityGroup(vpcId=..., ingress=[], egress=[])")
    for sg in stack.of_type(T.DEFAULT_SG):
        if as_list(peek(sg, "ingress")) or as_list(peek(sg, "egress")):
            yield sg, "the default security group has rules: set ingress=[] and egress=[]"


@stack_rule("vpc-flow-logs")
def flow_logs(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for vpc in stack.of_type(T.VPC):
        if not stack.referrers(vpc, "vpcId", T.FLOW_LOG):
            yield vpc, "VPC without flow logs: add aws.ec2.FlowLog(vpcId=vpc.id, trafficType='ALL', ...)"


prop_rule("subnet-no-auto-public-ip", (T.SUBNET,),
          lambda r: r.get("mapPublicIpOnLaunch") is not True and r.get("assignIpv6AddressOnCreation") is not True)
prop_rule("nacl-avoid", (T.NACL, T.NACL_RULE), lambda r: False)


def _nacl_entries(r: Res) -> list[tuple[str, str, int, int, str]]:
    """(action, cidr, from, to, protocol) of ingress allow entries."""
    out = []
    if r.type == T.NACL:
        for e in as_list(r.get("ingress")):
            for cidr in (dig(e, "cidrBlock"), dig(e, "ipv6CidrBlock")):
                if cidr:
                    out.append((str(dig(e, "action")).lower(), str(cidr), _int(dig(e, "fromPort"), 0),
                                _int(dig(e, "toPort"), 65535), str(dig(e, "protocol")).lower()))
    elif r.type == T.NACL_RULE and r.get("egress") is not True:
        for cidr in (r.get("cidrBlock"), r.get("ipv6CidrBlock")):
            if cidr:
                out.append((str(r.get("ruleAction")).lower(), str(cidr), _int(r.get("fromPort"), 0),
                            _int(r.get("toPort"), 65535), str(r.get("protocol")).lower()))
    return out


@resource_rule("nacl-no-unrestricted-ingress", T.NACL, T.NACL_RULE)
def nacl_ingress(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    for action, cidr, lo, hi, proto in _nacl_entries(r):
        if action != "allow" or cidr not in WORLD:
            continue
        if proto in ("-1", "all"):
            yield f"NACL allows all traffic from {cidr}: restrict the CIDR or ports"
            continue
        hit = [p for p in (20, 21, 22, 3389) if lo <= p <= hi]
        if hit:
            yield f"NACL allows ports {', '.join(map(str, hit))} from {cidr}: restrict the CIDR or ports"


prop_rule("nacl-attached", (T.NACL,), lambda r: bool(as_list(r.get("subnetIds"))))


def _routes(r: Res) -> list[Any]:
    if r.type == T.ROUTE:
        return [r.props]
    return as_list(r.get("routes")) if r.type == T.ROUTE_TABLE else []


def _default(route: Any) -> bool:
    return dig(route, "destinationCidrBlock") in WORLD or dig(route, "cidrBlock") in WORLD or \
        dig(route, "destinationIpv6CidrBlock") in WORLD or dig(route, "ipv6CidrBlock") in WORLD


@stack_rule("route-no-unrestricted-igw")
def igw_routes(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    igws = stack.of_type(T.IGW)
    tables = stack.of_type(T.ROUTE_TABLE)
    subnets = stack.of_type(T.SUBNET)
    assocs = stack.of_type(T.ROUTE_TABLE_ASSOC)
    for r in stack.of_type(T.ROUTE, T.ROUTE_TABLE):
        for route in _routes(r) if r.type == T.ROUTE_TABLE else [None]:
            props = route if route is not None else r.props
            if not _default(props):
                continue
            gw = dig(props, "gatewayId")
            to_igw = (isinstance(gw, str) and (gw.startswith("igw-") or gw in {i.id for i in igws})) or (
                r.type == T.ROUTE and any(stack.refers(r, "gatewayId", i) for i in igws))
            if not to_igw:
                continue
            table = r if r.type == T.ROUTE_TABLE else next(
                (t for t in tables if stack.refers(r, "routeTableId", t)), None)
            members = [s for a in assocs if table is not None and stack.refers(a, "routeTableId", table)
                       for s in subnets if stack.refers(a, "subnetId", s)]
            if not members or any(s.tags.get("azora:tier") != "public" for s in members):
                yield r, ("default route to an internet gateway from a table not used only by public-tier subnets: "
                          "route private subnets through a NAT gateway (tag public subnets azora:tier=public)")


@resource_rule("route-default-via-nat", T.ROUTE, T.ROUTE_TABLE)
def via_instance(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    for route in _routes(r):
        if _default(route) and dig(route, "networkInterfaceId"):
            yield "default route to a network interface (NAT instance): replace networkInterfaceId with natGatewayId"


@resource_rule("route-peering-not-permissive", T.ROUTE, T.ROUTE_TABLE)
def peering(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    for route in _routes(r):
        if _default(route) and dig(route, "vpcPeeringConnectionId"):
            yield "default route to a VPC peering connection: route only the peer VPC's CIDR"


prop_rule("no-default-vpc", (T.DEFAULT_VPC,), lambda r: False)
prop_rule("vpc-endpoint-service-acceptance", (T.ENDPOINT_SERVICE,), lambda r: r.get("acceptanceRequired") is True)
