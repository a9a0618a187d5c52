"""`RegionalEdge`: the region's public entry point: an internet-facing ALB with TLS 1.3, a WAF
web ACL (rate limit per client IP + AWS managed rule groups), access logs, and ONE HTTPS IP
target group for the in-cluster ingress gateway; `TargetGroupBindings` binds a target group to a
Kubernetes Service (`IngressGateway` binds this one).

Traffic: client -> WAF (rate rule, IP reputation, common, known bad inputs, SQLi) -> ALB:443
(TLS 1.3, ACM certificate) -> the gateway target group (HTTPS to the gateway pods' IPs, HTTPS
health check on the gateway's health route) -> the Istio ingress gateway, which routes by host,
path and API version inside the mesh. Port 80 only answers with a permanent redirect to HTTPS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from azora_infra.regions import DataClass
from azora_infra.tags import data_tags

from .base import AzoraComponent

#: Regions opened before August 2022 deliver ALB access logs as this regional ELB account
#: (Elastic Load Balancing user guide, "Enable access logs": bucket policy); newer regions use
#: the `logdelivery.elasticloadbalancing.amazonaws.com` service principal instead.
ELB_LOG_ACCOUNTS: dict[str, str] = {
    "af-south-1": "098369216593",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-central-1": "054676820928",
    "ap-southeast-1": "114774131450",
    "us-east-1": "127311923021",
}
ELB_LOG_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
ACCESS_LOG_PREFIX = "alb"
#: single headers never written to WAF logs (credentials and session cookies)
REDACTED_HEADERS = ("authorization", "cookie")
#: WAF returns this to a client over the rate limit (instead of the default 403)
RATE_LIMITED_STATUS = 429
#: TLS 1.3 only (the seed: "TLS 1.3 or greater"); clients without TLS 1.3 cannot connect
TLS13_ONLY_POLICY = "ELBSecurityPolicy-TLS13-1-3-2021-06"
#: every ALB security policy whose name starts with this negotiates TLS 1.3
TLS13_POLICY_PREFIX = "ELBSecurityPolicy-TLS13-"
#: AWS managed rule groups (vendor AWS) after the rate rule, in evaluation order
DEFAULT_MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


@dataclass(frozen=True)
class GatewayTarget:
    """The in-cluster ingress gateway behind the ALB: one HTTPS target group of pod IPs.

    The ALB speaks HTTPS to the gateway (it does not validate the gateway's certificate, so an
    in-cluster issued one serves) and health-checks ``health_check_path`` over HTTPS on the
    traffic port: a target is healthy when the gateway's Envoy answers that route with 200.
    """

    #: the gateway pods' HTTPS container port (the target group's port)
    port: int = 443
    health_check_path: str = "/healthz"
    health_check_interval_seconds: int = 10
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    #: seconds the ALB keeps draining a deregistered gateway pod
    deregistration_delay_seconds: int = 30


@dataclass(frozen=True)
class RegionalEdgeArgs:
    region: str
    #: prefix of the names AWS shows (bucket, web ACL, WAF log group), e.g. ``azora-africa``
    name_prefix: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_ids: Sequence[pulumi.Input[str]]
    #: the region's logs KMS key (WAF log group)
    logs_key_arn: pulumi.Input[str]
    #: apex domain: the requested certificate covers it and ``*.<domain>``
    domain: str
    #: the regional host name (covered by the certificate)
    hostname: str
    #: an existing ISSUED ACM certificate in this region; unset: one is requested (DNS validation)
    certificate_arn: pulumi.Input[str] | None = None
    #: Route 53 zone of ``domain`` for the validation records; unset: create them yourself
    #: (output ``certificate_validation_records``) while `pulumi up` waits for the certificate
    hosted_zone_id: pulumi.Input[str] | None = None
    ssl_policy: str = TLS13_ONLY_POLICY
    rate_limit: int = 100
    rate_window_seconds: int = 60
    managed_rule_groups: Sequence[str] = DEFAULT_MANAGED_RULE_GROUPS
    access_log_retention_days: int = 365
    waf_log_retention_days: int = 365
    gateway: GatewayTarget = field(default_factory=GatewayTarget)
    #: ALB deletion protection (the environment preset: on in staging and prod)
    deletion_protection: bool = True
    #: Pulumi `protect` on the access-log bucket
    protect: bool = True


def _validate(args: RegionalEdgeArgs) -> None:
    if not args.ssl_policy.startswith(TLS13_POLICY_PREFIX):
        raise ValueError(f"RegionalEdge: ssl_policy {args.ssl_policy} does not negotiate TLS 1.3")
    if args.rate_window_seconds not in (60, 120, 300, 600):
        raise ValueError("RegionalEdge: rate_window_seconds must be 60, 120, 300 or 600")
    if args.rate_limit < 10:
        raise ValueError("RegionalEdge: WAF rate limits start at 10 requests per window")
    if len(args.public_subnet_ids) < 2:
        raise ValueError("RegionalEdge: an ALB needs public subnets in at least two AZs")
    if not args.gateway.health_check_path.startswith("/"):
        raise ValueError("RegionalEdge: gateway.health_check_path must start with '/'")


def access_log_bucket_policy(bucket_arn: str, account_id: str, region: str) -> str:
    """Let the region's ELB log delivery write under ``alb/AWSLogs/<account>/``; refuse any
    request that is not over TLS."""
    writer: dict[str, object] = (
        {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNTS[region]}:root"} if region in ELB_LOG_ACCOUNTS
        else {"Service": ELB_LOG_SERVICE})
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "ElbAccessLogDelivery", "Effect": "Allow", "Principal": writer, "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}/AWSLogs/{account_id}/*"},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]})


def waf_log_resource_policy(log_group_arn: str, account_id: str, region: str) -> str:
    """CloudWatch Logs resource policy letting WAF's log delivery write to the WAF log group."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "WafLogDelivery", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{log_group_arn}:*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"}},
    }]})


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True)


