"""Route53: DNSSEC and query logging on public zones, dangling records, domain transfer lock, and the
failover budget (health checks on routed records, check interval x threshold, TTL)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .props import Res, as_list
from .rules import Stack, peek, prop_rule, resource_rule, stack_rule

ROUTING = ("latencyRoutingPolicies", "failoverRoutingPolicies", "weightedRoutingPolicies")
CHECKED_TYPES = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")


def _public(zone: Res) -> bool:
    return not as_list(peek(zone, "vpcs"))


@stack_rule("route53-dnssec")
def dnssec(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for zone in stack.of_type(T.ZONE):
        if _public(zone) and not stack.referrers(zone, "hostedZoneId", T.DNSSEC, values=(peek(zone, "zoneId"),)):
            yield zone, "public zone without DNSSEC: add aws.route53.KeySigningKey and aws.route53.HostedZoneDnsSec"


@stack_rule("route53-query-logging")
def query_logging(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for zone in stack.of_type(T.ZONE):
        if _public(zone) and not stack.referrers(zone, "zoneId", T.QUERY_LOG, values=(peek(zone, "zoneId"),)):
            yield zone, "public zone without query logging: add aws.route53.QueryLog(zoneId=zone.zone_id, ...)"


@stack_rule("route53-record-target-exists")
def record_targets(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    names = {str(peek(r, "dnsName")).rstrip(".").lower() for r in stack.resources if peek(r, "dnsName")}
    for rec in stack.of_type(T.RECORD):
        if str(peek(rec, "type")) not in ("A", "AAAA"):
            continue
        for alias in as_list(peek(rec, "aliases")):
            target = str(alias.get("name") if isinstance(alias, Mapping) else "").rstrip(".").lower()
            deps = rec.property_dependencies.get("aliases", [])
            if target and target not in names and not deps:
                yield rec, (f"alias to {target}, which is not managed in this stack (dangling DNS risk): point it at "
                            "a resource of the stack or remove the record")


prop_rule("route53-domain-transfer-lock", (T.DOMAIN,), lambda r: r.get("transferLock") is not False)


def _routed(r: Res) -> bool:
    return any(as_list(r.get(k)) for k in ROUTING)


prop_rule("route53-routing-health-check", (T.RECORD,), lambda r: r.present("healthCheckId"), applies=_routed)


@resource_rule("route53-health-check-budget", T.HEALTH_CHECK)
def budget(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    if str(r.get("type") or "").upper() not in CHECKED_TYPES:
        return
    interval = int(r.get("requestInterval") or 30)
    threshold = int(r.get("failureThreshold") or 3)
    limit = int(cfg.get("maxDetectionSeconds") or 30)
    if interval not in (10, 30):
        yield f"requestInterval {interval}: use 10 or 30 seconds"
    if not 1 <= threshold <= 10:
        yield f"failureThreshold {threshold}: use 1-10"
    if interval * threshold > limit:
        yield (f"detection takes {interval}s x {threshold} = {interval * threshold}s, over the {limit}s failover "
               f"budget: set requestInterval=10 and failureThreshold <= {max(1, limit // 10)}")


@resource_rule("route53-health-checked-ttl", T.RECORD)
def ttl(r: Res, cfg: Mapping[str, Any]) -> Iterator[str]:
    limit = int(cfg.get("maxTtlSeconds") or 60)
    if _routed(r) and not as_list(r.get("aliases")) and r.get("ttl") is not None and int(r.get("ttl")) > limit:
        yield f"ttl {r.get('ttl')}s delays failover: set ttl <= {limit}"
