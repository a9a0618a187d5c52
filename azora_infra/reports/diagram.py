"""The architecture diagram of one or more stacks, drawn from their plans (the resources the program
would create, not the config that asked for them), as Mermaid or Graphviz DOT.

What it shows, per stack (region):

- the region, its jurisdiction and role; the VPC with its subnets grouped by tier (`azora:tier`);
- the request path: Route 53 latency record → ALB (listener, TLS policy, WAF) → Istio ingress gateway
  → each service, all inside the EKS cluster placed in the tier of its subnets;
- the data stores (Aurora clusters, ElastiCache replication groups, S3 buckets, DynamoDB tables) with
  their data class (`azora:data-class`), placed in the tier of their subnet group;
- across regions: Aurora global database replication (members of a global cluster), ElastiCache
  global datastore replication, and AWS Backup copy actions to other regions' vaults, each labelled
  with the data classes it carries;
- residency: per region, which data classes stay in its jurisdiction and where the others go.

`build_diagram(plans)` makes the model; `to_mermaid` / `to_dot` render it. Everything is derived
from plan resources by type and tag; names and labels are sorted so the output is stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..plan.model import Plan, Resource
from ..regions import REGIONS, RESIDENCY, DataClass, UnknownRegionError, jurisdiction_of, may_store

TIER_TAG = "azora:tier"
#: tiers in the order a request meets them; others follow by name
TIER_ORDER = ("public", "private", "database", "cache")
DATA_STORE_TYPES = {
    "aws:rds/cluster:Cluster": "Aurora",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache",
    "aws:s3/bucket:Bucket": "S3",
    "aws:s3/bucketV2:BucketV2": "S3",
    "aws:dynamodb/table:Table": "DynamoDB",
}
_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:backup:([a-z0-9-]+):[0-9]*:backup-vault:(.+)$")


@dataclass
class Node:
    id: str
    label: str
    kind: str  # tier | cluster | alb | dns | gateway | service | store | vault | global | residency | external


@dataclass
class Group:
    id: str
    label: str
    nodes: list[Node] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    def walk(self) -> Iterable[Node]:
        yield from self.nodes
        for group in self.groups:
            yield from group.walk()


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str
    kind: str  # request | replication | backup-copy | member


@dataclass(frozen=True)
class Residency:
    """Where a data class of one region lives and goes."""

    stack: str
    region: str
    jurisdiction: str
    data_class: str
    stores: tuple[str, ...]
    copied_to: tuple[str, ...]  # other regions holding copies or replicas

    @property
    def stays_in_jurisdiction(self) -> bool:
        return all(_jurisdiction(r) == self.jurisdiction for r in self.copied_to)

    @property
    def scope(self) -> str:
        """How far the residency map lets this class travel (`global`, `jurisdiction`), or `unknown`."""
        try:
            return RESIDENCY[DataClass(self.data_class)].value
        except ValueError:
            return "unknown"

    @property
    def within_rule(self) -> bool:
        """Every copy is in a region the residency map allows for this class (an untagged store: no)."""
        try:
            return all(may_store(self.data_class, self.region, r) for r in self.copied_to)
        except (ValueError, KeyError):
            return False


@dataclass
class Diagram:
    title: str
    groups: list[Group]
    edges: list[Edge]
    residency: list[Residency]

    def nodes(self) -> list[Node]:
        return [n for g in self.groups for n in g.walk()]


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def _jurisdiction(region: str) -> str:
    try:
        return jurisdiction_of(region).code
    except (UnknownRegionError, KeyError):
        return "?"


def _region_title(stack: str, region: str, role: str) -> str:
    info = REGIONS.get(region)
    try:
        j = jurisdiction_of(region)
        law = f"{j.code} / {j.law}"
    except (UnknownRegionError, KeyError):
        law = "jurisdiction unknown"
    city = f" ({info.city})" if info else ""
    return f"{stack}: {region}{city}, {law}, {role or 'stack'}"


class _StackView:
    """The parts of one plan the diagram draws."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.stack = plan.stack
        outputs = plan.outputs
        vpcs = plan.of_type("aws:ec2/vpc:Vpc")
        self.region = str(outputs.get("region") or (vpcs[0].region if vpcs else "") or
                          next((r.region for r in plan if r.region), "") or "unknown")
        self.role = str(outputs.get("role") or "")
        self.subnet_tier = {str(r.raw.get("id")): r.tags.get(TIER_TAG, "untiered")
                            for r in plan.of_type("aws:ec2/subnet:Subnet")}
        self.subnet_groups = {
            str(r.inputs.get("name")): r.inputs.get("subnetIds") or []
            for r in plan.of_type("aws:rds/subnetGroup:SubnetGroup", "aws:elasticache/subnetGroup:SubnetGroup")}

    def id(self, *parts: str) -> str:
        return _slug(self.stack, *parts)

    def tier_of(self, subnet_ids: Any) -> str | None:
        tiers = sorted({self.subnet_tier[s] for s in subnet_ids or [] if isinstance(s, str) and s in self.subnet_tier})
        return tiers[0] if len(tiers) == 1 else None


