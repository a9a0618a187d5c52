"""A request from the internet to a service's pods, walked through each repo stack's plan
(tests/request_path.py joins the plan's own ARNs, ids, labels, selectors and ports), and the walk
failing when any one hop is taken away."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from azora_infra.plan.model import Plan
from tests.conftest import REPO_STACKS
from tests.request_path import (
    BINDING,
    CERTIFICATE,
    DESTINATION_RULE,
    HEALTH_CHECK,
    LISTENER,
    NETPOL,
    PEER_AUTHN,
    SG_INGRESS,
    TARGET_GROUP,
    VIRTUAL_SERVICE,
    MissingHop,
    walk,
)


@pytest.mark.parametrize("stack", REPO_STACKS)
def test_a_request_reaches_every_routed_service(repo_plan: Any, stack: str) -> None:
    plan = Plan(repo_plan(stack))
    hops = walk(plan)
    names = [h.name for h in hops]
    assert names[:5] == ["listener -> target group", "TargetGroupBinding -> gateway Service",
                         "ALB -> node security group", "ALB subnets -> gateway pods", "gateway Service -> Gateway"]
    assert names[-1] == "mesh mTLS"
    # every exposed service of the stack file, every version and colour, is reached
    reached = {h.detail.split(" -> ")[-1].split(":")[0] for h in hops if h.name == "gateway -> service pods"}
    assert reached == {d.inputs["metadata"]["name"] for d in plan.of_type("kubernetes:apps/v1:Deployment")}
    assert {"education-web-v1-blue", "education-api-v1-blue", "education-api-v2-blue", "education-api-v2-green",
            "marketplace-api-v1-blue", "marketplace-api-v1-green"} <= reached


# --- take one hop away: the walk must fail, naming it --------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _drop(predicate: Callable[[dict[str, Any]], bool]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        before = len(doc["resources"])
        doc["resources"] = [r for r in doc["resources"] if not predicate(r)]
        assert len(doc["resources"]) < before, "the mutation removed nothing"
    return mutate


def _edit(predicate: Callable[[dict[str, Any]], bool], change: Callable[[dict[str, Any]], None]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        hits = [r for r in doc["resources"] if predicate(r)]
        assert hits, "the mutation matched nothing"
        for r in hits:
            change(r["inputs"])
    return mutate


def _typed(type_: str, name: str | None = None) -> Callable[[dict[str, Any]], bool]:
    return lambda r: r["type"] == type_ and (name is None or r["inputs"]["metadata"]["name"] == name)


def _set_protocol_http(inputs: dict[str, Any]) -> None:
    inputs["protocol"] = "HTTP"


def _http_health_check(inputs: dict[str, Any]) -> None:
    inputs["healthCheck"]["protocol"] = "HTTP"


def _tls12_policy(inputs: dict[str, Any]) -> None:
    inputs["sslPolicy"] = "ELBSecurityPolicy-TLS-1-2-2017-01"


def _wrong_port(inputs: dict[str, Any]) -> None:
    inputs["spec"]["serviceRef"]["port"] = 8443


def _recolour(inputs: dict[str, Any]) -> None:
    inputs["spec"]["template"]["metadata"]["labels"]["azora.io/colour"] = "purple"


def _no_subsets(inputs: dict[str, Any]) -> None:
    inputs["spec"]["subsets"] = [s for s in inputs["spec"]["subsets"] if s["name"] != "v2-green"]


def _permissive_mtls(inputs: dict[str, Any]) -> None:
    inputs["spec"]["mtls"]["mode"] = "PERMISSIVE"


def _disable_mtls(inputs: dict[str, Any]) -> None:
    inputs["spec"]["trafficPolicy"]["tls"]["mode"] = "DISABLE"


def _other_health_path(inputs: dict[str, Any]) -> None:
    inputs["resourcePath"] = "/status"


def _narrow_alb_cidrs(inputs: dict[str, Any]) -> None:
    inputs["spec"]["ingress"][0]["from"] = inputs["spec"]["ingress"][0]["from"][:1]


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "listener not TLS 1.3": (_edit(lambda r: r["type"] == LISTENER and r["inputs"]["port"] == 443, _tls12_policy),
                             "listener"),
    "target group HTTP": (_edit(lambda r: r["type"] == TARGET_GROUP, _set_protocol_http), "target group"),
    "health check HTTP": (_edit(lambda r: r["type"] == TARGET_GROUP, _http_health_check), "target group"),
    "no binding": (_drop(lambda r: r["type"] == BINDING), "target group -> TargetGroupBinding"),
    "binding on a port the Service lacks": (_edit(lambda r: r["type"] == BINDING, _wrong_port),
                                            "TargetGroupBinding -> gateway Service"),
    "no node ingress from the ALB": (_drop(lambda r: r["type"] == SG_INGRESS and r["name"] == "gateway-alb-to-gateway"),
                                     "node security group"),
    "ALB subnets not admitted": (_drop(_typed(NETPOL, "allow-load-balancer")), "gateway NetworkPolicy"),
    "one ALB subnet not admitted": (_edit(_typed(NETPOL, "allow-load-balancer"), _narrow_alb_cidrs),
                                    "gateway NetworkPolicy"),
    "no certificate": (_drop(lambda r: r["type"] == CERTIFICATE), "gateway certificate"),
    "no health route": (_drop(_typed(VIRTUAL_SERVICE, "gateway-healthz")), "health route"),
    "Route 53 checks another path": (_edit(lambda r: r["type"] == HEALTH_CHECK, _other_health_path), "health route"),
    "gateway may not reach the service": (_drop(_typed(NETPOL, "gateway-to-education-education-api")),
                                          "gateway -> service NetworkPolicy"),
    "service does not admit the gateway": (_drop(_typed(NETPOL, "marketplace-api-from-gateway")),
                                           "gateway -> service NetworkPolicy"),
    "service namespace not default-deny": (_drop(lambda r: r["type"] == NETPOL
                                                 and r["inputs"]["metadata"]["name"] == "default-deny-all"
                                                 and r["inputs"]["metadata"]["namespace"] == "marketplace"),
                                           "service NetworkPolicy"),
    "no Service": (_drop(_typed("kubernetes:core/v1:Service", "education-web")), "VirtualService -> Service"),
    "missing subset": (_edit(_typed(DESTINATION_RULE, "education-api"), _no_subsets), "DestinationRule subset"),
    "pods lost their colour": (_edit(_typed("kubernetes:apps/v1:Deployment", "marketplace-api-v1-green"), _recolour),
                               "Service -> Deployment"),
    "mTLS permissive": (_edit(lambda r: r["type"] == PEER_AUTHN, _permissive_mtls), "mesh mTLS"),
    "mTLS off for a service": (_edit(_typed(DESTINATION_RULE, "education-web"), _disable_mtls), "mesh mTLS"),
    "no routes through the gateway": (_drop(lambda r: r["type"] == VIRTUAL_SERVICE
                                            and r["inputs"]["metadata"]["name"] != "gateway-healthz"),
                                      "Gateway -> VirtualService"),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_a_missing_hop_fails_the_walk(repo_plan: Any, case: str) -> None:
    mutate, hop = MUTATIONS[case]
    doc = copy.deepcopy(repo_plan("africa"))
    mutate(doc)
    with pytest.raises(MissingHop) as err:
        walk(Plan(doc))
    assert err.value.hop == hop, str(err.value)


def test_the_walk_passes_on_the_unmutated_copy(repo_plan: Any) -> None:
    # the mutations above act on a deep copy: the original still walks
    assert len(walk(Plan(copy.deepcopy(repo_plan("africa"))))) >= 8


@pytest.mark.parametrize("stack", REPO_STACKS)
def test_declared_callers_and_only_they_reach_a_service_inside_the_mesh(repo_plan: Any, stack: str) -> None:
    """education-web calls education-api (declared): its pods may open the API's pods and the API
    admits them; marketplace-api (not declared) may not. Inside the mesh the same version routes
    and colour weights apply (a VirtualService on the ``mesh`` gateway)."""
    from tests.request_path import egress_allowed, ingress_allowed

    plan = Plan(repo_plan(stack))
    api = next(d for d in plan.of_type("kubernetes:apps/v1:Deployment")
               if d.inputs["metadata"]["name"] == "education-api-v2-green")
    api_labels = api.inputs["spec"]["template"]["metadata"]["labels"]
    port = api.inputs["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    web = {"app.kubernetes.io/name": "education-web", "app.kubernetes.io/component": "server"}
    market = {"app.kubernetes.io/name": "marketplace-api", "app.kubernetes.io/component": "server"}
    assert egress_allowed(plan, "education", web, port, "education", api_labels)
    assert ingress_allowed(plan, "education", api_labels, port, from_ns="education", from_labels=web)
    assert not egress_allowed(plan, "marketplace", market, port, "education", api_labels)
    assert not ingress_allowed(plan, "education", api_labels, port, from_ns="marketplace", from_labels=market)
    mesh = next(v for v in plan.of_type(VIRTUAL_SERVICE) if v.inputs["spec"]["gateways"] == ["mesh"]
                and v.inputs["metadata"]["name"] == "education-api-mesh")
    assert mesh.inputs["spec"]["hosts"] == ["education-api.education.svc.cluster.local"]
    assert {r["name"] for r in mesh.inputs["spec"]["http"]} == {"v1", "v2"}
