"""Route 53 latency routing with health-check failover.

- `PublicZone` (`azora:dns:PublicZone`): the public hosted zone. One per deployment, owned by the
  primary stack (protected in prod); secondaries read its id from the primary's `hostedZoneId`
  export through a `pulumi.StackReference`.
- `RegionalEndpoint` (`azora:dns:RegionalEndpoint`): one per region. An HTTPS health check on
  the region's load balancer and a latency-routed alias record ``<record>.<domain>`` (set
  identifier = the region) that Route 53 only answers while the check is healthy. With the
  defaults (10 s interval x 3 failures) an unhealthy region stops being answered after about
  30 s; latency routing then answers with the next-nearest healthy region. A CloudWatch alarm
  on the check notifies an encrypted SNS topic.

Alias records have no TTL of their own: Route 53 answers with the TTL of the alias target, which
for an Application Load Balancer is fixed at 60 s. Resolvers may keep the old answer that long
after failover.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .alarm_catalog import runbook_path
from .alerting import deny_insecure_publish
from .base import AzoraComponent
from .kms import POLICY_OWNER_ACTIONS

#: Route 53 health checkers run only in these regions (API `HealthCheckRegion`).
HEALTH_CHECKER_REGIONS = frozenset({
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "sa-east-1",
})
#: Route 53 publishes health-check metrics (`AWS/Route53 HealthCheckStatus`) only in us-east-1,
#: so alarms on them, and the SNS topic they notify, must live there.
ROUTE53_METRICS_REGION = "us-east-1"
#: the TTL Route 53 answers an alias record to an Elastic Load Balancer with (fixed by AWS)
ALB_ALIAS_TTL_SECONDS = 60


@dataclass(frozen=True)
class PublicZoneArgs:
    #: the zone's domain name, e.g. "azora.example"
    domain: str
    #: Pulumi `protect`: deleting the zone takes every name in it offline
    protect: bool = True
    comment: str = "Azora public zone: latency-routed regional endpoints (managed by Pulumi)"


class PublicZone(AzoraComponent):
    """The public hosted zone. Route 53 is a global service: the region's provider is only the
    API endpoint. Outputs: ``zone_id``, ``name_servers`` (delegate the domain to these),
    ``domain``."""

    def __init__(self, name: str, args: PublicZoneArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:dns:PublicZone", name, provider, opts)
        self.domain = args.domain
        self.zone = aws.route53.Zone(
            self.child_name("zone"),
            name=args.domain,
            comment=args.comment,
            force_destroy=False,
            opts=self.child_opts(protect=args.protect),
        )
        self.zone_id: pulumi.Output[str] = self.zone.zone_id
        self.name_servers: pulumi.Output[Sequence[str]] = self.zone.name_servers
        self.register_outputs({"zoneId": self.zone_id, "nameServers": self.name_servers,
                               "domain": args.domain})


@dataclass(frozen=True)
class RegionalEndpointArgs:
    #: the region this endpoint serves (latency-routing region and set identifier)
    region: str
    #: the public hosted zone's id (the primary's `PublicZone.zone_id`, or its `hostedZoneId`
    #: export read by StackReference in a secondary)
    zone_id: pulumi.Input[str]
    #: the latency-routed name, e.g. "api.azora.example"
    fqdn: str
    #: the region's Application Load Balancer: its DNS name and canonical hosted zone id
    alb_dns_name: pulumi.Input[str]
    alb_zone_id: pulumi.Input[str]
    health_check_path: str = "/healthz"
    port: int = 443
    #: seconds between checks from each checker: 10 (fast) or 30
    request_interval: int = 10
    #: consecutive failures before the endpoint is unhealthy (1-10)
    failure_threshold: int = 3
    #: at least 3 of Route 53's health-checker regions
    checker_regions: Sequence[str] = ("eu-west-1", "ap-southeast-1", "us-east-1")
    measure_latency: bool = True
    #: CloudWatch alarm (in us-east-1) on the health check, to an encrypted SNS topic with
    #: ``alarm_emails`` (the Azora stacks pass False: `RegionAlarms` alarms on the check, to the
    #: page topic in us-east-1)
    alarms: bool = True
    alarm_evaluation_periods: int = 1
    alarm_emails: Sequence[str] = ()
    #: the other regions answering the same name (reported in the component's outputs; the
    #: resilience report models availability from them)
    peer_regions: Sequence[str] = ()
    #: prefix of the alarm's and topic's names
    name_prefix: str = "azora"
    #: Pulumi `protect` on the alarm topic's KMS key (a scheduled deletion would silence alarms)
    protect_key: bool = True

    def validate(self) -> None:
        if self.request_interval not in (10, 30):
            raise ValueError(f"RegionalEndpoint: request_interval must be 10 or 30, got {self.request_interval}")
        if not 1 <= self.failure_threshold <= 10:
            raise ValueError(f"RegionalEndpoint: failure_threshold must be 1-10, got {self.failure_threshold}")
        unknown = sorted(set(self.checker_regions) - HEALTH_CHECKER_REGIONS)
        if unknown:
            raise ValueError(f"RegionalEndpoint: {unknown} are not Route 53 health-checker regions "
                             f"({sorted(HEALTH_CHECKER_REGIONS)})")
        if len(set(self.checker_regions)) < 3:
            raise ValueError("RegionalEndpoint: at least 3 distinct checker regions are required")
        if not self.health_check_path.startswith("/"):
            raise ValueError("RegionalEndpoint: health_check_path must start with '/'")
        if self.alarms and not self.alarm_emails:
            raise ValueError("RegionalEndpoint: alarms=True creates a topic for alarm_emails, and there are none: "
                             "it would reach nobody (pass alarm_emails, or alarms=False and alarm on the health "
                             "check elsewhere, e.g. components.alarms.RegionAlarms)")

    @property
    def detection_seconds(self) -> int:
        return self.request_interval * self.failure_threshold


def alarm_topic_arn(account_id: str, name: str) -> str:
    """The alarm topic's ARN (it lives in `ROUTE53_METRICS_REGION`); known before the topic exists,
    so the key policy can name it without a cycle (the topic is encrypted with that key)."""
    return f"arn:aws:sns:{ROUTE53_METRICS_REGION}:{account_id}:{name}"


def alarm_key_policy(account_id: str, topic_arn: str) -> str:
    """Key policy for the alarm topic's key.

    The account (IAM) administers it with the same explicit actions as the region's keys
    (`components.kms.ADMIN_ACTIONS` and `POLICY_OWNER_ACTIONS`; no ``kms:*``). CloudWatch may use
    it only to publish to this one topic: the condition is on the encryption context SNS sends
    (``aws:sns:topicArn``), which ties every use to our topic's ARN, so another account's alarm
    cannot use the key for its own topic. CloudWatch does not document ``aws:SourceArn`` /
    ``aws:SourceAccount`` on the KMS calls SNS makes for it; the topic policy carries them."""
    root = f"arn:aws:iam::{account_id}:root"
    return json.dumps({"Version": "2012-10-17", "Id": "azora-dns-alarms", "Statement": [
        {"Sid": "AccountAdministration", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": POLICY_OWNER_ACTIONS, "Resource": "*"},
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
         "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}}},
    ]})


def alarm_topic_policy(topic_arn: str, account_id: str) -> str:
    """Only this account's CloudWatch alarms may publish; TLS only."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "CloudWatchAlarms", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                       "ArnLike": {"aws:SourceArn":
                                   f"arn:aws:cloudwatch:{ROUTE53_METRICS_REGION}:{account_id}:alarm:*"}}},
        deny_insecure_publish(topic_arn),
    ]})