def _tiers(view: _StackView) -> dict[str, Group]:
    subnets: dict[str, list[Resource]] = {}
    for r in view.plan.of_type("aws:ec2/subnet:Subnet"):
        subnets.setdefault(r.tags.get(TIER_TAG, "untiered"), []).append(r)
    order = [t for t in TIER_ORDER if t in subnets] + sorted(t for t in subnets if t not in TIER_ORDER)
    groups: dict[str, Group] = {}
    for tier in order:
        items = sorted(subnets[tier], key=lambda r: str(r.inputs.get("availabilityZone") or r.name))
        azs = ", ".join(str(r.inputs.get("availabilityZone") or "?") for r in items)
        cidrs = ", ".join(str(r.inputs.get("cidrBlock") or "?") for r in items)
        group = Group(view.id("tier", tier), f"{tier} tier")
        group.nodes.append(Node(view.id("subnets", tier), f"{len(items)} {tier} subnets<br/>{azs}<br/>{cidrs}", "tier"))
        groups[tier] = group
    return groups


def _store_label(kind: str, r: Resource) -> str:
    ident = (r.inputs.get("clusterIdentifier") or r.inputs.get("replicationGroupId") or r.inputs.get("bucket")
             or r.inputs.get("name") or r.name)
    extra = ""
    if kind == "Aurora":
        extra = " (global member)" if r.inputs.get("globalClusterIdentifier") else " (regional)"
    elif kind == "ElastiCache":
        extra = " (global datastore)" if r.inputs.get("globalReplicationGroupId") else ""
    return f"{kind} {ident}{extra}<br/>data class: {r.data_class or 'untagged'}"


