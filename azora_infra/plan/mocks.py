"""Realistic mock outputs for running a Pulumi program offline (`pulumi.runtime.set_mocks`).

Every custom resource gets a stable id and, where AWS has one, an ARN with the right service,
the resource's region (its own `region` input, else its provider's region) and a fixed account,
plus the type-specific outputs programs commonly consume (endpoints, OIDC issuers, DNS names).
Ids derive from the URN, so two runs of the same program give the same plan.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pulumi

from .values import is_secret, plain

ACCOUNT_ID = "123456789012"
PARTITION = "aws"

Outputs = dict[str, Any]


def _digest(*parts: str, n: int = 17) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:n]


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def split_token(token: str) -> tuple[str, str, str]:
    """``aws:ec2/vpc:Vpc`` -> ("aws", "ec2", "Vpc")."""
    pkg, _, rest = token.partition(":")
    module, _, cls = rest.partition(":")
    return pkg, module.split("/")[0], cls


#: id prefixes AWS uses for EC2-family resources
_EC2_PREFIX = {
    "Vpc": "vpc", "Subnet": "subnet", "SecurityGroup": "sg", "NatGateway": "nat",
    "InternetGateway": "igw", "RouteTable": "rtb", "Eip": "eipalloc", "VpcEndpoint": "vpce",
    "FlowLog": "fl", "NetworkAcl": "acl", "LaunchTemplate": "lt", "DefaultSecurityGroup": "sg",
    "VpcSecurityGroupIngressRule": "sgr", "VpcSecurityGroupEgressRule": "sgr",
    "SecurityGroupRule": "sgrule",
}
#: ARN service names where they differ from the pulumi module
_SERVICE = {"lb": "elasticloadbalancing", "alb": "elasticloadbalancing", "cloudwatch": "logs",
            "wafv2": "wafv2", "sfn": "states", "cognito": "cognito-idp"}


class AzoraMocks(pulumi.runtime.Mocks):
    """Mocks that answer like AWS would; `region_of_provider` maps provider refs to regions."""

    def __init__(self, default_region: str,
                 stack_outputs: Callable[[str], dict[str, Any]] | None = None) -> None:
        self.default_region = default_region
        self.provider_regions: dict[str, str] = {}
        self.provider_tags: dict[str, dict[str, str]] = {}
        #: resolves a StackReference's stack name to that stack's exported outputs
        self.stack_outputs = stack_outputs

    # --- helpers -------------------------------------------------------------------------
    def region_for(self, inputs: dict[str, Any], provider: str | None) -> str:
        own = inputs.get("region")
        if isinstance(own, str) and own:
            return own
        if provider:
            provider_id = provider.split("::")[-1]
            for ref, region in self.provider_regions.items():
                # refs are provider ids; the engine passes a provider as "<urn>::<id>"
                if ref in (provider, provider_id) or ref.endswith("::" + provider_id):
                    return region
        return self.default_region

    def arn(self, service: str, region: str, resource: str) -> str:
        if service in ("iam", "route53", "cloudfront"):
            region = ""
        if service == "s3":
            return f"arn:{PARTITION}:s3:::{resource}"
        acct = ACCOUNT_ID if service not in ("route53",) else ""
        return f"arn:{PARTITION}:{service}:{region}:{acct}:{resource}"

    # --- Mocks interface -----------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            # as the engine answers: the exports, and the names of those that are secrets (the SDK
            # marks `get_output(name)` of those secret)
            ref = str(inputs.get("name") or args.name)
            exports = self.stack_outputs(ref) if self.stack_outputs else {}
            outputs = {k: plain(v) if is_secret(v) else v for k, v in exports.items()}
            secret_names = sorted(k for k, v in exports.items() if is_secret(v))
            return ref, {"name": ref, "outputs": outputs, "secretOutputNames": secret_names}
        if args.typ.startswith("pulumi:providers:"):
            rid = "prov-" + _digest(args.typ, args.name)
            region = inputs.get("region") or self.default_region
            self.provider_regions[rid] = str(region)
            tags = inputs.get("defaultTags")
            if isinstance(tags, str):
                try:
                    tags = json.loads(tags)
                except json.JSONDecodeError:
                    tags = None
            if isinstance(tags, dict) and isinstance(tags.get("tags"), dict):
                self.provider_tags[rid] = {str(k): str(v) for k, v in tags["tags"].items()}
            return rid, inputs
        region = self.region_for(inputs, args.provider)
        pkg, module, cls = split_token(args.typ)
        handler = SPECIAL.get(args.typ)
        if pkg != "aws":
            rid = args.name if pkg != "random" else "random-" + _digest(args.name, n=8)
            return rid, {**inputs, **(handler(self, args.name, inputs, region) if handler else {})}
        if module == "ec2" and cls in _EC2_PREFIX:
            rid = f"{_EC2_PREFIX[cls]}-{_digest(args.typ, args.name)}"
        else:
            rid = str(inputs.get("name") or args.name)
        service = _SERVICE.get(module, module)
        out: dict[str, Any] = {
            **inputs,
            "id": rid,
            "arn": self.arn(service, region, f"{_kebab(cls)}/{rid}"),
            "region": region,
        }
        if "tags" in inputs:
            # what the provider's Check computes: its default tags, overridden by the resource's
            provider_id = (args.provider or "").split("::")[-1]
            out["tagsAll"] = {**self.provider_tags.get(provider_id, {}), **(inputs.get("tags") or {})}
        if handler:
            out.update(handler(self, rid, inputs, region))
        return str(out.get("id", rid)), out

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        fn = INVOKES.get(args.token)
        region = self.region_for(dict(args.args), args.provider)
        return fn(self, dict(args.args), region) if fn else {}


Handler = Callable[[AzoraMocks, str, dict[str, Any], str], Outputs]


def _kms_key(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    # key ids are unique per region (a replica key or a same-named key elsewhere is another key)
    key_id = f"{_digest(rid, region, n=8)}-{_digest(rid, region, 'a', n=4)}-{_digest(rid, region, 'b', n=4)}-" \
             f"{_digest(rid, region, 'c', n=4)}-{_digest(rid, region, 'd', n=12)}"
    return {"id": key_id, "keyId": key_id, "arn": m.arn("kms", region, f"key/{key_id}")}


def _kms_alias(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    return {"arn": m.arn("kms", region, str(i.get("name", rid)))}


def _iam(kind: str) -> Handler:
    def handler(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
        name = str(i.get("name") or rid)
        out: Outputs = {"arn": m.arn("iam", "", f"{kind}/{name}"), "name": name}
        if kind == "role":
            out["uniqueId"] = "AROA" + _digest(name, n=16).upper()
        return out
    return handler


def _oidc(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    url = str(i.get("url", "")).removeprefix("https://")
    return {"arn": m.arn("iam", "", f"oidc-provider/{url}")}


def _log_group(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    return {"arn": m.arn("logs", region, f"log-group:{i.get('name', rid)}")}


def _eks_cluster(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    h = _digest(rid, region, n=32).upper()
    return {
        "arn": m.arn("eks", region, f"cluster/{rid}"),
        "endpoint": f"https://{h}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": base64.b64encode(b"-----BEGIN CERTIFICATE-----mock").decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{h}"}]}],
        "vpcConfig": {**(i.get("vpcConfig") or {}), "clusterSecurityGroupId": "sg-" + _digest(rid, "cluster"),
                      "vpcId": "vpc-" + _digest(rid, "vpc")},
        "version": i.get("version", "1.33"),
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    }


def _rds_cluster(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    ident = str(i.get("clusterIdentifier") or rid)
    h = _digest(ident, region, n=12)
    return {
        "id": ident, "clusterIdentifier": ident,
        "arn": m.arn("rds", region, f"cluster:{ident}"),
        "endpoint": f"{ident}.cluster-{h}.{region}.rds.amazonaws.com",
        "readerEndpoint": f"{ident}.cluster-ro-{h}.{region}.rds.amazonaws.com",
        "port": i.get("port", 5432), "clusterResourceId": "cluster-" + _digest(ident, n=26).upper(),
    }


def _rds_instance(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    ident = str(i.get("identifier") or rid)
    return {"id": ident, "identifier": ident, "arn": m.arn("rds", region, f"db:{ident}"),
            "endpoint": f"{ident}.{_digest(ident, n=12)}.{region}.rds.amazonaws.com:5432",
            "dbiResourceId": "db-" + _digest(ident, n=26).upper()}


def _rds_global(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    ident = str(i.get("globalClusterIdentifier") or rid)
    return {"id": ident, "globalClusterIdentifier": ident, "arn": m.arn("rds", "", f"global-cluster:{ident}"),
            "globalClusterResourceId": "cluster-" + _digest(ident, n=26).upper()}


def _rds_named(kind: str, field: str) -> Handler:
    def handler(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
        name = str(i.get(field) or i.get("name") or rid)
        return {"id": name, "name": name, "arn": m.arn("rds", region, f"{kind}:{name}")}
    return handler


def _elasticache_rg(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    ident = str(i.get("replicationGroupId") or rid)
    h = _digest(ident, n=6)
    return {"id": ident, "replicationGroupId": ident,
            "arn": m.arn("elasticache", region, f"replicationgroup:{ident}"),
            "configurationEndpointAddress": f"clustercfg.{ident}.{h}.{region.replace('-', '')}.cache.amazonaws.com",
            "primaryEndpointAddress": f"master.{ident}.{h}.{region.replace('-', '')}.cache.amazonaws.com",
            "readerEndpointAddress": f"replica.{ident}.{h}.{region.replace('-', '')}.cache.amazonaws.com"}


def _elasticache_global(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    suffix = str(i.get("globalReplicationGroupIdSuffix") or rid)
    gid = f"ldgnf-{suffix}"
    return {"id": gid, "globalReplicationGroupId": gid,
            "arn": m.arn("elasticache", "", f"globalreplicationgroup:{gid}")}


def _lb(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid)[:32]
    h = _digest(name, n=16)
    kind = "app" if i.get("loadBalancerType", "application") == "application" else "net"
    return {"arn": m.arn("elasticloadbalancing", region, f"loadbalancer/{kind}/{name}/{h}"),
            "arnSuffix": f"{kind}/{name}/{h}", "dnsName": f"{name}-{h[:10]}.{region}.elb.amazonaws.com",
            "zoneId": "Z" + _digest(region, n=13).upper()}


def _tg(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid)[:32]
    return {"arn": m.arn("elasticloadbalancing", region, f"targetgroup/{name}/{_digest(name, n=16)}"),
            "arnSuffix": f"targetgroup/{name}/{_digest(name, n=16)}"}


def _zone(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    zid = "Z" + _digest(rid, n=20).upper()
    return {"id": zid, "zoneId": zid, "arn": f"arn:aws:route53:::hostedzone/{zid}",
            "nameServers": [f"ns-{n}.awsdns-{n:02d}.org" for n in (1, 2, 3, 4)]}


def _health_check(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    hid = f"{_digest(rid, n=8)}-{_digest(rid, 'h', n=4)}-{_digest(rid, 'i', n=4)}-{_digest(rid, 'j', n=12)}"
    return {"id": hid, "arn": f"arn:aws:route53:::healthcheck/{hid}"}


def _acm(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    cid = f"{_digest(rid, n=8)}-{_digest(rid, 'k', n=4)}-{_digest(rid, 'l', n=12)}"
    domain = str(i.get("domainName", "example.com"))
    names = [domain, *[str(n) for n in i.get("subjectAlternativeNames") or [] if n != domain]]

    def option(name: str) -> Outputs:
        # ACM gives a wildcard the same validation record as its apex
        base = name.removeprefix("*.")
        return {"domainName": name, "resourceRecordName": f"_x{_digest(base, n=6)}.{base}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_y.{_digest(base, n=8)}.acm-validations.aws."}

    return {"arn": m.arn("acm", region, f"certificate/{cid}"), "status": "PENDING_VALIDATION",
            "domainValidationOptions": [option(n) for n in names]}


def _route53_record(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid).rstrip(".")
    return {"id": f"{i.get('zoneId', 'Z')}_{name}_{i.get('type', 'A')}", "fqdn": name}


def _listener(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    lb = str(i.get("loadBalancerArn") or "")
    suffix = lb.split(":loadbalancer/", 1)[-1] if ":loadbalancer/" in lb else f"app/lb/{_digest(rid, n=16)}"
    return {"arn": m.arn("elasticloadbalancing", region, f"listener/{suffix}/{_digest(rid, n=16)}")}


def _wafv2(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid)
    uid = f"{_digest(rid, n=8)}-{_digest(rid, 'w', n=4)}-{_digest(rid, 'v', n=12)}"
    scope = "regional" if i.get("scope", "REGIONAL") == "REGIONAL" else "global"
    return {"id": uid, "arn": m.arn("wafv2", region, f"{scope}/webacl/{name}/{uid}")}


def _secret(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid)
    arn = m.arn("secretsmanager", region, f"secret:{name}-{_digest(name, n=6)}")
    return {"id": arn, "arn": arn}


def _sqs(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid)
    return {"id": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}",
            "arn": m.arn("sqs", region, name), "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}"}


def _sns(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    arn = m.arn("sns", region, str(i.get("name") or rid))
    return {"id": arn, "arn": arn}


def _bucket(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("bucket") or rid)
    return {"id": name, "bucket": name, "arn": f"arn:aws:s3:::{name}",
            "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com"}


def _backup_vault(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid)
    return {"id": name, "arn": m.arn("backup", region, f"backup-vault:{name}")}


def _backup_plan(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    pid = f"{_digest(rid, n=8)}-{_digest(rid, 'p', n=4)}-{_digest(rid, 'q', n=12)}"
    return {"id": pid, "arn": m.arn("backup", region, f"backup-plan:{pid}"), "version": _digest(rid, n=32)}


def _random_password(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    length = int(i.get("length", 32))
    return {"result": ("Mock" + _digest(rid, n=64))[:length]}


def _ecr_repository(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    return {"repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{rid}", "registryId": ACCOUNT_ID}


def _vpc(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    return {"defaultSecurityGroupId": "sg-" + _digest(rid, "default"),
            "mainRouteTableId": "rtb-" + _digest(rid, "main"),
            "defaultNetworkAclId": "acl-" + _digest(rid, "acl"),
            "ownerId": ACCOUNT_ID}


def _node_group(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    return {"arn": m.arn("eks", region, f"nodegroup/{i.get('clusterName', 'cluster')}/{rid}/{_digest(rid, n=8)}"),
            "resources": [{"autoscalingGroups": [{"name": f"eks-{rid}-{_digest(rid, n=8)}"}]}]}


def _sar_stack(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    # a Serverless Application Repository app's CloudFormation stack ("serverlessrepo-" + name);
    # the AWS rotation apps output the function ARN as RotationLambdaARN
    name = str(i.get("name") or rid)
    params = i.get("parameters") or {}
    function = str(params.get("functionName") or name) if isinstance(params, dict) else name
    sid = m.arn("cloudformation", region, f"stack/serverlessrepo-{name}/{_digest(name, n=8)}-{_digest(name, 'u', n=4)}")
    return {"id": sid, "outputs": {"RotationLambdaARN": m.arn("lambda", region, f"function:{function}")}}


def _user_pool(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    # a user pool id is <region>_<9 characters>; the issuer and JWKS URLs are built from it
    pid = f"{region}_{_digest(rid, region, n=9)}"
    return {"id": pid, "arn": m.arn("cognito-idp", region, f"userpool/{pid}"),
            "endpoint": f"cognito-idp.{region}.amazonaws.com/{pid}"}


def _detector(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    did = _digest(rid, region, n=32)
    return {"id": did, "arn": m.arn("guardduty", region, f"detector/{did}"), "accountId": ACCOUNT_ID}
def _alarm(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or i.get("alarmName") or rid)
    return {"id": name, "arn": m.arn("cloudwatch", region, f"alarm:{name}")}


def _dashboard(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("dashboardName") or rid)
    return {"id": name, "dashboardArn": f"arn:{PARTITION}:cloudwatch::{ACCOUNT_ID}:dashboard/{name}"}


def _event_rule(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid)
    return {"id": name, "arn": m.arn("events", region, f"rule/{name}")}


def _uuid(*parts: str) -> str:
    return f"{_digest(*parts, n=8)}-{_digest(*parts, 'a', n=4)}-{_digest(*parts, 'b', n=4)}-" \
           f"{_digest(*parts, 'c', n=4)}-{_digest(*parts, 'd', n=12)}"


def _incident_arn(kind: str, field: str) -> Handler:
    # Incident Manager ARNs carry no region: replication sets and response plans are account-wide
    def handler(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
        name = str(i.get(field) or rid) if field else _uuid(rid)
        arn = f"arn:{PARTITION}:ssm-incidents::{ACCOUNT_ID}:{kind}/{name}"
        return {"id": arn, "arn": arn}
    return handler


def _contact(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    arn = m.arn("ssm-contacts", region, f"contact/{i.get('alias') or rid}")
    return {"id": arn, "arn": arn}


def _contact_channel(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    contact = str(i.get("contactId") or "").rsplit("/", 1)[-1] or rid
    arn = m.arn("ssm-contacts", region, f"contact-channel/{contact}/{_uuid(rid)}")
    return {"id": arn, "arn": arn, "activationStatus": "NOT_ACTIVATED"}


def _canary(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    name = str(i.get("name") or rid)
    return {"id": name, "arn": m.arn("synthetics", region, f"canary:{name}"),
            "engineArn": m.arn("lambda", region, f"function:cwsyn-{name}-{_uuid(name)}:1"),
            "sourceLocationArn": m.arn("lambda", region, f"layer:cwsyn-{name}-{_uuid(name)}:1"),
            "status": "RUNNING"}


def _amp_workspace(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    wid = "ws-" + _uuid(rid, region)
    return {"id": wid, "arn": m.arn("aps", region, f"workspace/{wid}"),
            "prometheusEndpoint": f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{wid}/"}


def _amp_scraper(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    sid = "s-" + _uuid(rid, region)
    return {"id": sid, "arn": m.arn("aps", region, f"scraper/{sid}"),
            "roleArn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/aws-service-role/scraper.aps.amazonaws.com/"
                       f"AWSServiceRoleForAmazonPrometheusScraper_{_digest(sid, n=15)}"}


def _chatbot(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    arn = f"arn:{PARTITION}:chatbot::{ACCOUNT_ID}:chat-configuration/slack-channel/{i.get('configurationName') or rid}"
    return {"id": arn, "chatConfigurationArn": arn}


def _bucket_object(m: AzoraMocks, rid: str, i: dict[str, Any], region: str) -> Outputs:
    return {"id": str(i.get("key") or rid), "versionId": _digest(rid, "version", n=32)}


SPECIAL: dict[str, Handler] = {
    "aws:kms/key:Key": _kms_key,
    "aws:kms/replicaKey:ReplicaKey": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/instanceProfile:InstanceProfile": _iam("instance-profile"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/launchTemplate:LaunchTemplate": lambda m, rid, i, r: {"latestVersion": 1, "defaultVersion": 1},
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _rds_instance,
    "aws:rds/globalCluster:GlobalCluster": _rds_global,
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _rds_named("cluster-pg", "name"),
    "aws:rds/parameterGroup:ParameterGroup": _rds_named("pg", "name"),
    "aws:rds/subnetGroup:SubnetGroup": _rds_named("subgrp", "name"),
    "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache_rg,
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": _elasticache_global,
    "aws:lb/loadBalancer:LoadBalancer": _lb,
    "aws:alb/loadBalancer:LoadBalancer": _lb,
    "aws:lb/targetGroup:TargetGroup": _tg,
    "aws:route53/zone:Zone": _zone,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:acm/certificate:Certificate": _acm,
    "aws:route53/record:Record": _route53_record,
    "aws:lb/listener:Listener": _listener,
    "aws:wafv2/webAcl:WebAcl": _wafv2,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:sqs/queue:Queue": _sqs,
    "aws:sns/topic:Topic": _sns,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:backup/vault:Vault": _backup_vault,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ecr/repository:Repository": _ecr_repository,
    "random:index/randomPassword:RandomPassword": _random_password,
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": _sar_stack,
    "aws:cognito/userPool:UserPool": _user_pool,
    "aws:guardduty/detector:Detector": _detector,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:ssmincidents/replicationSet:ReplicationSet": _incident_arn("replication-set", ""),
    "aws:ssmincidents/responsePlan:ResponsePlan": _incident_arn("response-plan", "name"),
    "aws:ssmcontacts/contact:Contact": _contact,
    "aws:ssmcontacts/contactChannel:ContactChannel": _contact_channel,
    "aws:synthetics/canary:Canary": _canary,
    "aws:amp/workspace:Workspace": _amp_workspace,
    "aws:amp/scraper:Scraper": _amp_scraper,
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": _chatbot,
    "aws:s3/bucketObjectv2:BucketObjectv2": _bucket_object,
}

Invoke = Callable[[AzoraMocks, dict[str, Any], str], dict[str, Any]]


def _policy_document(m: AzoraMocks, a: dict[str, Any], region: str) -> dict[str, Any]:
    statements = []
    for s in a.get("statements") or []:
        st: dict[str, Any] = {"Effect": s.get("effect", "Allow")}
        for key, out in (("sid", "Sid"), ("actions", "Action"), ("resources", "Resource")):
            if key in s:
                st[out] = s[key]
        for p in s.get("principals") or []:
            st.setdefault("Principal", {})[p["type"]] = p["identifiers"]
        for c in s.get("conditions") or []:
            st.setdefault("Condition", {}).setdefault(c["test"], {})[c["variable"]] = c["values"]
        statements.append(st)
    return {"json": json.dumps({"Version": "2012-10-17", "Statement": statements}), "id": "mock"}


INVOKES: dict[str, Invoke] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda m, a, r: {
        "accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci", "userId": "AIDAMOCK", "id": ACCOUNT_ID},
    "aws:index/getRegion:getRegion": lambda m, a, r: {"name": r, "region": r, "id": r,
                                                       "endpoint": f"ec2.{r}.amazonaws.com"},
    "aws:index/getPartition:getPartition": lambda m, a, r: {"partition": PARTITION, "dnsSuffix": "amazonaws.com",
                                                             "id": PARTITION},
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda m, a, r: {
        "names": [f"{r}{z}" for z in "abc"], "zoneIds": [f"{r[:3]}{r.split('-')[-1]}-az{n}" for n in (1, 2, 3)],
        "id": r},
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    # an assumed-role session's issuer is its IAM role (what an EKS access entry must name)
    "aws:iam/getSessionContext:getSessionContext": lambda m, a, r: {
        "arn": a.get("arn", ""), "id": a.get("arn", ""), "sessionName": "ci",
        "issuerArn": f"arn:aws:iam::{ACCOUNT_ID}:role/ci-deployer", "issuerName": "ci-deployer",
        "issuerId": "AROAMOCKDEPLOYER"},
}
