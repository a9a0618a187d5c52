"""`azora-infra cost`: the plan priced from the catalog, nothing guessed, grouped by tag and component, compared
with the plan's budgets. A size change in a stack file moves the figure; an unknown size becomes unpriced;
a budget the estimate already exceeds fails `--fail-over-budget`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azora_infra.cli import main
from azora_infra.plan import plan_stacks
from azora_infra.plan.model import Plan
from azora_infra.reports.cost import GROUPINGS, LOWER_BOUND, OVER, build_estimate
from azora_infra.reports.prices import DEFAULT_CATALOG, CatalogError, load_catalog
from tests.harness import ROOT

HOURS = 730
NAT, NAT_GB, IPV4 = 0.059, 0.059, 0.005  # the catalog's ap-southeast-1 NAT and all-region IPv4 prices
#: test-only prices for the node group sizes (marked as such: not real list prices)
TEST_PRICES = {"m7g.large": 0.1, "m7g.xlarge": 0.2}


def _catalog_file(tmp: Path, *, sizes: dict[str, float], **edits: Any) -> Path:
    doc = json.loads(DEFAULT_CATALOG.read_text())
    doc["prices"] += [{"id": "ec2.instance", "size": size, "unit": "hour", "usd": usd, "regions": ["ap-southeast-1"],
                       "source": "https://test.invalid/azora-test-fixture", "read": "2026-11-30",
                       "note": "test fixture, not a list price"} for size, usd in sizes.items()]
    doc.update(edits)
    path = tmp / f"prices-{len(list(tmp.glob('prices-*.json')))}.json"
    path.write_text(json.dumps(doc))
    return path


def _component(plan: Plan, catalog: Path | None, type_: str, name: str) -> Any:
    est = build_estimate(plan, load_catalog(catalog))
    return next(r for r in est.resources if r.type == type_ and r.name == name)


@pytest.fixture(scope="module")
def resized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A copy of the repo whose asia stack has one NAT gateway, m7g.xlarge system nodes and a 10 USD platform
    budget, planned offline."""
    repo = tmp_path_factory.mktemp("repo")
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.africa.yaml", "Pulumi.europe.yaml", "Pulumi.asia.yaml"):
        shutil.copy(ROOT / name, repo / name)
    asia = repo / "Pulumi.asia.yaml"
    text = asia.read_text()
    text = text.replace("    cidr: 10.30.0.0/16\n", "    cidr: 10.30.0.0/16\n    natGateways: single\n")
    text = text.replace("        cc-1001-platform: 15000\n", "        cc-1001-platform: 10\n")
    assert "  azora:eks:\n" in text
    text = text.replace("  azora:eks:\n", "  azora:eks:\n    nodeGroups:\n      system:\n"
                        "        instanceTypes: [m7g.xlarge]\n        labels: {azora.io/node-pool: system}\n", 1)
    asia.write_text(text)
    return repo, plan_stacks(["asia", "africa"], repo)["asia"]  # asia references africa: both, from one zygote


def test_catalog_prices_carry_a_source_and_a_date() -> None:
    catalog = load_catalog()
    assert catalog.prices and all(p.source.startswith("https://") and p.read for p in catalog.prices)
    assert catalog.find("eks.cluster", "af-south-1") is not None
    assert catalog.find("vpc.nat-gateway", "ap-southeast-1") is not None
    assert catalog.find("vpc.nat-gateway", "af-south-1") is None  # not confirmed: not listed, never guessed


def test_repo_stack_is_priced_where_the_catalog_knows_and_unpriced_elsewhere(
        repo_plan: Callable[[str], dict[str, Any]]) -> None:
    est = build_estimate(Plan(repo_plan("africa")), load_catalog())
    eks = next(r for r in est.resources if r.name == "eks-cluster")
    assert eks.monthly_cost == pytest.approx(HOURS * 0.10)
    nodes = next(r for r in est.resources if r.type == "aws:eks/nodeGroup:NodeGroup")
    assert nodes.components[0].monthly_cost is None
    assert nodes.components[0].unpriced == "no catalog price for ec2.instance m7g.large in af-south-1"
    assert est.unpriced_count > 0 and est.to_dict()["lowerBound"] is True
    for _, tag in GROUPINGS:  # every grouping adds up to the total
        assert sum(g.monthly_cost for g in est.groups(tag).values()) == pytest.approx(est.monthly_cost)
    cost_centers = est.groups("azora:cost-center")
    assert set(cost_centers) == {"cc-1001-platform", "cc-2001-data", "cc-3001-security", "cc-4001-identity"}
    assert {b.tag_value for b in est.budgets} == {*cost_centers, "prod"}
    assert all(b.status == LOWER_BOUND for b in est.budgets)