def _request_path(view: _StackView, tiers: dict[str, Group], region_group: Group, edges: list[Edge],
                  dns_node: str | None) -> None:
    plan = view.plan
    eks = plan.of_type("aws:eks/cluster:Cluster")
    albs = plan.of_type("aws:lb/loadBalancer:LoadBalancer")
    listeners = plan.of_type("aws:lb/listener:Listener")
    waf = bool(plan.of_type("aws:wafv2/webAclAssociation:WebAclAssociation"))
    alb_id = None
    for alb in albs:
        alb_id = view.id("alb", alb.name)
        https = [li for li in listeners if li.inputs.get("protocol") == "HTTPS"]
        listen = ", ".join(f"{li.inputs.get('protocol')} {li.inputs.get('port')}" for li in
                           sorted(listeners, key=lambda li: int(li.inputs.get("port") or 0)))
        policy = f"<br/>{https[0].inputs.get('sslPolicy')}" if https and https[0].inputs.get("sslPolicy") else ""
        label = f"ALB {alb.name}{' + WAF' if waf else ''}<br/>{listen}{policy}"
        where = tiers.get(view.tier_of(alb.inputs.get("subnets")) or "public")
        (where or region_group).nodes.append(Node(alb_id, label, "alb"))
    for record in plan.of_type("aws:route53/record:Record"):
        if record.inputs.get("latencyRoutingPolicies") and dns_node and alb_id:
            edges.append(Edge(dns_node, alb_id, f"latency record {record.inputs.get('name')}", "request"))
    if not eks:
        return
    cluster = eks[0]
    vpc_config = cluster.inputs.get("vpcConfig") or {}
    eks_group = Group(view.id("eks"), f"EKS {cluster.inputs.get('name') or cluster.name} "
                                      f"(Kubernetes {cluster.inputs.get('version') or '?'})")
    where = tiers.get(view.tier_of(vpc_config.get("subnetIds")) or "private")
    (where.groups if where else region_group.groups).append(eks_group)
    gateways = plan.of_type("azora:gateway:IngressGateway")
    services = sorted(plan.of_type("azora:service:AzoraService"), key=lambda r: r.name)
    gateway_id = None
    for gw in gateways:
        gateway_id = view.id("gateway", gw.name)
        eks_group.nodes.append(Node(gateway_id, f"Istio ingress gateway {gw.name}", "gateway"))
        if alb_id:
            groups = plan.of_type("aws:lb/targetGroup:TargetGroup")
            proto = f"{groups[0].inputs.get('protocol')} {groups[0].inputs.get('port')}" if groups else "target group"
            edges.append(Edge(alb_id, gateway_id, f"{proto} to pod IPs", "request"))
    for svc in services:
        namespaces = sorted({str((d.inputs.get("metadata") or {}).get("namespace") or "")
                             for d in plan.descendants(svc.urn) if d.type == "kubernetes:apps/v1:Deployment"} - {""})
        node_id = view.id("svc", svc.name)
        eks_group.nodes.append(Node(node_id, f"service {svc.name}" + (f"<br/>ns {', '.join(namespaces)}"
                                                                       if namespaces else ""), "service"))
        if gateway_id:
            edges.append(Edge(gateway_id, node_id, "mTLS", "request"))


def _stores(view: _StackView, tiers: dict[str, Group], region_group: Group) -> dict[str, str]:
    """Place the data stores; returns resource URN -> node id."""
    placed: dict[str, str] = {}
    services = Group(view.id("regional"), "regional services (outside the VPC)")
    for rtype, kind in DATA_STORE_TYPES.items():
        for r in sorted(view.plan.of_type(rtype), key=lambda r: r.name):
            node = Node(view.id("store", r.name), _store_label(kind, r), "store")
            group_name = r.inputs.get("dbSubnetGroupName") or r.inputs.get("subnetGroupName")
            tier = view.tier_of(view.subnet_groups.get(str(group_name))) if group_name else None
            tiers.get(tier or "", services).nodes.append(node)
            placed[r.urn] = node.id
    vaults = view.plan.of_type("aws:backup/vault:Vault")
    for vault in vaults:
        services.nodes.append(Node(view.id("vault", vault.name), f"Backup vault {vault.inputs.get('name')}", "vault"))
    if services.nodes:
        region_group.groups.append(services)
    return placed


def _vault_node(views: Sequence[_StackView], region: str, name: str, external: Group) -> str:
    for view in views:
        for vault in view.plan.of_type("aws:backup/vault:Vault"):
            if view.region == region and vault.inputs.get("name") == name:
                return view.id("vault", vault.name)
    node_id = _slug("external", "vault", region, name)
    if all(n.id != node_id for n in external.nodes):
        external.nodes.append(Node(node_id, f"Backup vault {name} ({region}, another stack)", "external"))
    return node_id


