"""The monthly cost estimate of a stack's plan, priced from the catalog (`prices.py`).

Like infracost's breakdown, every resource gets cost components (a name, a unit, a monthly quantity and
a price), and the estimate goes on from there: it groups the cost by cost center, team, service,
customer and component (the tags every resource carries), and compares each group with the budgets the
plan defines (``aws:budgets/budget:Budget`` with a ``TagKeyValue`` filter: what `azora:cost` configures).

Nothing is guessed. A component whose price (type, size, region) the catalog lacks, or whose usage
has no stated assumption, is **unpriced**, and a resource type without a price model is **not
modelled**; both are listed, and every total is then a lower bound. Quantities that depend on usage
(GB through a NAT gateway, WAF requests, ...) come from the catalog's named assumptions, printed
with the estimate. Resources AWS does not charge for (IAM roles, security groups, ...) are counted as
free (infracost's list of free AWS resources).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..plan.model import Plan, Resource
from ..tags import COST_CENTER, CUSTOMER, ENVIRONMENT, SERVICE, TEAM
from .prices import Catalog, Price

#: no AWS charge (infracost, "Free resources": docs/supported_resources/aws.md), as pulumi-aws types
FREE_TYPES: frozenset[str] = frozenset({
    "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policy:Policy", "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:kms/alias:Alias", "aws:kms/grant:Grant",
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/flowLog:FlowLog", "aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule",
    "aws:lb/targetGroup:TargetGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/parameterGroup:ParameterGroup", "aws:rds/subnetGroup:SubnetGroup",
    "aws:elasticache/parameterGroup:ParameterGroup", "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter", "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:sns/topicPolicy:TopicPolicy", "aws:sqs/queuePolicy:QueuePolicy", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketNotification:BucketNotification",
    "aws:secretsmanager/secretRotation:SecretRotation", "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:backup/plan:Plan", "aws:backup/selection:Selection", "aws:backup/vaultNotifications:VaultNotifications",
    "aws:backup/vaultPolicy:VaultPolicy", "aws:appautoscaling/policy:Policy",
    "aws:cfg/deliveryChannel:DeliveryChannel", "aws:cfg/recorderStatus:RecorderStatus",
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
})
#: what the plan cannot show, said with every estimate
NOTES = (
    "Karpenter-launched nodes and Aurora readers added by autoscaling are not in the plan: not estimated.",
    "Data transfer (internet egress, cross-AZ, cross-region replication) is not estimated.",
    "Prices are on-demand list prices: savings plans, reserved capacity and free tiers are ignored.",
)
WITHIN, OVER, LOWER_BOUND = "within", "over", "within-lower-bound"


@dataclass
class Component:
    """One cost component: ``monthly_quantity`` of ``unit`` at the catalog price ``price_id`` (``size``)."""

    name: str
    unit: str
    monthly_quantity: float | None
    price_id: str
    size: str | None = None
    #: the catalog assumption the quantity comes from (usage-based components)
    assumption: str | None = None
    price: Price | None = None
    #: why the component has no cost (no price in the catalog, no usage assumption)
    unpriced: str | None = None

    @property
    def monthly_cost(self) -> float | None:
        if self.price is None or self.monthly_quantity is None:
            return None
        return self.monthly_quantity * self.price.usd

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "unit": self.unit, "monthlyQuantity": self.monthly_quantity,
                               "priceId": self.price_id, "monthlyCost": _round(self.monthly_cost)}
        if self.size:
            out["size"] = self.size
        if self.assumption:
            out["assumption"] = self.assumption
        if self.price is not None:
            out["price"] = self.price.to_dict()
        if self.unpriced:
            out["unpriced"] = self.unpriced
        return out


@dataclass
class ResourceCost:
    urn: str
    type: str
    name: str
    region: str | None
    component: str
    tags: dict[str, str]
    components: list[Component] = field(default_factory=list)

    @property
    def monthly_cost(self) -> float:
        return sum(c.monthly_cost or 0.0 for c in self.components)

    @property
    def unpriced(self) -> list[Component]:
        return [c for c in self.components if c.monthly_cost is None]

    def to_dict(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "name": self.name, "region": self.region,
                "component": self.component, "tags": self.tags, "monthlyCost": _round(self.monthly_cost),
                "costComponents": [c.to_dict() for c in self.components]}


@dataclass
class Unmodelled:
    urn: str
    type: str
    name: str
    component: str
    tags: dict[str, str]


@dataclass
class Group:
    key: str
    monthly_cost: float = 0.0
    resources: int = 0
    unpriced: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"monthlyCost": _round(self.monthly_cost), "resources": self.resources, "unpricedItems": self.unpriced}


@dataclass
class BudgetCheck:
    name: str
    tag_key: str
    tag_value: str
    limit: float
    estimate: float
    unpriced: int

    @property
    def status(self) -> str:
        if self.estimate > self.limit:
            return OVER
        return LOWER_BOUND if self.unpriced else WITHIN

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "tag": self.tag_key, "value": self.tag_value, "limit": self.limit,
                "estimate": _round(self.estimate), "unpricedItems": self.unpriced, "status": self.status}


@dataclass
class Estimate:
    stack: str
    region: str | None
    source: str
    catalog: Catalog
    resources: list[ResourceCost]
    unmodelled: list[Unmodelled]
    free: int
    budgets: list[BudgetCheck]

    @property
    def monthly_cost(self) -> float:
        return sum(r.monthly_cost for r in self.resources)

    @property
    def unpriced_components(self) -> list[tuple[ResourceCost, Component]]:
        return [(r, c) for r in self.resources for c in r.unpriced]

    @property
    def unpriced_count(self) -> int:
        return len(self.unpriced_components) + len(self.unmodelled)

    @property
    def over_budget(self) -> list[BudgetCheck]:
        return [b for b in self.budgets if b.status == OVER]

    def groups(self, tag: str) -> dict[str, Group]:
        out: dict[str, Group] = {}
        for r in self.resources:
            g = out.setdefault(_group_key(r.tags, r.component, tag), Group(_group_key(r.tags, r.component, tag)))
            g.monthly_cost += r.monthly_cost
            g.resources += 1
            g.unpriced += len(r.unpriced)
        for u in self.unmodelled:
            g = out.setdefault(_group_key(u.tags, u.component, tag), Group(_group_key(u.tags, u.component, tag)))
            g.resources += 1
            g.unpriced += 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "formatVersion": 1, "stack": self.stack, "region": self.region, "source": self.source,
            "currency": self.catalog.currency, "hoursPerMonth": self.catalog.hours_per_month,
            "catalog": {"path": str(self.catalog.path), "oldestPriceRead": self.catalog.oldest_read},
            "totalMonthlyCost": _round(self.monthly_cost), "lowerBound": self.unpriced_count > 0,
            "summary": {"resources": len(self.resources) + len(self.unmodelled) + self.free,
                        "pricedComponents": sum(1 for r in self.resources for c in r.components
                                                if c.monthly_cost is not None),
                        "unpricedComponents": len(self.unpriced_components), "notModelled": len(self.unmodelled),
                        "unpricedItems": self.unpriced_count, "free": self.free},
            "groups": {name: {k: g.to_dict() for k, g in self.groups(tag).items()} for name, tag in GROUPINGS},
            "budgets": [b.to_dict() for b in self.budgets],
            "resources": [r.to_dict() for r in self.resources],
            "notModelled": [{"urn": u.urn, "type": u.type, "name": u.name, "component": u.component}
                            for u in self.unmodelled],
            "assumptions": {k: {"value": a.value, "note": a.note} for k, a in self.catalog.assumptions.items()},
            "notes": list(NOTES),
        }


#: (report name, tag key or "component")
GROUPINGS = (("costCenter", COST_CENTER), ("team", TEAM), ("service", SERVICE), ("customer", CUSTOMER),
             ("component", "component"))


def _group_key(tags: dict[str, str], component: str, tag: str) -> str:
    if tag == "component":
        return component
    if tag == CUSTOMER:
        return tags.get(CUSTOMER) or "(shared)"
    return tags.get(tag) or "(untagged)"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --------------------------------------------------------------------------------------------------
# price models: one function per resource type, returning its cost components
# --------------------------------------------------------------------------------------------------
@dataclass
class Context:
    plan: Plan
    catalog: Catalog

    @property
    def hours(self) -> float:
        return self.catalog.hours_per_month

    def assumed(self, key: str) -> float:
        return self.catalog.assumption(key).value


Model = Callable[[Context, Resource], list[Component]]


def _monthly(name: str, price_id: str, unit: str = "months") -> Model:
    return lambda ctx, r: [Component(name, unit, 1, price_id)]


def _usage(name: str, price_id: str, unit: str, assumption: str | None) -> Model:
    """A usage-based component whose monthly quantity is a catalog assumption (None: no assumption)."""
    def model(ctx: Context, r: Resource) -> list[Component]:
        qty = ctx.assumed(assumption) if assumption else None
        return [Component(name, unit, qty, price_id, assumption=assumption)]
    return model


def _count(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _eks_cluster(ctx: Context, r: Resource) -> list[Component]:
    return [Component("Cluster control plane", "hours", ctx.hours, "eks.cluster")]


def _launch_template(ctx: Context, r: Resource) -> Resource | None:
    deps = set((r.raw.get("propertyDependencies") or {}).get("launchTemplate") or [])
    wanted = (r.inputs.get("launchTemplate") or {}).get("id")
    for lt in ctx.plan.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        if lt.urn in deps or (wanted and lt.outputs.get("id") == wanted):
            return lt
    return None


def _node_group(ctx: Context, r: Resource) -> list[Component]:
    i = r.inputs
    desired = _count((i.get("scalingConfig") or {}).get("desiredSize"), 1)
    types = i.get("instanceTypes") or ["(unknown)"]
    capacity = i.get("capacityType") or "ON_DEMAND"
    out = [Component(f"Instances (Linux, {capacity.lower().replace('_', '-')}, {types[0]}) x {desired}", "hours",
                     ctx.hours * desired, "ec2.instance", size=str(types[0]))]
    if capacity != "ON_DEMAND":
        out[0].unpriced = "spot capacity has no list price"
    lt = _launch_template(ctx, r)
    for bdm in (lt.inputs.get("blockDeviceMappings") or []) if lt else []:
        ebs = bdm.get("ebs") or {}
        size, kind = _count(ebs.get("volumeSize")), str(ebs.get("volumeType") or "gp3")
        if size:
            out.append(Component(f"Root volumes ({kind}) x {desired}", "GB-months", size * desired, f"ebs.{kind}"))
    return out


def _cluster_instance(ctx: Context, r: Resource) -> list[Component]:
    cls = str(r.inputs.get("instanceClass") or "(unknown)")
    engine = str(r.inputs.get("engine") or "aurora-postgresql")
    return [Component(f"Database instance ({engine}, {cls})", "hours", ctx.hours, f"rds.{engine}", size=cls)]


def _aurora_cluster(ctx: Context, r: Resource) -> list[Component]:
    return [Component("Storage (Aurora Standard)", "GB-months", ctx.assumed("auroraStorageGbPerCluster"),
                      "rds.aurora.storage", assumption="auroraStorageGbPerCluster"),
            Component("I/O requests (Aurora Standard)", "million requests", ctx.assumed("auroraIoMillionsPerCluster"),
                      "rds.aurora.io", assumption="auroraIoMillionsPerCluster")]


def _replication_group(ctx: Context, r: Resource) -> list[Component]:
    i = r.inputs
    shards = _count(i.get("numNodeGroups"), 0)
    nodes = shards * (_count(i.get("replicasPerNodeGroup"), 0) + 1) if shards else _count(i.get("numCacheClusters"), 1)
    node_type, engine = str(i.get("nodeType") or "(unknown)"), str(i.get("engine") or "redis")
    return [Component(f"Cache nodes ({engine}, {node_type}) x {nodes}", "hours", ctx.hours * nodes,
                      f"elasticache.{engine}", size=node_type)]


def _nat_gateway(ctx: Context, r: Resource) -> list[Component]:
    return [Component("NAT gateway", "hours", ctx.hours, "vpc.nat-gateway"),
            Component("Data processed", "GB", ctx.assumed("natGatewayGbPerMonth"), "vpc.nat-gateway.data",
                      assumption="natGatewayGbPerMonth")]


def _eip(ctx: Context, r: Resource) -> list[Component]:
    return [Component("Public IPv4 address", "hours", ctx.hours, "vpc.public-ipv4")]


def _load_balancer(ctx: Context, r: Resource) -> list[Component]:
    i = r.inputs
    if (i.get("loadBalancerType") or "application") != "application":
        return [Component("Load balancer", "hours", ctx.hours, f"elb.{i.get('loadBalancerType')}")]
    out = [Component("Application load balancer", "hours", ctx.hours, "elb.alb"),
           Component("Load balancer capacity units", "LCU-hours", ctx.hours * ctx.assumed("albLcuPerHour"),
                     "elb.alb.lcu", assumption="albLcuPerHour")]
    if not i.get("internal"):
        azs = len(i.get("subnets") or []) or 1
        out.append(Component(f"Public IPv4 addresses (one per AZ) x {azs}", "hours", ctx.hours * azs,
                             "vpc.public-ipv4"))
    return out


def _vpc_endpoint(ctx: Context, r: Resource) -> list[Component]:
    i = r.inputs
    if (i.get("vpcEndpointType") or "Gateway") == "Gateway":
        return [Component("Gateway endpoint", "months", 1, "vpc.gateway-endpoint")]
    azs = len(i.get("subnetIds") or []) or 1
    return [Component(f"Interface endpoint x {azs} AZ", "hours", ctx.hours * azs, "vpc.interface-endpoint"),
            Component("Data processed", "GB", ctx.assumed("interfaceEndpointGbPerMonth"),
                      "vpc.interface-endpoint.data", assumption="interfaceEndpointGbPerMonth")]


def _health_check(ctx: Context, r: Resource) -> list[Component]:
    i = r.inputs
    out = [Component("Health check (AWS endpoint)", "months", 1, "route53.health-check")]
    if str(i.get("type") or "").startswith("HTTPS"):
        out.append(Component("Optional feature: HTTPS", "months", 1, "route53.health-check.https"))
    if i.get("requestInterval") == 10:
        out.append(Component("Optional feature: fast interval (10 s)", "months", 1, "route53.health-check.fast"))
    if i.get("measureLatency"):
        out.append(Component("Optional feature: latency measurement", "months", 1, "route53.health-check.latency"))
    if i.get("searchString"):
        out.append(Component("Optional feature: string matching", "months", 1, "route53.health-check.string"))
    return out


def _web_acl(ctx: Context, r: Resource) -> list[Component]:
    rules = len(r.inputs.get("rules") or [])
    return [Component("Web ACL", "months", 1, "waf.web-acl"),
            Component(f"Rules x {rules}", "rule-months", rules, "waf.rule"),
            Component("Requests", "million requests", ctx.assumed("wafRequestsMillionsPerMonth"), "waf.requests",
                      assumption="wafRequestsMillionsPerMonth")]


def _trail(ctx: Context, r: Resource) -> list[Component]:
    out = [Component("Management events (first copy)", "100k events",
                     ctx.assumed("cloudTrailManagementEvents100kPerMonth"), "cloudtrail.management-events",
                     assumption="cloudTrailManagementEvents100kPerMonth")]
    selectors = r.inputs.get("advancedEventSelectors") or []
    if any("Data" in (f.get("equals") or []) for s in selectors for f in (s.get("fieldSelectors") or [])):
        out.append(Component("S3 data events", "100k events", ctx.assumed("cloudTrailDataEvents100kPerMonth"),
                             "cloudtrail.data-events", assumption="cloudTrailDataEvents100kPerMonth"))
    return out


def _user_pool(ctx: Context, r: Resource) -> list[Component]:
    tier = str(r.inputs.get("userPoolTier") or "ESSENTIALS").lower()
    return [Component(f"Monthly active users ({tier})", "MAU", ctx.assumed("cognitoMauPerPool"),
                      f"cognito.mau.{tier}", assumption="cognitoMauPerPool")]


MODELS: dict[str, Model] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:rds/clusterInstance:ClusterInstance": _cluster_instance,
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:kms/key:Key": _monthly("Customer managed key", "kms.key"),
    "aws:route53/zone:Zone": _monthly("Hosted zone", "route53.hosted-zone"),
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:secretsmanager/secret:Secret": _monthly("Secret", "secretsmanager.secret"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _monthly("Standard-resolution alarm", "cloudwatch.alarm"),
    "aws:cloudwatch/logGroup:LogGroup": _usage("Log ingestion", "cloudwatch.logs.ingest", "GB",
                                               "logIngestGbPerGroupPerMonth"),
    "aws:cloudtrail/trail:Trail": _trail,
    "aws:cfg/recorder:Recorder": _usage("Configuration items recorded", "config.configuration-item", "items",
                                        "configItemsPerMonth"),
    "aws:cfg/rule:Rule": _usage("Rule evaluations", "config.rule-evaluation", "evaluations", None),
    "aws:guardduty/detector:Detector": _usage("Analyzed events and volumes", "guardduty.usage", "usage", None),
    "aws:securityhub/account:Account": _usage("Security checks and findings", "securityhub.usage", "usage", None),
    "aws:inspector2/enabler:Enabler": _usage("Scanned images and instances", "inspector.usage", "usage", None),
    "aws:macie2/classificationJob:ClassificationJob": _usage("Data inspected", "macie.inspection", "GB", None),
    "aws:cognito/userPool:UserPool": _user_pool,
    "aws:s3/bucket:Bucket": _usage("Storage", "s3.standard", "GB-months", "s3GbPerBucket"),
    "aws:backup/vault:Vault": _usage("Recovery-point storage", "backup.storage", "GB-months", "backupGbPerVault"),
    "aws:budgets/budget:Budget": _monthly("Budget", "budgets.budget"),
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": _monthly("Anomaly monitor", "anomaly-detection.monitor"),
    "aws:bcmdata/export:Export": _monthly("Data export", "data-exports.export"),
}


# --------------------------------------------------------------------------------------------------
# the estimate
# --------------------------------------------------------------------------------------------------
def _component_label(plan: Plan, by_urn: dict[str, Resource], r: Resource) -> str:
    """The outermost Azora component the resource belongs to ("(stack)" when none)."""
    label = "(stack)"
    seen = 0
    parent = r.parent
    while parent and parent in by_urn and seen < 64:
        p = by_urn[parent]
        if not p.custom and p.type != "pulumi:pulumi:Stack":
            label = f"{p.name} ({p.type})"
        parent = p.parent
        seen += 1
    return label


def _price(ctx: Context, r: Resource, component: Component) -> None:
    region = r.region or ""
    if component.monthly_quantity is None:
        component.unpriced = "usage-based: no usage assumption in the catalog"
        return
    if component.unpriced:
        return
    price = ctx.catalog.find(component.price_id, region, component.size)
    if price is None:
        what = f"{component.price_id}" + (f" {component.size}" if component.size else "")
        component.unpriced = f"no catalog price for {what} in {region or 'an unknown region'}"
    component.price = price


def _budget_filter(b: Resource) -> tuple[str, str] | None:
    for f in b.inputs.get("costFilters") or []:
        if f.get("name") == "TagKeyValue":
            for value in f.get("values") or []:
                if isinstance(value, str) and value.startswith("user:") and "$" in value:
                    key, _, tag_value = value[len("user:"):].partition("$")
                    return key, tag_value
    return None


def _budgets(plan: Plan, estimate: Estimate) -> list[BudgetCheck]:
    checks: list[BudgetCheck] = []
    for b in plan.of_type("aws:budgets/budget:Budget"):
        target = _budget_filter(b)
        try:
            limit = float(b.inputs.get("limitAmount"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if target is None:
            total, unpriced = estimate.monthly_cost, estimate.unpriced_count
            target = ("(all)", "(all)")
        else:
            key, value = target
            total = sum(r.monthly_cost for r in estimate.resources if r.tags.get(key) == value)
            unpriced = sum(len(r.unpriced) for r in estimate.resources if r.tags.get(key) == value) + sum(
                1 for u in estimate.unmodelled if u.tags.get(key) == value)
        checks.append(BudgetCheck(str(b.inputs.get("name") or b.name), target[0], target[1], limit, total, unpriced))
    return sorted(checks, key=lambda c: (c.tag_key, c.tag_value))


def _tags(r: Resource) -> dict[str, str]:
    t = r.tags
    return {k: t[k] for k in (TEAM, SERVICE, COST_CENTER, ENVIRONMENT, CUSTOMER) if t.get(k)}


def build_estimate(plan: Plan, catalog: Catalog, source: str = "plan") -> Estimate:
    ctx = Context(plan, catalog)
    by_urn = {r.urn: r for r in plan}
    resources: list[ResourceCost] = []
    unmodelled: list[Unmodelled] = []
    free = 0
    for r in plan:
        if not r.custom or not r.type.startswith("aws:") or r.type.startswith("pulumi:providers:"):
            continue
        if r.type in FREE_TYPES:
            free += 1
            continue
        label = _component_label(plan, by_urn, r)
        model = MODELS.get(r.type)
        if model is None:
            unmodelled.append(Unmodelled(r.urn, r.type, r.name, label, _tags(r)))
            continue
        rc = ResourceCost(r.urn, r.type, r.name, r.region, label, _tags(r), model(ctx, r))
        for c in rc.components:
            _price(ctx, r, c)
        resources.append(rc)
    region = plan.config.get("aws:region") or next((r.region for r in resources if r.region), None)
    estimate = Estimate(plan.stack, region, source, catalog, resources, unmodelled, free, [])
    estimate.budgets = _budgets(plan, estimate)
    return estimate


# --------------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------------
def usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _qty(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _lines_for(estimate: Estimate) -> Iterable[tuple[str, str, str, str]]:
    for r in sorted(estimate.resources, key=lambda x: (-x.monthly_cost, x.urn)):
        yield (f"{r.type.rsplit(':', 1)[-1]} {r.name}", "", "", usd(r.monthly_cost))
        for i, c in enumerate(r.components):
            branch = "└─" if i == len(r.components) - 1 else "├─"
            cost = usd(c.monthly_cost) if c.monthly_cost is not None else "unpriced"
            yield (f" {branch} {c.name}", _qty(c.monthly_quantity), c.unit, cost)


def render_text(estimate: Estimate) -> str:
    cat = estimate.catalog
    out = [f"Monthly cost estimate of stack {estimate.stack} ({estimate.region}), {cat.currency}, "
           "on-demand list prices",
           f"Source: {estimate.source}; prices: {cat.path} (read {cat.oldest_read or '-'} or later), "
           f"{cat.hours_per_month:g} hours/month", ""]
    width = max([48, *(len(n) for n, *_ in _lines_for(estimate))])
    out.append(f" {'Name':<{width}} {'Monthly qty':>12}  {'Unit':<18} {'Monthly cost':>12}")
    for name, qty, unit, cost in _lines_for(estimate):
        out.append(f" {name:<{width}} {qty:>12}  {unit:<18} {cost:>12}")
    bound = " (lower bound)" if estimate.unpriced_count else ""
    out += ["", f" {'OVERALL TOTAL' + bound:<{width + 33}} {usd(estimate.monthly_cost):>12}", ""]
    s = estimate.to_dict()["summary"]
    out.append(f"{s['resources']} AWS resources: {s['pricedComponents']} cost components priced, "
               f"{s['unpricedComponents']} unpriced, {s['notModelled']} resources not modelled, {s['free']} free")
    for name, tag in GROUPINGS:
        out.append("")
        out.append(f"By {name}:")
        for key, g in estimate.groups(tag).items():
            extra = f"  ({g.unpriced} unpriced)" if g.unpriced else ""
            out.append(f"  {key:<52} {usd(g.monthly_cost):>12}{extra}")
    out += ["", "Budgets (from the plan):"]
    if not estimate.budgets:
        out.append("  none: the plan defines no budget (azora:cost.budgets)")
    for b in estimate.budgets:
        out.append(f"  {b.name:<40} {b.tag_key}={b.tag_value:<22} limit {usd(b.limit):>12}  estimate "
                   f"{usd(b.estimate):>12}  {b.status.upper()}")
    if estimate.unpriced_count:
        out += ["", "Unpriced (the totals above leave these out):"]
        for r, c in estimate.unpriced_components:
            out.append(f"  {r.type.rsplit(':', 1)[-1]} {r.name}: {c.name}: {c.unpriced}")
        counts: dict[str, int] = {}
        for u in estimate.unmodelled:
            counts[u.type] = counts.get(u.type, 0) + 1
        for t, n in sorted(counts.items()):
            out.append(f"  {t} x {n}: no price model")
    out += ["", "Assumptions (catalog):"]
    out += [f"  {a.key} = {a.value:g}: {a.note}" for a in cat.assumptions.values()]
    out += ["", "Notes:"] + [f"  {n}" for n in NOTES]
    return "\n".join(out) + "\n"


def render_markdown(estimate: Estimate) -> str:
    cat = estimate.catalog
    bound = " (lower bound: unpriced items below)" if estimate.unpriced_count else ""
    out = [f"# Cost estimate: stack `{estimate.stack}` ({estimate.region})", "",
           f"**{usd(estimate.monthly_cost)} / month**{bound}, {cat.currency}, on-demand list prices from "
           f"`{cat.path.name}` (read {cat.oldest_read or '-'} or later).", "",
           "| Resource | Component | Monthly qty | Unit | Monthly cost |", "|---|---|---:|---|---:|"]
    for r in sorted(estimate.resources, key=lambda x: (-x.monthly_cost, x.urn)):
        for c in r.components:
            cost = usd(c.monthly_cost) if c.monthly_cost is not None else "unpriced"
            out.append(f"| `{r.name}` | {c.name} | {_qty(c.monthly_quantity)} | {c.unit} | {cost} |")
    for name, tag in GROUPINGS:
        out += ["", f"## By {name}", "", f"| {name} | Monthly cost | Unpriced items |", "|---|---:|---:|"]
        out += [f"| {k} | {usd(g.monthly_cost)} | {g.unpriced} |" for k, g in estimate.groups(tag).items()]
    out += ["", "## Budgets", "", "| Budget | Filter | Limit | Estimate | Status |", "|---|---|---:|---:|---|"]
    out += [f"| {b.name} | {b.tag_key}={b.tag_value} | {usd(b.limit)} | {usd(b.estimate)} | {b.status} |"
            for b in estimate.budgets]
    if estimate.unpriced_count:
        out += ["", "## Unpriced", ""]
        out += [f"- `{r.name}` {c.name}: {c.unpriced}" for r, c in estimate.unpriced_components]
        out += [f"- `{u.name}` ({u.type}): no price model" for u in estimate.unmodelled]
    out += ["", "## Assumptions", ""] + [f"- `{a.key}` = {a.value:g}: {a.note}" for a in cat.assumptions.values()]
    out += ["", "## Notes", ""] + [f"- {n}" for n in NOTES]
    return "\n".join(out) + "\n"
