"""AzoraService: what an app team gets for one service, planned alone under the mocks."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from azora_infra.plan.model import Plan, Resource
from components.external_secrets import SecretStoreRef
from components.gateway import GatewayRef
from components.service import (
    ApiVersionSpec,
    AzoraService,
    AzoraServiceArgs,
    CallerRef,
    ColourSpec,
    EgressRule,
    MigrationSpec,
    ScalingSpec,
    SecretRef,
    add_months,
    deprecation_headers,
    lifecycle_policy,
    secret_arn,
)
from components.service_guards import ScalePolicy, seconds_to_reach
from tests.harness import record

REGION = "af-south-1"
DATA_KEY = "arn:aws:kms:af-south-1:123456789012:key/data"
SECRET = "arn:aws:secretsmanager:af-south-1:123456789012:secret:azora/cache/app-AbCdEf"
GATEWAY = GatewayRef(namespace="azora-ingress", name="azora-gateway",
                     pod_labels={"app": "istio-ingress", "istio": "ingress"})
STORE = SecretStoreRef(name="azora-education", region=REGION, reader_role_name="reader-education",
                       reader_role_arn="arn:aws:iam::123456789012:role/reader-education")
CLUSTER_ARN = "arn:aws:eks:af-south-1:123456789012:cluster/azora-test"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
VS = "kubernetes:networking.istio.io/v1:VirtualService"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _args(**changes: Any) -> AzoraServiceArgs:
    base: dict[str, Any] = dict(
        name="education-api", team="education", namespace="education", region=REGION,
        cluster_name="azora-test", cluster_arn=CLUSTER_ARN, k8s_provider=None, repository_key_arn=DATA_KEY,
        versions={
            "v1": ApiVersionSpec(colours={"blue": ColourSpec("1.9.4", 100)},
                                 deprecation=dt.date(2025, 10, 1), sunset=dt.date(2026, 10, 1)),
            "v2": ApiVersionSpec(colours={"blue": ColourSpec("2.3.0", 80), "green": ColourSpec("2.4.0", 20)}),
        },
        gateway=GATEWAY, hosts=("api.azora.example", "africa.azora.example"), path_prefix="/education",
        scaling=ScalingSpec(min_replicas=3, max_replicas=20),
        secrets={"CACHE_PASSWORD": SecretRef(SECRET, "password"), "STRIPE_KEY": SecretRef("azora/education/stripe")},
        secret_store=STORE,
        callers={"education-web": CallerRef(namespace="education", service="education-web"),
                 "marketplace-api": CallerRef(namespace="marketplace", service="marketplace-api")},
        egress={"cache": EgressRule(cidrs=("10.10.252.0/24", "10.10.253.0/24"), ports=(6379,))},
        migration=MigrationSpec(image_tag="2.4.0", command=("/app/bin/migrate", "up")),
    )
    return AzoraServiceArgs(**{**base, **changes})


def _plan(**changes: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region=REGION)
        cluster = k8s.Provider("k8s", kubeconfig="{}")
        namespace = k8s.core.v1.Namespace("ns", metadata={"name": "education"},
                                          opts=pulumi.ResourceOptions(provider=cluster))
        AzoraService("education-api", _args(k8s_provider=cluster, depends_on=(namespace,), **changes), provider)
    return record(program)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _plan()


def _named(plan: Plan, type_: str, name: str) -> Resource:
    return next(r for r in plan.of_type(type_) if r.inputs["metadata"]["name"] == name)


# --- registry and identity ---------------------------------------------------------------------

def test_ecr_repository_scans_on_push_with_immutable_tags_kms_and_service_tags(plan: Plan) -> None:
    (repo,) = plan.of_type("aws:ecr/repository:Repository")
    i = repo.inputs
    assert i["name"] == "education/education-api"
    assert i["imageTagMutability"] == "IMMUTABLE"
    assert i["imageScanningConfiguration"] == {"scanOnPush": True}
    assert i["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": DATA_KEY}]
    assert i["forceDelete"] is False
    # cost splits by service: the service's own team and service tags
    assert repo.tags["azora:team"] == "education" and repo.tags["azora:service"] == "education-api"
    (life,) = plan.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert life.inputs["repository"] == repo.outputs["name"]
    rules = json.loads(life.inputs["policy"])["rules"]
    assert rules[0]["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                     "countUnit": "days", "countNumber": 7}
    assert rules[1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 200}
    assert [r["rulePriority"] for r in rules] == [1, 2]  # the "any" rule must come last


def test_pods_get_a_pod_identity_role_tagged_for_the_service(plan: Plan) -> None:
    (role,) = [r for r in plan.of_type("aws:iam/role:Role")]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert set(trust["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert role.tags["azora:service"] == "education-api"
    (assoc,) = plan.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (assoc.inputs["namespace"], assoc.inputs["serviceAccount"]) == ("education", "education-api")
    assert assoc.inputs["roleArn"] == role.outputs["arn"]
    (sa,) = plan.of_type("kubernetes:core/v1:ServiceAccount")
    assert sa.inputs["metadata"]["name"] == "education-api"
    assert sa.inputs["automountServiceAccountToken"] is False


def test_role_policy_only_when_statements_are_given(plan: Plan) -> None:
    names = {r.name for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert "education-api-role-policy" not in names
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::azora-content/*"}
    with_policy = _plan(policy_statements=(statement,), migration=None)
    policy = with_policy.named("aws:iam/rolePolicy:RolePolicy", "education-api-role-policy")
    assert json.loads(policy.inputs["policy"])["Statement"] == [statement]


# --- secrets ---------------------------------------------------------------------------------------

def test_reader_role_gets_exactly_the_declared_secrets(plan: Plan) -> None:
    grant = plan.named("aws:iam/rolePolicy:RolePolicy", "education-api-secrets-read")
    assert grant.inputs["role"] == "reader-education"
    doc = json.loads(grant.inputs["policy"])
    read, decrypt = doc["Statement"]
    assert sorted(read["Resource"]) == sorted([
        SECRET, "arn:aws:secretsmanager:af-south-1:123456789012:secret:azora/education/stripe-??????"])
    assert set(read["Action"]) == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": "secretsmanager.af-south-1.amazonaws.com"}
    # only the declared secrets (Secrets Manager's encryption context), only this account's keys here
    assert decrypt["Condition"]["StringLike"] == {"kms:EncryptionContext:SecretARN": sorted(read["Resource"])}
    assert decrypt["Resource"] == ["arn:aws:kms:af-south-1:123456789012:key/*"]


def test_external_secret_syncs_them_into_one_secret_the_pods_read(plan: Plan) -> None:
    (es,) = plan.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
    spec = es.inputs["spec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "azora-education"}
    assert spec["target"] == {"name": "education-api-secrets", "creationPolicy": "Owner"}
    assert spec["data"] == [
        {"secretKey": "CACHE_PASSWORD", "remoteRef": {"key": SECRET, "property": "password"}},
        {"secretKey": "STRIPE_KEY", "remoteRef": {"key": "azora/education/stripe"}}]
    grant = plan.named("aws:iam/rolePolicy:RolePolicy", "education-api-secrets-read")
    assert grant.urn in es.raw["dependencies"]
    for d in plan.of_type(DEPLOYMENT):
        env = {e["name"]: e for e in d.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["CACHE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "education-api-secrets",
                                                                      "key": "CACHE_PASSWORD"}
        assert es.urn in d.raw["dependencies"]


def test_secret_arn_of_a_name_and_of_an_arn() -> None:
    assert secret_arn(SECRET, REGION, "123456789012") == SECRET
    assert secret_arn("azora/x", "eu-west-1", "1") == "arn:aws:secretsmanager:eu-west-1:1:secret:azora/x-??????"


# --- migration before rollout ------------------------------------------------------------------------

def test_migration_job_runs_before_every_deployment(plan: Plan) -> None:
    (job,) = plan.of_type("kubernetes:batch/v1:Job")
    spec = job.inputs["spec"]
    assert spec["backoffLimit"] == 0 and spec["activeDeadlineSeconds"] == 900
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["image"].endswith("/education/education-api:2.4.0")
    assert pod["containers"][0]["command"] == ["/app/bin/migrate", "up"]
    # not meshed: a sidecar would keep the Job's pod running after the migration ends
    assert spec["template"]["metadata"]["labels"]["sidecar.istio.io/inject"] == "false"
    assert job.inputs["metadata"]["annotations"] == {"pulumi.com/replaceUnready": "true"}
    # Pulumi waits for the Job (awaited to Complete, fails on Failed): the Deployments depend on it
    assert job.options["customTimeouts"]["create"] == "1020s"
    deployments = plan.of_type(DEPLOYMENT)
    assert len(deployments) == 3
    for d in deployments:
        assert job.urn in d.raw["dependencies"], d.name


def test_a_new_migration_is_a_new_job() -> None:
    first = _plan().of_type("kubernetes:batch/v1:Job")[0].inputs["metadata"]["name"]
    second = _plan(migration=MigrationSpec(image_tag="2.5.0", command=("/app/bin/migrate", "up"))).of_type(
        "kubernetes:batch/v1:Job")[0].inputs["metadata"]["name"]
    assert first.startswith("education-api-migrate-") and second != first


def test_without_migration_no_job() -> None:
    plan = _plan(migration=None)
    assert plan.of_type("kubernetes:batch/v1:Job") == []
    assert len(plan.of_type(DEPLOYMENT)) == 3


# --- workloads ------------------------------------------------------------------------------------------

def test_one_restricted_deployment_per_version_and_colour(plan: Plan) -> None:
    deployments = {d.inputs["metadata"]["name"]: d.inputs["spec"] for d in plan.of_type(DEPLOYMENT)}
    assert set(deployments) == {"education-api-v1-blue", "education-api-v2-blue", "education-api-v2-green"}
    for name, spec in deployments.items():
        version, colour = name.split("-")[-2:]
        assert spec["selector"]["matchLabels"] == {
            "app.kubernetes.io/name": "education-api", "app.kubernetes.io/component": "server",
            "version": version, "azora.io/colour": colour}
        assert "replicas" not in spec  # the HPA owns the replica count
        # zero downtime: a rollout starts new pods first and never takes a ready one away
        assert spec["strategy"] == {"type": "RollingUpdate",
                                    "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        (c,) = pod["containers"]
        assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
        assert c["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"},
                                  "limits": {"cpu": "1", "memory": "512Mi"}}
        assert {"name": "AZORA_API_VERSION", "value": version} in c["env"]
        assert {"name": "AZORA_COLOUR", "value": colour} in c["env"]
        assert c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert c["livenessProbe"]["httpGet"] == {"path": "/live", "port": "http"}
        assert c["startupProbe"]["failureThreshold"] * c["startupProbe"]["periodSeconds"] == 120
        zone = next(t for t in pod["topologySpreadConstraints"] if t["topologyKey"] == "topology.kubernetes.io/zone")
        assert zone["whenUnsatisfiable"] == "DoNotSchedule"
        assert zone["labelSelector"] == {"matchLabels": spec["selector"]["matchLabels"]}
    images = {n: s["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for n, s in deployments.items()}
    assert images == {"education-api-v1-blue": "1.9.4", "education-api-v2-blue": "2.3.0",
                      "education-api-v2-green": "2.4.0"}


def test_hpa_and_pdb_for_every_deployment(plan: Plan) -> None:
    hpas = {h.inputs["spec"]["scaleTargetRef"]["name"]: h.inputs["spec"]
            for h in plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")}
    pdbs = {p.inputs["metadata"]["name"]: p.inputs["spec"]
            for p in plan.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    deployments = {d.inputs["metadata"]["name"]: d for d in plan.of_type(DEPLOYMENT)}
    assert set(hpas) == set(pdbs) == set(deployments)
    for name, hpa in hpas.items():
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 20)
        assert hpa["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
        assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 600
        up = [ScalePolicy(p["type"], p["value"], p["periodSeconds"]) for p in hpa["behavior"]["scaleUp"]["policies"]]
        assert seconds_to_reach(3, 20, up) <= 120
        assert pdbs[name]["maxUnavailable"] == 1
        assert pdbs[name]["selector"] == deployments[name].inputs["spec"]["selector"]


# --- routes --------------------------------------------------------------------------------------------

def _routes(plan: Plan, gateway: str) -> dict[str, dict[str, Any]]:
    vs = next(v for v in plan.of_type(VS) if gateway in v.inputs["spec"]["gateways"])
    return {r["name"]: r for r in vs.inputs["spec"]["http"]}


def test_versions_route_to_their_subsets_with_the_version_header(plan: Plan) -> None:
    vs = next(v for v in plan.of_type(VS) if v.inputs["spec"]["gateways"] == ["azora-ingress/azora-gateway"])
    assert vs.inputs["spec"]["hosts"] == ["api.azora.example", "africa.azora.example"]
    routes = _routes(plan, "azora-ingress/azora-gateway")
    for version in ("v1", "v2"):
        r = routes[version]
        assert r["match"] == [{"uri": {"prefix": f"/education/{version}/"}},
                              {"uri": {"exact": f"/education/{version}"}}]
        assert r["headers"]["request"] == {"set": {"x-azora-api-version": version}}
        assert {d["destination"]["subset"].split("-")[0] for d in r["route"]} == {version}
        assert all(d["destination"]["host"] == "education-api.education.svc.cluster.local" for d in r["route"])
    (rule,) = plan.of_type("kubernetes:networking.istio.io/v1:DestinationRule")
    assert rule.inputs["spec"]["trafficPolicy"]["tls"] == {"mode": "ISTIO_MUTUAL"}
    assert {s["name"]: s["labels"] for s in rule.inputs["spec"]["subsets"]} == {
        "v1-blue": {"version": "v1", "azora.io/colour": "blue"},
        "v2-blue": {"version": "v2", "azora.io/colour": "blue"},
        "v2-green": {"version": "v2", "azora.io/colour": "green"}}


def test_deprecated_version_sends_deprecation_and_sunset(plan: Plan) -> None:
    routes = _routes(plan, "azora-ingress/azora-gateway")
    assert routes["v1"]["headers"]["response"] == {"set": {
        "Deprecation": "@1759276800", "Sunset": "Thu, 01 Oct 2026 00:00:00 GMT"}}
    assert "response" not in routes["v2"]["headers"]
    assert dt.datetime.fromtimestamp(1759276800, tz=dt.timezone.utc) == dt.datetime(2025, 10, 1, tzinfo=dt.timezone.utc)


def test_colour_weights_split_a_version(plan: Plan) -> None:
    for gateway in ("azora-ingress/azora-gateway", "mesh"):
        routes = _routes(plan, gateway)
        assert {d["destination"]["subset"]: d["weight"] for d in routes["v2"]["route"]} == {
            "v2-blue": 80, "v2-green": 20}
        assert {d["destination"]["subset"]: d["weight"] for d in routes["v1"]["route"]} == {"v1-blue": 100}


def test_cutover_is_a_weight_change() -> None:
    versions = {"v2": ApiVersionSpec(colours={"blue": ColourSpec("2.3.0", 0), "green": ColourSpec("2.4.0", 100)})}
    routes = _routes(_plan(versions=versions, migration=None), "azora-ingress/azora-gateway")
    assert {d["destination"]["subset"]: d["weight"] for d in routes["v2"]["route"]} == {"v2-blue": 0, "v2-green": 100}


def test_service_selects_every_server_pod_on_its_named_port(plan: Plan) -> None:
    (svc,) = plan.of_type("kubernetes:core/v1:Service")
    spec = svc.inputs["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["selector"] == {"app.kubernetes.io/name": "education-api", "app.kubernetes.io/component": "server"}
    assert spec["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP",
                              "appProtocol": "http"}]


# --- network policies --------------------------------------------------------------------------------

def _policies(plan: Plan) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p.inputs["metadata"]["namespace"], p.inputs["metadata"]["name"]): p.inputs["spec"]
            for p in plan.of_type(NETPOL)}


def test_gateway_and_declared_callers_only(plan: Plan) -> None:
    pols = _policies(plan)
    server = {"app.kubernetes.io/name": "education-api", "app.kubernetes.io/component": "server"}
    into = pols[("education", "education-api-from-gateway")]
    assert into["podSelector"] == {"matchLabels": server}
    assert into["ingress"] == [{"from": [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "azora-ingress"}},
        "podSelector": {"matchLabels": {"app": "istio-ingress", "istio": "ingress"}}}],
        "ports": [{"protocol": "TCP", "port": 8080}]}]
    out = pols[("azora-ingress", "gateway-to-education-education-api")]
    assert out["podSelector"] == {"matchLabels": {"app": "istio-ingress", "istio": "ingress"}}
    assert out["egress"][0]["to"][0]["podSelector"] == {"matchLabels": server}
    caller_in = pols[("education", "education-api-from-marketplace-api")]["ingress"][0]["from"][0]
    assert caller_in["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "marketplace"}
    assert caller_in["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "marketplace-api"}
    caller_out = pols[("marketplace", "marketplace-api-to-education-education-api")]
    assert caller_out["policyTypes"] == ["Egress"]
    ingress_sources = [(ns, name) for (ns, name), spec in pols.items() if "Ingress" in spec["policyTypes"]]
    assert sorted(ingress_sources) == [("education", "education-api-from-education-web"),
                                       ("education", "education-api-from-gateway"),
                                       ("education", "education-api-from-marketplace-api")]


def test_egress_to_declared_destinations_and_the_pod_identity_agent(plan: Plan) -> None:
    pols = _policies(plan)
    cache = pols[("education", "education-api-egress-cache")]
    assert cache["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "education-api"}}  # the Job too
    assert [p["ipBlock"]["cidr"] for p in cache["egress"][0]["to"]] == ["10.10.252.0/24", "10.10.253.0/24"]
    assert cache["egress"][0]["ports"] == [{"protocol": "TCP", "port": 6379}]
    agent = pols[("education", "education-api-pod-identity-agent")]["egress"][0]
    assert agent == {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"protocol": "TCP", "port": 80}]}


def test_not_exposed_means_no_gateway_route_or_allow() -> None:
    plan = _plan(gateway=None, hosts=(), path_prefix="", migration=None)
    gateways = [v.inputs["spec"]["gateways"] for v in plan.of_type(VS)]
    assert gateways == [["mesh"]]
    assert all("gateway" not in p.inputs["metadata"]["name"] for p in plan.of_type(NETPOL))


def test_every_kubernetes_child_waits_for_what_it_is_given(plan: Plan) -> None:
    namespace = next(r for r in plan.of_type("kubernetes:core/v1:Namespace"))
    for r in plan:
        if r.type.startswith("kubernetes:") and r.type != "kubernetes:core/v1:Namespace":
            assert namespace.urn in r.raw["dependencies"], r.name


# --- validation -------------------------------------------------------------------------------------

def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(dt.date(2025, 10, 1), 12) == dt.date(2026, 10, 1)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 12, 15), 13) == dt.date(2027, 1, 15)


def test_deprecation_headers_formats() -> None:
    assert deprecation_headers(dt.date(2024, 1, 1), dt.date(2025, 1, 1)) == {
        "Deprecation": "@1704067200", "Sunset": "Wed, 01 Jan 2025 00:00:00 GMT"}


def test_lifecycle_policy_is_valid_json_with_the_given_numbers() -> None:
    rules = json.loads(lifecycle_policy(3, 50))["rules"]
    assert rules[0]["selection"]["countNumber"] == 3 and rules[1]["selection"]["countNumber"] == 50


@pytest.mark.parametrize(("changes", "message"), [
    ({"versions": {"v1": ApiVersionSpec(colours={"blue": ColourSpec("1", 60), "green": ColourSpec("2", 30)})}},
     "sum to 100"),
    ({"versions": {"v1": ApiVersionSpec(colours={"red": ColourSpec("1", 100)})}}, "colours among"),
    ({"versions": {"1": ApiVersionSpec(colours={"blue": ColourSpec("1", 100)})}}, "not an API version"),
    ({"versions": {"v1": ApiVersionSpec(colours={"blue": ColourSpec("1", 100)}, deprecation=dt.date(2025, 1, 1),
                                        sunset=dt.date(2025, 12, 31))}}, "less than 12 months"),
    ({"versions": {"v1": ApiVersionSpec(colours={"blue": ColourSpec("1", 100)}, deprecation=dt.date(2025, 1, 1))}},
     "both a deprecation and a sunset"),
    ({"versions": {}}, "at least one API version"),
    ({"path_prefix": "education"}, "path prefix"),
    ({"hosts": ()}, "path prefix"),
    ({"secret_store": None}, "secret_store"),
    ({"secrets": {"cache-password": SecretRef(SECRET)}}, "environment variable"),
    ({"name": "Education_API"}, "lowercase DNS labels"),
    ({"scaling": ScalingSpec(min_replicas=0)}, "min_replicas"),
    ({"migration": MigrationSpec(image_tag="1", command=())}, "needs a command"),
])
def test_bad_args_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _args(**changes).validate()


def test_sunset_exactly_twelve_months_later_is_accepted() -> None:
    _args(versions={"v1": ApiVersionSpec(colours={"blue": ColourSpec("1", 100)}, deprecation=dt.date(2024, 2, 29),
                                         sunset=dt.date(2025, 2, 28))}).validate()


def test_sidecars_are_sized_so_the_namespace_quota_holds_the_pods(plan: Plan) -> None:
    """Istio's default sidecar limits (2 CPU, 1 GiB per pod) would exhaust a team quota long
    before the application does: every server pod sizes its sidecar by annotation."""
    for d in plan.of_type(DEPLOYMENT):
        annotations = d.inputs["spec"]["template"]["metadata"]["annotations"]
        assert annotations == {"sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyMemory": "128Mi",
                               "sidecar.istio.io/proxyCPULimit": "500m", "sidecar.istio.io/proxyMemoryLimit": "256Mi"}
