"""The alarm catalog: consistent, within CloudWatch's limits, every runbook it names exists and says how
to detect, diagnose, act, verify and roll back; the burn-rate alerts spend the workbook's budgets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.alarm_catalog import (
    ALARMS,
    BURN_RATE_ALERTS,
    DELIVERY_SECONDS,
    EVENTS,
    POSTMORTEM_TEMPLATE,
    SLOS,
    AlarmDefinition,
    Metric,
    alarm_name,
    check_alarm_window,
    coverage,
    runbook_path,
    runbooks,
    slo_alert_key,
    slo_window_key,
    validate_catalog,
    window_label,
)

RUNBOOKS = Path(__file__).resolve().parents[1] / "docs" / "runbooks"
SECTIONS = ("detection", "diagnosis", "action", "verification", "rollback")


def test_catalog_is_consistent_and_within_cloudwatch_limits() -> None:
    validate_catalog()
    for d in ALARMS.values():
        assert d.key and d.title and d.metrics and d.severity in ("page", "ticket"), d.key
        assert d.runbook and d.criteria, d.key


@pytest.mark.parametrize("runbook", sorted(runbooks()))
def test_every_runbook_the_catalog_names_exists(runbook: str) -> None:
    assert (RUNBOOKS / f"{runbook}.md").is_file(), f"docs/runbooks/{runbook}.md is missing"


@pytest.mark.parametrize("path", sorted(p.name for p in RUNBOOKS.glob("*.md")))
def test_every_runbook_has_the_five_operating_sections(path: str) -> None:
    text = (RUNBOOKS / path).read_text(encoding="utf-8")
    headings = [h.lower() for h in re.findall(r"^## (.+)$", text, re.M)]
    if path == f"{POSTMORTEM_TEMPLATE}.md":
        assert any("action items" in h for h in headings)
        assert re.search(r"^\|[^\n]*Action[^\n]*\| Owner \| Due \|", text, re.M)
        return
    for section in SECTIONS:
        assert any(section in h for h in headings), f"{path}: no '{section}' section"
    # the links between runbooks resolve
    for link in re.findall(r"\]\(([a-z0-9-]+\.md)\)", text):
        assert (RUNBOOKS / link).is_file(), f"{path} links to missing {link}"


def test_burn_rate_alerts_follow_the_workbook() -> None:
    by_key = {a.key: a for a in BURN_RATE_ALERTS}
    assert [(a.severity, a.long_window, a.short_window, a.factor) for a in BURN_RATE_ALERTS] == [
        ("page", 3600, 300, 14.4), ("page", 21600, 1800, 6.0), ("ticket", 86400, 7200, 3.0),
        ("ticket", 259200, 21600, 1.0)]
    assert by_key["fast"].budget_spent == pytest.approx(0.02)
    assert by_key["medium"].budget_spent == pytest.approx(0.05)
    assert by_key["slow"].budget_spent == pytest.approx(0.10)
    assert by_key["slowest"].budget_spent == pytest.approx(0.10)


@pytest.mark.parametrize(("period", "evaluations", "ok"), [
    (60, 1440, True), (60, 1441, False), (3600, 168, True), (3600, 169, False), (259200, 1, True),
    (259200, 3, False), (10, 1, True), (45, 1, False), (300, 0, False),
])
def test_alarm_window_limits(period: int, evaluations: int, ok: bool) -> None:
    if ok:
        check_alarm_window(period, evaluations)
    else:
        with pytest.raises(ValueError, match=r"alarm (period|window)"):
            check_alarm_window(period, evaluations)


def test_bad_definitions_are_refused() -> None:
    m = Metric("m1", "AWS/X", "Y", "Sum")
    for bad, msg in (
        (AlarmDefinition("k", "f", "t", "alb", (m,), 1, period=45), "not 10, 20, 30"),
        (AlarmDefinition("k", "f", "t", "alb", (m,), 1, evaluation_periods=3, datapoints_to_alarm=4),
         "datapoints_to_alarm"),
        (AlarmDefinition("k", "f", "t", "alb", (m, m), 1), "metric ids repeat"),
    ):
        with pytest.raises(ValueError, match=msg):
            validate_catalog([bad])


def test_time_to_page_is_evaluation_range_plus_delivery() -> None:
    d = ALARMS["alb-target-p95"]
    assert (d.detection_seconds, d.evaluation_seconds) == (180, 300)
    assert d.time_to_page_seconds == 300 + DELIVERY_SECONDS
    assert ALARMS["alb-5xx-ratio"].detection_seconds == 60  # the seed's "within 1 minute"
    assert EVENTS["kms-key-deletion"].time_to_page_seconds > EVENTS["backup-job-failed"].time_to_page_seconds


def test_names_are_deterministic() -> None:
    assert alarm_name("azora-africa", "aurora-cpu", "global") == "azora-africa-aurora-cpu-global"
    assert alarm_name("azora-africa", "alb-5xx-ratio") == "azora-africa-alb-5xx-ratio"
    assert slo_window_key("availability", "fast", 3600) == "slo-availability-fast-1h"
    assert slo_alert_key("latency", "slowest") == "slo-latency-slowest-burn"
    assert [window_label(s) for s in (300, 7200, 259200)] == ["5m", "2h", "3d"]
    assert runbook_path("alb", "https://git.example/r/blob/main/docs/runbooks/") == \
        "https://git.example/r/blob/main/docs/runbooks/alb.md"


def test_seed_criteria_coverage() -> None:
    cov = coverage()
    assert "alb-5xx-ratio" in cov["D7.4"]
    assert {"slo-availability", "slo-canary-availability"} <= set(cov["E1.3"])
    assert "backup-job-failed" in cov["E7.1"] and "aurora-replication-lag" in cov["E1.4"]
    assert all(s.criteria for s in SLOS.values())
