"""RegionalEdge, TargetGroupBindings and `azora:edge`: ALB + TLS 1.3 + WAF + access logs."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from azora_infra.config import ConfigError, parse_config
from azora_infra.config.edge import TLS13_ONLY_POLICY, EdgeConfig
from azora_infra.plan.model import Plan
from components.edge import RegionalEdge, RegionalEdgeArgs, ServiceTarget, TargetGroupBindings, certificate_names
from tests.harness import record

LOGS_KEY = "arn:aws:kms:af-south-1:123456789012:key/logs"
SERVICES = {
    "web": ServiceTarget(port=3000, path_patterns=("/*",), priority=200, namespace="azora"),
    "api": ServiceTarget(port=8080, health_check_path="/api/healthz", path_patterns=("/api/*",),
                         host_headers=("api.azora.example",), priority=100, namespace="azora",
                         service_name="azora-api"),
}
MANAGED = {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet",
           "AWSManagedRulesAmazonIpReputationList"}


def _edge(deletion_protection: bool = True, **kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        edge = RegionalEdge("edge", RegionalEdgeArgs(**{**dict(
            region="af-south-1", name_prefix="azora-test", vpc_id="vpc-1", vpc_cidr="10.10.0.0/16",
            public_subnet_ids=["subnet-a", "subnet-b", "subnet-c"], logs_key_arn=LOGS_KEY,
            domain="azora.example", hostname="africa.azora.example", hosted_zone_id="ZONE123",
            services=SERVICES, deletion_protection=deletion_protection, waf_log_retention_days=365), **kw}),
            provider)
        edge.bind_services(k8s.Provider("k8s", kubeconfig="{}"))
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
    lb = _one(_edge(deletion_protection=False, services={}), "aws:lb/loadBalancer:LoadBalancer").inputs
    assert lb["enableDeletionProtection"] is False


def test_alb_security_group_internet_in_vpc_out(prod: Plan) -> None:
    sg = prod.named("aws:ec2/securityGroup:SecurityGroup", "edge-alb").inputs
    assert {(r["fromPort"], tuple(r["cidrBlocks"])) for r in sg["ingress"]} == {
        (443, ("0.0.0.0/0",)), (80, ("0.0.0.0/0",))}
    assert {(r["fromPort"], tuple(r["cidrBlocks"])) for r in sg["egress"]} == {
        (3000, ("10.10.0.0/16",)), (8080, ("10.10.0.0/16",))}


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
    assert https["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"


def test_existing_certificate_is_used_as_is() -> None:
    arn = "arn:aws:acm:af-south-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
    plan = _edge(certificate_arn=arn, services={})
    assert plan.of_type("aws:acm/certificate:Certificate") == []
    assert plan.named("aws:lb/listener:Listener", "edge-https").inputs["certificateArn"] == arn


def test_certificate_names_cover_deeper_hosts() -> None:
    assert certificate_names("azora.example", "africa.azora.example") == ("azora.example", ["*.azora.example"])
    assert certificate_names("azora.example", "a.b.azora.example") == (
        "azora.example", ["*.azora.example", "a.b.azora.example"])


def test_ip_target_groups_and_routes_per_service(prod: Plan) -> None:
    tgs = {r.name: r for r in prod.of_type("aws:lb/targetGroup:TargetGroup")}
    assert set(tgs) == {"edge-tg-web", "edge-tg-api"}
    api = tgs["edge-tg-api"].inputs
    assert api["targetType"] == "ip" and api["port"] == 8080 and api["vpcId"] == "vpc-1"
    assert api["healthCheck"]["path"] == "/api/healthz" and api["healthCheck"]["matcher"] == "200-399"
    rules = {r.name: r.inputs for r in prod.of_type("aws:lb/listenerRule:ListenerRule")}
    assert rules["edge-route-api"]["priority"] == 100
    api_arn = tgs["edge-tg-api"].outputs["arn"]
    assert rules["edge-route-api"]["actions"] == [{"type": "forward", "targetGroupArn": api_arn}]
    assert {"pathPattern": {"values": ["/api/*"]}} in rules["edge-route-api"]["conditions"]
    assert {"hostHeader": {"values": ["api.azora.example"]}} in rules["edge-route-api"]["conditions"]
    https = prod.named("aws:lb/listener:Listener", "edge-https")
    assert all(r["listenerArn"] == https.outputs["arn"] for r in rules.values())


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


def test_target_group_bindings_on_the_k8s_provider(prod: Plan) -> None:
    bindings = {r.name: r for r in prod.of_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")}
    assert set(bindings) == {"edge-bindings-api", "edge-bindings-web"}
    api = bindings["edge-bindings-api"]
    assert api.inputs["metadata"]["namespace"] == "azora"
    spec = api.inputs["spec"]
    tg = prod.named("aws:lb/targetGroup:TargetGroup", "edge-tg-api")
    sg = prod.named("aws:ec2/securityGroup:SecurityGroup", "edge-alb")
    assert spec["serviceRef"] == {"name": "azora-api", "port": 8080} and spec["targetType"] == "ip"
    assert spec["targetGroupARN"] == tg.outputs["arn"]
    assert spec["networking"]["ingress"][0]["from"] == [{"securityGroup": {"groupID": sg.outputs["id"]}}]
    assert api.provider is not None and api.provider["name"] == "k8s"
    comp = _one(prod, "azora:edge:TargetGroupBindings")
    assert api.parent == comp.urn


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
            "azora:alerting": {"page": {"emails": ["oncall@azora.example"]}}, "azora:edge": edge}


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
    ({"services": {"a": {"priority": 5}, "b": {"priority": 5}}}, "azora:edge.services.b.priority",
     "already the priority of service a"),
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
        for key in ("albDnsName", "albZoneId", "albArn", "webAclArn", "cacheConfigurationEndpoint"):
            assert plan["outputs"][key], key
