"""Walk a planned request from the internet to a service's pods, as an operator would, by joining
plan data (ARNs, ids, names, labels, selectors and ports found in the plan; nothing hard-coded).

`walk(plan)` returns the hops it crossed; a missing or misconfigured hop raises `MissingHop`
naming it. What it proves about a stack's plan:

1. the ALB's TLS 1.3 listener on 443 forwards to an HTTPS ``ip`` target group with an HTTPS
   health check, and the ALB's security group may reach the VPC on the target port;
2. a TargetGroupBinding binds that target group to a Service of a gateway Helm release (the
   Service and pod labels as the chart renders them from its values), whose target port is the
   target group's port; the nodes' security group admits the ALB's security group on it;
3. the gateway namespace is default-deny, and a NetworkPolicy admits every subnet of the ALB on
   that port to the gateway pods;
4. an Istio Gateway selects those pods with an HTTPS server on the Service port whose
   certificate Secret a cert-manager Certificate writes; the health route of the target group is
   answered by the gateway itself (directResponse 200), and Route 53 checks that path on the ALB;
5. for every route of every VirtualService bound to that Gateway: the destination's Service
   exists on the destination port, the DestinationRule has the subset, Deployments run pods whose
   labels match Service selector + subset and expose the Service's target port;
6. the service's namespace is default-deny and NetworkPolicies allow the gateway pods out to
   those pods and those pods in from the gateway pods, on the container port;
7. mesh-wide STRICT mutual TLS (PeerAuthentication ``default`` in the mesh root namespace), and
   no DestinationRule turns mTLS off.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from azora_infra.plan.model import Plan, Resource

LISTENER = "aws:lb/listener:Listener"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
RELEASE = "kubernetes:helm.sh/v3:Release"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService"
DESTINATION_RULE = "kubernetes:networking.istio.io/v1:DestinationRule"
PEER_AUTHN = "kubernetes:security.istio.io/v1:PeerAuthentication"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
SERVICE = "kubernetes:core/v1:Service"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NS_LABEL = "kubernetes.io/metadata.name"


class MissingHop(AssertionError):
    def __init__(self, hop: str, reason: str) -> None:
        super().__init__(f"{hop}: {reason}")
        self.hop = hop


@dataclass(frozen=True)
class Hop:
    name: str
    detail: str


# --- small joins ------------------------------------------------------------------------------

def _by_output(plan: Plan, type_: str, key: str, value: Any) -> list[Resource]:
    return [r for r in plan.of_type(type_) if r.outputs.get(key) == value]


def _meta(r: Resource) -> dict[str, Any]:
    meta = r.inputs.get("metadata") or {}
    return meta if isinstance(meta, dict) else {}


def _in_ns(plan: Plan, type_: str, ns: str) -> list[Resource]:
    return [r for r in plan.of_type(type_) if _meta(r).get("namespace") == ns]


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A label selector (matchLabels only; anything else never matches) against labels."""
    selector = selector or {}
    if set(selector) - {"matchLabels"}:
        return False
    wanted = selector.get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def _port_numbers(ports: Iterable[Mapping[str, Any]] | None) -> set[Any]:
    return {p.get("port") for p in ports or []}


def _peer_matches(peer: Mapping[str, Any], ns: str, labels: Mapping[str, str]) -> bool:
    """A peer selecting pods with ``labels`` in another namespace ``ns`` (a peer without a
    namespaceSelector means the policy's own namespace: never another one)."""
    ns_sel = peer.get("namespaceSelector")
    if ns_sel is None or not selects(ns_sel, {NS_LABEL: ns}):
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], labels)


def _policies(plan: Plan, ns: str, pods: Mapping[str, str], kind: str) -> list[dict[str, Any]]:
    out = []
    for r in _in_ns(plan, NETPOL, ns):
        spec = r.inputs.get("spec") or {}
        if kind in (spec.get("policyTypes") or []) and selects(spec.get("podSelector"), pods):
            out.append(spec)
    return out


