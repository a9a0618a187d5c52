"""ClusterTelemetry and MeshMetrics: the add-on after its encrypted log groups, 15-second collection,
sampling from config, mesh tracing, API usage metric filters; Prometheus scraping the mesh at 15 s
into a KMS-encrypted workspace that keeps 30 days."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from azora_infra.plan.model import Plan
from components.prometheus import MeshMetrics, MeshMetricsArgs, scrape_configuration
from components.telemetry import (
    ADDON,
    AGENT_PORTS,
    LOG_GROUPS,
    TRACING_PROVIDER,
    AccessLogFields,
    ClusterTelemetry,
    ClusterTelemetryArgs,
    agent_tracing_provider,
    usage_pattern,
)
from tests.harness import record

LOGS_KEY = "arn:aws:kms:af-south-1:123456789012:key/logs"
RETENTION = {"personal": 90, "internal": 90, "confidential": 365, "public": 30}


def _telemetry_args(**kw: Any) -> ClusterTelemetryArgs:
    return ClusterTelemetryArgs(**{
        "region": "af-south-1", "name_prefix": "azora-t", "cluster_name": "azora-t",
        "cluster_arn": "arn:aws:eks:af-south-1:123456789012:cluster/azora-t", "logs_key_arn": LOGS_KEY,
        "log_retention_days": RETENTION, "sampling_percent": 10, "traced_namespaces": ("education", "ai"),
        "api_endpoints": {"courses": "/api/*/courses*"}, **kw})


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        kube = k8s.Provider("k8s", kubeconfig="{}")
        ClusterTelemetry("telemetry", _telemetry_args(k8s_provider=kube), provider)
        MeshMetrics("prometheus", MeshMetricsArgs(
            region="af-south-1", name_prefix="azora-t", cluster_name="azora-t",
            cluster_arn="arn:aws:eks:af-south-1:123456789012:cluster/azora-t", vpc_id="vpc-1",
            subnet_ids=["subnet-a", "subnet-b"], node_security_group_id="sg-nodes",
            cluster_security_group_id="sg-cluster", k8s_provider=kube, scraped_namespaces=("education",),
            vpc_cidr="10.10.0.0/16"), provider)
    return record(program)


def test_log_groups_exist_encrypted_before_the_addon(plan: Plan) -> None:
    groups = {g.inputs["name"]: g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert set(groups) == {pattern.format(cluster="azora-t") for pattern, _ in LOG_GROUPS.values()}
    for kind, (pattern, data_class) in LOG_GROUPS.items():
        g = groups[pattern.format(cluster="azora-t")]
        assert g.inputs["kmsKeyId"] == LOGS_KEY, kind
        assert g.inputs["retentionInDays"] == RETENTION[data_class]
        assert g.inputs["tags"]["azora:data-class"] == data_class
    addon = plan.named("aws:eks/addon:Addon", "telemetry-addon")
    assert {g.urn for g in groups.values()} <= set(addon.raw["dependencies"])


def test_addon_collects_every_15_s_with_application_signals_through_pod_identity(plan: Plan) -> None:
    addon = plan.named("aws:eks/addon:Addon", "telemetry-addon").inputs
    assert addon["addonName"] == ADDON
    config = json.loads(addon["configurationValues"])
    kube = config["agent"]["config"]["logs"]["metrics_collected"]["kubernetes"]
    assert kube == {"enhanced_container_insights": True, "metrics_collection_interval": 15}
    assert "application_signals" in config["agent"]["config"]["traces"]["traces_collected"]
    assert config["containerLogs"]["enabled"] is True
    role = plan.named("aws:iam/role:Role", "telemetry-agent")
    assert addon["podIdentityAssociations"] == [{"roleArn": role.outputs["arn"], "serviceAccount": "cloudwatch-agent"}]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    policies = {a.inputs["policyArn"].rsplit("/", 1)[-1] for a in
                plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert policies == {"CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"}


def test_sampling_and_mesh_tracing_from_config(plan: Plan) -> None:
    rule = plan.named("aws:xray/samplingRule:SamplingRule", "telemetry-sampling").inputs
    assert rule["fixedRate"] == pytest.approx(0.10) and rule["reservoirSize"] == 1
    tracing = plan.named("kubernetes:telemetry.istio.io/v1:Telemetry", "telemetry-mesh-tracing").inputs
    assert tracing["metadata"]["namespace"] == "istio-system"
    assert tracing["spec"]["tracing"] == [{"providers": [{"name": "azora-otel-tracing"}],
                                           "randomSamplingPercentage": 10}]
    policies = {p.inputs["metadata"]["namespace"]: p.inputs["spec"] for p in
                plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") if p.name.startswith("telemetry")}
    assert set(policies) == {"education", "ai"}
    egress = policies["ai"]["egress"][0]
    assert egress["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "amazon-cloudwatch"}
    assert sorted(p["port"] for p in egress["ports"]) == [2000, 4315, 4316]


def test_agent_tracing_provider_points_at_the_agents_otlp_http_endpoint() -> None:
    """What the mesh needs for the Telemetry resource's provider: the add-on's agent Service on its
    OTLP/HTTP port (one the telemetry NetworkPolicies open), traces path."""
    provider = agent_tracing_provider()
    assert provider.name == TRACING_PROVIDER == _telemetry_args().mesh_tracing_provider
    assert provider.extension_provider() == {"name": "azora-otel-tracing", "opentelemetry": {
        "service": "cloudwatch-agent.amazon-cloudwatch.svc.cluster.local", "port": 4316,
        "http": {"path": "/v1/traces", "timeout": "5s"}}}
    assert provider.port in AGENT_PORTS
    assert agent_tracing_provider("mesh-traces").name == "mesh-traces"


def test_api_usage_per_version_and_endpoint(plan: Plan) -> None:
    filters = {f.inputs["metricTransformation"]["name"]: f.inputs
               for f in plan.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    assert set(filters) == {"requests", "requests.courses"}
    courses = filters["requests.courses"]
    assert courses["logGroupName"] == "/aws/containerinsights/azora-t/application"
    assert courses["pattern"] == ('{ $.kubernetes.namespace_name = "istio-ingress" && '
                                  '$.log_processed.api_version = "*" && $.log_processed.path = "/api/*/courses*" }')
    t = courses["metricTransformation"]
    assert (t["namespace"], t["value"], t["dimensions"]) == ("Azora/ApiUsage", "1",
                                                             {"Version": "$.log_processed.api_version"})


def test_access_log_contract_is_configurable() -> None:
    fields = AccessLogFields(version="version", path="route")
    assert usage_pattern("gw", fields, "/v1/x*") == (
        '{ $.kubernetes.namespace_name = "gw" && $.log_processed.version = "*" && '
        '$.log_processed.route = "/v1/x*" }')


def test_prometheus_scrapes_the_mesh_every_15_s_into_an_encrypted_workspace(plan: Plan) -> None:
    ws = plan.named("aws:amp/workspace:Workspace", "prometheus-workspace")
    key = plan.named("aws:kms/key:Key", "prometheus-key")
    assert ws.inputs["kmsKeyArn"] == key.outputs["arn"] and key.inputs["enableKeyRotation"] is True
    via = next(s for s in json.loads(key.inputs["policy"])["Statement"] if s["Sid"] == "UseThroughPrometheus")
    assert via["Condition"]["StringEquals"]["kms:ViaService"] == "aps.af-south-1.amazonaws.com"
    config = plan.named("aws:amp/workspaceConfiguration:WorkspaceConfiguration", "prometheus-workspace")
    assert config.inputs["retentionPeriodInDays"] == 30
    scraper = plan.named("aws:amp/scraper:Scraper", "prometheus-scraper").inputs
    assert "scrape_interval: 15s" in scraper["scrapeConfiguration"]
    assert scraper["destination"]["amp"]["workspaceArn"] == ws.outputs["arn"]
    entry = plan.named("aws:eks/accessEntry:AccessEntry", "prometheus-scraper").inputs
    assert entry["userName"] == "aps-collector-user"
    assert entry["principalArn"] == plan.named("aws:amp/scraper:Scraper", "prometheus-scraper").outputs["roleArn"]
    binding = plan.named("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "prometheus-collector").inputs
    assert binding["subjects"][0]["name"] == "aps-collector-user"
    ports = {(r.inputs["securityGroupId"], r.inputs["fromPort"]) for r in
             plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    assert ports == {("sg-nodes", 15090), ("sg-nodes", 15014), ("sg-cluster", 443)}
    scrape = plan.named("kubernetes:networking.k8s.io/v1:NetworkPolicy", "prometheus-scrape-ingress-education")
    assert scrape.inputs["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] == "10.10.0.0/16"


def test_scrape_configuration_follows_the_interval() -> None:
    assert "scrape_interval: 30s" in scrape_configuration(30)
    assert "regex: istiod;http-monitoring" in scrape_configuration(15)


@pytest.mark.parametrize(("kw", "message"), [
    ({"log_retention_days": {"personal": 90}}, "no log retention"),
    ({"metrics_interval_seconds": 20}, "metrics_interval_seconds"),
    ({"sampling_percent": 101}, "sampling_percent"),
    ({"api_endpoints": {"Bad Key": "/x"}}, "not a path pattern"),
    ({"api_endpoints": {"x": "/a\" || true"}}, "not a path pattern"),
])
def test_telemetry_refuses_bad_args(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _telemetry_args(**kw).validate()


def test_prometheus_refuses_bad_args() -> None:
    base: dict[str, Any] = dict(region="r", name_prefix="p", cluster_name="c", cluster_arn="a", vpc_id="v",
                                subnet_ids=["s"], node_security_group_id="n", cluster_security_group_id="c",
                                k8s_provider=pulumi.ProviderResource.__new__(pulumi.ProviderResource))
    with pytest.raises(ValueError, match="scrape_interval_seconds"):
        MeshMetricsArgs(**base, scrape_interval_seconds=1).validate()
    with pytest.raises(ValueError, match="need vpc_cidr"):
        MeshMetricsArgs(**base, scraped_namespaces=("a",)).validate()
    with pytest.raises(ValueError, match="retention_days"):
        MeshMetricsArgs(**base, retention_days=0).validate()
