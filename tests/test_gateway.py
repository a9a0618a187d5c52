"""IngressGateway, CertManager and ExternalSecretsOperator: the operators a service relies on."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from azora_infra.plan.model import Plan, Resource
from components.cert_manager import CertManager, CertManagerArgs
from components.external_secrets import ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.gateway import IngressGateway, IngressGatewayArgs, helm_values
from components.k8s_baseline import ACCESS_LOG_PROVIDER
from components.service_guards import ScalePolicy, seconds_to_reach
from tests.harness import record

REGION = "af-south-1"
TG = "arn:aws:elasticloadbalancing:af-south-1:123456789012:targetgroup/edge-tg-gateway/0123456789abcdef"
CIDRS = ("10.10.240.0/24", "10.10.241.0/24", "10.10.242.0/24")
RELEASE = "kubernetes:helm.sh/v3:Release"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _gateway_args(**changes: Any) -> IngressGatewayArgs:
    base: dict[str, Any] = dict(
        k8s_provider=None, target_group_arn=TG, alb_security_group_id="sg-alb", node_security_group_id="sg-nodes",
        load_balancer_cidrs=CIDRS, dns_names=("api.azora.example", "africa.azora.example"))
    return IngressGatewayArgs(**{**base, **changes})


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region=REGION)
        cluster = k8s.Provider("k8s", kubeconfig="{}")
        on_cluster = pulumi.ResourceOptions(provider=cluster)
        istiod = k8s.core.v1.ConfigMap("istiod", opts=on_cluster)
        lb = k8s.core.v1.ConfigMap("lb-controller", opts=on_cluster)
        certs = CertManager("cert-manager", CertManagerArgs(k8s_provider=cluster))
        IngressGateway("gateway", _gateway_args(
            k8s_provider=cluster, mesh_releases=(istiod,), cert_manager_release=certs.release,
            lb_controller_release=lb), provider)
        ExternalSecretsOperator("external-secrets", ExternalSecretsOperatorArgs(
            cluster_name="azora-test", cluster_arn="arn:aws:eks:af-south-1:123456789012:cluster/azora-test",
            region=REGION, k8s_provider=cluster, namespaces=("education", "marketplace")),
            provider)
    return record(program)


def _release(plan: Plan, chart: str) -> Resource:
    return next(r for r in plan.of_type(RELEASE) if r.inputs["chart"] == chart)


# --- the gateway ----------------------------------------------------------------------------------

def test_gateway_chart_hpa_pdb_and_zone_spread(plan: Plan) -> None:
    release = _release(plan, "gateway")
    assert (release.inputs["name"], release.inputs["namespace"], release.inputs["version"]) == (
        "istio-ingress", "azora-ingress", "1.27.1")
    assert release.inputs["repositoryOpts"]["repo"] == "https://istio-release.storage.googleapis.com/charts"
    values = release.inputs["values"]
    hpa = values["autoscaling"]
    assert (hpa["enabled"], hpa["minReplicas"], hpa["maxReplicas"], hpa["targetCPUUtilizationPercentage"]) == (
        True, 3, 12, 70)
    up = [ScalePolicy(p["type"], p["value"], p["periodSeconds"])
          for p in hpa["autoscaleBehavior"]["scaleUp"]["policies"]]
    assert seconds_to_reach(3, 12, up) <= 120
    assert hpa["autoscaleBehavior"]["scaleDown"]["stabilizationWindowSeconds"] == 600
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow"}
    zone = values["topologySpreadConstraints"][0]
    assert (zone["topologyKey"], zone["whenUnsatisfiable"]) == ("topology.kubernetes.io/zone", "DoNotSchedule")
    assert zone["labelSelector"] == {"matchLabels": values["labels"]}


def test_gateway_service_is_cluster_ip_on_the_https_port_and_pods_are_restricted(plan: Plan) -> None:
    values = _release(plan, "gateway").inputs["values"]
    assert values["service"]["type"] == "ClusterIP"
    assert {p["name"]: (p["port"], p["targetPort"]) for p in values["service"]["ports"]} == {
        "status-port": (15021, 15021), "https": (443, 443)}
    pod = values["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["seccompProfile"] == {"type": "RuntimeDefault"}
    # binding 443 as non-root: the sysctl the chart would set itself (safe since Kubernetes 1.22)
    assert pod["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
    proxy = json.loads(values["podAnnotations"]["proxy.istio.io/config"])
    assert proxy == {"gatewayTopology": {"numTrustedProxies": 1}}
    (ns,) = [n for n in plan.of_type("kubernetes:core/v1:Namespace") if n.inputs["metadata"]["name"] == "azora-ingress"]
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_alb_is_admitted_by_security_group_and_network_policy(plan: Plan) -> None:
    (rule,) = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    i = rule.inputs
    assert (i["securityGroupId"], i["referencedSecurityGroupId"], i["fromPort"], i["toPort"]) == (
        "sg-nodes", "sg-alb", 443, 443)
    policies = {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in plan.of_type(NETPOL)
                if p.inputs["metadata"]["namespace"] == "azora-ingress"}
    assert set(policies) == {"default-deny-all", "allow-dns-egress", "allow-istiod-egress", "allow-load-balancer"}
    alb = policies["allow-load-balancer"]
    assert alb["podSelector"] == {"matchLabels": {"app": "istio-ingress", "istio": "ingress"}}
    (ingress,) = alb["ingress"]
    assert [p["ipBlock"]["cidr"] for p in ingress["from"]] == list(CIDRS)
    assert ingress["ports"] == [{"protocol": "TCP", "port": 443}]


def test_certificate_made_in_cluster_for_the_gateway_server(plan: Plan) -> None:
    (issuer,) = plan.of_type("kubernetes:cert-manager.io/v1:Issuer")
    assert issuer.inputs["spec"] == {"selfSigned": {}}
    (cert,) = plan.of_type("kubernetes:cert-manager.io/v1:Certificate")
    spec = cert.inputs["spec"]
    assert spec["dnsNames"] == ["api.azora.example", "africa.azora.example"]
    assert spec["privateKey"] == {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}
    assert (spec["duration"], spec["renewBefore"]) == ("2160h", "720h")
    assert spec["issuerRef"]["name"] == issuer.inputs["metadata"]["name"]
    (gateway,) = plan.of_type("kubernetes:networking.istio.io/v1:Gateway")
    (server,) = gateway.inputs["spec"]["servers"]
    assert server["tls"] == {"mode": "SIMPLE", "credentialName": spec["secretName"], "minProtocolVersion": "TLSV1_2"}
    assert server["port"] == {"number": 443, "name": "https", "protocol": "HTTPS"}
    assert gateway.inputs["spec"]["selector"] == {"istio": "ingress"}
    # cert-manager's CRDs first
    assert _release(plan, "cert-manager").urn in cert.raw["dependencies"]


def test_healthz_is_answered_by_the_gateway_itself(plan: Plan) -> None:
    (vs,) = plan.of_type("kubernetes:networking.istio.io/v1:VirtualService")
    spec = vs.inputs["spec"]
    assert spec["hosts"] == ["*"] and spec["gateways"] == ["azora-gateway"]
    assert spec["http"] == [{"name": "healthz", "match": [{"uri": {"exact": "/healthz"}}],
                             "directResponse": {"status": 200, "body": {"string": "ok\n"}}}]


def test_gateway_access_log_is_the_mesh_json_provider(plan: Plan) -> None:
    (telemetry,) = plan.of_type("kubernetes:telemetry.istio.io/v1:Telemetry")
    spec = telemetry.inputs["spec"]
    assert spec["selector"] == {"matchLabels": {"app": "istio-ingress", "istio": "ingress"}}
    assert spec["accessLogging"] == [{"providers": [{"name": ACCESS_LOG_PROVIDER}]}]


def test_binding_waits_for_the_controller_and_the_gateway(plan: Plan) -> None:
    (binding,) = plan.of_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert binding.inputs["metadata"]["namespace"] == "azora-ingress"
    assert binding.inputs["spec"] == {"serviceRef": {"name": "istio-ingress", "port": 443}, "targetGroupARN": TG,
                                      "targetType": "ip"}
    deps = binding.raw["dependencies"]
    assert _release(plan, "gateway").urn in deps
    assert any(d.endswith("::lb-controller") for d in deps)


@pytest.mark.parametrize(("changes", "message"), [
    ({"min_replicas": 0}, "min_replicas"),
    ({"scale_up_policies": (ScalePolicy("Pods", 1, 60),)}, "scale-up needs"),
    ({"load_balancer_cidrs": ()}, "nothing could reach"),
    ({"health_check_path": "healthz"}, "health_check_path"),
    ({"dns_names": ()}, "DNS name"),
])
def test_gateway_args_are_checked(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _gateway_args(**changes).validate()


def test_helm_values_follow_other_ports() -> None:
    values = helm_values(_gateway_args(port=8443))
    assert {"name": "https", "port": 8443, "protocol": "TCP", "targetPort": 8443} in values["service"]["ports"]


# --- cert-manager -----------------------------------------------------------------------------------

def test_cert_manager_keeps_its_crds_and_runs_two_of_everything(plan: Plan) -> None:
    release = _release(plan, "cert-manager")
    assert (release.inputs["version"], release.inputs["namespace"]) == ("v1.18.2", "cert-manager")
    assert release.inputs["repositoryOpts"]["repo"] == "https://charts.jetstack.io"
    values = release.inputs["values"]
    assert values["crds"] == {"enabled": True, "keep": True}
    for part in (values, values["webhook"], values["cainjector"]):
        assert part["replicaCount"] == 2 and part["podDisruptionBudget"]["enabled"] is True


# --- External Secrets Operator ------------------------------------------------------------------------

def test_one_store_per_namespace_usable_only_from_it(plan: Plan) -> None:
    stores = {s.inputs["metadata"]["name"]: s.inputs["spec"]
              for s in plan.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")}
    assert set(stores) == {"azora-education", "azora-marketplace"}
    readers = {r.name: r for r in plan.of_type("aws:iam/role:Role")}
    for ns in ("education", "marketplace"):
        spec = stores[f"azora-{ns}"]
        assert spec["conditions"] == [{"namespaces": [ns]}]
        assert spec["provider"]["aws"]["service"] == "SecretsManager"
        assert spec["provider"]["aws"]["region"] == REGION
        assert spec["provider"]["aws"]["role"] == readers[f"external-secrets-reader-{ns}"].outputs["arn"]


def test_controller_identity_can_only_assume_the_readers(plan: Plan) -> None:
    roles = {r.name: r for r in plan.of_type("aws:iam/role:Role")}
    controller = roles["external-secrets-controller"]
    trust = json.loads(controller.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    policy = plan.named("aws:iam/rolePolicy:RolePolicy", "external-secrets-controller-assume-readers")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Resource"] == sorted(roles[f"external-secrets-reader-{ns}"].outputs["arn"]
                                           for ns in ("education", "marketplace"))
    for ns in ("education", "marketplace"):
        reader_trust = json.loads(roles[f"external-secrets-reader-{ns}"].inputs["assumeRolePolicy"])
        assert reader_trust["Statement"][0]["Principal"] == {"AWS": controller.outputs["arn"]}
    assoc = next(a for a in plan.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                 if a.inputs["namespace"] == "external-secrets")
    assert (assoc.inputs["serviceAccount"], assoc.inputs["roleArn"]) == ("external-secrets", controller.outputs["arn"])
    release = _release(plan, "external-secrets")
    assert release.inputs["values"]["serviceAccount"]["name"] == "external-secrets"
    assert release.inputs["values"]["installCRDs"] is True
    assert assoc.urn in release.raw["dependencies"]