def build_diagram(plans: Sequence[Mapping[str, Any] | Plan], title: str = "Azora platform") -> Diagram:
    """The diagram of these plans (one region group per stack; cross-region arrows between them)."""
    views = [_StackView(p if isinstance(p, Plan) else Plan(dict(p))) for p in plans]
    views.sort(key=lambda v: (v.role != "primary", v.stack))
    edges: list[Edge] = []
    global_group = Group("global", "global resources (owned by the primary stack)")
    external = Group("elsewhere", "in stacks not drawn")
    dns_node: str | None = None
    for view in views:
        for zone in view.plan.of_type("aws:route53/zone:Zone"):
            dns_node = "dns_" + _slug(str(zone.inputs.get("name") or zone.name))
            global_group.nodes.append(Node(dns_node, f"Route 53 zone {zone.inputs.get('name')}<br/>"
                                                     "latency routing + health checks", "dns"))
    if dns_node is None and any(v.plan.of_type("aws:route53/record:Record") for v in views):
        dns_node = "dns_zone"
        external.nodes.append(Node(dns_node, "Route 53 public zone (primary stack)", "external"))
    groups: list[Group] = []
    store_ids: dict[str, str] = {}
    stores_by_region: dict[tuple[str, str], list[tuple[str, Resource]]] = {}
    for view in views:
        region_group = Group(view.id("region"), _region_title(view.stack, view.region, view.role))
        tiers = _tiers(view)
        vpcs = view.plan.of_type("aws:ec2/vpc:Vpc")
        if vpcs:
            vpc_group = Group(view.id("vpc"), f"VPC {vpcs[0].inputs.get('cidrBlock') or ''}".strip())
            vpc_group.groups.extend(tiers.values())
            region_group.groups.append(vpc_group)
        _request_path(view, tiers, region_group, edges, dns_node)
        store_ids.update(_stores(view, tiers, region_group))
        for rtype in DATA_STORE_TYPES:
            for r in view.plan.of_type(rtype):
                stores_by_region.setdefault((view.stack, r.data_class or "untagged"), []).append((view.region, r))
        groups.append(region_group)
    copies: dict[tuple[str, str], set[str]] = {}  # (stack, data class) -> regions holding copies
    _global_databases(views, global_group, external, edges, copies)
    _global_caches(views, global_group, external, edges, copies)
    _backup_copies(views, external, edges, copies)
    for view, group in zip(views, groups, strict=True):
        _residency_node(view, group, stores_by_region, copies)
    if global_group.nodes:
        groups.insert(0, global_group)
    if external.nodes:
        groups.append(external)
    residency = [
        Residency(view.stack, view.region, _jurisdiction(view.region), dc,
                  tuple(sorted(_store_name(r) for _, r in stores_by_region[(view.stack, dc)])),
                  tuple(sorted(copies.get((view.stack, dc), set()))))
        for view in views for dc in sorted({dc for (s, dc) in stores_by_region if s == view.stack})]
    return Diagram(title, groups, edges, residency)


def _store_name(r: Resource) -> str:
    return str(r.inputs.get("clusterIdentifier") or r.inputs.get("replicationGroupId") or r.inputs.get("bucket")
               or r.inputs.get("name") or r.name)


def _global_databases(views: Sequence[_StackView], global_group: Group, external: Group, edges: list[Edge],
                      copies: dict[tuple[str, str], set[str]]) -> None:
    owners: dict[str, tuple[_StackView, Resource]] = {}
    for view in views:
        for gc in view.plan.of_type("aws:rds/globalCluster:GlobalCluster"):
            ident = str(gc.inputs.get("globalClusterIdentifier") or gc.name)
            owners[ident] = (view, gc)
            global_group.nodes.append(Node(_slug("global_db", ident), f"Aurora global database {ident}<br/>"
                                           f"data class: {gc.data_class or 'untagged'}", "global"))
    members: dict[str, list[tuple[_StackView, Resource]]] = {}
    for view in views:
        for cluster in view.plan.of_type("aws:rds/cluster:Cluster"):
            member_of = cluster.inputs.get("globalClusterIdentifier")
            if isinstance(member_of, str) and member_of:
                members.setdefault(member_of, []).append((view, cluster))
    for ident, items in sorted(members.items()):
        global_id = _slug("global_db", ident)
        if ident not in owners:
            external.nodes.append(Node(global_id, f"Aurora global database {ident} (primary stack)", "external"))
        owner = owners.get(ident, (None, None))[0]
        writer = next(((v, c) for v, c in items if v is owner), None)
        for view, cluster in items:
            node = view.id("store", cluster.name)
            edges.append(Edge(global_id, node, "writer" if writer and cluster is writer[1] else "member", "member"))
        if writer is not None:
            for view, cluster in items:
                if cluster is not writer[1]:
                    edges.append(Edge(writer[0].id("store", writer[1].name), view.id("store", cluster.name),
                                      f"Aurora global replication ({cluster.data_class or 'untagged'})",
                                      "replication"))
                    copies.setdefault((writer[0].stack, cluster.data_class or "untagged"), set()).add(view.region)