def web_acl_rules(rate_limit: int, window: int, managed: Sequence[str]) -> list[aws.wafv2.WebAclRuleArgs]:
    """Priority 0: block a client IP above ``rate_limit`` requests per ``window`` seconds (429);
    then the AWS managed rule groups in order."""
    rules = [aws.wafv2.WebAclRuleArgs(
        name="rate-limit-per-ip", priority=0,
        action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs(
            custom_response=aws.wafv2.WebAclRuleActionBlockCustomResponseArgs(
                response_code=RATE_LIMITED_STATUS))),
        statement=aws.wafv2.WebAclRuleStatementArgs(
            rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                aggregate_key_type="IP", limit=rate_limit, evaluation_window_sec=window)),
        visibility_config=_visibility("rate-limit-per-ip"))]
    for i, group in enumerate(managed, start=1):
        rules.append(aws.wafv2.WebAclRuleArgs(
            name=group, priority=i,
            override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    vendor_name="AWS", name=group)),
            visibility_config=_visibility(group)))
    return rules


def _validation_option(
        name: str, options: Sequence[aws.acm.outputs.CertificateDomainValidationOption],
) -> aws.acm.outputs.CertificateDomainValidationOption:
    return next(o for o in options if o.domain_name == name)


def certificate_names(domain: str, hostname: str) -> tuple[str, list[str]]:
    """(domain name, SANs): the apex, its wildcard, and the regional host if the wildcard does
    not cover it (a host more than one label below the apex)."""
    sans = [f"*.{domain}"]
    if hostname != domain and hostname.removesuffix("." + domain).count(".") > 0:
        sans.append(hostname)
    return domain, sans


