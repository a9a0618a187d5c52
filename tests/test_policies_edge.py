"""Policy pack, network and edge: VPC/SG/NACL/routes/flow logs, load balancers, WAFv2, Route53.

One plan, one pack run: compliant baselines reported by nothing, one broken copy per rule."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_plans import PlanBuilder, check, policies_on

SG = "aws:ec2/securityGroup:SecurityGroup"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TG = "aws:lb/targetGroup:TargetGroup"
CLB = "aws:elb/loadBalancer:LoadBalancer"
ACL = "aws:wafv2/webAcl:WebAcl"
CERT = "arn:aws:acm:af-south-1:123456789012:certificate/abc"
TLS13 = "ELBSecurityPolicy-TLS13-1-2-2021-06"
KNOWN_BAD = {"name": "known-bad", "priority": 1, "overrideAction": {"none": {}},
             "statement": {"managedRuleGroupStatement": {"vendorName": "AWS",
                                                         "name": "AWSManagedRulesKnownBadInputsRuleSet"}},
             "visibilityConfig": {"metricName": "kb", "sampledRequestsEnabled": True,
                                  "cloudwatchMetricsEnabled": True}}
HTTPS_IN = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "description": "HTTPS"}
VPC_EGRESS = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"], "description": "out"}
ALB = {"loadBalancerType": "application", "internal": False, "subnets": ["subnet-a", "subnet-b"],
       "securityGroups": ["sg-alb"], "enableDeletionProtection": True, "dropInvalidHeaderFields": True,
       "accessLogs": {"enabled": True, "bucket": "logs"}}
NLB = {"loadBalancerType": "network", "internal": True, "subnets": ["subnet-a", "subnet-b"],
       "enableDeletionProtection": True, "enableCrossZoneLoadBalancing": True,
       "accessLogs": {"enabled": True, "bucket": "logs"}}
HTTPS_LISTENER = {"loadBalancerArn": "arn", "port": 443, "protocol": "HTTPS", "sslPolicy": TLS13,
                  "certificateArn": CERT, "defaultActions": [{"type": "forward", "targetGroupArn": "tg"}]}
REDIRECT = {"loadBalancerArn": "arn", "port": 80, "protocol": "HTTP", "defaultActions": [
    {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]}
CLB_OK = {"listeners": [{"lbProtocol": "SSL", "lbPort": 443, "instanceProtocol": "ssl", "instancePort": 443,
                         "sslCertificateId": CERT}], "subnets": ["subnet-a", "subnet-b"], "connectionDraining": True,
          "healthCheck": {"target": "HTTPS:443/health", "interval": 10, "timeout": 5, "healthyThreshold": 2,
                          "unhealthyThreshold": 2}, "accessLogs": {"bucket": "logs"}}
FAILOVER = {"zoneId": "Z1", "name": "api.azora.example", "type": "A", "setIdentifier": "af",
            "failoverRoutingPolicies": [{"type": "PRIMARY"}], "healthCheckId": "hc-1",
            "aliases": [{"name": "alb-ok.elb.amazonaws.com", "zoneId": "ZLB", "evaluateTargetHealth": True}]}


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {k: v for k, v in base.items() if k not in changes}
    out.update({k: v for k, v in changes.items() if v is not None})
    return out


#: (name, type, inputs, expected) - resource rules
CASES: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("sg-world-ingress-bad", SG, {"description": "x", "ingress": [{**HTTPS_IN, "fromPort": 8443, "toPort": 8443}],
                                  "egress": [VPC_EGRESS]}, {"sg-no-world-ingress"}),
    ("sg-ssh-bad", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"securityGroupId": "sg-standalone", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
      "description": "ssh"}, {"sg-no-world-ssh", "sg-no-world-ingress"}),
    ("sg-rdp-bad", "aws:ec2/securityGroupRule:SecurityGroupRule",
     {"type": "ingress", "securityGroupId": "sg-standalone", "cidrBlocks": ["0.0.0.0/0"], "protocol": "tcp",
      "fromPort": 3389, "toPort": 3389, "description": "rdp"},
     {"sg-no-world-rdp", "sg-no-world-ingress", "sg-no-world-common-ports"}),
    ("sg-common-ports-bad", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"securityGroupId": "sg-standalone", "cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432,
      "description": "pg"}, {"sg-no-world-common-ports", "sg-no-world-ingress"}),
    ("sg-http-bad", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"securityGroupId": "sg-standalone", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 80, "toPort": 80,
      "description": "http"}, {"sg-no-http-ingress"}),
    ("sg-egress-bad", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
     {"securityGroupId": "sg-standalone", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1", "description": "all"},
     {"sg-no-unrestricted-egress"}),
    ("sg-description-bad", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
     {"securityGroupId": "sg-standalone", "cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp", "fromPort": 443,
      "toPort": 443},
     {"sg-descriptions"}),
    ("subnet-public-ip-bad", "aws:ec2/subnet:Subnet", {"vpcId": "vpc-ok", "cidrBlock": "10.0.9.0/24",
                                                        "mapPublicIpOnLaunch": True}, {"subnet-no-auto-public-ip"}),
    ("nacl-bad", "aws:ec2/networkAcl:NetworkAcl", {"vpcId": "vpc-ok", "subnetIds": ["subnet-a"]}, {"nacl-avoid"}),
    ("nacl-open-bad", "aws:ec2/networkAclRule:NetworkAclRule",
     {"networkAclId": "acl", "ruleNumber": 100, "egress": False, "protocol": "tcp", "ruleAction": "allow",
      "cidrBlock": "0.0.0.0/0", "fromPort": 22, "toPort": 22}, {"nacl-no-unrestricted-ingress", "nacl-avoid"}),
    ("nacl-unattached-bad", "aws:ec2/networkAcl:NetworkAcl", {"vpcId": "vpc-ok"}, {"nacl-attached", "nacl-avoid"}),
    ("route-nat-instance-bad", "aws:ec2/route:Route", {"routeTableId": "rtb-private", "destinationCidrBlock":
                                                       "0.0.0.0/0", "networkInterfaceId": "eni-1"},
     {"route-default-via-nat"}),
    ("route-peering-bad", "aws:ec2/route:Route", {"routeTableId": "rtb-private", "destinationCidrBlock": "0.0.0.0/0",
                                                  "vpcPeeringConnectionId": "pcx-1"},
     {"route-peering-not-permissive"}),
    ("default-vpc-bad", "aws:ec2/defaultVpc:DefaultVpc", {}, {"no-default-vpc"}),
    ("endpoint-service-bad", "aws:ec2/vpcEndpointService:VpcEndpointService",
     {"acceptanceRequired": False, "networkLoadBalancerArns": ["arn"]}, {"vpc-endpoint-service-acceptance"}),
    # elb
    ("lb-access-logs-bad", LB, variant(NLB, accessLogs=None), {"lb-access-logs"}),
    ("lb-deletion-protection-bad", LB, variant(NLB, enableDeletionProtection=None), {"lb-deletion-protection"}),
    ("alb-invalid-headers-bad", LB, variant(ALB, dropInvalidHeaderFields=None, internal=True),
     {"alb-drop-invalid-headers"}),
    ("alb-desync-bad", LB, variant(ALB, desyncMitigationMode="monitor", internal=True), {"alb-desync-mitigation"}),
    ("nlb-cross-zone-bad", LB, variant(NLB, enableCrossZoneLoadBalancing=None), {"lb-cross-zone-multi-az"}),
    ("http-listener-bad", LISTENER, variant(REDIRECT, defaultActions=[{"type": "forward", "targetGroupArn": "t"}]),
     {"lb-http-redirects-to-https"}),
    ("tls-policy-bad", LISTENER, variant(HTTPS_LISTENER, sslPolicy=None), {"lb-listener-tls-policy"}),
    ("acm-bad", LISTENER, variant(HTTPS_LISTENER, certificateArn="arn:aws:iam::123456789012:server-certificate/x"),
     {"lb-acm-certificate"}),
    ("clb-insecure-bad", CLB, variant(CLB_OK, listeners=[{"lbProtocol": "TCP", "lbPort": 5000,
                                                          "instanceProtocol": "tcp", "instancePort": 5000}]),
     {"clb-secure-listeners"}),
    ("clb-http-bad", CLB, variant(CLB_OK, listeners=[{"lbProtocol": "HTTP", "lbPort": 80, "instanceProtocol": "http",
                                                      "instancePort": 80}]),
     {"clb-not-used-for-http", "clb-secure-listeners"}),
    ("clb-draining-bad", CLB, variant(CLB_OK, connectionDraining=None), {"clb-connection-draining"}),
    ("tg-health-bad", TG, {"port": 443, "protocol": "HTTPS", "vpcId": "vpc-ok", "healthCheck": {"enabled": False}},
     {"lb-health-check"}),
    ("tg-http-bad", TG, {"port": 80, "protocol": "HTTP", "vpcId": "vpc-ok"}, {"lb-target-group-not-http"}),
    # waf
    ("waf-rule-no-action-bad", "aws:wafv2/webAclRule:WebAclRule",
     {"webAclArn": "arn:aws:wafv2:af-south-1:123456789012:regional/webacl/acl-standalone-ok/1", "name": "r",
      "priority": 5, "statement": {"rateBasedStatement": {"limit": 100}}}, {"waf-rules-have-actions"}),
    # route53
    ("record-no-health-check-bad", "aws:route53/record:Record", variant(FAILOVER, healthCheckId=None),
     {"route53-routing-health-check"}),
    ("record-ttl-bad", "aws:route53/record:Record", variant(FAILOVER, aliases=None, records=["1.2.3.4"], ttl=300),
     {"route53-health-checked-ttl"}),
    ("health-check-slow-bad", "aws:route53/healthCheck:HealthCheck",
     {"type": "HTTPS", "fqdn": "api", "resourcePath": "/health"}, {"route53-health-check-budget"}),
    ("domain-unlocked-bad", "aws:route53domains/registeredDomain:RegisteredDomain",
     {"domainName": "azora.example", "transferLock": False}, {"route53-domain-transfer-lock"}),
]
STACK_CASES: list[tuple[str, set[str]]] = [
    ("sg-inline-and-standalone-bad", {"sg-no-inline-and-standalone-rules"}),
    ("sg-unused-bad", {"sg-attached"}),
    ("vpc-without-flow-logs-bad", {"vpc-flow-logs"}),
    ("vpc-default-sg-open-bad-default-sg", {"default-sg-closed"}),
    ("vpc-unmanaged-default-sg-bad", {"default-sg-closed"}),
    ("route-private-igw-bad", {"route-no-unrestricted-igw"}),
    ("acl-no-rules-bad", {"waf-has-rules", "waf-log4j-managed-rules"}),
    ("acl-no-log4j-bad", {"waf-log4j-managed-rules"}),
    ("acl-no-logging-bad", {"waf-logging"}),
    ("alb-no-waf-bad", {"alb-waf-associated"}),
    ("zone-public-bad", {"route53-dnssec", "route53-query-logging"}),
    ("record-dangling-bad", {"route53-record-target-exists"}),
]
PASSES = ["vpc-ok", "vpc-ok-default-sg", "vpc-ok-flow-log", "sg-ok", "sg-alb-ok", "subnet-public-ok",
          "subnet-private-ok", "rtb-public-ok", "route-public-igw-ok", "alb-ok", "nlb-ok", "https-ok", "redirect-ok",
          "clb-ok", "tg-ok", "acl-ok", "acl-standalone-ok", "acl-standalone-ok-rule", "acl-json-ok",
          "zone-private-ok", "zone-ok", "record-ok", "health-check-ok", "alb-ok-waf"]


def build_plan() -> dict[str, Any]:
    """The bad and good resources of this module, in one plan (tests/test_fastpath.py reuses it)."""
    b = PlanBuilder("policies-edge")
    for name, type_, inputs, _ in CASES:
        b.add(type_, name, inputs)
    # --- VPC baseline: flow log, managed closed default SG, public/private tiers
    vpc = b.add("aws:ec2/vpc:Vpc", "vpc-ok", {"cidrBlock": "10.0.0.0/16"}, id="vpc-ok")
    b.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "vpc-ok-default-sg",
          {"vpcId": "vpc-ok", "ingress": [], "egress": []}, deps={"vpcId": vpc})
    b.add("aws:ec2/flowLog:FlowLog", "vpc-ok-flow-log", {"vpcId": "vpc-ok", "trafficType": "ALL",
                                                         "logDestination": "arn"}, deps={"vpcId": vpc})
    bad_vpc = b.add("aws:ec2/vpc:Vpc", "vpc-without-flow-logs-bad", {"cidrBlock": "10.1.0.0/16"})
    b.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "vpc-without-flow-logs-bad-default-sg",
          {"vpcId": "x", "ingress": [], "egress": []}, deps={"vpcId": bad_vpc})
    open_vpc = b.add("aws:ec2/vpc:Vpc", "vpc-default-sg-open", {"cidrBlock": "10.2.0.0/16"})
    b.add("aws:ec2/flowLog:FlowLog", "vpc-default-sg-open-flow", {"vpcId": "x"}, deps={"vpcId": open_vpc})
    b.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "vpc-default-sg-open-bad-default-sg",
          {"vpcId": "x", "ingress": [HTTPS_IN], "egress": []}, deps={"vpcId": open_vpc})
    unmanaged = b.add("aws:ec2/vpc:Vpc", "vpc-unmanaged-default-sg-bad", {"cidrBlock": "10.3.0.0/16"})
    b.add("aws:ec2/flowLog:FlowLog", "vpc-unmanaged-flow", {"vpcId": "x"}, deps={"vpcId": unmanaged})
    sg_ok = b.add(SG, "sg-ok", {"vpcId": "vpc-ok", "description": "app", "ingress": [], "egress": [VPC_EGRESS]},
                  id="sg-ok")
    sg_alb = b.add(SG, "sg-alb-ok", {"vpcId": "vpc-ok", "description": "public ALB",
                                     "ingress": [HTTPS_IN], "egress": [VPC_EGRESS]}, id="sg-alb")
    mixed = b.add(SG, "sg-inline-and-standalone-bad", {"vpcId": "vpc-ok", "description": "m",
                                                        "ingress": [VPC_EGRESS]})
    b.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "mixed-rule",
          {"securityGroupId": "x", "cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432,
           "description": "pg"}, deps={"securityGroupId": mixed})
    b.add(SG, "sg-unused-bad", {"vpcId": "vpc-ok", "description": "unused", "egress": [VPC_EGRESS]})
    b.add("aws:ec2/vpcEndpoint:VpcEndpoint", "endpoint-user", {"vpcId": "vpc-ok", "serviceName": "s3",
                                                                "securityGroupIds": ["sg-ok", "sg-m", "sg-w"]},
          deps={"securityGroupIds": [sg_ok, mixed, b.urn(SG, "sg-world-ingress-bad")]})
    igw = b.add("aws:ec2/internetGateway:InternetGateway", "igw", {"vpcId": "vpc-ok"}, id="igw-1")
    sub_pub = b.add("aws:ec2/subnet:Subnet", "subnet-public-ok", {"vpcId": "vpc-ok", "cidrBlock": "10.0.0.0/24",
                                                                 "tags": {"azora:tier": "public"}}, id="subnet-pub")
    sub_priv = b.add("aws:ec2/subnet:Subnet", "subnet-private-ok", {"vpcId": "vpc-ok", "cidrBlock": "10.0.1.0/24",
                                                                   "tags": {"azora:tier": "private"}}, id="subnet-priv")
    for tier, subnet, route in (("public", sub_pub, "route-public-igw-ok"), ("private", sub_priv,
                                                                             "route-private-igw-bad")):
        rtb = b.add("aws:ec2/routeTable:RouteTable", f"rtb-{tier}-ok", {"vpcId": "vpc-ok"}, id=f"rtb-{tier}")
        b.add("aws:ec2/routeTableAssociation:RouteTableAssociation", f"rtb-{tier}-assoc",
              {"routeTableId": f"rtb-{tier}", "subnetId": "s"}, deps={"routeTableId": rtb, "subnetId": subnet})
        b.add("aws:ec2/route:Route", route, {"routeTableId": f"rtb-{tier}", "destinationCidrBlock": "0.0.0.0/0",
                                             "gatewayId": "igw-1"}, deps={"routeTableId": rtb, "gatewayId": igw})
    # --- load balancers
    alb = b.add(LB, "alb-ok", ALB, deps={"securityGroups": sg_alb},
                outputs={"dnsName": "alb-ok.elb.amazonaws.com"})
    b.add(LB, "alb-no-waf-bad", ALB, deps={"securityGroups": sg_alb})
    b.add(LB, "nlb-ok", NLB)
    b.add(LISTENER, "https-ok", HTTPS_LISTENER)
    b.add(LISTENER, "redirect-ok", REDIRECT)
    b.add(CLB, "clb-ok", CLB_OK)
    b.add(TG, "tg-ok", {"port": 443, "protocol": "HTTPS", "vpcId": "vpc-ok"})
    # --- WAF
    vis = {"metricName": "m", "sampledRequestsEnabled": True, "cloudwatchMetricsEnabled": True}
    acl = {"scope": "REGIONAL", "defaultAction": {"allow": {}}, "visibilityConfig": vis}
    acls = {
        "acl-ok": {**acl, "rules": [KNOWN_BAD]},
        "acl-no-rules-bad": acl,
        "acl-no-log4j-bad": {**acl, "rules": [{**KNOWN_BAD, "statement": {"managedRuleGroupStatement": {
            "vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}}}]},
        "acl-no-logging-bad": {**acl, "rules": [KNOWN_BAD]},
        "acl-standalone-ok": acl,
        "acl-json-ok": {**acl, "ruleJson": '[{"Name": "kb", "Priority": 1, "OverrideAction": {"None": {}}, '
                                          '"Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": '
                                          '"AWSManagedRulesKnownBadInputsRuleSet"}}}]'},
    }
    for name, inputs in acls.items():
        urn = b.add(ACL, name, inputs, arn=f"arn:aws:wafv2:af-south-1:123456789012:regional/webacl/{name}/1")
        if name != "acl-no-logging-bad":
            b.add("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", f"{name}-logging",
                  {"resourceArn": "x", "logDestinationConfigs": ["arn"]}, deps={"resourceArn": urn})
        if name == "acl-standalone-ok":
            b.add("aws:wafv2/webAclRule:WebAclRule", "acl-standalone-ok-rule",
                  {"webAclArn": "x", **{k: v for k, v in KNOWN_BAD.items()}}, deps={"webAclArn": urn})
        if name == "acl-ok":
            b.add("aws:wafv2/webAclAssociation:WebAclAssociation", "alb-ok-waf",
                  {"resourceArn": "x", "webAclArn": "y"}, deps={"resourceArn": alb, "webAclArn": urn})
    # --- Route53
    b.add("aws:route53/zone:Zone", "zone-private-ok", {"name": "internal.azora", "vpcs": [{"vpcId": "vpc-ok"}]})
    zone = b.add("aws:route53/zone:Zone", "zone-ok", {"name": "azora.example"})
    b.add("aws:route53/hostedZoneDnsSec:HostedZoneDnsSec", "zone-ok-dnssec", {"hostedZoneId": "x"},
          deps={"hostedZoneId": zone})
    b.add("aws:route53/queryLog:QueryLog", "zone-ok-query-log", {"zoneId": "x", "cloudwatchLogGroupArn": "a"},
          deps={"zoneId": zone})
    b.add("aws:route53/zone:Zone", "zone-public-bad", {"name": "other.example"})
    b.add("aws:route53/record:Record", "record-ok", FAILOVER)
    b.add("aws:route53/record:Record", "record-dangling-bad",
          variant(FAILOVER, aliases=[{"name": "gone.elb.amazonaws.com", "zoneId": "Z", "evaluateTargetHealth": True}]))
    b.add("aws:route53/healthCheck:HealthCheck", "health-check-ok",
          {"type": "HTTPS", "fqdn": "api", "resourcePath": "/health", "requestInterval": 10, "failureThreshold": 3})
    return b.plan()


@pytest.fixture(scope="module")
def result() -> Any:
    return check(build_plan())


@pytest.mark.parametrize("name,expected", [(c[0], c[3]) for c in CASES] + STACK_CASES,
                         ids=[c[0] for c in CASES] + [c[0] for c in STACK_CASES])
def test_failing_resource_is_reported_by_exactly_its_rule(result: Any, name: str, expected: set[str]) -> None:
    assert policies_on(result, name) == expected


@pytest.mark.parametrize("name", PASSES)
def test_compliant_resource_is_reported_by_nothing(result: Any, name: str) -> None:
    assert policies_on(result, name) == set()


def test_health_check_budget_message_gives_the_numbers(result: Any) -> None:
    [v] = result.on("health-check-slow-bad")
    assert "30s x 3 = 90s" in v.message and "requestInterval=10" in v.message