def _global_caches(views: Sequence[_StackView], global_group: Group, external: Group, edges: list[Edge],
                   copies: dict[tuple[str, str], set[str]]) -> None:
    primary: tuple[_StackView, Resource] | None = None
    for view in views:
        for grg in view.plan.of_type("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"):
            suffix = str(grg.inputs.get("globalReplicationGroupIdSuffix") or grg.name)
            global_group.nodes.append(Node(_slug("global_cache", suffix), f"ElastiCache global datastore {suffix}",
                                           "global"))
            rg_id = grg.inputs.get("primaryReplicationGroupId")
            for rg in view.plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
                if rg.inputs.get("replicationGroupId") == rg_id:
                    primary = (view, rg)
                    edges.append(Edge(_slug("global_cache", suffix), view.id("store", rg.name), "primary", "member"))
    for view in views:
        for rg in view.plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
            if not rg.inputs.get("globalReplicationGroupId"):
                continue
            if primary is None:
                source = "external_global_cache"
                if all(n.id != source for n in external.nodes):
                    external.nodes.append(Node(source, "ElastiCache global datastore (primary stack)", "external"))
            else:
                source = primary[0].id("store", primary[1].name)
                copies.setdefault((primary[0].stack, primary[1].data_class or "untagged"), set()).add(view.region)
            edges.append(Edge(source, view.id("store", rg.name),
                              f"global datastore replication ({rg.data_class or 'untagged'})", "replication"))


def _backup_copies(views: Sequence[_StackView], external: Group, edges: list[Edge],
                   copies: dict[tuple[str, str], set[str]]) -> None:
    for view in views:
        vaults = {str(v.inputs.get("name")): view.id("vault", v.name)
                  for v in view.plan.of_type("aws:backup/vault:Vault")}
        carried: dict[tuple[str, str], set[str]] = {}  # (source vault node, destination node) -> data classes
        for plan in view.plan.of_type("aws:backup/plan:Plan"):
            for rule in plan.inputs.get("rules") or []:
                source = vaults.get(str(rule.get("targetVaultName")))
                data_class = str((rule.get("recoveryPointTags") or {}).get("azora:data-class") or plan.data_class
                                 or "untagged")
                for action in rule.get("copyActions") or []:
                    match = _ARN_REGION.match(str(action.get("destinationVaultArn") or ""))
                    if not match or source is None:
                        continue
                    region, name = match.groups()
                    dest = _vault_node(views, region, name, external)
                    carried.setdefault((source, dest), set()).add(data_class)
                    copies.setdefault((view.stack, data_class), set()).add(region)
        for (source, dest), classes in sorted(carried.items()):
            edges.append(Edge(source, dest, f"backup copy ({', '.join(sorted(classes))})", "backup-copy"))