def default_deny(plan: Plan, ns: str) -> bool:
    return any(not (r.inputs["spec"].get("podSelector") or {}).get("matchLabels")
               and set(r.inputs["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
               and not r.inputs["spec"].get("ingress") and not r.inputs["spec"].get("egress")
               for r in _in_ns(plan, NETPOL, ns))


def ingress_allowed(plan: Plan, ns: str, pods: Mapping[str, str], port: int, *,
                    from_ns: str | None = None, from_labels: Mapping[str, str] | None = None,
                    from_cidrs: Iterable[str] = ()) -> bool:
    cidrs = [ipaddress.ip_network(c) for c in from_cidrs]
    for spec in _policies(plan, ns, pods, "Ingress"):
        for rule in spec.get("ingress") or []:
            if port not in _port_numbers(rule.get("ports")):
                continue
            peers = rule.get("from") or []
            if from_ns is not None and any(_peer_matches(p, from_ns, from_labels or {}) for p in peers):
                return True
            blocks = [ipaddress.ip_network(p["ipBlock"]["cidr"]) for p in peers if "ipBlock" in p]
            if cidrs and all(any(c.subnet_of(b) for b in blocks) for c in cidrs):  # type: ignore[arg-type]
                return True
    return False


def egress_allowed(plan: Plan, ns: str, pods: Mapping[str, str], port: int, to_ns: str,
                   to_labels: Mapping[str, str]) -> bool:
    for spec in _policies(plan, ns, pods, "Egress"):
        for rule in spec.get("egress") or []:
            if port in _port_numbers(rule.get("ports")) and \
                    any(_peer_matches(p, to_ns, to_labels) for p in rule.get("to") or []):
                return True
    return False


# --- the walk -------------------------------------------------------------------------------------

def _edge(plan: Plan, hops: list[Hop]) -> tuple[Resource, Resource, Resource]:
    """Listener -> target group; returns (load balancer, listener, target group)."""
    listeners = [r for r in plan.of_type(LISTENER) if r.inputs.get("port") == 443]
    if not listeners:
        raise MissingHop("listener", "no listener on 443")
    listener = listeners[0]
    if listener.inputs.get("protocol") != "HTTPS" or \
            not str(listener.inputs.get("sslPolicy", "")).startswith("ELBSecurityPolicy-TLS13-"):
        raise MissingHop("listener", "443 is not HTTPS with a TLS 1.3 policy")
    lbs = _by_output(plan, LOAD_BALANCER, "arn", listener.inputs.get("loadBalancerArn"))
    if not lbs or lbs[0].inputs.get("internal") is not False:
        raise MissingHop("listener", "not on an internet-facing load balancer of the plan")
    forwards = [a for a in listener.inputs.get("defaultActions") or [] if a.get("type") == "forward"]
    if not forwards:
        raise MissingHop("listener -> target group", "the listener forwards nowhere")
    groups = _by_output(plan, TARGET_GROUP, "arn", forwards[0].get("targetGroupArn"))
    if not groups:
        raise MissingHop("listener -> target group", "the forward action names no target group of the plan")
    tg = groups[0]
    hc = tg.inputs.get("healthCheck") or {}
    if tg.inputs.get("protocol") != "HTTPS" or tg.inputs.get("targetType") != "ip" or hc.get("protocol") != "HTTPS":
        raise MissingHop("target group", "not an HTTPS ip target group with an HTTPS health check")
    hops.append(Hop("listener -> target group",
                    f"{listener.name} -> {tg.name} (HTTPS, ip, HTTPS check {hc.get('path')})"))
    return lbs[0], listener, tg


def _gateway_service(plan: Plan, tg: Resource, hops: list[Hop]) -> tuple[str, dict[str, str], int, int]:
    """Target group -> binding -> the gateway release's Service. Returns (namespace, pod labels,
    service port, target port)."""
    bindings = [b for b in plan.of_type(BINDING) if b.inputs["spec"].get("targetGroupARN") == tg.outputs.get("arn")]
    if not bindings:
        raise MissingHop("target group -> TargetGroupBinding", f"nothing binds {tg.name}")
    binding = bindings[0]
    ns = _meta(binding).get("namespace")
    ref = binding.inputs["spec"].get("serviceRef") or {}
    for release in plan.of_type(RELEASE):
        values = release.inputs.get("values") or {}
        name = values.get("name") or release.inputs.get("name")
        if release.inputs.get("namespace") != ns or name != ref.get("name"):
            continue
        ports = {p.get("port"): p.get("targetPort") for p in (values.get("service") or {}).get("ports") or []}
        if ref.get("port") not in ports:
            raise MissingHop("TargetGroupBinding -> gateway Service", f"{name} has no port {ref.get('port')}")
        labels = {"app": name, "istio": name.removeprefix("istio-"), **(values.get("labels") or {})}
        target = ports[ref.get("port")]
        if target != tg.inputs.get("port"):
            raise MissingHop("TargetGroupBinding -> gateway Service", f"target port {target} is not the group's port")
        hops.append(Hop("TargetGroupBinding -> gateway Service", f"{ns}/{name}:{ref.get('port')} -> pods :{target}"))
        return str(ns), labels, int(ref["port"]), int(target)
    raise MissingHop("TargetGroupBinding -> gateway Service", f"no gateway release serves {ns}/{ref.get('name')}")


def _security_groups(plan: Plan, lb: Resource, port: int, hops: list[Hop]) -> None:
    alb_sgs = set(lb.inputs.get("securityGroups") or [])
    vpcs = {v.outputs.get("id"): v.inputs.get("cidrBlock") for v in plan.of_type(VPC)}
    sgs = [s for s in plan.of_type(SECURITY_GROUP) if s.outputs.get("id") in alb_sgs]
    if not any(e.get("fromPort") <= port <= e.get("toPort")
               and any(c in vpcs.values() or c == "0.0.0.0/0" for c in e.get("cidrBlocks") or [])
               for s in sgs for e in s.inputs.get("egress") or []):
        raise MissingHop("ALB security group", f"no egress to the VPC on {port}")
    node_sgs = {sg for lt in plan.of_type(LAUNCH_TEMPLATE) for sg in lt.inputs.get("vpcSecurityGroupIds") or []}
    if not any(r.inputs.get("referencedSecurityGroupId") in alb_sgs and r.inputs.get("securityGroupId") in node_sgs
               and r.inputs.get("fromPort") <= port <= r.inputs.get("toPort") for r in plan.of_type(SG_INGRESS)):
        raise MissingHop("node security group", f"the nodes do not admit the ALB's security group on {port}")
    hops.append(Hop("ALB -> node security group", f"ALB SG egress and node SG ingress on {port}"))


def _gateway_policies(plan: Plan, lb: Resource, ns: str, labels: dict[str, str], port: int,
                      hops: list[Hop]) -> None:
    subnets = set(lb.inputs.get("subnets") or [])
    cidrs = [s.inputs["cidrBlock"] for s in plan.of_type(SUBNET) if s.outputs.get("id") in subnets]
    if not default_deny(plan, ns):
        raise MissingHop("gateway NetworkPolicy", f"namespace {ns} is not default-deny")
    if not cidrs or not ingress_allowed(plan, ns, labels, port, from_cidrs=cidrs):
        raise MissingHop("gateway NetworkPolicy", f"the ALB's subnets {cidrs} may not reach the gateway on {port}")
    hops.append(Hop("ALB subnets -> gateway pods", f"NetworkPolicy admits {len(cidrs)} subnets on {port}"))


def _gateway_config(plan: Plan, tg: Resource, ns: str, labels: dict[str, str], service_port: int,
                    hops: list[Hop]) -> str:
    """The Istio Gateway and its certificate, and the health route. Returns the Gateway's name."""
    for gw in _in_ns(plan, GATEWAY, ns):
        spec = gw.inputs["spec"]
        if not all(labels.get(k) == v for k, v in (spec.get("selector") or {}).items()):
            continue
        for server in spec.get("servers") or []:
            if (server.get("port") or {}).get("number") != service_port or server["port"].get("protocol") != "HTTPS":
                continue
            secret = (server.get("tls") or {}).get("credentialName")
            if not any(c.inputs["spec"].get("secretName") == secret for c in _in_ns(plan, CERTIFICATE, ns)):
                raise MissingHop("gateway certificate", f"no Certificate writes the Secret {secret}")
            name = str(_meta(gw)["name"])
            _health_route(plan, tg, ns, name)
            hops.append(Hop("gateway Service -> Gateway", f"{ns}/{name} HTTPS {service_port}, Secret {secret}"))
            return name
    raise MissingHop("gateway Service -> Gateway", f"no Gateway in {ns} serves HTTPS on {service_port} for {labels}")


def _bound(vs: Resource, gw_ns: str, gw_name: str) -> bool:
    vs_ns = _meta(vs).get("namespace")
    return any(g in (f"{gw_ns}/{gw_name}",) or (g == gw_name and vs_ns == gw_ns)
               for g in vs.inputs["spec"].get("gateways") or [])


def _health_route(plan: Plan, tg: Resource, ns: str, gw_name: str) -> None:
    path = (tg.inputs.get("healthCheck") or {}).get("path")
    for vs in plan.of_type(VIRTUAL_SERVICE):
        if not _bound(vs, ns, gw_name) or "*" not in vs.inputs["spec"].get("hosts", []):
            continue
        for route in vs.inputs["spec"].get("http") or []:
            if {"uri": {"exact": path}} in (route.get("match") or []) and \
                    (route.get("directResponse") or {}).get("status") == 200:
                checks = [h for h in plan.of_type(HEALTH_CHECK) if h.inputs.get("resourcePath") != path]
                if checks:
                    raise MissingHop("health route", f"a Route 53 check asks {checks[0].inputs.get('resourcePath')}")
                return
    raise MissingHop("health route", f"the gateway does not answer {path} itself")


def _service_hops(plan: Plan, gw_ns: str, gw_name: str, gw_labels: dict[str, str],
                  hops: list[Hop]) -> int:
    routes = 0
    for vs in plan.of_type(VIRTUAL_SERVICE):
        if not _bound(vs, gw_ns, gw_name):
            continue
        for route in vs.inputs["spec"].get("http") or []:
            for dest in route.get("route") or []:
                _destination(plan, vs, route, dest["destination"], gw_ns, gw_labels, hops)
                routes += 1
    return routes


def _destination(plan: Plan, vs: Resource, route: dict[str, Any], dest: dict[str, Any], gw_ns: str,
                 gw_labels: dict[str, str], hops: list[Hop]) -> None:
    where = f"{_meta(vs).get('namespace')}/{_meta(vs).get('name')} route {route.get('name')}"
    svc_name, ns = str(dest["host"]).split(".")[:2]
    services = [s for s in _in_ns(plan, SERVICE, ns) if _meta(s).get("name") == svc_name]
    if not services:
        raise MissingHop("VirtualService -> Service", f"{where}: no Service {ns}/{svc_name}")
    spec = services[0].inputs["spec"]
    port = next((p for p in spec.get("ports") or [] if p.get("port") == (dest.get("port") or {}).get("number")), None)
    if port is None:
        raise MissingHop("VirtualService -> Service", f"{where}: {svc_name} has no port {dest.get('port')}")
    rules = [d for d in _in_ns(plan, DESTINATION_RULE, ns) if d.inputs["spec"].get("host") == dest["host"]]
    subsets = {s["name"]: s.get("labels") or {} for d in rules for s in d.inputs["spec"].get("subsets") or []}
    if dest.get("subset") not in subsets:
        raise MissingHop("DestinationRule subset", f"{where}: no subset {dest.get('subset')} for {dest['host']}")
    wanted = {**spec.get("selector", {}), **subsets[dest["subset"]]}
    pods = [d for d in _in_ns(plan, DEPLOYMENT, ns)
            if selects(d.inputs["spec"]["selector"], wanted)
            and all(d.inputs["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in wanted.items())]
    if not pods:
        raise MissingHop("Service -> Deployment", f"{where}: no Deployment runs pods labelled {wanted}")
    labels = pods[0].inputs["spec"]["template"]["metadata"]["labels"]
    container_ports = {p.get("name"): p.get("containerPort")
                       for c in pods[0].inputs["spec"]["template"]["spec"]["containers"] for p in c.get("ports") or []}
    target = port.get("targetPort")
    container_port = container_ports.get(target) if isinstance(target, str) else target
    if container_port not in container_ports.values():
        raise MissingHop("Service -> Deployment", f"{where}: the pods do not expose {target}")
    if not default_deny(plan, ns):
        raise MissingHop("service NetworkPolicy", f"namespace {ns} is not default-deny")
    if not egress_allowed(plan, gw_ns, gw_labels, container_port, ns, labels):
        raise MissingHop("gateway -> service NetworkPolicy",
                         f"{where}: the gateway may not open {ns} pods on {container_port}")
    if not ingress_allowed(plan, ns, labels, container_port, from_ns=gw_ns, from_labels=gw_labels):
        raise MissingHop("gateway -> service NetworkPolicy",
                         f"{where}: {ns} pods do not admit the gateway on {container_port}")
    if any((d.inputs["spec"].get("trafficPolicy") or {}).get("tls", {}).get("mode") == "DISABLE" for d in rules):
        raise MissingHop("mesh mTLS", f"{where}: the DestinationRule turns mTLS off")
    hops.append(Hop("gateway -> service pods", f"{where} -> {_meta(pods[0])['name']}:{container_port}"))


def _strict_mtls(plan: Plan, hops: list[Hop]) -> None:
    strict = [p for p in plan.of_type(PEER_AUTHN)
              if _meta(p).get("name") == "default" and not (p.inputs["spec"].get("selector"))
              and (p.inputs["spec"].get("mtls") or {}).get("mode") == "STRICT"]
    roots = {r.inputs.get("namespace") for r in plan.of_type(RELEASE) if r.inputs.get("chart") == "istiod"}
    if not any(_meta(p).get("namespace") in roots for p in strict):
        raise MissingHop("mesh mTLS", "no mesh-wide STRICT PeerAuthentication in the mesh root namespace")
    hops.append(Hop("mesh mTLS", "PeerAuthentication default: STRICT"))


def walk(plan: Plan) -> list[Hop]:
    """Every hop from the ALB to each routed service's pods; `MissingHop` on the first gap."""
    hops: list[Hop] = []
    lb, _listener, tg = _edge(plan, hops)
    gw_ns, gw_labels, service_port, target_port = _gateway_service(plan, tg, hops)
    _security_groups(plan, lb, target_port, hops)
    _gateway_policies(plan, lb, gw_ns, gw_labels, target_port, hops)
    gw_name = _gateway_config(plan, tg, gw_ns, gw_labels, service_port, hops)
    if _service_hops(plan, gw_ns, gw_name, gw_labels, hops) == 0:
        raise MissingHop("Gateway -> VirtualService", f"no VirtualService routes through {gw_ns}/{gw_name}")
    _strict_mtls(plan, hops)
    return hops