def test_nat_gateways_priced_in_asia(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    nat = _component(Plan(repo_plan("asia")), None, "aws:ec2/natGateway:NatGateway", "network-nat-ap-southeast-1a")
    assert nat.monthly_cost == pytest.approx(HOURS * NAT + 100 * NAT_GB)  # 100 GB: the catalog's assumption
    assert nat.components[1].assumption == "natGatewayGbPerMonth"


def test_fewer_nat_gateways_in_the_stack_file_lower_the_figure(
        repo_plan: Callable[[str], dict[str, Any]], resized: tuple[Path, dict[str, Any]]) -> None:
    catalog = load_catalog()
    before = build_estimate(Plan(repo_plan("asia")), catalog)
    after = build_estimate(Plan(resized[1]), catalog)
    saved = 2 * (HOURS * NAT + 100 * NAT_GB + HOURS * IPV4)  # two NAT gateways and their Elastic IPs
    assert before.monthly_cost - after.monthly_cost == pytest.approx(saved)
    assert before.groups("component")["network (azora:network:RegionalNetwork)"].monthly_cost - after.groups(
        "component")["network (azora:network:RegionalNetwork)"].monthly_cost == pytest.approx(saved)


def test_a_bigger_node_size_moves_the_figure_and_an_unknown_one_is_unpriced(
        tmp_path: Path, repo_plan: Callable[[str], dict[str, Any]], resized: tuple[Path, dict[str, Any]]) -> None:
    priced = _catalog_file(tmp_path, sizes=TEST_PRICES)
    ng = "aws:eks/nodeGroup:NodeGroup"
    before = _component(Plan(repo_plan("asia")), priced, ng, "eks-ng-system").components[0]
    after = _component(Plan(resized[1]), priced, ng, "eks-ng-system").components[0]
    assert (before.size, after.size) == ("m7g.large", "m7g.xlarge")
    assert before.monthly_cost == pytest.approx(3 * HOURS * 0.1)
    assert after.monthly_cost == pytest.approx(3 * HOURS * 0.2)
    only_large = _catalog_file(tmp_path, sizes={"m7g.large": 0.1})
    missing = _component(Plan(resized[1]), only_large, ng, "eks-ng-system").components[0]
    assert missing.monthly_cost is None and "ec2.instance m7g.xlarge in ap-southeast-1" in str(missing.unpriced)


def test_fail_over_budget_exits_1_when_a_budget_is_already_exceeded(
        tmp_path: Path, resized: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    plan_file = tmp_path / "asia.json"
    plan_file.write_text(json.dumps(resized[1]))
    est = build_estimate(Plan(resized[1]), load_catalog())
    (over,) = est.over_budget
    assert (over.tag_value, over.limit, over.status) == ("cc-1001-platform", 10.0, OVER)
    assert main(["cost", "--stack", "asia", "--plan", str(plan_file)]) == 0
    assert main(["cost", "--stack", "asia", "--plan", str(plan_file), "--fail-over-budget"]) == 1
    out = capsys.readouterr().out
    assert "azora-asia-cost-center-cc-1001-platform" in out and "OVER" in out


def test_formats_and_output_file(tmp_path: Path, repo_plan: Callable[[str], dict[str, Any]]) -> None:
    plan_file = tmp_path / "europe.json"
    plan_file.write_text(json.dumps(repo_plan("europe")))
    out = tmp_path / "out" / "cost.json"
    assert main(["cost", "--stack", "europe", "--plan", str(plan_file), "--format", "json", "--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["stack"] == "europe" and doc["currency"] == "USD" and doc["lowerBound"] is True
    assert set(doc["groups"]) == {"costCenter", "team", "service", "customer", "component"}
    eks = next(r for r in doc["resources"] if r["name"] == "eks-cluster")["costComponents"][0]
    assert eks["price"]["source"].startswith("https://") and eks["price"]["read"] == "2026-11-30"
    md = tmp_path / "cost.md"
    assert main(["cost", "--stack", "europe", "--plan", str(plan_file), "--format", "markdown",
                 "--output", str(md)]) == 0
    text = md.read_text()
    assert text.startswith("# Cost estimate: stack `europe` (eu-west-1)")
    for heading in ("## By costCenter", "## Budgets", "## Unpriced", "## Assumptions"):
        assert heading in text


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["prices"][0].pop("source"), "source must be the https:// URL"),
    (lambda d: d["prices"][0].update(read="last week"), "read must be the date"),
    (lambda d: d["prices"][0].update(usd=-1), "usd must be a number >= 0"),
    (lambda d: d["prices"].append(dict(d["prices"][0])), "listed twice"),
    (lambda d: d.update(hoursPerMonth=1000), "hoursPerMonth"),
    (lambda d: d["prices"][0].update(colour="red"), "unknown keys ['colour']"),
    (lambda d: d.update(formatVersion=9), "formatVersion 1"),
    (lambda d: d["assumptions"].pop("natGatewayGbPerMonth"), "assumption 'natGatewayGbPerMonth' is missing"),
])
def test_a_bad_catalog_is_one_clear_line(tmp_path: Path, repo_plan: Callable[[str], dict[str, Any]],
                                         capsys: pytest.CaptureFixture[str], edit: Callable[[dict[str, Any]], Any],
                                         message: str) -> None:
    doc = json.loads(DEFAULT_CATALOG.read_text())
    edit(doc)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(doc))
    plan_file = tmp_path / "asia.json"
    plan_file.write_text(json.dumps(repo_plan("asia")))
    code = main(["cost", "--stack", "asia", "--plan", str(plan_file), "--prices", str(prices)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_missing_or_broken_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such price catalog"):
        load_catalog(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(CatalogError, match="not a JSON price catalog"):
        load_catalog(broken)
