"""The resilience report: figures follow the resources' settings, targets pass or miss, CLI."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azora_infra.cli import main
from azora_infra.compose.dns_backup import build_backup, build_dns
from azora_infra.config import parse_config
from azora_infra.plan.model import Plan
from azora_infra.provider import region_provider
from azora_infra.reports.resilience import (
    MISS,
    PASS,
    RESIDENCY,
    Figure,
    build_report,
    render_markdown,
    render_text,
    schedule_interval_seconds,
)
from components.kms import RegionKeys, RegionKeysArgs
from tests.harness import ALERTING, ROOT, record

VAULT = "arn:aws:backup:{r}:123456789012:backup-vault:azora-{r}"


def _res(type_: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None,
         custom: bool = True) -> dict[str, Any]:
    return {"urn": f"urn:pulumi:s::p::{type_}::{name}", "type": type_, "name": name, "custom": custom,
            "parent": None, "inputs": inputs, "outputs": outputs or {}, "options": {},
            "provider": {"name": "aws-af-south-1", "region": "af-south-1", "defaultTags": {}} if custom else None}


def _rules(continuous: bool = True, schedule: str = "cron(0 * ? * * *)", copies: tuple[str, ...] = ()) -> list[Any]:
    rules: list[dict[str, Any]] = []
    if continuous:
        rules.append({"ruleName": "continuous", "enableContinuousBackup": True, "schedule": "cron(0 3 ? * * *)",
                      "lifecycle": {"deleteAfter": 35}})
    hourly: dict[str, Any] = {"ruleName": "hourly", "schedule": schedule}
    if copies:
        hourly["copyActions"] = [{"destinationVaultArn": VAULT.format(r=r)} for r in copies]
    rules.append(hourly)
    return rules


PAGE = "arn:aws:sns:af-south-1:123456789012:page"
PLAN = "arn:aws:ssm-incidents::123456789012:response-plan/azora-prod-page"


def alerting(*, period: int = 60, evaluations: int = 1, subscribed: bool = True,
             incident: bool = True) -> list[dict[str, Any]]:
    """The 5xx-ratio alarm to a page topic (subscribed or not) and, optionally, the incident plan."""
    out = [_res("aws:sns/topic:Topic", "page", {"name": "page"}, {"arn": PAGE}),
           _res("aws:cloudwatch/metricAlarm:MetricAlarm", "a-5xx", {
               "name": "azora-africa-alb-5xx-ratio", "evaluationPeriods": evaluations, "threshold": 5,
               "alarmActions": [PAGE, *([PLAN] if incident else [])],
               "metricQueries": [{"id": "requests", "metric": {"metricName": "RequestCount", "period": period}},
                                 {"id": "value", "expression": "requests", "returnData": True}],
               "tags": {"azora:alarm": "alb-5xx-ratio", "azora:severity": "page"}})]
    if subscribed:
        out.append(_res("aws:sns/topicSubscription:TopicSubscription", "sub", {"topic": PAGE, "protocol": "email"}))
    return out


def synthetic(*, interval: int = 10, threshold: int = 3, continuous: bool = True, global_db: bool = True,
              personal_copies: tuple[str, ...] = (), peers: tuple[str, ...] = ("eu-west-1", "ap-southeast-1"),
              restore: str = "cron(0 5 1 * ? *)", alarm: dict[str, Any] | None = None) -> dict[str, Any]:
    resources = [
        _res("azora:dns:RegionalEndpoint", "dns-endpoint", {},
             {"latencyRegions": ["af-south-1", *peers]}, custom=False),
        _res("azora:backup:RegionalBackup", "backup", {}, {"peerRegions": list(peers)}, custom=False),
        _res("aws:route53/healthCheck:HealthCheck", "hc", {"type": "HTTPS", "requestInterval": interval,
                                                            "failureThreshold": threshold,
                                                            "regions": ["us-east-1", "eu-west-1", "ap-southeast-1"]},
             {"id": "hc-1"}),
        _res("aws:route53/record:Record", "rec", {"healthCheckId": "hc-1", "aliases": [
            {"name": "x.af-south-1.elb.amazonaws.com", "zoneId": "Z1", "evaluateTargetHealth": True}]}),
        _res("aws:backup/restoreTestingPlan:RestoreTestingPlan", "rt", {"scheduleExpression": restore}),
        _res("aws:backup/restoreTestingSelection:RestoreTestingSelection", "rts",
             {"protectedResourceType": "Aurora", "validationWindowHours": 4}),
    ]
    for cls in ("public", "internal", "confidential", "personal"):
        copies = personal_copies if cls == "personal" else peers
        resources.append(_res("aws:backup/plan:Plan", f"plan-{cls}",
                              {"rules": _rules(continuous, copies=copies), "tags": {"azora:data-class": cls}},
                              {"id": f"id-{cls}"}))
        resources.append(_res("aws:backup/selection:Selection", f"sel-{cls}", {"planId": f"id-{cls}"}))
    resources += alerting(**(alarm or {}))
    if global_db:
        resources.append(_res("aws:rds/globalCluster:GlobalCluster", "global", {"globalClusterIdentifier": "g"}))
        resources.append(_res("aws:rds/cluster:Cluster", "db", {"globalClusterIdentifier": "g",
                                                                "tags": {"azora:data-class": "confidential"}}))
    return {"formatVersion": 1, "stack": "africa", "project": "azora-platform", "config": {"aws:region": "af-south-1"},
            "outputs": {"region": "af-south-1"}, "resources": resources}


def fig(report_plan: dict[str, Any] | Plan, fid: str) -> Figure:
    plan = report_plan if isinstance(report_plan, Plan) else Plan(report_plan)
    return next(f for f in build_report(plan).figures if f.id == fid)


@pytest.mark.parametrize(("expr", "seconds"), [
    ("cron(0 * ? * * *)", 3600),
    ("cron(*/5 * ? * * *)", 300),
    ("cron(0 */4 ? * * *)", 4 * 3600),
    ("cron(0 3 ? * * *)", 86400),
    ("cron(0 5 1 * ? *)", 31 * 86400),
    ("cron(0 5 ? * MON *)", 7 * 86400),
    ("cron(0 0,12 ? * * *)", 12 * 3600),
    ("rate(1 hour)", 3600),
    ("rate(15 minutes)", 900),
    ("cron(0 5 L * ? *)", None),
])
def test_schedule_interval(expr: str, seconds: int | None) -> None:
    assert schedule_interval_seconds(expr) == seconds


def test_all_targets_met_on_a_complete_synthetic_plan() -> None:
    report = build_report(Plan(synthetic()))
    statuses = {f.id: f.status for f in report.figures}
    assert statuses["dns.detection"] == PASS and fig(synthetic(), "dns.detection").value == 30
    assert statuses["dns.ttl"] == PASS and fig(synthetic(), "dns.ttl").value == 60
    assert statuses["replication.lag"] == PASS
    assert statuses["rpo.cross_region.confidential"] == PASS  # replicated by the global database
    assert statuses["rpo.cross_region.public"] == MISS  # hourly snapshot copies only
    assert statuses["rpo.cross_region.personal"] == RESIDENCY
    assert statuses["copies.personal"] == RESIDENCY and statuses["copies.public"] == PASS
    assert statuses["rto.region"] == PASS and statuses["availability"] == PASS
    assert statuses["dr.restore_test"] == PASS
    rto = fig(synthetic(), "rto.region")
    assert rto.value == 30 + 60 + 300 + 300
    avail = fig(synthetic(), "availability")
    assert avail.value is not None and 0.9999 < avail.value < 1
    assert "n = 3" in avail.model


def test_failure_threshold_moves_detection_and_flips_the_target() -> None:
    f = fig(synthetic(threshold=5), "dns.detection")
    assert (f.value, f.status) == (50, MISS)
    assert "failureThreshold=5" in f.sources[0].setting and f.sources[0].name == "hc"
    f = fig(synthetic(interval=30), "dns.detection")
    assert (f.value, f.status) == (90, MISS)
    assert fig(synthetic(interval=30), "rto.region").value == 90 + 60 + 600


def test_without_continuous_backup_rpo_is_the_snapshot_interval() -> None:
    f = fig(synthetic(continuous=False), "rpo.in_region.internal")
    assert (f.value, f.status) == (3600, MISS)
    assert "schedule=cron(0 * ? * * *)" in f.sources[0].setting


def test_without_global_database_replication_and_rto_miss() -> None:
    plan = synthetic(global_db=False)
    assert fig(plan, "replication.lag").status == MISS
    assert fig(plan, "rto.region").status == MISS
    assert fig(plan, "rpo.cross_region.confidential").value == 3600


def test_personal_copy_outside_jurisdiction_is_a_residency_miss() -> None:
    f = fig(synthetic(personal_copies=("eu-west-1",)), "copies.personal")
    assert f.status == MISS and "residency violation" in f.notes[0]


def test_personal_copy_inside_jurisdiction_expected_when_available() -> None:
    peers = ("af-south-1", "eu-central-1")
    plan = synthetic(peers=peers)
    plan["outputs"]["region"] = "eu-west-1"
    missing = fig(plan, "copies.personal")
    assert missing.status == MISS and "eu-central-1" in missing.notes[0]
    plan = synthetic(peers=peers, personal_copies=("eu-central-1",))
    plan["outputs"]["region"] = "eu-west-1"
    made = fig(plan, "copies.personal")
    assert made.status == RESIDENCY and made.display == "eu-central-1, eu-west-1"


def test_monthly_restore_test_required() -> None:
    assert fig(synthetic(restore="cron(0 5 1 */2 ? *)"), "dr.restore_test").status == MISS
    assert fig(synthetic(restore="cron(0 5 ? * SUN *)"), "dr.restore_test").status == PASS


# --- real plans (components and the repo's stacks) ---------------------------------------------

RAW: dict[str, Any] = {
    "aws:region": "af-south-1", "azora:region": "af-south-1", "azora:role": "primary",
    "azora:primaryStack": "africa", "azora:network": {"cidr": "10.10.0.0/16"},
    "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1"},
    "azora:alerting": ALERTING,
}


def _real(dns: dict[str, Any] | None = None, backup: dict[str, Any] | None = None) -> Plan:
    raw = copy.deepcopy(RAW)
    if dns:
        raw["azora:dns"] = dns
    if backup:
        raw["azora:backup"] = backup
    cfg = parse_config(raw, "Pulumi.africa.yaml")

    def program() -> None:
        provider = region_provider(cfg)
        keys = RegionKeys("keys", RegionKeysArgs(region=cfg.region, purposes=("backup",)), provider)
        build_dns(cfg, "africa", provider, alb_dns_name="a-1.af-south-1.elb.amazonaws.com",
                  alb_zone_id="Z1", project_dir=ROOT)
        build_backup(cfg, "africa", provider, keys, project_dir=ROOT)
    return record(program, stack="africa")


@pytest.fixture(scope="module")
def real_default() -> Plan:
    return _real()


@pytest.fixture(scope="module")
def real_moved() -> Plan:
    return _real(dns={"failureThreshold": 5}, backup={"continuousBackup": False})


def test_real_plan_figures_follow_the_settings(real_default: Plan, real_moved: Plan) -> None:
    before, after = fig(real_default, "dns.detection"), fig(real_moved, "dns.detection")
    assert (before.value, before.status) == (30, PASS)
    assert (after.value, after.status) == (50, MISS)
    assert before.sources[0].name == "dns-endpoint-health"
    assert fig(real_default, "rpo.in_region.personal").value == 1
    moved = fig(real_moved, "rpo.in_region.personal")
    assert (moved.value, moved.status) == (3600, MISS)
    assert fig(real_default, "availability").model.count("af-south-1, ap-southeast-1, eu-west-1") == 1
    assert fig(real_default, "copies.public").display == "af-south-1, ap-southeast-1, eu-west-1"
    assert fig(real_default, "copies.personal").status == RESIDENCY


def test_repo_stacks_keep_personal_data_in_jurisdiction(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    for stack in ("africa", "europe", "asia"):
        report = build_report(Plan(repo_plan(stack)))
        by_id = {f.id: f for f in report.figures}
        assert by_id["copies.personal"].status == RESIDENCY, stack
        assert by_id["copies.personal"].value == 1
        assert by_id["copies.public"].status == PASS and by_id["copies.public"].value == 3
        assert by_id["rpo.in_region.personal"].status == PASS
        assert by_id["dr.restore_test"].status == PASS


# --- command ------------------------------------------------------------------------------------

@pytest.fixture
def plan_file(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def write(doc: dict[str, Any]) -> Path:
        path = tmp_path / "plan.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path
    return write


def test_cli_json_and_fail_on_miss(plan_file: Callable[[dict[str, Any]], Path],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    ok_plan = synthetic()
    for p in ok_plan["resources"]:  # make every class replicated: no cross-region miss left
        if p["type"] == "aws:rds/cluster:Cluster":
            p["inputs"]["tags"]["azora:data-class"] = "public"
    for cls in ("internal",):
        ok_plan["resources"].append(_res("aws:rds/cluster:Cluster", f"db-{cls}", {
            "globalClusterIdentifier": "g", "tags": {"azora:data-class": cls}}))
    ok_plan["resources"].append(_res("aws:rds/cluster:Cluster", "db-confidential", {
        "globalClusterIdentifier": "g", "tags": {"azora:data-class": "confidential"}}))
    path = plan_file(ok_plan)
    assert main(["report", "--stack", "africa", "--plan", str(path), "--format", "json", "--fail-on-miss"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["summary"]["miss"] == 0
    assert {"id", "value", "unit", "target", "status", "model", "sources"} <= set(doc["figures"][0])
    assert doc["assumptions"]["perRegionAvailability"]["value"] == 0.999
    path = plan_file(synthetic(threshold=5))
    assert main(["report", "--stack", "africa", "--plan", str(path), "--fail-on-miss"]) == 1
    out = capsys.readouterr().out
    assert "MISS" in out and "DNS failover detection: 50 s" in out
    assert main(["report", "--stack", "africa", "--plan", str(path)]) == 0  # misses reported, exit 0


def test_cli_markdown_to_file(plan_file: Callable[[dict[str, Any]], Path], tmp_path: Path) -> None:
    out = tmp_path / "r" / "report.md"
    assert main(["report", "--stack", "africa", "--plan", str(plan_file(synthetic())), "--format", "markdown",
                 "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Resilience report: `africa`")
    assert "| Status | Figure | Value | Target | Model | From |" in text
    assert "`hc`: requestInterval=10, failureThreshold=3" in text


@pytest.mark.parametrize(("content", "stack", "message"), [
    (None, "africa", "no such plan file"),
    ("{not json", "africa", "not a plan (invalid JSON"),
    ('{"a": 1}', "africa", "not a plan"),
    ("SYNTH", "europe", "is the plan of stack 'africa', not 'europe'"),
])
def test_cli_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         content: str | None, stack: str, message: str) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(json.dumps(synthetic()) if content == "SYNTH" else content, encoding="utf-8")
    assert main(["report", "--stack", stack, "--plan", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_renderers_name_sources_and_assumptions() -> None:
    report = build_report(Plan(synthetic(threshold=5)))
    text = render_text(report)
    assert "MISS" in text and "from: hc [aws:route53/healthCheck:HealthCheck]" in text
    assert "Assumptions: aliasElbTtlSeconds=60" in text
    md = render_markdown(report)
    assert "## Assumptions" in md and "| miss | DNS failover detection | 50 s |" in md
