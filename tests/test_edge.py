"""RegionalEdge, TargetGroupBindings and `azora:edge`: ALB + TLS 1.3 + WAF + access logs + the
ingress gateway's HTTPS target group."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from azora_infra.config import ConfigError, parse_config
from azora_infra.config import edge as edge_config
from azora_infra.config.edge import TLS13_ONLY_POLICY, EdgeConfig
from azora_infra.plan.model import Plan
from components import edge as edge_component
from components.edge import GatewayTarget, RegionalEdge, RegionalEdgeArgs, TargetGroupBindings, certificate_names
from tests.harness import ALERTING, record

LOGS_KEY = "arn:aws:kms:af-south-1:123456789012:key/logs"
GATEWAY = GatewayTarget(port=443, health_check_path="/healthz", deregistration_delay_seconds=20)
MANAGED = {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet",
           "AWSManagedRulesAmazonIpReputationList"}


def _edge(deletion_protection: bool = True, **kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        edge = RegionalEdge("edge", RegionalEdgeArgs(**{**dict(
            region="af-south-1", name_prefix="azora-test", vpc_id="vpc-1", vpc_cidr="10.10.0.0/16",
            public_subnet_ids=["subnet-a", "subnet-b", "subnet-c"], logs_key_arn=LOGS_KEY,
            domain="azora.example", hostname="africa.azora.example", hosted_zone_id="ZONE123",
            gateway=GATEWAY, deletion_protection=deletion_protection, waf_log_retention_days=365), **kw}),
            provider)
        assert edge.gateway_target_group_arn is not None
    return record(program)


@pytest.fixture(scope="module")
def prod() -> Plan:
    return _edge()


def _one(plan: Plan, type_: str) -> Any:
    found = plan.of_type(type_)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def test_internet_facing_alb_in_public_subnets(prod: Plan) -> None:
    lb = _one(prod, "aws:lb/loadBalancer:LoadBalancer").inputs
    assert lb["internal"] is False and lb["loadBalancerType"] == "application"
    assert lb["subnets"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert lb["dropInvalidHeaderFields"] is True and lb["enableDeletionProtection"] is True


def test_no_deletion_protection_in_dev() -> None:
    lb = _one(_edge(deletion_protection=False), "aws:lb/loadBalancer:LoadBalancer").inputs
    assert lb["enableDeletionProtection"] is False


def test_alb_security_group_internet_in_vpc_out(prod: Plan) -> None:
    sg = prod.named("aws:ec2/securityGroup:SecurityGroup", "edge-alb").inputs
    assert {(r["fromPort"], tuple(r["cidrBlocks"])) for r in sg["ingress"]} == {
        (443, ("0.0.0.0/0",)), (80, ("0.0.0.0/0",))}
    # out only to the VPC, only on the gateway's HTTPS port (traffic and health checks)
    assert {(r["fromPort"], r["toPort"], tuple(r["cidrBlocks"])) for r in sg["egress"]} == {
        (443, 443, ("10.10.0.0/16",))}


def test_http_redirects_to_https_permanently(prod: Plan) -> None:
    http = prod.named("aws:lb/listener:Listener", "edge-http").inputs
    assert http["port"] == 80 and http["protocol"] == "HTTP"
    assert http["defaultActions"] == [{"type": "redirect", "redirect": {
        "port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}]


def test_https_listener_tls13_with_validated_certificate(prod: Plan) -> None:
    https = prod.named("aws:lb/listener:Listener", "edge-https").inputs
    assert https["port"] == 443 and https["protocol"] == "HTTPS"
    assert https["sslPolicy"] == TLS13_ONLY_POLICY == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    cert = _one(prod, "aws:acm/certificate:Certificate")
    assert cert.inputs["domainName"] == "azora.example"
    assert cert.inputs["subjectAlternativeNames"] == ["*.azora.example"]
    assert cert.inputs["validationMethod"] == "DNS"
    validation = _one(prod, "aws:acm/certificateValidation:CertificateValidation")
    record_ = _one(prod, "aws:route53/record:Record")
    assert record_.inputs["zoneId"] == "ZONE123" and record_.inputs["type"] == "CNAME"
    assert validation.inputs["certificateArn"] == cert.outputs["arn"]
    assert validation.inputs["validationRecordFqdns"] == [record_.outputs["fqdn"]]
    assert https["certificateArn"] == cert.outputs["arn"]
    # every request goes to the ingress gateway, which routes by host, path and version
    tg = _one(prod, "aws:lb/targetGroup:TargetGroup")
    assert https["defaultActions"] == [{"type": "forward", "targetGroupArn": tg.outputs["arn"]}]


def test_existing_certificate_is_used_as_is() -> None:
    arn = "arn:aws:acm:af-south-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
    plan = _edge(certificate_arn=arn)
    assert plan.of_type("aws:acm/certificate:Certificate") == []
    assert plan.named("aws:lb/listener:Listener", "edge-https").inputs["certificateArn"] == arn


def test_certificate_names_cover_deeper_hosts() -> None:
    assert certificate_names("azora.example", "africa.azora.example") == ("azora.example", ["*.azora.example"])
    assert certificate_names("azora.example", "a.b.azora.example") == (
        "azora.example", ["*.azora.example", "a.b.azora.example"])


def test_one_https_target_group_for_the_gateway_with_an_https_health_check(prod: Plan) -> None:
    tg = _one(prod, "aws:lb/targetGroup:TargetGroup").inputs
    assert (tg["targetType"], tg["protocol"], tg["port"], tg["vpcId"]) == ("ip", "HTTPS", 443, "vpc-1")
    assert tg["deregistrationDelay"] == 20
    hc = tg["healthCheck"]
    assert (hc["protocol"], hc["path"], hc["port"], hc["matcher"]) == ("HTTPS", "/healthz", "traffic-port", "200")
    assert prod.of_type("aws:lb/listenerRule:ListenerRule") == []


def test_gateway_health_path_must_be_a_path() -> None:
    with pytest.raises(ValueError, match="health_check_path"):
        _edge(gateway=GatewayTarget(health_check_path="healthz"))


def test_component_tls_constants_match_the_config() -> None:
    # the component keeps its own defaults (it stands alone); they must not drift from the config's
    assert edge_component.TLS13_ONLY_POLICY == edge_config.TLS13_ONLY_POLICY
    assert edge_component.TLS13_POLICY_PREFIX == edge_config.TLS13_POLICY_PREFIX
    assert edge_component.DEFAULT_MANAGED_RULE_GROUPS == edge_config.DEFAULT_MANAGED_RULE_GROUPS


def test_access_logs_bucket_with_side_resources(prod: Plan) -> None:
    bucket = _one(prod, "aws:s3/bucket:Bucket")
    name = bucket.outputs["bucket"]
    assert name == "azora-test-alb-logs-123456789012-af-south-1"
    assert bucket.options["protect"] is True and bucket.inputs["tags"]["azora:data-class"] == "personal"
    lb = _one(prod, "aws:lb/loadBalancer:LoadBalancer").inputs
    assert lb["accessLogs"] == {"bucket": name, "prefix": "alb", "enabled": True}
    sse = _one(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    pab = _one(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(pab[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                         "restrictPublicBuckets"))
    versioning = _one(prod, "aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    assert _one(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"}
    rule = _one(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"][0]
    assert rule["status"] == "Enabled" and rule["expiration"]["days"] == 365
    policy = json.loads(_one(prod, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    allow, deny = policy["Statement"]
    assert allow["Principal"] == {"AWS": "arn:aws:iam::098369216593:root"}  # af-south-1's ELB account
    assert allow["Action"] == "s3:PutObject"
    assert allow["Resource"] == f"arn:aws:s3:::{name}/alb/AWSLogs/123456789012/*"
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # the ALB is created only once the bucket policy lets it write
    lb_res = _one(prod, "aws:lb/loadBalancer:LoadBalancer")
    assert _one(prod, "aws:s3/bucketPolicy:BucketPolicy").urn in lb_res.raw["dependencies"]


def test_waf_rate_rule_100_per_60s_per_ip(prod: Plan) -> None:
    acl = _one(prod, "aws:wafv2/webAcl:WebAcl").inputs
    assert acl["scope"] == "REGIONAL" and acl["defaultAction"] == {"allow": {}}
    rules = {r["name"]: r for r in acl["rules"]}
    rate = rules["rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"] == {
        "aggregateKeyType": "IP", "limit": 100, "evaluationWindowSec": 60}
    assert rate["action"]["block"]["customResponse"]["responseCode"] == 429
    assert rate["priority"] == 0


def test_waf_managed_groups_and_visibility(prod: Plan) -> None:
    acl = _one(prod, "aws:wafv2/webAcl:WebAcl").inputs
    managed = {r["statement"]["managedRuleGroupStatement"]["name"]: r for r in acl["rules"]
               if "managedRuleGroupStatement" in r["statement"]}
    assert set(managed) == MANAGED
    for r in managed.values():
        assert r["statement"]["managedRuleGroupStatement"]["vendorName"] == "AWS"
        assert r["overrideAction"] == {"none": {}}
    assert len({r["priority"] for r in acl["rules"]}) == len(acl["rules"]) == 5
    for v in [acl["visibilityConfig"], *(r["visibilityConfig"] for r in acl["rules"])]:
        assert v["cloudwatchMetricsEnabled"] is True and v["sampledRequestsEnabled"] is True


def test_waf_logging_redacts_credentials_and_association(prod: Plan) -> None:
    acl = _one(prod, "aws:wafv2/webAcl:WebAcl")
    group = prod.named("aws:cloudwatch/logGroup:LogGroup", "edge-waf-logs")
    assert group.inputs["name"] == "aws-waf-logs-azora-test" and group.inputs["kmsKeyId"] == LOGS_KEY
    logging = _one(prod, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs
    assert logging["resourceArn"] == acl.outputs["arn"]
    assert logging["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging["redactedFields"] == [{"singleHeader": {"name": "authorization"}},
                                         {"singleHeader": {"name": "cookie"}}]
    policy = json.loads(_one(prod, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy").inputs["policyDocument"])
    assert policy["Statement"][0]["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assoc = _one(prod, "aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    lb = _one(prod, "aws:lb/loadBalancer:LoadBalancer")
    assert assoc == {"resourceArn": lb.outputs["arn"], "webAclArn": acl.outputs["arn"]}


def test_target_group_bindings_can_let_the_controller_open_the_security_group() -> None:
    from components.edge import TargetGroupBindingSpec

    def program() -> None:
        TargetGroupBindings("tgb", {"api": TargetGroupBindingSpec("arn:tg", "azora", "azora-api", 8080)},
                            k8s.Provider("k8s", kubeconfig="{}"), alb_security_group_id="sg-alb")
    plan = record(program)
    (b,) = plan.of_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert b.inputs["metadata"]["namespace"] == "azora"
    assert b.inputs["spec"]["networking"]["ingress"] == [{
        "from": [{"securityGroup": {"groupID": "sg-alb"}}], "ports": [{"protocol": "TCP", "port": 8080}]}]
    assert b.provider is not None and b.provider["name"] == "k8s"
    assert b.parent == _one(plan, "azora:edge:TargetGroupBindings").urn


def test_bindings_component_alone() -> None:
    from components.edge import TargetGroupBindingSpec

    def program() -> None:
        TargetGroupBindings("tgb", {"web": TargetGroupBindingSpec("arn:tg", "apps", "web", 80)},
                            k8s.Provider("k8s", kubeconfig="{}"))
    plan = record(program)
    (b,) = plan.of_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert b.inputs["spec"] == {"serviceRef": {"name": "web", "port": 80}, "targetGroupARN": "arn:tg",
                                "targetType": "ip"}


# --- config ---------------------------------------------------------------------------------------

def _raw(edge: dict[str, Any]) -> dict[str, Any]:
    return {"aws:region": "af-south-1", "azora:region": "af-south-1", "azora:role": "primary",
            "azora:primaryStack": "africa", "azora:network": {"cidr": "10.10.0.0/16"},
            "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
            "azora:alerting": ALERTING, "azora:edge": edge}


def test_edge_defaults_answer_the_seed() -> None:
    e = EdgeConfig()
    assert e.ssl_policy == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    assert (e.rate_limit, e.rate_window_seconds) == (100, 60)
    assert set(e.managed_rule_groups) == MANAGED
    assert e.host("africa", "azora.example") == "africa.azora.example"


@pytest.mark.parametrize(("edge", "field", "fragment"), [
    ({"sslPolicy": "ELBSecurityPolicy-TLS-1-2-2017-01"}, "azora:edge.sslPolicy", "does not negotiate TLS 1.3"),
    ({"rateWindowSeconds": 90}, "azora:edge.rateWindowSeconds", ""),
    ({"rateLimit": 5}, "azora:edge.rateLimit", ""),
    ({"certificateArn": "arn:aws:iam::1:x"}, "azora:edge.certificateArn", "not an ACM certificate ARN"),
    ({"services": {"web": {}}}, "azora:edge.services", "not a known setting"),
    ({"gateway": {"minReplicas": 6, "maxReplicas": 4}}, "azora:edge.gateway.minReplicas", "more than maxReplicas"),
    ({"gateway": {"healthCheckPath": "health"}}, "azora:edge.gateway.healthCheckPath", "not an absolute URL path"),
    ({"gateway": {"namespace": "education"}}, "azora:edge.gateway.namespace", "is a team namespace"),
    ({"domain": "azora.example", "hostname": "africa.other.example"}, "azora:edge.hostname", "not inside"),
])
def test_edge_config_errors(edge: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(_raw(edge), "Pulumi.africa.yaml")
    assert err.value.field == field and fragment in err.value.message


def test_tls13_with_tls12_fallback_is_accepted() -> None:
    cfg = parse_config(_raw({"sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}), "Pulumi.africa.yaml")
    assert cfg.edge.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"


# --- the repository's stacks ------------------------------------------------------------------------

def _res(plan: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_]


def test_repo_stacks_cache_and_edge(repo_plan: Any) -> None:
    africa, europe = repo_plan("africa"), repo_plan("europe")
    (rg_af,) = _res(africa, "aws:elasticache/replicationGroup:ReplicationGroup")
    data_key_af = africa["outputs"]["kmsKeyArns"]["data"]
    assert rg_af["inputs"]["atRestEncryptionEnabled"] is True and rg_af["inputs"]["kmsKeyId"] == data_key_af
    assert rg_af["inputs"]["transitEncryptionEnabled"] is True
    assert rg_af["inputs"]["transitEncryptionMode"] == "required"
    (grg,) = _res(africa, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
    assert grg["inputs"]["primaryReplicationGroupId"] == "azora-africa-cache"
    (rg_eu,) = _res(europe, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert rg_eu["inputs"]["globalReplicationGroupId"] == africa["outputs"]["cacheGlobalReplicationGroupId"]
    assert rg_eu["inputs"]["kmsKeyId"] == europe["outputs"]["kmsKeyArns"]["data"]
    assert _res(europe, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup") == []
    for plan in (africa, europe):
        https = [r for r in _res(plan, "aws:lb/listener:Listener") if r["inputs"]["port"] == 443]
        assert [r["inputs"]["sslPolicy"] for r in https] == ["ELBSecurityPolicy-TLS13-1-3-2021-06"]
        (acl,) = _res(plan, "aws:wafv2/webAcl:WebAcl")
        rate = next(r for r in acl["inputs"]["rules"] if "rateBasedStatement" in r["statement"])
        assert rate["statement"]["rateBasedStatement"] == {"aggregateKeyType": "IP", "limit": 100,
                                                           "evaluationWindowSec": 60}
        for key in ("albDnsName", "albZoneId", "albArn", "webAclArn", "cacheConfigurationEndpoint",
                    "gatewayTargetGroupArn"):
            assert plan["outputs"][key], key