class RegionalEdge(AzoraComponent):
    """Internet-facing ALB (TLS 1.3, HTTP->HTTPS redirect) behind a regional WAF web ACL,
    forwarding everything to the ingress gateway's HTTPS target group.

    Outputs: ``alb_arn``, ``dns_name`` and ``zone_id`` (for a Route 53 alias), ``arn_suffix``,
    ``https_listener_arn``, ``http_listener_arn``, ``security_group_id`` (admit it on the
    gateway pods' port), ``gateway_target_group_arn`` (bind it with `TargetGroupBindings`),
    ``web_acl_arn``, ``certificate_arn``, ``certificate_validation_records`` (when the
    certificate is requested here), ``access_log_bucket``, ``waf_log_group_name``.
    """

    def __init__(self, name: str, args: RegionalEdgeArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("azora:edge:RegionalEdge", name, provider, opts)
        _validate(args)
        self._args = args
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
        self._account = identity.account_id
        log_writes = self._access_logs()
        self._load_balancer(log_writes)
        certificate_arn = self._certificate()
        self._listeners(certificate_arn)
        self._waf()

        self.alb_arn: pulumi.Output[str] = self.load_balancer.arn
        self.arn_suffix: pulumi.Output[str] = self.load_balancer.arn_suffix
        self.dns_name: pulumi.Output[str] = self.load_balancer.dns_name
        self.zone_id: pulumi.Output[str] = self.load_balancer.zone_id
        self.https_listener_arn: pulumi.Output[str] = self.https_listener.arn
        self.http_listener_arn: pulumi.Output[str] = self.http_listener.arn
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        self.gateway_target_group_arn: pulumi.Output[str] = self.gateway_target_group.arn
        #: target group -> its CloudWatch dimension (the ALB has one: the gateway's)
        self.target_group_arn_suffixes: dict[str, pulumi.Output[str]] = {
            "gateway": self.gateway_target_group.arn_suffix}
        self.web_acl_arn: pulumi.Output[str] = self.web_acl.arn
        self.certificate_arn: pulumi.Output[str] = pulumi.Output.from_input(certificate_arn)
        self.access_log_bucket: pulumi.Output[str] = self.log_bucket.id
        self.waf_log_group_name: pulumi.Output[str] = self.waf_log_group.name
        self.register_outputs({
            "albArn": self.alb_arn, "dnsName": self.dns_name, "zoneId": self.zone_id,
            "httpsListenerArn": self.https_listener_arn, "httpListenerArn": self.http_listener_arn,
            "securityGroupId": self.security_group_id, "gatewayTargetGroupArn": self.gateway_target_group_arn,
            "webAclArn": self.web_acl_arn, "certificateArn": self.certificate_arn,
            "accessLogBucket": self.access_log_bucket, "wafLogGroupName": self.waf_log_group_name,
        })

    def _access_logs(self) -> list[pulumi.Resource]:
        """A private, versioned, SSE-S3 bucket (ALB logs support only SSE-S3); returns what the
        load balancer must wait for (the bucket policy and encryption)."""
        args = self._args
        self.log_bucket = aws.s3.Bucket(
            self.child_name("access-logs"),
            bucket=self._account.apply(lambda a: f"{args.name_prefix}-alb-logs-{a}-{args.region}"),
            force_destroy=False,
            # access logs hold client IP addresses: personal data, kept in this region only
            tags={"Name": f"{args.name_prefix}-alb-logs", **data_tags(DataClass.PERSONAL.value)},
            opts=self.child_opts(protect=args.protect))
        bucket_id = self.log_bucket.id
        public_block = aws.s3.BucketPublicAccessBlock(
            self.child_name("access-logs"), bucket=bucket_id, block_public_acls=True,
            block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
            opts=self.child_opts())
        ownership = aws.s3.BucketOwnershipControls(
            self.child_name("access-logs"), bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=self.child_opts())
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            self.child_name("access-logs"), bucket=bucket_id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=(
                    aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256")))],
            opts=self.child_opts())
        versioning = aws.s3.BucketVersioning(
            self.child_name("access-logs"), bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=self.child_opts())
        aws.s3.BucketLifecycleConfiguration(
            self.child_name("access-logs"), bucket=bucket_id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{ACCESS_LOG_PREFIX}/"),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=args.access_log_retention_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=7),
                abort_incomplete_multipart_upload=(
                    aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7)))],
            opts=self.child_opts(depends_on=[versioning]))
        bucket_policy = aws.s3.BucketPolicy(
            self.child_name("access-logs"), bucket=bucket_id,
            policy=pulumi.Output.all(self.log_bucket.arn, self._account).apply(
                lambda v: access_log_bucket_policy(v[0], v[1], args.region)),
            opts=self.child_opts(depends_on=[public_block, ownership]))
        return [bucket_policy, encryption]

    def _load_balancer(self, after: list[pulumi.Resource]) -> None:
        """The ALB and its security group: 443 and 80 from the internet; out only to the VPC on
        the gateway's port (traffic and health checks)."""
        args = self._args
        port = args.gateway.port
        self.security_group = aws.ec2.SecurityGroup(
            self.child_name("alb"), vpc_id=args.vpc_id,
            description=f"{args.name_prefix} ALB: HTTPS and HTTP (redirect) from the internet, out to the VPC",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=p, to_port=p,
                                                      cidr_blocks=["0.0.0.0/0"], description=d)
                     for p, d in ((443, "HTTPS from the internet"), (80, "HTTP (redirected to HTTPS)"))],
            egress=[aws.ec2.SecurityGroupEgressArgs(
                protocol="tcp", from_port=port, to_port=port, cidr_blocks=[args.vpc_cidr],
                description=f"to the ingress gateway pods on {port} (traffic and health checks)")],
            tags={"Name": self.child_name("alb")}, opts=self.child_opts())
        self.load_balancer = aws.lb.LoadBalancer(
            self.child_name("alb"), internal=False, load_balancer_type="application",
            ip_address_type="ipv4", security_groups=[self.security_group.id],
            subnets=list(args.public_subnet_ids), drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive", enable_http2=True, idle_timeout=60,
            enable_waf_fail_open=False, enable_deletion_protection=args.deletion_protection,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=self.log_bucket.id, prefix=ACCESS_LOG_PREFIX,
                                                          enabled=True),
            tags={"Name": self.child_name("alb")},
            opts=self.child_opts(depends_on=after))

    def _certificate(self) -> pulumi.Input[str]:
        """The given certificate, or a requested one validated by DNS (records in the zone when
        one is given)."""
        args = self._args
        self.certificate_validation_records: pulumi.Output[list[dict[str, str]]] | None = None
        if args.certificate_arn is not None:
            return args.certificate_arn
        domain, sans = certificate_names(args.domain, args.hostname)
        cert = aws.acm.Certificate(
            self.child_name("cert"), domain_name=domain, subject_alternative_names=sans,
            validation_method="DNS", key_algorithm="RSA_2048",
            options=aws.acm.CertificateOptionsArgs(certificate_transparency_logging_preference="ENABLED"),
            tags={"Name": args.hostname}, opts=self.child_opts())
        self.certificate_validation_records = cert.domain_validation_options.apply(
            lambda opts_: [{"name": o.resource_record_name or "", "type": o.resource_record_type or "",
                            "value": o.resource_record_value or ""} for o in opts_])
        fqdns: list[pulumi.Output[str]] = []
        if args.hosted_zone_id is not None:
            # The apex and its wildcard share one validation record; other SANs have their own.
            for n in [domain, *(s for s in sans if not s.startswith("*."))]:
                opt = cert.domain_validation_options.apply(partial(_validation_option, n))
                record = aws.route53.Record(
                    self.child_name("cert-validation", n.replace(".", "-")),
                    zone_id=args.hosted_zone_id, name=opt.apply(lambda o: o.resource_record_name or ""),
                    type=opt.apply(lambda o: o.resource_record_type or "CNAME"),
                    records=[opt.apply(lambda o: o.resource_record_value or "")], ttl=60,
                    allow_overwrite=True, opts=self.child_opts())
                fqdns.append(record.fqdn)
        validation = aws.acm.CertificateValidation(
            self.child_name("cert"), certificate_arn=cert.arn,
            validation_record_fqdns=fqdns or None, opts=self.child_opts())
        return validation.certificate_arn

    def _listeners(self, certificate_arn: pulumi.Input[str]) -> None:
        """:80 redirects; :443 (TLS 1.3) forwards every request to the gateway target group."""
        args, gw = self._args, self._args.gateway
        self.http_listener = aws.lb.Listener(
            self.child_name("http"), load_balancer_arn=self.load_balancer.arn, port=80, protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="redirect", redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    port="443", protocol="HTTPS", status_code="HTTP_301"))],
            opts=self.child_opts())
        self.gateway_target_group = aws.lb.TargetGroup(
            self.child_name("tg", "gateway"), target_type="ip", port=gw.port, protocol="HTTPS",
            protocol_version="HTTP1", vpc_id=args.vpc_id,
            deregistration_delay=gw.deregistration_delay_seconds,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True, protocol="HTTPS", port="traffic-port", path=gw.health_check_path,
                matcher="200", interval=gw.health_check_interval_seconds, timeout=5,
                healthy_threshold=gw.healthy_threshold, unhealthy_threshold=gw.unhealthy_threshold),
            tags={"Name": self.child_name("tg", "gateway"), "azora:route": "ingress-gateway"},
            opts=self.child_opts())
        self.https_listener = aws.lb.Listener(
            self.child_name("https"), load_balancer_arn=self.load_balancer.arn, port=443, protocol="HTTPS",
            ssl_policy=args.ssl_policy, certificate_arn=certificate_arn,
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="forward", target_group_arn=self.gateway_target_group.arn)],
            opts=self.child_opts())

    def _waf(self) -> None:
        """The web ACL on the ALB, and its logs (credentials redacted) in a KMS log group."""
        args = self._args
        self.web_acl = aws.wafv2.WebAcl(
            self.child_name("waf"), name=f"{args.name_prefix}-edge", scope="REGIONAL",
            description=(f"{args.name_prefix}: {args.rate_limit} requests per {args.rate_window_seconds} s "
                         "per IP, AWS managed rules"),
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=web_acl_rules(args.rate_limit, args.rate_window_seconds, args.managed_rule_groups),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{args.name_prefix}-edge",
                sampled_requests_enabled=True),
            opts=self.child_opts())
        aws.wafv2.WebAclAssociation(
            self.child_name("waf"), resource_arn=self.load_balancer.arn, web_acl_arn=self.web_acl.arn,
            opts=self.child_opts())
        # WAF log destinations must be named aws-waf-logs-*.
        self.waf_log_group = aws.cloudwatch.LogGroup(
            self.child_name("waf-logs"), name=f"aws-waf-logs-{args.name_prefix}",
            retention_in_days=args.waf_log_retention_days, kms_key_id=args.logs_key_arn,
            opts=self.child_opts())
        waf_policy = aws.cloudwatch.LogResourcePolicy(
            self.child_name("waf-logs"), policy_name=f"{args.name_prefix}-waf-log-delivery",
            policy_document=pulumi.Output.all(self.waf_log_group.arn, self._account).apply(
                lambda v: waf_log_resource_policy(v[0], v[1], args.region)),
            opts=self.child_opts())
        aws.wafv2.WebAclLoggingConfiguration(
            self.child_name("waf"), resource_arn=self.web_acl.arn,
            log_destination_configs=[self.waf_log_group.arn],
            redacted_fields=[aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=h))
                for h in REDACTED_HEADERS],
            opts=self.child_opts(depends_on=[waf_policy]))


