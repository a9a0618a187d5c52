"""DNS failover: config, the primary's zone, health-checked latency records, us-east-1 alarms."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra.compose.dns_backup import build_dns
from azora_infra.config import ConfigError, StackConfig, parse_config
from azora_infra.config.dns import DnsConfig
from azora_infra.plan.model import Plan
from azora_infra.provider import region_provider
from components.dns import PublicZone, PublicZoneArgs, RegionalEndpoint, RegionalEndpointArgs
from tests.harness import ALERTING, ROOT, record

ALB_DNS = "azora-africa-0123456789.af-south-1.elb.amazonaws.com"
ALB_ZONE = "Z268VQBMOI5EKX"
HC = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

RAW: dict[str, Any] = {
    "aws:region": "af-south-1", "azora:region": "af-south-1", "azora:role": "primary",
    "azora:primaryStack": "africa", "azora:network": {"cidr": "10.10.0.0/16"},
    "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
    "azora:alerting": ALERTING,
}


def _cfg(region: str, role: str, **dns: Any) -> StackConfig:
    raw = copy.deepcopy(RAW)
    raw.update({"aws:region": region, "azora:region": region, "azora:role": role})
    if dns:
        raw["azora:dns"] = dns
    return parse_config(raw, f"Pulumi.{region}.yaml")


@pytest.fixture(scope="module")
def primary() -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1",
                                default_tags=aws.ProviderDefaultTagsArgs(tags={"azora:team": "platform"}))
        zone = PublicZone("dns", PublicZoneArgs(domain="azora.example", protect=True), provider)
        RegionalEndpoint("dns-endpoint", RegionalEndpointArgs(
            region="af-south-1", zone_id=zone.zone_id, fqdn="api.azora.example",
            alb_dns_name=ALB_DNS, alb_zone_id=ALB_ZONE, alarm_emails=("oncall@azora.example",),
            peer_regions=("eu-west-1", "ap-southeast-1")), provider)
    return record(program)


@pytest.fixture(scope="module")
def secondary() -> tuple[Plan, list[str]]:
    asked: list[str] = []

    def outputs(ref: str) -> dict[str, Any]:
        asked.append(ref)
        return {"hostedZoneId": "ZPRIMARYZONE"}

    def program() -> None:
        cfg = _cfg("eu-west-1", "secondary")
        build_dns(cfg, "europe", region_provider(cfg), alb_dns_name="eu.elb.amazonaws.com",
                  alb_zone_id="Z32O12XQLNTSW2", project_dir=ROOT)
    return record(program, stack="europe", region="eu-west-1", stack_outputs=outputs), asked


def test_health_check_is_fast_https_from_three_regions(primary: Plan) -> None:
    (hc,) = primary.of_type(HC)
    i = hc.inputs
    assert (i["type"], i["fqdn"], i["port"], i["resourcePath"]) == ("HTTPS", ALB_DNS, 443, "/healthz")
    assert i["requestInterval"] * i["failureThreshold"] == 30
    assert (i["requestInterval"], i["failureThreshold"]) == (10, 3)
    assert len(set(i["regions"])) >= 3
    assert i["measureLatency"] is True and i["enableSni"] is True


def test_latency_alias_record_is_health_checked(primary: Plan) -> None:
    (hc,) = primary.of_type(HC)
    (rec,) = primary.of_type(RECORD)
    zone = primary.named("aws:route53/zone:Zone", "dns-zone")
    i = rec.inputs
    assert i["name"] == "api.azora.example" and i["type"] == "A"
    assert i["zoneId"] == zone.outputs["zoneId"]
    assert i["setIdentifier"] == "af-south-1"
    assert i["latencyRoutingPolicies"] == [{"region": "af-south-1"}]
    assert i["healthCheckId"] == hc.outputs["id"]
    assert i["aliases"] == [{"name": ALB_DNS, "zoneId": ALB_ZONE, "evaluateTargetHealth": True}]
    assert "ttl" not in i  # alias records take the ALB's TTL


def test_zone_is_protected_in_the_primary(primary: Plan) -> None:
    zone = primary.named("aws:route53/zone:Zone", "dns-zone")
    assert zone.options["protect"] is True
    assert zone.inputs["name"] == "azora.example" and zone.inputs["forceDestroy"] is False


def test_alarm_topic_and_key_live_in_us_east_1_with_the_region_provider(primary: Plan) -> None:
    (hc,) = primary.of_type(HC)
    (alarm,) = primary.of_type(ALARM)
    topic = primary.named("aws:sns/topic:Topic", "dns-endpoint-alarms")
    key = primary.named("aws:kms/key:Key", "dns-endpoint-alarms-key")
    sub = primary.named("aws:sns/topicSubscription:TopicSubscription", "dns-endpoint-alarms-oncall@azora.example")
    for r in (alarm, topic, key, sub, primary.named("aws:sns/topicPolicy:TopicPolicy", "dns-endpoint-alarms-policy")):
        assert r.region == "us-east-1", r.name
        assert r.provider is not None and r.provider["name"] == "aws-af-south-1"  # same default tags
        assert r.tags["azora:team"] == "platform"
    a = alarm.inputs
    assert (a["namespace"], a["metricName"], a["comparisonOperator"]) == (
        "AWS/Route53", "HealthCheckStatus", "LessThanThreshold")
    assert a["dimensions"] == {"HealthCheckId": hc.outputs["id"]}
    assert a["alarmActions"] == [topic.outputs["arn"]] and a["okActions"] == [topic.outputs["arn"]]
    assert a["treatMissingData"] == "breaching"
    assert a["alarmDescription"].endswith("Runbook: docs/runbooks/dns-health-check.md")
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.outputs["arn"].startswith("arn:aws:kms:us-east-1:")
    assert key.inputs["enableKeyRotation"] is True
    assert '"cloudwatch.amazonaws.com"' in key.inputs["policy"]


def test_alarm_key_is_usable_by_cloudwatch_for_this_topic_only(primary: Plan) -> None:
    topic = primary.named("aws:sns/topic:Topic", "dns-endpoint-alarms")
    key = primary.named("aws:kms/key:Key", "dns-endpoint-alarms-key")
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    publish = statements["CloudWatchAlarmsPublish"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    # the encryption context SNS sends names the topic: another account's topic gets nothing
    assert publish["Condition"] == {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic.outputs["arn"]}}
    admin = statements["AccountAdministration"]["Action"]
    assert "kms:*" not in admin and not {"kms:Decrypt", "kms:Encrypt", "kms:CreateGrant"} & set(admin)


def test_endpoint_outputs_detection_and_latency_regions(primary: Plan) -> None:
    comp = primary.named("azora:dns:RegionalEndpoint", "dns-endpoint")
    assert comp.outputs["detectionSeconds"] == 30
    assert comp.outputs["latencyRegions"] == ["af-south-1", "eu-west-1", "ap-southeast-1"]
    assert comp.outputs["aliasTtlSeconds"] == 60
    for child in primary.descendants(comp.urn):
        assert child.provider is None or child.provider["name"] == "aws-af-south-1"


def test_secondary_reads_the_zone_from_the_primary(secondary: tuple[Plan, list[str]]) -> None:
    plan, asked = secondary
    assert plan.of_type("aws:route53/zone:Zone") == []
    # the StackReference (read, not registered) asked for the primary stack by its full name
    assert asked == ["organization/azora-platform/africa"]
    (rec,) = plan.of_type(RECORD)
    assert rec.inputs["zoneId"] == "ZPRIMARYZONE"
    assert rec.inputs["setIdentifier"] == "eu-west-1"
    assert rec.inputs["latencyRoutingPolicies"] == [{"region": "eu-west-1"}]
    comp = plan.named("azora:dns:RegionalEndpoint", "dns-endpoint")
    # the other regions come from the repo's stack files
    assert comp.outputs["latencyRegions"] == ["eu-west-1", "af-south-1", "ap-southeast-1"]


@pytest.mark.parametrize(("change", "message"), [
    ({"request_interval": 20}, "request_interval must be 10 or 30"),
    ({"failure_threshold": 11}, "failure_threshold must be 1-10"),
    ({"checker_regions": ("us-east-1", "eu-west-1")}, "at least 3"),
    ({"checker_regions": ("us-east-1", "eu-west-1", "af-south-1")}, "not Route 53 health-checker regions"),
    ({"health_check_path": "healthz"}, "must start with '/'"),
    ({"alarm_emails": ()}, "it would reach nobody"),
])
def test_endpoint_args_are_validated(change: dict[str, Any], message: str) -> None:
    args = RegionalEndpointArgs(region="af-south-1", zone_id="Z", fqdn="api.azora.example",
                                alb_dns_name=ALB_DNS, alb_zone_id=ALB_ZONE, **change)
    with pytest.raises(ValueError, match=message):
        args.validate()


def test_dns_defaults_validate_without_a_section() -> None:
    cfg = _cfg("af-south-1", "primary")
    assert cfg.dns == DnsConfig()
    assert (cfg.dns.request_interval, cfg.dns.failure_threshold, cfg.dns.port) == (10, 3, 443)
    assert cfg.dns.fqdn == "api.azora.example" and cfg.dns.detection_seconds == 30
    assert len(cfg.dns.checker_regions) >= 3 and cfg.dns.measure_latency


@pytest.mark.parametrize(("dns", "field", "message"), [
    ({"requestInterval": 20}, "azora:dns.requestInterval", "20"),
    ({"failureThreshold": 0}, "azora:dns.failureThreshold", ""),
    ({"failureThreshold": 11}, "azora:dns.failureThreshold", ""),
    ({"checkerRegions": ["us-east-1", "eu-west-1"]}, "azora:dns.checkerRegions", "at least 3"),
    ({"checkerRegions": ["us-east-1", "eu-west-1", "af-south-1"]}, "azora:dns.checkerRegions",
     "not a Route 53 health-checker region"),
    ({"domain": "not a domain"}, "azora:dns.domain", "not a DNS domain name"),
    ({"healthCheckPath": "healthz"}, "azora:dns.healthCheckPath", "absolute URL path"),
    ({"alarms": {"emails": ["nobody"]}}, "azora:dns.alarms.emails", "not an e-mail address"),
    ({"ttl": 30}, "azora:dns.ttl", "not a known setting"),
])
def test_dns_config_errors_name_the_field(dns: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _cfg("af-south-1", "primary", **dns)
    assert f"Pulumi.af-south-1.yaml: {field}" in str(err.value)
    assert message in str(err.value)