def _residency_node(view: _StackView, group: Group,
                    stores: Mapping[tuple[str, str], list[tuple[str, Resource]]],
                    copies: Mapping[tuple[str, str], set[str]]) -> None:
    classes = sorted({dc for (s, dc) in stores if s == view.stack})
    if not classes:
        return
    home = _jurisdiction(view.region)
    stays = [dc for dc in classes if all(_jurisdiction(r) == home for r in copies.get((view.stack, dc), set()))]
    leaves = [f"{dc} to {', '.join(sorted(copies[(view.stack, dc)]))}" for dc in classes if dc not in stays]
    label = f"residency {home}: stays in {home}: {', '.join(stays) or 'nothing'}"
    if leaves:
        label += f"<br/>copied out: {'; '.join(leaves)}"
    group.nodes.append(Node(view.id("residency"), label, "residency"))


# -- rendering -----------------------------------------------------------------------------------

_MERMAID_ARROWS = {"request": "-->", "replication": "==>", "backup-copy": "-.->", "member": "---"}
_MERMAID_CLASSES = {
    "store": "fill:#fff4dd,stroke:#b7791f", "global": "fill:#e6f0ff,stroke:#2b6cb0",
    "residency": "fill:#f0fff4,stroke:#2f855a", "external": "fill:#f7f7f7,stroke:#999,stroke-dasharray:3 3",
    "vault": "fill:#fff4dd,stroke:#b7791f", "tier": "fill:#ffffff,stroke:#718096",
}


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")


def to_mermaid(diagram: Diagram) -> str:
    """A Mermaid flowchart (GitHub renders it in a ```mermaid block)."""
    lines = ["flowchart LR"]

    def group(g: Group, depth: int) -> None:
        pad = "  " * depth
        lines.append(f'{pad}subgraph {g.id}["{_mermaid_text(g.label)}"]')
        for n in g.nodes:
            lines.append(f'{pad}  {n.id}["{_mermaid_text(n.label)}"]')
        for sub in g.groups:
            group(sub, depth + 1)
        lines.append(f"{pad}end")

    for g in diagram.groups:
        group(g, 1)
    for e in diagram.edges:
        lines.append(f'  {e.src} {_MERMAID_ARROWS[e.kind]}|"{_mermaid_text(e.label)}"| {e.dst}')
    nodes = diagram.nodes()
    for kind, style in _MERMAID_CLASSES.items():
        members = [n.id for n in nodes if n.kind == kind]
        if members:
            lines.append(f"  classDef {kind} {style}")
            lines.append(f"  class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("<br/>", "\\n")


_DOT_EDGES = {"request": "", "replication": ", style=bold, color=\"#2b6cb0\"",
              "backup-copy": ", style=dashed, color=\"#b7791f\"", "member": ", style=dotted, arrowhead=none"}
_DOT_SHAPES = {"store": "cylinder", "vault": "cylinder", "global": "cylinder", "residency": "note",
               "dns": "hexagon", "external": "box"}


def to_dot(diagram: Diagram) -> str:
    """A Graphviz digraph (``dot -Tsvg``): one cluster per group."""
    lines = [f'digraph "{_dot_text(diagram.title)}" {{', "  rankdir=LR;", "  compound=true;",
             '  node [shape=box, fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];']

    def group(g: Group, depth: int) -> None:
        pad = "  " * depth
        lines.append(f"{pad}subgraph cluster_{g.id} {{")
        lines.append(f'{pad}  label="{_dot_text(g.label)}";')
        for n in g.nodes:
            shape = _DOT_SHAPES.get(n.kind, "box")
            lines.append(f'{pad}  {n.id} [label="{_dot_text(n.label)}", shape={shape}];')
        for sub in g.groups:
            group(sub, depth + 1)
        lines.append(f"{pad}}}")

    for g in diagram.groups:
        group(g, 1)
    for e in diagram.edges:
        lines.append(f'  {e.src} -> {e.dst} [label="{_dot_text(e.label)}"{_DOT_EDGES[e.kind]}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(diagram: Diagram, fmt: str) -> str:
    if fmt == "dot":
        return to_dot(diagram)
    return to_mermaid(diagram)


__all__ = ["Diagram", "Edge", "Group", "Node", "Residency", "build_diagram", "render", "to_dot", "to_mermaid"]
