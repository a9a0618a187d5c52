"""`ClusterTelemetry`: metrics, logs and traces out of a region's EKS cluster.

- The EKS add-on ``amazon-cloudwatch-observability`` (CloudWatch agent + Fluent Bit): Container
  Insights with enhanced observability, collecting every ``metrics_interval_seconds`` (15 s, the
  seed), container logs, Application Signals and X-Ray traces. Its agent runs with its own role
  through EKS Pod Identity (service account ``amazon-cloudwatch/cloudwatch-agent``).
- The log groups the add-on writes to are created here first, encrypted with the region's logs key
  and kept for the retention of their data class (container stdout carries user identifiers:
  ``personal``; node and data-plane logs ``internal``), so the add-on never creates an unencrypted
  group that keeps logs forever.
- Sampling: one X-Ray sampling rule (``sampling_percent`` of requests, the first each second) that
  Application Signals and the agent's X-Ray endpoint follow, and an Istio ``Telemetry`` resource in
  the mesh root namespace turning on Envoy tracing at the same rate to the OpenTelemetry provider
  ``mesh_tracing_provider``: an ``extensionProviders`` entry of the mesh config pointing at the
  agent's OTLP/HTTP endpoint, which `agent_tracing_provider` builds for the mesh
  (`components.k8s_baseline.MeshSpec.tracing_providers`); see docs/components/observability.md.
- NetworkPolicies in the traced namespaces let the sidecars reach the agent (OTLP 4315/4316,
  sampling 2000): the namespaces deny all egress by default.
- Log metric filters on the ingress gateway's JSON access log count API usage per version and
  endpoint (namespace ``Azora/ApiUsage``; the access-log contract is `AccessLogFields`).

Outputs: ``log_group_names`` (kind -> name), ``role_arn``, ``addon_name``, ``usage_metrics``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .base import AzoraComponent
from .eks import pod_identity_trust
from .k8s_baseline import OtelTracingProvider

ADDON = "amazon-cloudwatch-observability"
AGENT_NAMESPACE = "amazon-cloudwatch"
AGENT_SERVICE_ACCOUNT = "cloudwatch-agent"
#: the mesh config's OpenTelemetry extension provider the Telemetry resource names
TRACING_PROVIDER = "azora-otel-tracing"
#: the agent's Service (the add-on creates it) and its Application Signals OTLP/HTTP port
AGENT_SERVICE = f"cloudwatch-agent.{AGENT_NAMESPACE}.svc.cluster.local"
AGENT_OTLP_HTTP_PORT = 4316
#: the agent's Application Signals OTLP endpoints (gRPC, HTTP) and the X-Ray sampling proxy
AGENT_PORTS = (4315, AGENT_OTLP_HTTP_PORT, 2000)
AGENT_POLICIES = ("CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess")
#: CloudWatch namespace of the API usage metrics
USAGE_NAMESPACE = "Azora/ApiUsage"
#: where the add-on's Fluent Bit puts a JSON log line's fields (kubernetes filter Merge_Log_Key)
MERGED_LOG_KEY = "log_processed"

#: log group kind -> (name pattern, data class of what it holds)
LOG_GROUPS: dict[str, tuple[str, str]] = {
    "application": ("/aws/containerinsights/{cluster}/application", "personal"),
    "dataplane": ("/aws/containerinsights/{cluster}/dataplane", "internal"),
    "host": ("/aws/containerinsights/{cluster}/host", "internal"),
    "performance": ("/aws/containerinsights/{cluster}/performance", "internal"),
    "application-signals": ("/aws/application-signals/data", "internal"),
}


@dataclass(frozen=True)
class AccessLogFields:
    """The JSON access log the ingress gateway writes (one object per request, to stdout): the
    field names carrying the API version, the request path, the status code and the duration (ms).
    The defaults are the names the gateway's `ACCESS_LOG_FORMAT` uses."""

    version: str = "api_version"
    path: str = "path"
    status: str = "response_code"
    duration: str = "duration_ms"

    def selector(self, name: str) -> str:
        return f"$.{MERGED_LOG_KEY}.{name}"


_ENDPOINT_KEY = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
_PATH_PATTERN = re.compile(r"^/[A-Za-z0-9/_.*{}-]*$")


def agent_tracing_provider(name: str = TRACING_PROVIDER) -> OtelTracingProvider:
    """The mesh tracing provider that sends Envoy's spans to the add-on's agent (OTLP/HTTP): give
    it to the mesh (`MeshSpec.tracing_providers` of `KubernetesBaseline`) and its name to
    `ClusterTelemetryArgs.mesh_tracing_provider`, or Istio ignores the tracing config."""
    return OtelTracingProvider(name=name, service=AGENT_SERVICE, port=AGENT_OTLP_HTTP_PORT)


