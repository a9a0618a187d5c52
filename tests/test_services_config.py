"""`azora:services`: validation (one line naming file and field), a config change becoming a plan
change, and the repo stacks' declared services each with HPA, PDB, routes and ECR repository."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from azora_infra.compose.services import egress_cidrs
from azora_infra.config import ConfigError, load_stack_file, parse_config
from azora_infra.config.services import add_months
from azora_infra.plan.model import Plan
from azora_infra.stack import build_region_stack
from tests.conftest import REPO_STACKS
from tests.harness import ALERTING, ROOT, record

VALID: dict[str, Any] = {
    "aws:region": "af-south-1", "azora:region": "af-south-1", "azora:role": "primary", "azora:primaryStack": "africa",
    "azora:network": {"cidr": "10.10.0.0/16", "azCount": 3},
    "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
    "azora:alerting": ALERTING,
}
API: dict[str, Any] = {
    "team": "education", "pathPrefix": "/education",
    "versions": {
        "v1": {"deprecation": "2025-10-01", "sunset": "2026-10-01",
               "colours": {"blue": {"tag": "1.9.4", "weight": 100}}},
        "v2": {"colours": {"blue": {"tag": "2.3.0", "weight": 100}, "green": {"tag": "2.4.0", "weight": 0}}},
    },
}


def _raw(services: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {**VALID, "azora:services": services, **more}


def _api(**changes: Any) -> dict[str, Any]:
    api = copy.deepcopy(API)
    api.update(changes)
    return api


def _error(raw: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_config(raw, "Pulumi.africa.yaml")
    assert "\n" not in str(err.value) and str(err.value).startswith("Pulumi.africa.yaml: azora:")
    return err.value


def test_a_valid_section() -> None:
    cfg = parse_config(_raw({"education-api": API}), "Pulumi.africa.yaml")
    svc = cfg.services["education-api"]
    assert svc.namespace_name() == "education" and svc.prefix("education-api") == "/education"
    assert svc.versions["v1"].sunset == dt.date(2026, 10, 1)
    assert svc.versions["v2"].colours["green"].weight == 0


@pytest.mark.parametrize(("v1", "field", "fragment"), [
    ({"deprecation": "2025-10-01", "sunset": "2026-09-30", "colours": {"blue": {"tag": "1", "weight": 100}}},
     "azora:services.education-api.versions.v1.sunset", "less than 12 months after the deprecation 2025-10-01"),
    ({"deprecation": "2025-10-01", "colours": {"blue": {"tag": "1", "weight": 100}}},
     "azora:services.education-api.versions.v1", "needs a sunset date"),
    ({"sunset": "2026-10-01", "colours": {"blue": {"tag": "1", "weight": 100}}},
     "azora:services.education-api.versions.v1.sunset", "needs a deprecation date"),
    ({"colours": {"blue": {"tag": "1", "weight": 60}, "green": {"tag": "2", "weight": 30}}},
     "azora:services.education-api.versions.v1.colours", "sum to 100 (got blue 60, green 30)"),
    ({"colours": {"red": {"tag": "1", "weight": 100}}}, "azora:services.education-api.versions.v1.colours",
     "'red' not a colour (blue or green)"),
    ({"colours": {"blue": {"tag": "latest", "weight": 100}}},
     "azora:services.education-api.versions.v1.colours.blue.tag", "not an immutable image tag"),
    ({"colours": {"blue": {"tag": "1", "weight": 101}}},
     "azora:services.education-api.versions.v1.colours.blue.weight", ""),
    ({"deprecation": "2025-10-01", "sunset": None, "colours": {"blue": {"tag": "1", "weight": 100}}},
     "azora:services.education-api.versions.v1.sunset", "needs a sunset date"),
])
def test_version_errors_name_the_field(v1: dict[str, Any], field: str, fragment: str) -> None:
    err = _error(_raw({"education-api": _api(versions={"v1": v1})}))
    assert err.field == field and fragment in err.message, str(err)


def test_sunset_twelve_months_after_the_last_day_of_february() -> None:
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    v1 = {"deprecation": "2024-02-29", "sunset": "2025-02-28", "colours": {"blue": {"tag": "1", "weight": 100}}}
    parse_config(_raw({"education-api": _api(versions={"v1": v1})}), "Pulumi.africa.yaml")


@pytest.mark.parametrize(("services", "more", "field", "fragment"), [
    ({"education-api": _api(team="nobody")}, {}, "azora:services.education-api.team", "not a team namespace"),
    ({"education-api": _api(callers=["ghost"])}, {}, "azora:services.education-api.callers", "'ghost' is not"),
    ({"education-api": _api(callers=["education-api"])}, {}, "azora:services.education-api.callers", "is not another"),
    ({"a": _api(), "b": _api(pathPrefix="/education/admin")}, {}, "azora:services.b.pathPrefix", "overlaps /education"),
    ({"education-api": _api(pathPrefix="/healthz")}, {}, "azora:services.education-api.pathPrefix",
     "health route"),
    ({"education-api": _api(pathPrefix="/Education/")}, {}, "azora:services.education-api.pathPrefix", ""),
    ({"Education": _api()}, {}, "azora:services.Education", "not a service name"),
    ({"education-api": _api()}, {"azora:eks": {"enabled": False}}, "azora:services", "azora:eks.enabled"),
    ({"education-api": _api(secrets={"db-password": {"secret": "x"}})}, {}, "azora:services.education-api.secrets",
     "environment variable"),
    ({"education-api": _api(secrets={"DB": {"secret": "database:global"}})}, {},
     "azora:services.education-api.secrets.DB.secret", "not a platform secret"),
    ({"education-api": _api(egress={"db": {"to": ["10.0.0.0/33"], "ports": [5432]}})}, {},
     "azora:services.education-api.egress.db.to", "not an IPv4 network"),
    ({"education-api": _api(scaling={"minReplicas": 5, "maxReplicas": 2})}, {},
     "azora:services.education-api.scaling", "minReplicas 5 > maxReplicas 2"),
    ({}, {"azora:dns": {"healthCheckPath": "/status"}}, "azora:dns.healthCheckPath", "not the gateway's health route"),
    ({"education-api": _api(resources={"limitsCpu": "lots"})}, {}, "azora:services.education-api.resources.limitsCpu",
     "not a Kubernetes quantity"),
    ({"education-api": _api(probes={"readinessPath": "ready"})}, {},
     "azora:services.education-api.probes.readinessPath", "not an absolute URL path"),
    ({"education-api": _api(secrets={"DB": {"secret": "has space"}})}, {},
     "azora:services.education-api.secrets.DB.secret", "not a Secrets Manager secret name"),
    ({"education-api": _api(egress={"db": {"to": ["vpc"], "ports": [0]}})}, {},
     "azora:services.education-api.egress.db.ports", "1-65535"),
    ({"education-api": _api(team="Education Team")}, {}, "azora:services.education-api.team", "not a team name"),
    ({"education-api": _api(hosts=["API.example"])}, {}, "azora:services.education-api.hosts", "not a lowercase DNS"),
    ({"education-api": _api(versions={"version1": API["versions"]["v2"]})}, {},
     "azora:services.education-api.versions", "not an API version"),
])
def test_section_errors_name_the_field(services: dict[str, Any], more: dict[str, Any], field: str,
                                       fragment: str) -> None:
    err = _error(_raw(services, **more))
    assert err.field == field and fragment in err.message, str(err)


def test_unexposed_services_do_not_claim_paths() -> None:
    cfg = parse_config(_raw({"a": _api(), "b": _api(exposed=False, team="marketplace")}), "Pulumi.africa.yaml")
    assert not cfg.services["b"].exposed


def test_namespace_quota_must_hold_the_services_at_their_minimum() -> None:
    """Three Deployments x 3 replicas with sidecars need 13.5 CPUs of limits: fits the default
    quota (16); two such services in one namespace (27) do not, and the error names the quota."""
    one = parse_config(_raw({"education-api": API}), "Pulumi.africa.yaml").services["education-api"]
    need = one.minimum_footprint()
    assert need["pods"] == 9 and need["limits.cpu"] == pytest.approx(9 * 1.5)
    assert need["requests.memory"] == pytest.approx(9 * (256 + 128) * 2**20)
    with_job = _api(migration={"tag": "2.4.0", "command": ["/migrate"]})
    job = parse_config(_raw({"education-api": with_job}), "Pulumi.africa.yaml").services["education-api"]
    assert job.minimum_footprint()["pods"] == 10 and job.minimum_footprint()["limits.cpu"] == pytest.approx(14.5)
    err = _error(_raw({"a": _api(), "b": _api(pathPrefix="/other")}))
    assert err.field == "azora:eks.namespaces.education.quota.limitsCpu"
    assert "need 27 at their minimum replicas" in err.message
    bigger = {"education": {"team": "education", "quota": {"limitsCpu": "32"}}}
    parse_config(_raw({"a": _api(), "b": _api(pathPrefix="/other")}, **{"azora:eks": {"namespaces": bigger}}),
                 "Pulumi.africa.yaml")


def test_a_container_above_the_namespace_maximum_is_refused() -> None:
    err = _error(_raw({"education-api": _api(resources={"limitsCpu": "6"})}))
    assert err.field == "azora:services.education-api.resources.limitsCpu"
    assert "above the namespace's container maximum 4" in err.message


def test_sidecar_sizes_match_the_component() -> None:
    from azora_infra.config.services import SIDECAR_LIMITS, SIDECAR_REQUESTS
    from components.service import SIDECAR_RESOURCES

    from_config = {
        "sidecar.istio.io/proxyCPU": SIDECAR_REQUESTS["cpu"],
        "sidecar.istio.io/proxyMemory": SIDECAR_REQUESTS["memory"],
        "sidecar.istio.io/proxyCPULimit": SIDECAR_LIMITS["cpu"],
        "sidecar.istio.io/proxyMemoryLimit": SIDECAR_LIMITS["memory"]}
    assert from_config == SIDECAR_RESOURCES


@pytest.mark.parametrize(("text", "value"), [("250m", 0.25), ("2", 2.0), ("1.5", 1.5), ("512Mi", 512 * 2**20),
                                             ("4Gi", 4 * 2**30), ("1k", 1000.0), ("1G", 1e9)])
def test_quantities(text: str, value: float) -> None:
    from azora_infra.config.validators import quantity

    assert quantity(text) == pytest.approx(value)
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantity("2 cores")


def test_egress_destinations_resolve_to_the_network_layout() -> None:
    cfg = parse_config(_raw({}), "Pulumi.africa.yaml")
    cache = egress_cidrs(cfg, ("subnets:cache",))
    assert len(cache) == 3 and all(c.startswith("10.10.") for c in cache)
    assert egress_cidrs(cfg, ("vpc", "192.0.2.0/24", "vpc")) == ["10.10.0.0/16", "192.0.2.0/24"]


# --- a config change is a plan change (cutover and rollback) --------------------------------------------

def _route_weights(raw: dict[str, Any]) -> dict[str, int]:
    cfg = parse_config(raw, "Pulumi.africa.yaml")
    plan = record(lambda: build_region_stack(cfg, "africa"), stack="africa")
    vs = next(v for v in plan.of_type("kubernetes:networking.istio.io/v1:VirtualService")
              if v.inputs["metadata"]["name"] == "education-api")
    v2 = next(r for r in vs.inputs["spec"]["http"] if r["name"] == "v2")
    return {d["destination"]["subset"]: d["weight"] for d in v2["route"]}


def test_changing_the_weights_in_config_changes_the_plan() -> None:
    """Cutover: one change in the stack file (blue 100/green 0 -> blue 0/green 100) and the
    planned routes follow; rollback is the same change back."""
    raw = _raw({"education-api": API})
    assert _route_weights(raw) == {"v2-blue": 100, "v2-green": 0}
    cutover = copy.deepcopy(raw)
    colours = cutover["azora:services"]["education-api"]["versions"]["v2"]["colours"]
    colours["blue"]["weight"], colours["green"]["weight"] = 0, 100
    assert _route_weights(cutover) == {"v2-blue": 0, "v2-green": 100}


def test_a_stack_without_services_still_answers_its_health_route() -> None:
    """No services: the gateway, its binding and its health route still plan, so Route 53 and
    the ALB see a healthy region; the walk stops only where the first service route would be."""
    from tests.request_path import MissingHop, walk

    cfg = parse_config(_raw({}), "Pulumi.africa.yaml")
    plan = record(lambda: build_region_stack(cfg, "africa"), stack="africa")
    assert plan.of_type("azora:service:AzoraService") == []
    assert len(plan.of_type("azora:gateway:IngressGateway")) == 1
    with pytest.raises(MissingHop) as err:
        walk(plan)
    assert err.value.hop == "Gateway -> VirtualService"


# --- the repo stacks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", REPO_STACKS)
def test_each_declared_service_has_hpa_pdb_routes_and_ecr(repo_plan: Any, stack: str) -> None:
    cfg = load_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    plan = Plan(repo_plan(stack))
    assert set(cfg.services) == {"education-web", "education-api", "marketplace-api"}
    repos = {r.inputs["name"]: r for r in plan.of_type("aws:ecr/repository:Repository")}
    hpas = {h.inputs["spec"]["scaleTargetRef"]["name"] for h in
            plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")}
    pdbs = {p.inputs["metadata"]["name"] for p in plan.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    routes = {v.inputs["metadata"]["name"]: v.inputs["spec"] for v in
              plan.of_type("kubernetes:networking.istio.io/v1:VirtualService")}
    for name, svc in cfg.services.items():
        repo = repos[f"{svc.team}/{name}"]
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.tags["azora:team"] == svc.team and repo.tags["azora:service"] == name
        assert repo.tags["azora:cost-center"] == cfg.tags.cost_center  # the stack's, from the provider
        for version, spec in svc.versions.items():
            for colour in spec.colours:
                deployment = f"{name}-{version}-{colour}"
                assert deployment in hpas and deployment in pdbs, deployment
        assert {r["name"] for r in routes[name]["http"]} == set(svc.versions)
    role_tags = {r.tags.get("azora:service") for r in plan.of_type("aws:iam/role:Role")}
    assert set(cfg.services) <= role_tags


def test_repo_stacks_deprecate_education_v1_with_a_years_notice(repo_plan: Any) -> None:
    for stack in REPO_STACKS:
        plan = Plan(repo_plan(stack))
        vs = next(v for v in plan.of_type("kubernetes:networking.istio.io/v1:VirtualService")
                  if v.inputs["metadata"]["name"] == "education-api")
        v1 = next(r for r in vs.inputs["spec"]["http"] if r["name"] == "v1")
        headers = v1["headers"]["response"]["set"]
        deprecation = dt.datetime.fromtimestamp(int(headers["Deprecation"].lstrip("@")), tz=dt.timezone.utc).date()
        sunset = dt.datetime.strptime(headers["Sunset"], "%a, %d %b %Y %H:%M:%S GMT").date()
        assert sunset >= add_months(deprecation, 12)


def test_stack_files_quote_their_dates() -> None:
    # the Pulumi CLI passes object config as JSON; a quoted date needs no YAML timestamp handling
    for stack in REPO_STACKS:
        text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
        for line in text.splitlines():
            if line.strip().startswith(("deprecation:", "sunset:")):
                assert '"' in line, line


def test_unquoted_dates_still_plan(tmp_path: Path) -> None:
    """An unquoted YAML date is read as a date; the offline engine passes it on as text."""
    from azora_infra.plan.project import PulumiProject

    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "Pulumi.s.yaml").write_text("config:\n  azora:x:\n    when: 2025-10-01\n")
    project = PulumiProject(tmp_path, "p", tmp_path / "__main__.py", "python", {})
    config, _ = project.stack_config("s")
    assert json.loads(config["azora:x"]) == {"when": "2025-10-01"}