@dataclass(frozen=True)
class TargetGroupBindingSpec:
    target_group_arn: pulumi.Input[str]
    namespace: str
    service_name: str
    service_port: int


class TargetGroupBindings(AzoraComponent):
    """`TargetGroupBinding`s (``elbv2.k8s.aws/v1beta1``, AWS Load Balancer Controller): the
    controller registers the pod IPs behind each Kubernetes Service in its target group, and
    (``alb_security_group_id``: a ``networking`` section) opens the pods' port to the ALB's
    security group only. That needs the controller's ``node_security_group_id``
    (`LoadBalancerControllerArgs`); without it, own the rule yourself as `IngressGateway` does.

    Outputs: ``bindings`` (key -> the CustomResource).
    """

    def __init__(self, name: str, specs: Mapping[str, TargetGroupBindingSpec],
                 k8s_provider: pulumi.ProviderResource, *,
                 alb_security_group_id: pulumi.Input[str] | None = None,
                 depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # ``depends_on`` goes on every binding: a component's own depends_on does not hold back
        # its children
        super().__init__("azora:edge:TargetGroupBindings", name, k8s_provider, opts)
        self.bindings: dict[str, k8s.apiextensions.CustomResource] = {}
        for key, spec in sorted(specs.items()):
            body: dict[str, object] = {
                "serviceRef": {"name": spec.service_name, "port": spec.service_port},
                "targetGroupARN": spec.target_group_arn,
                "targetType": "ip",
            }
            if alb_security_group_id is not None:
                body["networking"] = {"ingress": [{
                    "from": [{"securityGroup": {"groupID": alb_security_group_id}}],
                    "ports": [{"protocol": "TCP", "port": spec.service_port}],
                }]}
            self.bindings[key] = k8s.apiextensions.CustomResource(
                self.child_name(key), api_version="elbv2.k8s.aws/v1beta1", kind="TargetGroupBinding",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=key, namespace=spec.namespace,
                                                    labels={"app.kubernetes.io/managed-by": "azora-infra"}),
                spec=body, opts=self.child_opts(depends_on=depends_on))
        self.register_outputs({"bindings": sorted(self.bindings)})
