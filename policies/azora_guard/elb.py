"""Load balancers (ALB/NLB, classic), listeners and target groups (deletion protection in data_loss.py,
WAF association in waf.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from . import tokens as T
from .props import Res, as_list, dig
from .rules import prop_rule, resource_rule


def lb_type(r: Res) -> str:
    return str(r.get("loadBalancerType") or "application")


def _access_logs(r: Res) -> bool:
    if r.type == T.CLB:
        logs = r.get("accessLogs")
        return bool(logs) and dig(logs, "enabled") is not False and bool(dig(logs, "bucket"))
    return r.get("accessLogs", "enabled") is True and bool(r.get("accessLogs", "bucket"))


prop_rule("lb-access-logs", (*T.LB, T.CLB), _access_logs)
prop_rule("alb-drop-invalid-headers", T.LB, lambda r: r.get("dropInvalidHeaderFields") is True,
          applies=lambda r: lb_type(r) == "application")
prop_rule("alb-desync-mitigation", (*T.LB, T.CLB),
          lambda r: (r.get("desyncMitigationMode") or "defensive") in ("defensive", "strictest"),
          applies=lambda r: r.type == T.CLB or lb_type(r) == "application")


@resource_rule("lb-cross-zone-multi-az", *T.LB, T.CLB)
def multi_az(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if r.type == T.CLB:
        if r.get("crossZoneLoadBalancing") is False:
            yield "set crossZoneLoadBalancing=true"
        if len(as_list(r.get("subnets")) or as_list(r.get("availabilityZones"))) < 2:
            yield "place the classic load balancer in >= 2 availability zones/subnets"
        return
    if lb_type(r) in ("network", "gateway") and r.get("enableCrossZoneLoadBalancing") is not True:
        yield "set enableCrossZoneLoadBalancing=true (NLB/GWLB default false)"
    if len(as_list(r.get("subnets")) or as_list(r.get("subnetMappings"))) < 2:
        yield "place the load balancer in subnets of >= 2 availability zones"


def protocol(r: Res) -> str:
    value = r.get("protocol")
    if value:
        return str(value).upper()
    return "HTTPS" if r.present("certificateArn") else "HTTP"


@resource_rule("lb-http-redirects-to-https", *T.LISTENER)
def http_redirect(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if protocol(r) != "HTTP":
        return
    actions = as_list(r.get("defaultActions"))
    ok = actions and all(dig(a, "type") == "redirect" and str(dig(a, "redirect", "protocol") or "").upper() == "HTTPS"
                         for a in actions)
    if not ok:
        yield ("HTTP listener serves traffic: make its defaultActions a redirect {protocol: 'HTTPS', port: '443', "
               "statusCode: 'HTTP_301'}")


@resource_rule("lb-listener-tls-policy", *T.LISTENER)
def tls_policy(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    if protocol(r) not in ("HTTPS", "TLS"):
        return
    allowed = list(cfg.get("allowedSslPolicies") or [])
    policy = r.get("sslPolicy") or "ELBSecurityPolicy-2016-08"
    if policy not in allowed:
        best = allowed[0] if allowed else "a TLS 1.3 policy"
        yield f"sslPolicy {policy} allows old TLS versions: set sslPolicy to {best}"


def _acm(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("arn:") and ":acm:" in value


@resource_rule("lb-acm-certificate", *T.LISTENER, T.CLB)
def acm(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    if r.type == T.CLB:
        for lst in as_list(r.get("listeners")):
            if str(dig(lst, "lbProtocol")).upper() in ("HTTPS", "SSL") and not _acm(dig(lst, "sslCertificateId")):
                yield "set listeners[].sslCertificateId to an ACM certificate ARN"
        return
    if protocol(r) in ("HTTPS", "TLS"):
        try:
            cert = r.get("certificateArn")
        except UnknownValueError:  # created in this run (aws.acm.Certificate): known after apply
            return
        if not _acm(cert):
            yield "set certificateArn to an ACM certificate (arn:aws:acm:...)"


def _clb_protocols(r: Res) -> list[str]:
    return [str(dig(lst, "lbProtocol")).upper() for lst in as_list(r.get("listeners"))]


prop_rule("clb-secure-listeners", (T.CLB,), lambda r: all(p in ("HTTPS", "SSL") for p in _clb_protocols(r)))
prop_rule("clb-not-used-for-http", (T.CLB,), lambda r: not any(p in ("HTTP", "HTTPS") for p in _clb_protocols(r)))
prop_rule("clb-connection-draining", (T.CLB,), lambda r: r.get("connectionDraining") is True)
prop_rule("lb-health-check", (*T.TARGET_GROUP, T.CLB),
          lambda r: bool(r.get("healthCheck")) if r.type == T.CLB else r.get("healthCheck", "enabled") is not False,
          applies=lambda r: r.type == T.CLB or r.get("targetType") != "lambda")
prop_rule("lb-target-group-not-http", T.TARGET_GROUP, lambda r: str(r.get("protocol") or "").upper() != "HTTP")