class RegionalEndpoint(AzoraComponent):
    """One region's entry in the latency-routed name, with its health check and alarm.

    Outputs: ``health_check_id``, ``record_fqdn``, ``detection_seconds`` (request interval x
    failure threshold), ``alarm_topic_arn`` (None when alarms are off), ``latency_regions``
    (this region and its peers).
    """

    def __init__(self, name: str, args: RegionalEndpointArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:dns:RegionalEndpoint", name, provider, opts)
        args.validate()
        self.health_check = aws.route53.HealthCheck(
            self.child_name("health"),
            type="HTTPS",
            fqdn=args.alb_dns_name,
            port=args.port,
            resource_path=args.health_check_path,
            request_interval=args.request_interval,
            failure_threshold=args.failure_threshold,
            regions=list(args.checker_regions),
            measure_latency=args.measure_latency,
            # the checkers send the ALB's name as SNI; Route 53 does not validate the certificate
            enable_sni=True,
            reference_name=f"{args.name_prefix}-{args.region}"[:64],
            tags={"Name": f"{args.name_prefix}-{args.region}-endpoint", "azora:endpoint-region": args.region},
            opts=self.child_opts(),
        )
        self.record = aws.route53.Record(
            self.child_name("latency"),
            zone_id=args.zone_id,
            name=args.fqdn,
            type="A",
            set_identifier=args.region,
            latency_routing_policies=[aws.route53.RecordLatencyRoutingPolicyArgs(region=args.region)],
            health_check_id=self.health_check.id,
            # alias: no TTL of its own (the ALB's fixed 60 s); also follows the ALB's target health
            aliases=[aws.route53.RecordAliasArgs(name=args.alb_dns_name, zone_id=args.alb_zone_id,
                                                 evaluate_target_health=True)],
            allow_overwrite=False,
            opts=self.child_opts(),
        )
        self.alarm_topic: aws.sns.Topic | None = None
        self.alarm: aws.cloudwatch.MetricAlarm | None = None
        if args.alarms:
            self._alarms(args)
        self.health_check_id: pulumi.Output[str] = self.health_check.id
        self.record_fqdn = args.fqdn
        self.detection_seconds = args.detection_seconds
        self.latency_regions = [args.region, *[r for r in args.peer_regions if r != args.region]]
        self.alarm_topic_arn: pulumi.Output[str] | None = self.alarm_topic.arn if self.alarm_topic else None
        self.register_outputs({
            "healthCheckId": self.health_check_id, "recordFqdn": args.fqdn,
            "detectionSeconds": self.detection_seconds, "latencyRegions": self.latency_regions,
            "aliasTtlSeconds": ALB_ALIAS_TTL_SECONDS, "alarmTopicArn": self.alarm_topic_arn,
        })

    def _alarms(self, args: RegionalEndpointArgs) -> None:
        # Route 53 health-check metrics exist only in us-east-1 (whatever the checked endpoint's
        # region), so the alarm, its SNS topic and the topic's key are created there with the
        # pulumi-aws v7 per-resource `region` argument. They keep the region's provider, and so
        # its default (cost-allocation) tags. No Azora data is stored in us-east-1: notifications
        # carry only the alarm's name and state.
        us_east = ROUTE53_METRICS_REGION
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=self.provider))
        topic_name = f"{args.name_prefix}-{args.region}-endpoint-alarms"
        key = aws.kms.Key(
            self.child_name("alarms-key"),
            region=us_east,
            description=f"Azora DNS health alarms ({args.region} endpoint)",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=identity.account_id.apply(lambda acct: alarm_key_policy(acct, alarm_topic_arn(acct, topic_name))),
            tags={"azora:key-purpose": "alarms"},
            opts=self.child_opts(protect=args.protect_key),
        )
        topic = aws.sns.Topic(
            self.child_name("alarms"),
            region=us_east,
            name=topic_name,
            kms_master_key_id=key.arn,
            opts=self.child_opts(),
        )
        aws.sns.TopicPolicy(
            self.child_name("alarms-policy"),
            region=us_east,
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, identity.account_id).apply(
                lambda v: alarm_topic_policy(v[0], v[1])),
            opts=self.child_opts(),
        )
        for email in args.alarm_emails:
            aws.sns.TopicSubscription(
                self.child_name("alarms", email),
                region=us_east, topic=topic.arn, protocol="email", endpoint=email,
                opts=self.child_opts(),
            )
        self.alarm_topic = topic
        self.alarm = aws.cloudwatch.MetricAlarm(
            self.child_name("unhealthy"),
            region=us_east,
            name=f"{args.name_prefix}-{args.region}-endpoint-unhealthy",
            alarm_description=(f"{args.fqdn} in {args.region} fails its Route 53 health check: the "
                               "region is out of latency routing until it recovers. "
                               f"Runbook: {runbook_path('dns-health-check')}"),
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions={"HealthCheckId": self.health_check.id},
            statistic="Minimum",
            period=60,
            evaluation_periods=args.alarm_evaluation_periods,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            opts=self.child_opts(),
        )
