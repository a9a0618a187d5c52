"""`azora-infra diagram` and docs/architecture.md: drawn from the plans (the session-scoped plans of
the three prod stacks), with the tiers, the request path, each store's data class, the cross-region
replication and backup-copy arrows and residency; Mermaid and DOT that parse."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydot
import pytest

from azora_infra.cli import main as cli_main
from azora_infra.config.project import environment_stacks
from azora_infra.plan import Plan
from azora_infra.reports.architecture import render_page
from azora_infra.reports.diagram import DATA_STORE_TYPES, Diagram, build_diagram, to_dot, to_mermaid

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("africa", "europe", "asia")
REGION = {"africa": "af-south-1", "europe": "eu-west-1", "asia": "ap-southeast-1"}
PlanOf = Callable[[str], dict[str, Any]]
#: pydot's parser uses pyparsing's old camelCase names
pytestmark = pytest.mark.filterwarnings("ignore:'[A-Za-z]+' deprecated - use")


@pytest.fixture(scope="module")
def plans(repo_plan: PlanOf) -> list[dict[str, Any]]:
    return [repo_plan(s) for s in STACKS]


@pytest.fixture(scope="module")
def diagram(plans: list[dict[str, Any]]) -> Diagram:
    return build_diagram(plans)


def _labels(d: Diagram) -> dict[str, str]:
    return {n.id: n.label for n in d.nodes()}


def _edges(d: Diagram, kind: str) -> set[tuple[str, str]]:
    return {(e.src, e.dst) for e in d.edges if e.kind == kind}


def test_each_region_has_its_vpc_tiers_with_their_subnets(diagram: Diagram) -> None:
    labels = _labels(diagram)
    titles = {g.id: g.label for g in diagram.groups}
    assert titles["africa_region"] == "africa: af-south-1 (Cape Town), ZA / POPIA, primary"
    assert titles["europe_region"] == "europe: eu-west-1 (Ireland), EU / GDPR, secondary"
    for stack in STACKS:
        region = next(g for g in diagram.groups if g.id == f"{stack}_region")
        vpc = next(g for g in region.groups if g.id == f"{stack}_vpc")
        assert [g.label for g in vpc.groups] == ["public tier", "private tier", "database tier", "cache tier"]
        for tier in ("public", "private", "database", "cache"):
            assert labels[f"{stack}_subnets_{tier}"].startswith(f"3 {tier} subnets<br/>{REGION[stack]}a, ")


def test_the_request_path_from_route53_to_every_service(diagram: Diagram, plans: list[dict[str, Any]]) -> None:
    labels = _labels(diagram)
    request = _edges(diagram, "request")
    for stack, plan in zip(STACKS, plans, strict=True):
        alb = f"{stack}_alb_edge_alb"
        assert ("dns_azora_example", alb) in request
        assert "WAF" in labels[alb] and "HTTPS 443" in labels[alb] and "TLS13" in labels[alb]
        assert (alb, f"{stack}_gateway_gateway") in request
        services = sorted(r.name for r in Plan(plan).of_type("azora:service:AzoraService"))
        assert services == ["education-api", "education-web", "marketplace-api"]
        for svc in services:
            assert (f"{stack}_gateway_gateway", f"{stack}_svc_{svc.replace('-', '_')}") in request
        # ALB in the public tier, EKS (with the gateway and services) in the private tier
        region = next(g for g in diagram.groups if g.id == f"{stack}_region")
        tiers = {g.id: g for g in region.groups[0].groups}
        assert alb in {n.id for n in tiers[f"{stack}_tier_public"].nodes}
        eks = tiers[f"{stack}_tier_private"].groups[0]
        assert eks.label.startswith(f"EKS azora-{stack} (Kubernetes ")
        assert f"{stack}_gateway_gateway" in {n.id for n in eks.nodes}


def test_every_data_store_in_the_plans_is_drawn_with_its_data_class(diagram: Diagram,
                                                                     plans: list[dict[str, Any]]) -> None:
    labels = _labels(diagram)
    count = 0
    for stack, raw in zip(STACKS, plans, strict=True):
        for r in Plan(raw).of_type(*DATA_STORE_TYPES):
            node = re.sub(r"[^A-Za-z0-9_]", "_", f"{stack}_store_{r.name}")
            assert r.data_class, r.urn
            assert labels[node].endswith(f"data class: {r.data_class}"), node
            count += 1
    assert count >= 3 * 8
    region = next(g for g in diagram.groups if g.id == "europe_region")
    database = next(g for g in region.groups[0].groups if g.id == "europe_tier_database")
    assert {n.label.split("<br/>")[1] for n in database.nodes if n.kind == "store"} == {
        "data class: internal", "data class: personal"}


def test_replication_and_backup_copy_arrows_cross_regions(diagram: Diagram) -> None:
    replication = {(e.src, e.dst): e.label for e in diagram.edges if e.kind == "replication"}
    for stack in ("europe", "asia"):
        assert replication[("africa_store_aurora_cluster", f"{stack}_store_aurora_cluster")] \
            == "Aurora global replication (internal)"
        assert replication[("africa_store_cache_rg", f"{stack}_store_cache_rg")] \
            == "global datastore replication (confidential)"
    assert not any("resident" in src or "resident" in dst for src, dst in replication)  # personal data stays
    copies = {(e.src, e.dst): e.label for e in diagram.edges if e.kind == "backup-copy"}
    assert set(copies) == {(f"{a}_vault_backup_vault", f"{b}_vault_backup_vault")
                           for a in STACKS for b in STACKS if a != b}
    assert all(label == "backup copy (confidential, internal, public)" for label in copies.values())
    members = {(e.src, e.dst): e.label for e in diagram.edges if e.kind == "member"}
    assert members[("global_db_azora_global", "africa_store_aurora_cluster")] == "writer"
    assert members[("global_db_azora_global", "asia_store_aurora_cluster")] == "member"


def test_residency_personal_data_stays_in_its_jurisdiction(diagram: Diagram) -> None:
    rows = {(r.stack, r.data_class): r for r in diagram.residency}
    for stack in STACKS:
        personal = rows[(stack, "personal")]
        assert f"azora-{stack}-resident" in personal.stores
        assert personal.copied_to == () and personal.stays_in_jurisdiction and personal.within_rule
        assert personal.scope == "jurisdiction"
        internal = rows[(stack, "internal")]
        assert set(internal.copied_to) == {REGION[s] for s in STACKS if s != stack}
        assert not internal.stays_in_jurisdiction and internal.within_rule and internal.scope == "global"
    labels = _labels(diagram)
    assert labels["europe_residency"].startswith("residency EU: stays in EU: personal<br/>copied out: ")


def test_drawn_from_the_plan_not_the_config(plans: list[dict[str, Any]]) -> None:
    """A change in the plan changes the drawing: a personal-data copy to another jurisdiction shows
    up as an arrow and breaks the residency rule; a secondary that leaves the global cluster loses
    its replication arrow."""
    changed = copy.deepcopy(plans)
    africa = changed[0]
    for r in africa["resources"]:
        if r["type"] == "aws:backup/plan:Plan" and r["name"] == "backup-personal":
            r["inputs"]["rules"][1]["copyActions"] = [
                {"destinationVaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:azora-eu-west-1"}]
    for r in changed[1]["resources"]:
        if r["type"] == "aws:rds/cluster:Cluster" and r["name"] == "aurora-cluster":
            r["inputs"]["globalClusterIdentifier"] = None
    d = build_diagram(changed)
    copies = {(e.src, e.dst): e.label for e in d.edges if e.kind == "backup-copy"}
    assert copies[("africa_vault_backup_vault", "europe_vault_backup_vault")] \
        == "backup copy (confidential, internal, personal, public)"
    personal = next(r for r in d.residency if (r.stack, r.data_class) == ("africa", "personal"))
    assert personal.copied_to == ("eu-west-1",) and not personal.within_rule and not personal.stays_in_jurisdiction
    assert "| `africa` | af-south-1 | ZA | personal |" in render_page(changed)
    assert "| eu-west-1 | no | jurisdiction | NO |" in render_page(changed)
    assert ("africa_store_aurora_cluster", "europe_store_aurora_cluster") not in _edges(d, "replication")
    assert ("africa_store_aurora_cluster", "asia_store_aurora_cluster") in _edges(d, "replication")


def test_one_secondary_alone_points_at_what_other_stacks_own(repo_plan: PlanOf) -> None:
    d = build_diagram([repo_plan("europe")])
    labels = _labels(d)
    assert labels["global_db_azora_global"] == "Aurora global database azora-global (primary stack)"
    assert labels["dns_zone"] == "Route 53 public zone (primary stack)"
    assert ("dns_zone", "europe_alb_edge_alb") in _edges(d, "request")
    assert ("external_global_cache", "europe_store_cache_rg") in _edges(d, "replication")
    assert ("europe_vault_backup_vault", "external_vault_af_south_1_azora_af_south_1") in _edges(d, "backup-copy")
    _check_dot(to_dot(d))
    _check_mermaid(to_mermaid(d))


def _check_dot(text: str) -> None:
    assert text.count("{") == text.count("}")
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    declared = set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*) \[label=", text, re.M))
    edges = re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*) -> ([A-Za-z_][A-Za-z0-9_]*) \[", text, re.M)
    assert edges and all(a in declared and b in declared for a, b in edges)
    graphs = pydot.graph_from_dot_data(text)  # a real DOT parser
    assert graphs is not None and len(graphs) == 1
    assert len(graphs[0].get_edges()) == len(edges)


def _check_mermaid(text: str) -> None:
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    opened = sum(1 for ln in lines if ln.strip().startswith("subgraph "))
    assert opened == sum(1 for ln in lines if ln.strip() == "end") > 0
    nodes = re.findall(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\["', text, re.M)
    assert len(nodes) == len(set(nodes))  # ids unique (groups and nodes)
    edges = re.findall(r'^\s*([A-Za-z_][A-Za-z0-9_]*) (?:-->|==>|-\.->|---)\|"[^"|]*"\| ([A-Za-z_][A-Za-z0-9_]*)$',
                       text, re.M)
    arrows = [ln for ln in lines if re.search(r" (-->|==>|-\.->|---)\|", ln)]
    assert edges and len(edges) == len(arrows)  # every arrow line is well formed
    assert all(a in nodes and b in nodes for a, b in edges)


def test_dot_and_mermaid_are_well_formed(diagram: Diagram) -> None:
    _check_dot(to_dot(diagram))
    _check_mermaid(to_mermaid(diagram))


def test_architecture_doc_is_generated_from_the_current_plans(repo_plan: PlanOf) -> None:
    stacks = environment_stacks(ROOT, "prod")
    page = render_page([repo_plan(s) for s in stacks])
    current = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert current == page, ("docs/architecture.md is stale: regenerate it with "
                             "`azora-infra diagram --env prod --doc --output docs/architecture.md`")
    assert "```mermaid\nflowchart LR\n" in page and "## Residency" in page


def test_diagram_command_reads_saved_plans(repo_plan: PlanOf, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    files = []
    for stack in STACKS:
        path = tmp_path / f"{stack}.json"
        path.write_text(json.dumps(repo_plan(stack)))
        files += ["--plan", str(path)]
    assert cli_main(["diagram", *files, "--format", "dot"]) == 0
    out = capsys.readouterr().out
    assert out == to_dot(build_diagram([repo_plan(s) for s in STACKS]))
    assert cli_main(["diagram", *files, "--env", "prod", "--doc", "--output", str(tmp_path / "a.md")]) == 0
    assert (tmp_path / "a.md").read_text() == (ROOT / "docs" / "architecture.md").read_text()
    assert cli_main(["diagram", "--plan", str(tmp_path / "europe.json"), "--stack", "europe"]) == 0
    assert "europe_region" in capsys.readouterr().out
    assert cli_main(["diagram", *files, "--doc", "--format", "dot"]) == 2
    assert "--doc writes Markdown" in capsys.readouterr().err
    assert cli_main(["diagram", "--plan", str(tmp_path / "europe.json"), "--stack", "asia"]) == 2
    assert "is the plan of stack 'europe', not 'asia'" in capsys.readouterr().err
    assert cli_main(["diagram", "--stack", "no-such-stack"]) == 2
    assert "no stack file Pulumi.no-such-stack.yaml" in capsys.readouterr().err
