"""NetworkPolicy shapes every Azora namespace uses: default-deny, DNS and mesh control-plane
egress, and the explicit allows of one hop (pods to pods, CIDRs to pods, pods to CIDRs).

The VPC CNI's network-policy agent enforces them (`EksCluster` turns it on). Everything here
builds `NetworkPolicySpecArgs` (pure functions) or creates the three policies that isolate a
namespace (`isolate_namespace`); the components that own a hop create its allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

#: where the mesh control plane runs (Istio's istiod) and its xDS + CA port
MESH_NAMESPACE = "istio-system"
ISTIOD_PORT = 15012
#: the label every namespace carries (set by Kubernetes itself, since 1.22)
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

K8s = k8s.networking.v1


def _selector(labels: Mapping[str, str] | None) -> k8s.meta.v1.LabelSelectorArgs:
    return k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels) if labels else None)


def _ports(ports: Sequence[int], protocols: Sequence[str] = ("TCP",)) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [K8s.NetworkPolicyPortArgs(protocol=proto, port=p) for p in ports for proto in protocols]


def pod_peer(namespace: str, labels: Mapping[str, str]) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    """The pods with ``labels`` in ``namespace`` (both selectors in one peer: an AND)."""
    return K8s.NetworkPolicyPeerArgs(namespace_selector=_selector({NAMESPACE_NAME_LABEL: namespace}),
                                     pod_selector=_selector(labels))


def default_deny() -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Every pod of the namespace: no ingress, no egress, unless another policy allows it."""
    return K8s.NetworkPolicySpecArgs(pod_selector=_selector(None), policy_types=["Ingress", "Egress"])


def dns_egress() -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Every pod may ask kube-dns (CoreDNS) on 53 UDP and TCP."""
    return K8s.NetworkPolicySpecArgs(
        pod_selector=_selector(None), policy_types=["Egress"],
        egress=[K8s.NetworkPolicyEgressRuleArgs(
            to=[pod_peer("kube-system", {"k8s-app": "kube-dns"})], ports=_ports([53], ("UDP", "TCP")))])


def istiod_egress() -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Every pod's sidecar (or gateway Envoy) fetches config and certificates from istiod."""
    return K8s.NetworkPolicySpecArgs(
        pod_selector=_selector(None), policy_types=["Egress"],
        egress=[K8s.NetworkPolicyEgressRuleArgs(
            to=[pod_peer(MESH_NAMESPACE, {"app": "istiod"})], ports=_ports([ISTIOD_PORT]))])


def ingress_from_pods(pods: Mapping[str, str], source_namespace: str, source_labels: Mapping[str, str],
                      ports: Sequence[int]) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """``pods`` (in the policy's namespace) accept ``ports`` from the source pods."""
    return K8s.NetworkPolicySpecArgs(
        pod_selector=_selector(pods), policy_types=["Ingress"],
        ingress=[K8s.NetworkPolicyIngressRuleArgs(from_=[pod_peer(source_namespace, source_labels)],
                                                  ports=_ports(ports))])


def egress_to_pods(pods: Mapping[str, str], target_namespace: str, target_labels: Mapping[str, str],
                   ports: Sequence[int]) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """``pods`` (in the policy's namespace) may open ``ports`` on the target pods."""
    return K8s.NetworkPolicySpecArgs(
        pod_selector=_selector(pods), policy_types=["Egress"],
        egress=[K8s.NetworkPolicyEgressRuleArgs(to=[pod_peer(target_namespace, target_labels)],
                                                ports=_ports(ports))])


def ingress_from_cidrs(pods: Mapping[str, str], cidrs: Sequence[str],
                       ports: Sequence[int]) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """``pods`` accept ``ports`` from addresses in ``cidrs`` (e.g. a load balancer's subnets)."""
    return K8s.NetworkPolicySpecArgs(
        pod_selector=_selector(pods), policy_types=["Ingress"],
        ingress=[K8s.NetworkPolicyIngressRuleArgs(
            from_=[K8s.NetworkPolicyPeerArgs(ip_block=K8s.IPBlockArgs(cidr=c)) for c in cidrs],
            ports=_ports(ports))])


def egress_to_cidrs(pods: Mapping[str, str], cidrs: Sequence[str],
                    ports: Sequence[int]) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """``pods`` may open ``ports`` on addresses in ``cidrs`` (a database subnet, the internet)."""
    return K8s.NetworkPolicySpecArgs(
        pod_selector=_selector(pods), policy_types=["Egress"],
        egress=[K8s.NetworkPolicyEgressRuleArgs(
            to=[K8s.NetworkPolicyPeerArgs(ip_block=K8s.IPBlockArgs(cidr=c)) for c in cidrs],
            ports=_ports(ports))])


def policy(logical_name: str, name: str, namespace: str, spec: k8s.networking.v1.NetworkPolicySpecArgs,
           opts: pulumi.ResourceOptions, labels: Mapping[str, str] | None = None) -> k8s.networking.v1.NetworkPolicy:
    return K8s.NetworkPolicy(
        logical_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=dict(labels) if labels else None),
        spec=spec, opts=opts)


def isolate_namespace(prefix: str, namespace: str, opts: pulumi.ResourceOptions, *, mesh: bool,
                      labels: Mapping[str, str] | None = None) -> list[k8s.networking.v1.NetworkPolicy]:
    """Default-deny in ``namespace`` with DNS egress allowed (and istiod egress in a mesh).
    Logical names: ``<prefix>-default-deny``, ``<prefix>-allow-dns``, ``<prefix>-allow-istiod``."""
    created = [
        policy(f"{prefix}-default-deny", "default-deny-all", namespace, default_deny(), opts, labels),
        policy(f"{prefix}-allow-dns", "allow-dns-egress", namespace, dns_egress(), opts, labels),
    ]
    if mesh:
        created.append(policy(f"{prefix}-allow-istiod", "allow-istiod-egress", namespace, istiod_egress(),
                              opts, labels))
    return created
