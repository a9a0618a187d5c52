"""KubernetesBaseline (namespaces, RBAC, network policies, mesh) and ServiceGuards (HPA, PDB)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from azora_infra.plan.model import Plan, Resource
from components.k8s_baseline import (
    ACCESS_LOG_PROVIDER,
    API_VERSION_HEADER,
    KubernetesBaseline,
    KubernetesBaselineArgs,
    LimitsSpec,
    MeshSpec,
    NamespaceSpec,
    OtelTracingProvider,
    QuotaSpec,
)
from components.service_guards import ScalePolicy, ServiceGuards, ServiceGuardsArgs, seconds_to_reach
from tests.harness import record

NAMESPACES = {
    "education": NamespaceSpec(team="education"),
    "ai": NamespaceSpec(team="ai-lab", quota=QuotaSpec(requests_cpu="32", pods=50),
                        limits=LimitsSpec(default_memory="1Gi")),
}
DATA_KEY = "arn:aws:kms:af-south-1:123456789012:key/data"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _provider() -> k8s.Provider:
    return k8s.Provider("k8s", kubeconfig="{}", opts=pulumi.ResourceOptions())


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        provider = _provider()
        KubernetesBaseline("base", KubernetesBaselineArgs(
            k8s_provider=provider, namespaces=NAMESPACES, mesh=MeshSpec(version="1.27.1"),
            data_key_arn=DATA_KEY))
        ServiceGuards("api", ServiceGuardsArgs(
            deployment="api", namespace="education", selector={"app": "api"}, k8s_provider=provider,
            min_replicas=3, max_replicas=30))
    return record(program)


def _in(plan: Plan, type_: str, ns: str) -> list[Resource]:
    return [r for r in plan.of_type(type_) if r.inputs["metadata"].get("namespace") == ns]


def test_every_child_uses_the_cluster_provider(plan: Plan) -> None:
    comp = plan.named("azora:k8s:Baseline", "base")
    children = plan.descendants(comp.urn)
    assert len(children) > 20
    for r in children:
        assert r.provider is not None and r.provider["name"] == "k8s", r.name


def test_team_namespaces_enforce_restricted_and_inject_sidecars(plan: Plan) -> None:
    namespaces = {n.inputs["metadata"]["name"]: n.inputs["metadata"]["labels"]
                  for n in plan.of_type("kubernetes:core/v1:Namespace")}
    for ns, team in (("education", "education"), ("ai", "ai-lab")):
        labels = namespaces[ns]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", (ns, mode)
        assert labels["istio-injection"] == "enabled"
        assert labels["azora.io/team"] == team
    # only the mesh namespace (CNI node agent needs hostPath) runs privileged
    assert namespaces["istio-system"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert "istio-injection" not in namespaces["istio-system"]


def test_quota_and_limit_range_per_namespace(plan: Plan) -> None:
    for ns in NAMESPACES:
        (quota,) = _in(plan, "kubernetes:core/v1:ResourceQuota", ns)
        (limits,) = _in(plan, "kubernetes:core/v1:LimitRange", ns)
        hard = quota.inputs["spec"]["hard"]
        assert set(hard) == {"requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods"}
        item = limits.inputs["spec"]["limits"][0]
        assert item["type"] == "Container" and {"default", "defaultRequest", "max"} <= set(item)
    ai_quota = _in(plan, "kubernetes:core/v1:ResourceQuota", "ai")[0].inputs["spec"]["hard"]
    assert ai_quota["requests.cpu"] == "32" and ai_quota["pods"] == "50"
    ai_limits = _in(plan, "kubernetes:core/v1:LimitRange", "ai")[0].inputs["spec"]["limits"][0]
    assert ai_limits["default"]["memory"] == "1Gi"


def test_default_deny_and_dns_egress_per_namespace(plan: Plan) -> None:
    for ns in NAMESPACES:
        policies = {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in _in(plan, NETPOL, ns)}
        deny = policies["default-deny-all"]
        assert deny["podSelector"] == {}
        assert deny["policyTypes"] == ["Ingress", "Egress"]
        assert "ingress" not in deny and "egress" not in deny
        dns = policies["allow-dns-egress"]
        assert dns["policyTypes"] == ["Egress"]
        (rule,) = dns["egress"]
        assert rule["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                               "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
        assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)]
        istiod = policies["allow-istiod-egress"]["egress"][0]
        assert istiod["ports"] == [{"protocol": "TCP", "port": 15012}]


def test_rbac_binds_access_entry_groups(plan: Plan) -> None:
    roles = {r.inputs["metadata"]["name"]: r.inputs for r in
             plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")}
    assert set(roles) == {"azora-platform-admin", "azora-developer", "azora-viewer"}
    assert roles["azora-developer"]["aggregationRule"]["clusterRoleSelectors"] == [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}]
    assert roles["azora-viewer"]["aggregationRule"]["clusterRoleSelectors"] == [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]
    cluster_bindings = {b.inputs["roleRef"]["name"]: b.inputs["subjects"] for b in
                        plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")}
    assert cluster_bindings["azora-platform-admin"][0]["name"] == "azora:platform-admins"
    assert cluster_bindings["azora-viewer"][0]["name"] == "azora:viewers"
    assert "azora-developer" not in cluster_bindings  # developers only inside team namespaces
    for ns in NAMESPACES:
        (binding,) = _in(plan, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", ns)
        assert binding.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                             "name": "azora-developer"}
        assert binding.inputs["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                               "name": "azora:developers"}]


def test_istio_releases_and_strict_mtls(plan: Plan) -> None:
    releases = {r.inputs["chart"]: r for r in plan.of_type(RELEASE)}
    assert set(releases) == {"base", "cni", "istiod"}
    for r in releases.values():
        assert r.inputs["version"] == "1.27.1"
        assert r.inputs["namespace"] == "istio-system"
        assert r.inputs["repositoryOpts"]["repo"] == "https://istio-release.storage.googleapis.com/charts"
    istiod = releases["istiod"]
    assert istiod.inputs["values"]["pilot"]["cni"]["enabled"] is True
    assert releases["base"].urn in istiod.raw["dependencies"]
    (peer,) = plan.of_type("kubernetes:security.istio.io/v1:PeerAuthentication")
    assert peer.inputs["metadata"] == {"name": "default", "namespace": "istio-system"}
    assert peer.inputs["spec"] == {"mtls": {"mode": "STRICT"}}
    assert peer.inputs["apiVersion"] == "security.istio.io/v1"
    assert istiod.urn in peer.raw["dependencies"]


def test_mesh_offers_a_json_access_log_with_the_api_version(plan: Plan) -> None:
    """The provider a Telemetry resource turns on (the gateway does): JSON lines to stdout with
    the path, the API version header each route sets, and the subset (version-colour) served."""
    istiod = next(r for r in plan.of_type(RELEASE) if r.inputs["chart"] == "istiod")
    (provider,) = istiod.inputs["values"]["meshConfig"]["extensionProviders"]
    assert provider["name"] == ACCESS_LOG_PROVIDER
    log = provider["envoyFileAccessLog"]
    assert log["path"] == "/dev/stdout"
    labels = log["logFormat"]["labels"]
    assert labels["api_version"] == f"%REQ({API_VERSION_HEADER.upper()})%"
    assert labels["path"] == "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"
    assert labels["upstream_cluster"] == "%UPSTREAM_CLUSTER%"
    # not mesh-wide: no accessLogFile (every sidecar would log every request)
    assert "accessLogFile" not in istiod.inputs["values"]["meshConfig"]


def test_mesh_config_defines_the_tracing_providers_given() -> None:
    """Istio reads tracing providers only from the mesh config: a provider given to the baseline
    becomes an OpenTelemetry (OTLP/HTTP) extension provider of istiod, after the access log."""
    otel = OtelTracingProvider(name="otel-traces", service="collector.observability.svc.cluster.local",
                               port=4318)

    def program() -> None:
        KubernetesBaseline("base", KubernetesBaselineArgs(k8s_provider=_provider(),
                                                          mesh=MeshSpec(tracing_providers=(otel,))))
    istiod = next(r for r in record(program).of_type(RELEASE) if r.inputs["chart"] == "istiod")
    access, tracing = istiod.inputs["values"]["meshConfig"]["extensionProviders"]
    assert access["name"] == ACCESS_LOG_PROVIDER
    assert tracing == {"name": "otel-traces", "opentelemetry": {
        "service": "collector.observability.svc.cluster.local", "port": 4318,
        "http": {"path": "/v1/traces", "timeout": "5s"}}}


@pytest.mark.parametrize(("providers", "message"), [
    ((OtelTracingProvider("a", "c.ns.svc.cluster.local", 4318), OtelTracingProvider("a", "d.ns", 4318)), "unique"),
    ((OtelTracingProvider(ACCESS_LOG_PROVIDER, "c.ns", 4318),), "not a provider name"),
    ((OtelTracingProvider("Bad_Name", "c.ns", 4318),), "not a provider name"),
    ((OtelTracingProvider("a", "c.ns", 0),), "1-65535"),
    ((OtelTracingProvider("a", "http://c.ns", 4318),), "DNS name"),
    ((OtelTracingProvider("a", "c.ns", 4318, path="v1/traces"),), "absolute path"),
])
def test_mesh_refuses_bad_tracing_providers(providers: tuple[OtelTracingProvider, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KubernetesBaseline("base", KubernetesBaselineArgs(k8s_provider=None,  # type: ignore[arg-type]
                                                          mesh=MeshSpec(tracing_providers=providers)))


def test_default_storage_class_is_encrypted_gp3(plan: Plan) -> None:
    (sc,) = plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.inputs["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": DATA_KEY}
    assert sc.inputs["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert sc.inputs["volumeBindingMode"] == "WaitForFirstConsumer"


def test_without_mesh_no_istio_and_no_injection_label() -> None:
    def program() -> None:
        KubernetesBaseline("base", KubernetesBaselineArgs(
            k8s_provider=_provider(), namespaces={"education": NamespaceSpec(team="education")},
            mesh=MeshSpec(enabled=False)))
    plan = record(program)
    assert not plan.of_type(RELEASE)
    assert not plan.of_type("kubernetes:security.istio.io/v1:PeerAuthentication")
    (ns,) = plan.of_type("kubernetes:core/v1:Namespace")
    assert "istio-injection" not in ns.inputs["metadata"]["labels"]
    assert {p.inputs["metadata"]["name"] for p in plan.of_type(NETPOL)} == {"default-deny-all", "allow-dns-egress"}
    assert not plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass")


# --- ServiceGuards -------------------------------------------------------------------------------------

def test_hpa_holds_70_percent_cpu_scales_up_fast_and_down_after_10_minutes(plan: Plan) -> None:
    (hpa,) = plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    spec = hpa.inputs["spec"]
    assert hpa.inputs["metadata"]["namespace"] == "education"
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 30)
    assert spec["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]
    up, down = spec["behavior"]["scaleUp"], spec["behavior"]["scaleDown"]
    assert up["stabilizationWindowSeconds"] == 0
    assert down["stabilizationWindowSeconds"] == 600
    policies = [ScalePolicy(p["type"], p["value"], p["periodSeconds"]) for p in up["policies"]]
    assert seconds_to_reach(3, 30, policies) <= 120


def test_pdb_allows_one_pod_down_for_node_rotation(plan: Plan) -> None:
    (pdb,) = plan.of_type("kubernetes:policy/v1:PodDisruptionBudget")
    spec = pdb.inputs["spec"]
    assert spec["maxUnavailable"] == 1 and "minAvailable" not in spec
    assert spec["selector"] == {"matchLabels": {"app": "api"}}
    assert pdb.provider is not None and pdb.provider["name"] == "k8s"


def test_seconds_to_reach() -> None:
    assert seconds_to_reach(2, 2, [ScalePolicy("Pods", 1, 60)]) == 0
    assert seconds_to_reach(2, 16, [ScalePolicy("Percent", 100, 60)]) == 180  # 2 -> 4 -> 8 -> 16
    # 2 -> 6 -> 12 -> 24
    assert seconds_to_reach(2, 16, [ScalePolicy("Percent", 100, 15), ScalePolicy("Pods", 4, 15)]) == 45


@pytest.mark.parametrize(("change", "message"), [
    ({"min_replicas": 5, "max_replicas": 4}, "min_replicas <= max_replicas"),
    ({"min_replicas": 0}, "min_replicas <= max_replicas"),
    ({"target_cpu_percent": 0}, "1-100"),
    ({"target_cpu_percent": 101}, "1-100"),
    ({"scale_up_policies": (ScalePolicy("Percent", 100, 60),)}, "need 240s"),
    ({"max_unavailable": None}, "exactly one"),
    ({"max_unavailable": None, "min_available": 3}, "block every node drain"),
    ({"max_unavailable": 0}, "block every node drain"),
    ({"selector": {}}, "selector"),
])
def test_service_guards_validation(change: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"deployment": "api", "namespace": "education", "selector": {"app": "api"},
                               "k8s_provider": None, "min_replicas": 3, "max_replicas": 30}
    with pytest.raises(ValueError, match=message):
        ServiceGuardsArgs(**{**base, **change}).validate()  # type: ignore[arg-type]
