"""The resilience report's alerting part: every alarm's time-to-page and the seed criteria it covers,
and whether alarms reach a person.

Read from the plan (each alarm's own period, evaluation periods and actions) and from the alarm
catalog (`components.alarm_catalog`, by the alarm's ``azora:alarm`` tag: criteria, runbook, the
delivery assumption). Time-to-page = evaluation periods x period + delivery; a composite alarm pages
when its slowest child has evaluated; an EventBridge rule pages in its delivery time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from components.alarm_catalog import ALARMS, DELIVERY_SECONDS, EVENTS, SLOS, TRAIL_ALARMS

from ..plan.model import Plan, Resource

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
CHATBOT = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
_CHILD = re.compile(r'ALARM\(\s*"?([^")\s]+)"?\s*\)')
#: the seed's "alert within 1 minute when the error rate exceeds 5 %" (D7.4)
ERROR_RATE_ALARM = "alb-5xx-ratio"
ERROR_RATE_TARGET_S = 60


@dataclass
class AlarmRow:
    name: str
    key: str | None
    kind: str  # metric | composite | event
    severity: str | None
    period_s: int | None
    evaluation_periods: int | None
    datapoints_to_alarm: int | None
    #: how long the condition must hold (M periods)
    detection_s: int | None
    #: evaluation periods x period + delivery (composite: its slowest child + delivery)
    time_to_page_s: int | None
    criteria: list[str] = field(default_factory=list)
    runbook: str | None = None
    #: its actions reach a topic with a subscriber (directly or through its composite)
    reaches_person: bool = False
    opens_incident: bool = False
    #: the composite alarm that evaluates it (its actions are the composite's)
    composite: str | None = None
    #: burn-rate alarms: time to page on a full outage (every event bad), + delivery; the
    #: time_to_page figure is the worst case (a burn just at the alarm's rate fills the window)
    outage_to_page_s: int | None = None


def _period(alarm: Resource) -> int | None:
    i = alarm.inputs
    if isinstance(i.get("period"), int):
        return int(i["period"])
    periods = [q.get("metric", {}).get("period") for q in i.get("metricQueries") or [] if q.get("metric")]
    periods = [p for p in periods if isinstance(p, int)]
    return max(periods) if periods else None


def _outage_seconds(alarm: Resource, period: int | None, evals: int | None, dta: int | None) -> int | None:
    """Seconds of 100 % bad events before a burn-rate window alarm fires: the bad ratio over the window
    crosses the threshold after threshold x window seconds, but never before one datapoint (60 s)."""
    threshold = alarm.inputs.get("threshold")
    if not period or not evals or not isinstance(threshold, int | float):
        return None
    if evals > 1:  # per-minute evaluation (canary short windows): M bad minutes
        return period * (dta or evals)
    return max(60, -(-int(threshold * period) // 60) * 60)


def _criteria(key: str | None, tags: dict[str, str]) -> tuple[list[str], str | None]:
    if key in ALARMS:
        d = ALARMS[key]
        return list(d.criteria), d.runbook
    if key in EVENTS:
        e = EVENTS[key]
        return list(e.criteria), e.runbook
    if key in TRAIL_ALARMS:
        t = TRAIL_ALARMS[key]
        return list(t.criteria), t.runbook
    for slo in SLOS.values():  # burn-rate windows and composites: slo-<slo>-<alert>[-<window>|-burn]
        if key and key.startswith(f"slo-{slo.key}-"):
            return list(slo.criteria), slo.runbook
    return tags.get("azora:criteria", "").split(), None


def _reached_topics(plan: Plan) -> set[str]:
    subscribed = {str(s.inputs.get("topic")) for s in plan.of_type(SUBSCRIPTION)}
    for chat in plan.of_type(CHATBOT):
        subscribed.update(str(t) for t in chat.inputs.get("snsTopicArns") or [])
    return {str(t.outputs.get("arn")) for t in plan.of_type(TOPIC) if t.outputs.get("arn") in subscribed}


def alarm_rows(plan: Plan) -> list[AlarmRow]:
    reached = _reached_topics(plan)
    rows: dict[str, AlarmRow] = {}
    metric = plan.of_type(METRIC_ALARM)
    for a in metric:
        i = a.inputs
        key = a.tags.get("azora:alarm")
        period, evals = _period(a), i.get("evaluationPeriods")
        dta = i.get("datapointsToAlarm")
        criteria, runbook = _criteria(key, a.tags)
        actions = [str(x) for x in i.get("alarmActions") or []]
        name = str(i.get("name") or a.name)
        rows[name] = AlarmRow(
            name, key, "metric", a.tags.get("azora:severity"), period, evals, dta,
            period * (dta or evals) if period and evals else None,
            period * evals + DELIVERY_SECONDS if period and evals else None, criteria, runbook,
            any(x in reached for x in actions), any(":ssm-incidents:" in x for x in actions))
        if key and key.startswith("slo-"):
            outage = _outage_seconds(a, period, evals, dta)
            rows[name].outage_to_page_s = outage + DELIVERY_SECONDS if outage is not None else None
    for c in plan.of_type(COMPOSITE_ALARM):
        i = c.inputs
        key = c.tags.get("azora:alarm")
        children = [rows[n] for n in _CHILD.findall(str(i.get("alarmRule") or "")) if n in rows]
        evals = [r.time_to_page_s - DELIVERY_SECONDS for r in children if r.time_to_page_s is not None]
        actions = [str(x) for x in i.get("alarmActions") or []]
        criteria, runbook = _criteria(key, c.tags)
        row = AlarmRow(str(i.get("alarmName") or c.name), key, "composite", c.tags.get("azora:severity"), None,
                       None, None, max(r.detection_s or 0 for r in children) if children else None,
                       max(evals) + DELIVERY_SECONDS if evals else None, criteria, runbook,
                       any(x in reached for x in actions), any(":ssm-incidents:" in x for x in actions))
        outages = [r.outage_to_page_s for r in children if r.outage_to_page_s is not None]
        row.outage_to_page_s = max(outages) if outages else None
        rows[row.name] = row
        for child in children:  # the composite's actions are its children's
            child.reaches_person = child.reaches_person or row.reaches_person
            child.opens_incident = child.opens_incident or row.opens_incident
            child.composite = row.name
    targets: dict[str, list[str]] = {}
    for t in plan.of_type(EVENT_TARGET):
        targets.setdefault(str(t.inputs.get("rule")), []).append(str(t.inputs.get("arn")))
    for rule in plan.of_type(EVENT_RULE):
        key = rule.tags.get("azora:alarm")
        if key not in EVENTS:
            continue
        name = str(rule.inputs.get("name") or rule.name)
        criteria, runbook = _criteria(key, rule.tags)
        arns = targets.get(name, [])
        rows[name] = AlarmRow(name, key, "event", EVENTS[key].severity, None, None, None, 0,
                              EVENTS[key].time_to_page_seconds, criteria, runbook,
                              any(x in reached for x in arns), any(":ssm-incidents:" in x for x in arns))
    return sorted(rows.values(), key=lambda r: (r.kind, r.name))


def alerting_figures(plan: Plan, rows: list[AlarmRow]) -> list[Any]:
    from .resilience import INFO, MISS, PASS, Figure, Source  # the report's types (it imports this module)

    figures = []
    by_name = {a.inputs.get("name"): a for a in plan.of_type(METRIC_ALARM)}
    error = [r for r in rows if r.key == ERROR_RATE_ALARM]
    if not error:
        figures.append(Figure("alerting.error_rate", "Alert on a 5xx error rate above 5 %", None, "s", "n/a",
                              f"<= {ERROR_RATE_TARGET_S} s", MISS, "period x datapoints of the 5xx-ratio alarm",
                              notes=["no 5xx-ratio alarm on the load balancer in the plan"]))
    for r in error:
        res = by_name[r.name]
        ok = r.detection_s is not None and r.detection_s <= ERROR_RATE_TARGET_S and r.reaches_person
        figures.append(Figure(
            "alerting.error_rate", "Alert on a 5xx error rate above 5 %", r.detection_s, "s",
            f"{r.detection_s} s (paged in {r.time_to_page_s} s)", f"<= {ERROR_RATE_TARGET_S} s", PASS if ok else MISS,
            "the alarm fires after period x datapoints; time-to-page adds the delivery assumption "
            f"(alarmDeliverySeconds={DELIVERY_SECONDS})",
            [Source(res.urn, res.type, res.name, f"period={r.period_s}, evaluationPeriods={r.evaluation_periods}, "
                                                 f"threshold={res.inputs.get('threshold')}")],
            [] if r.reaches_person else ["its topic has no subscriber: it reaches nobody"]))
    reaching = [r for r in rows if r.reaches_person]
    value = len(reaching) / len(rows) if rows else None
    figures.append(Figure(
        "alerting.reach", "Alarms that reach a person", value, "ratio",
        f"{len(reaching)}/{len(rows)}" if rows else "n/a", "all", PASS if rows and value == 1 else MISS,
        "alarms and alerting events whose actions (or their composite's) name a topic with a subscriber",
        notes=[f"reaches nobody: {r.name}" for r in rows if not r.reaches_person][:10]
        or ([] if rows else ["no alarm in the plan"])))
    pages = [r for r in rows if r.severity == "page" and r.composite is None]
    incidents = [r for r in pages if r.opens_incident]
    figures.append(Figure(
        "alerting.incidents", "Page alarms opening an Incident Manager incident", float(len(incidents)), "alarms",
        f"{len(incidents)}/{len(pages)}", "informational", INFO,
        "page alarms whose actions name a response plan: the incident records the time to acknowledge and "
        "resolve (MTTR)", notes=[] if incidents else ["Incident Manager is off: pages reach the topic only"]))
    return figures


def render_rows(rows: list[AlarmRow]) -> list[str]:
    lines = ["Alarms: time-to-page (evaluation periods x period + delivery) and seed criteria covered"]
    for r in rows:
        ttp = "n/a" if r.time_to_page_s is None else f"{r.time_to_page_s} s"
        outage = "" if r.outage_to_page_s is None else f", full outage {r.outage_to_page_s} s"
        lines.append(f"  {r.kind:<9} {r.severity or '-':<6} {ttp:>9}  {r.name}  [{' '.join(r.criteria) or '-'}]"
                     f"{outage}{'' if r.reaches_person else '  (reaches nobody)'}")
    return lines


def markdown_rows(rows: list[AlarmRow]) -> list[str]:
    lines = ["## Alarms", "", "| Alarm | Kind | Severity | Time to page | Criteria | Runbook | Reaches a person |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        ttp = "n/a" if r.time_to_page_s is None else f"{r.time_to_page_s} s"
        if r.outage_to_page_s is not None:
            ttp += f" (full outage: {r.outage_to_page_s} s)"
        book = f"`docs/runbooks/{r.runbook}.md`" if r.runbook else "-"
        lines.append(f"| `{r.name}` | {r.kind} | {r.severity or '-'} | {ttp} | {' '.join(r.criteria) or '-'} | "
                     f"{book} | {'yes' if r.reaches_person else 'no'} |")
    return lines
