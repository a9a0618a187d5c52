"""The resilience report's alerting part: time-to-page per alarm from the plan's settings and the
catalog's delivery assumption, the seed criteria each alarm covers, alarms that reach a person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from azora_infra.plan.model import Plan
from azora_infra.reports.resilience import INFO, MISS, PASS, build_report, render_markdown, render_text
from components.alarm_catalog import ALARMS, DELIVERY_SECONDS, EVENTS
from tests.test_resilience_report import _res, fig, synthetic


def test_error_rate_alarm_detects_within_a_minute() -> None:
    f = fig(synthetic(), "alerting.error_rate")
    assert (f.value, f.status) == (60, PASS)
    assert f.display == f"60 s (paged in {60 + DELIVERY_SECONDS} s)"


def test_a_slower_alarm_misses_the_seed() -> None:
    f = fig(synthetic(alarm={"evaluations": 3}), "alerting.error_rate")
    assert (f.value, f.status) == (180, MISS)
    f = fig(synthetic(alarm={"period": 300}), "alerting.error_rate")
    assert (f.value, f.status) == (300, MISS)


def test_an_alarm_whose_topic_nobody_reads_misses() -> None:
    doc = synthetic(alarm={"subscribed": False})
    assert fig(doc, "alerting.error_rate").status == MISS
    reach = fig(doc, "alerting.reach")
    assert (reach.status, reach.display) == (MISS, "0/1")
    assert reach.notes == ["reaches nobody: azora-africa-alb-5xx-ratio"]


def test_no_alarm_at_all_is_a_miss() -> None:
    doc = synthetic()
    doc["resources"] = [r for r in doc["resources"] if r["type"] != "aws:cloudwatch/metricAlarm:MetricAlarm"]
    assert fig(doc, "alerting.error_rate").status == MISS and fig(doc, "alerting.reach").status == MISS


def test_incidents_figure_counts_pages_opening_incidents() -> None:
    assert fig(synthetic(), "alerting.incidents").display == "1/1"
    off = fig(synthetic(alarm={"incident": False}), "alerting.incidents")
    assert (off.status, off.display) == (INFO, "0/1") and "Incident Manager is off" in off.notes[0]


def test_composite_pages_when_its_slowest_child_has_evaluated() -> None:
    doc = synthetic()

    def window(name: str, period: int, threshold: float) -> dict[str, Any]:
        return _res("aws:cloudwatch/metricAlarm:MetricAlarm", name, {
            "name": name, "evaluationPeriods": 1, "threshold": threshold,
            "metricQueries": [{"id": "r", "metric": {"metricName": "RequestCount", "period": period}}],
            "tags": {"azora:alarm": f"slo-availability-fast-{name[-2:]}", "azora:severity": "page"}})
    doc["resources"] += [
        window("w-1h", 3600, 0.00144), window("w-5m", 300, 0.00144),
        _res("aws:cloudwatch/compositeAlarm:CompositeAlarm", "burn", {
            "alarmName": "burn", "alarmRule": 'ALARM("w-1h") AND ALARM("w-5m")',
            "alarmActions": ["arn:aws:sns:af-south-1:123456789012:page"],
            "tags": {"azora:alarm": "slo-availability-fast-burn", "azora:severity": "page"}})]
    rows = {r.name: r for r in build_report(Plan(doc)).alarms}
    burn = rows["burn"]
    assert burn.time_to_page_s == 3600 + DELIVERY_SECONDS  # a burn exactly at 14.4x fills the hour
    assert burn.outage_to_page_s == 60 + DELIVERY_SECONDS  # a full outage crosses 0.144 % within a minute
    assert burn.criteria == ["E1.3", "E10.1", "D7.4"] and burn.runbook == "slo-burn-rate"
    assert rows["w-5m"].reaches_person and rows["w-5m"].composite == "burn"  # through its composite


@pytest.mark.parametrize("stack", ["africa", "europe", "asia"])
def test_repo_stacks_page_people_and_cover_the_criteria(repo_plan: Callable[[str], dict[str, Any]],
                                                        stack: str) -> None:
    report = build_report(Plan(repo_plan(stack)))
    by_id = {f.id: f for f in report.figures}
    assert by_id["alerting.error_rate"].status == PASS and by_id["alerting.reach"].status == PASS
    rows = {r.name: r for r in report.alarms}
    hc = rows[f"azora-{stack}-dns-health-check"]
    assert (hc.time_to_page_s, hc.criteria, hc.opens_incident) == (60 + DELIVERY_SECONDS, ["E1.1", "E10.1"], True)
    for r in report.alarms:
        assert r.runbook and r.criteria, r.name
        if r.key in ALARMS:
            assert r.criteria == list(ALARMS[r.key].criteria)
            expected = ALARMS[r.key].evaluation_seconds + DELIVERY_SECONDS
            assert r.time_to_page_s == expected or r.key == "dns-health-check"
        if r.key in EVENTS:
            assert r.time_to_page_s == EVENTS[r.key].time_to_page_seconds
    covered = {c for r in report.alarms for c in r.criteria}
    assert {"D7.4", "E10.1", "E1.1", "E1.3", "E1.5", "E7.1"} <= covered
    text, md = render_text(report), render_markdown(report)
    assert "Alarms: time-to-page" in text and f"azora-{stack}-alb-5xx-ratio" in text
    assert "## Alarms" in md and "`docs/runbooks/alb.md`" in md
    assert report.to_dict()["alarms"][0]["name"]