def log_group_name(pattern: str, cluster: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.from_input(cluster).apply(lambda c: pattern.format(cluster=c))


def usage_pattern(gateway_namespace: str, fields: AccessLogFields, path: str | None) -> str:
    """The JSON filter pattern of a usage metric: gateway access-log lines (of one endpoint)."""
    terms = [f'$.kubernetes.namespace_name = "{gateway_namespace}"', f'{fields.selector(fields.version)} = "*"']
    if path is not None:
        terms.append(f'{fields.selector(fields.path)} = "{path}"')
    return "{ " + " && ".join(terms) + " }"


def agent_configuration(interval: int, application_signals: bool) -> str:
    """The add-on's configuration values: the agent's config and container logs on."""
    logs: dict[str, object] = {"kubernetes": {"enhanced_container_insights": True,
                                              "metrics_collection_interval": interval}}
    config: dict[str, object] = {"logs": {"metrics_collected": logs}}
    if application_signals:
        logs["application_signals"] = {}
        config["traces"] = {"traces_collected": {"application_signals": {}}}
    return json.dumps({"agent": {"config": config}, "containerLogs": {"enabled": True}}, sort_keys=True)


@dataclass(frozen=True)
class ClusterTelemetryArgs:
    region: str
    #: names of the sampling rule and role descriptions, e.g. ``azora-africa``
    name_prefix: str
    cluster_name: pulumi.Input[str]
    #: the cluster's ARN: the agent's role trusts only its service account in this cluster
    cluster_arn: pulumi.Input[str]
    #: the region's logs key (its policy admits CloudWatch Logs for this account's log groups)
    logs_key_arn: pulumi.Input[str]
    #: data class -> retention days of the log groups holding it
    log_retention_days: Mapping[str, int]
    addon_version: str | None = None
    #: Container Insights collection interval (s)
    metrics_interval_seconds: int = 15
    application_signals: bool = True
    #: percentage of requests traced (X-Ray sampling rule and mesh tracing)
    sampling_percent: float = 5.0
    #: the cluster's Kubernetes provider: the mesh Telemetry resource and NetworkPolicies (None: none)
    k8s_provider: pulumi.ProviderResource | None = None
    #: what the Kubernetes objects wait for (the mesh's CRDs, the namespaces)
    k8s_depends_on: Sequence[pulumi.Resource] = ()
    mesh_root_namespace: str = "istio-system"
    #: the mesh config's tracing provider the `Telemetry` resource names (the mesh must define it:
    #: `agent_tracing_provider`); None: no mesh tracing
    mesh_tracing_provider: str | None = TRACING_PROVIDER
    #: namespaces whose sidecars send spans (each gets an egress policy to the agent)
    traced_namespaces: Sequence[str] = ()
    #: API usage metrics: endpoint key -> path pattern (``*`` wildcards), from the gateway's log
    api_endpoints: Mapping[str, str] = field(default_factory=dict)
    gateway_namespace: str = "istio-ingress"
    access_log: AccessLogFields = field(default_factory=AccessLogFields)

    def validate(self) -> None:
        missing = sorted({c for _, c in LOG_GROUPS.values()} - set(self.log_retention_days))
        if missing:
            raise ValueError(f"ClusterTelemetry: no log retention for data classes {missing}")
        if self.metrics_interval_seconds not in (10, 15, 30, 60):
            raise ValueError("ClusterTelemetry: metrics_interval_seconds must be 10, 15, 30 or 60")
        if not 0 <= self.sampling_percent <= 100:
            raise ValueError("ClusterTelemetry: sampling_percent must be 0-100")
        for key, path in self.api_endpoints.items():
            if not _ENDPOINT_KEY.match(key) or not _PATH_PATTERN.match(path):
                raise ValueError(f"ClusterTelemetry: endpoint {key!r}: {path!r} is not a path pattern "
                                 "(letters, digits, / _ . - { } and * wildcards)")


class ClusterTelemetry(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: ClusterTelemetryArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:telemetry:ClusterTelemetry", name, provider, opts)
        self._args = args
        self.log_groups = self._logs()
        self._agent()
        self._sampling()
        self._mesh()
        self.usage_metrics = self._usage()
        self.log_group_names: dict[str, pulumi.Output[str]] = {k: g.name for k, g in self.log_groups.items()}
        self.role_arn: pulumi.Output[str] = self.role.arn
        self.addon_name: pulumi.Output[str] = self.addon.addon_name
        self.register_outputs({"logGroupNames": self.log_group_names, "roleArn": self.role_arn,
                               "addonName": self.addon_name, "usageMetrics": self.usage_metrics})

    def _logs(self) -> dict[str, aws.cloudwatch.LogGroup]:
        args = self._args
        groups = {}
        for kind, (pattern, data_class) in LOG_GROUPS.items():
            groups[kind] = aws.cloudwatch.LogGroup(
                self.child_name("logs", kind),
                name=log_group_name(pattern, args.cluster_name),
                retention_in_days=args.log_retention_days[data_class], kms_key_id=args.logs_key_arn,
                tags={"azora:data-class": data_class}, opts=self.child_opts())
        return groups

    def _agent(self) -> None:
        args = self._args
        self.role = aws.iam.Role(
            self.child_name("agent"),
            assume_role_policy=pod_identity_trust(args.cluster_arn, AGENT_NAMESPACE, AGENT_SERVICE_ACCOUNT),
            description=f"{args.name_prefix}: CloudWatch agent and Fluent Bit (EKS add-on {ADDON})",
            opts=self.child_opts())
        attachments = [aws.iam.RolePolicyAttachment(
            self.child_name("agent", policy), role=self.role.name,
            policy_arn=f"arn:aws:iam::aws:policy/{policy}", opts=self.child_opts()) for policy in AGENT_POLICIES]
        self.addon = aws.eks.Addon(
            self.child_name("addon"), cluster_name=args.cluster_name, addon_name=ADDON,
            addon_version=args.addon_version,
            configuration_values=agent_configuration(args.metrics_interval_seconds, args.application_signals),
            pod_identity_associations=[aws.eks.AddonPodIdentityAssociationArgs(
                role_arn=self.role.arn, service_account=AGENT_SERVICE_ACCOUNT)],
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
            # the log groups first: otherwise Fluent Bit creates them unencrypted, kept forever
            opts=self.child_opts(depends_on=[*self.log_groups.values(), *attachments]))

    def _sampling(self) -> None:
        args = self._args
        self.sampling_rule = aws.xray.SamplingRule(
            self.child_name("sampling"), rule_name=f"{args.name_prefix}-mesh"[:32], priority=1000, version=1,
            reservoir_size=1, fixed_rate=args.sampling_percent / 100, url_path="*", host="*", http_method="*",
            service_type="*", service_name="*", resource_arn="*", opts=self.child_opts())

    def _mesh(self) -> None:
        args = self._args
        self.telemetry: k8s.apiextensions.CustomResource | None = None
        self.network_policies: dict[str, k8s.networking.v1.NetworkPolicy] = {}
        if args.k8s_provider is None:
            return
        kopts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider,
                                       depends_on=[self.addon, *args.k8s_depends_on])
        if args.mesh_tracing_provider:
            self.telemetry = k8s.apiextensions.CustomResource(
                self.child_name("mesh-tracing"), api_version="telemetry.istio.io/v1", kind="Telemetry",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="mesh-tracing", namespace=args.mesh_root_namespace),
                spec={"tracing": [{"providers": [{"name": args.mesh_tracing_provider}],
                                   "randomSamplingPercentage": args.sampling_percent}]},
                opts=kopts)
        for ns in sorted(set(args.traced_namespaces)):
            self.network_policies[ns] = k8s.networking.v1.NetworkPolicy(
                self.child_name("telemetry-egress", ns),
                metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-telemetry-egress", namespace=ns),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Egress"],
                    egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={"kubernetes.io/metadata.name": AGENT_NAMESPACE}))],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=p)
                               for p in AGENT_PORTS])]),
                opts=kopts)

    def _usage(self) -> dict[str, str]:
        """Metric name -> the filter pattern counting it (``requests``: all, ``requests.<endpoint>``)."""
        args = self._args
        if not args.api_endpoints:
            return {}
        group = self.log_groups["application"]
        metrics = {"requests": usage_pattern(args.gateway_namespace, args.access_log, None)}
        for key, path in sorted(args.api_endpoints.items()):
            metrics[f"requests.{key}"] = usage_pattern(args.gateway_namespace, args.access_log, path)
        for metric, pattern in metrics.items():
            aws.cloudwatch.LogMetricFilter(
                self.child_name("usage", metric.replace(".", "-")), name=f"{args.name_prefix}-api-{metric}",
                log_group_name=group.name, pattern=pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    namespace=USAGE_NAMESPACE, name=metric, value="1", unit="Count",
                    dimensions={"Version": args.access_log.selector(args.access_log.version)}),
                opts=self.child_opts())
        return metrics
