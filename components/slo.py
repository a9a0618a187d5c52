"""`SloAlarms`: a region's SLOs and their multiwindow, multi-burn-rate alerts (SRE workbook).

Per SLI of `components.alarm_catalog.SLOS` (availability and latency at the ALB, availability seen
by the canary) and per alert of ``BURN_RATE_ALERTS``:

- two metric-math alarms, the long and the short window, each computing the bad-event ratio over
  ONE period as long as its window (CloudWatch's default sliding evaluation window) and firing
  above ``factor x error budget``; they carry no actions of their own;
- one composite alarm ``ALARM(long) AND ALARM(short)`` carrying the actions: ``page`` (fast and
  medium burn: topic + Incident Manager response plan) or ``ticket`` (slow burns).

A canary runs once a minute, so over windows shorter than an hour its SLI is evaluated per
minute and must be bad in ``short_window_min_bad`` of them: one lost probe does not page.

Outputs: ``composite_arns`` (``<slo>-<alert>`` -> ARN; the chaos experiments' stop conditions),
``composites``, ``windows`` (name -> MetricAlarm), ``slo_specs`` (what the dashboards draw).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .alarm_catalog import (
    BURN_RATE_ALERTS,
    LATENCY_OBJECTIVE,
    RUNBOOK_DIR,
    SLOS,
    BurnRateAlert,
    Metric,
    SloDefinition,
    alarm_name,
    check_alarm_window,
    runbook_path,
    slo_alert_key,
    slo_window_key,
    window_label,
)
from .alarms import AlarmActions, alarm_tags, metric_query
from .base import AzoraComponent


@dataclass(frozen=True)
class SloObjectives:
    #: fraction of requests that must not fail (0.9999 = 99.99 %)
    availability: float = 0.9999
    #: latency objective: ``latency_percentile`` % of requests within ``latency_ms``
    latency_ms: float = 100
    latency_percentile: float = 95

    def validate(self) -> None:
        if not 0.9 <= self.availability < 1:
            raise ValueError("SloObjectives: availability must be in [0.9, 1)")
        if not 0 < self.latency_ms <= 60000 or not 50 <= self.latency_percentile < 100:
            raise ValueError("SloObjectives: latency_ms in (0, 60000], latency_percentile in [50, 100)")

    def budget(self, objective: str) -> float:
        """The error budget: the bad-event fraction the SLO allows."""
        return 1 - self.availability if objective == "availability" else 1 - self.latency_percentile / 100

    @property
    def latency_seconds(self) -> str:
        return f"{self.latency_ms / 1000:g}"


@dataclass(frozen=True)
class SloSpec:
    """One SLI as created (for dashboards): its definition, concrete metrics and budget."""

    definition: SloDefinition
    metrics: tuple[Metric, ...]
    dimensions: Mapping[str, pulumi.Input[str]]
    budget: float


@dataclass(frozen=True)
class SloAlarmsArgs:
    region: str
    name_prefix: str
    actions: AlarmActions
    objectives: SloObjectives = field(default_factory=SloObjectives)
    runbook_base: str = RUNBOOK_DIR
    #: the ALB the request SLIs are measured at (None: no ALB SLIs)
    alb_arn_suffix: pulumi.Input[str] | None = None
    #: the canary the outside-in SLI is measured by (None: no canary SLI)
    canary_name: pulumi.Input[str] | None = None
    alerts: Sequence[BurnRateAlert] = BURN_RATE_ALERTS
    slos: Mapping[str, SloDefinition] = field(default_factory=lambda: dict(SLOS))

    def validate(self) -> None:
        self.actions.validate()
        self.objectives.validate()
        keys = [a.key for a in self.alerts]
        if len(set(keys)) != len(keys) or not keys:
            raise ValueError("SloAlarms: alert keys must be unique and at least one")
        for a in self.alerts:
            if a.short_window >= a.long_window or a.factor <= 0:
                raise ValueError(f"SloAlarms: alert {a.key} needs short < long window and a positive factor")
            for window in (a.long_window, a.short_window):
                check_alarm_window(window, 1)


class SloAlarms(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: SloAlarmsArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:slo:SloAlarms", name, provider, opts)
        self._args = args
        self.windows: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self.composites: dict[str, aws.cloudwatch.CompositeAlarm] = {}
        self.slo_specs: list[SloSpec] = []
        sources: dict[str, Mapping[str, pulumi.Input[str]]] = {}
        if args.alb_arn_suffix is not None:
            sources["alb"] = {"LoadBalancer": args.alb_arn_suffix}
        if args.canary_name is not None:
            sources["canary"] = {"CanaryName": args.canary_name}
        for slo in args.slos.values():
            if slo.source in sources:
                self._slo(slo, sources[slo.source])
        self.composite_arns: dict[str, pulumi.Output[str]] = {k: c.arn for k, c in self.composites.items()}
        self.register_outputs({"compositeArns": self.composite_arns,
                               "windowAlarms": sorted(self.windows)})

    def _slo(self, slo: SloDefinition, dims: Mapping[str, pulumi.Input[str]]) -> None:
        objectives = self._args.objectives
        metrics = tuple(Metric(m.id, m.namespace, m.name, m.stat.replace(LATENCY_OBJECTIVE, objectives.latency_seconds),
                               m.dimensions) for m in slo.metrics)
        budget = objectives.budget(slo.objective)
        self.slo_specs.append(SloSpec(slo, metrics, dims, budget))
        for alert in self._args.alerts:
            threshold = alert.factor * budget
            long_ = self._window(slo, metrics, dims, alert, alert.long_window, threshold)
            short = self._window(slo, metrics, dims, alert, alert.short_window, threshold)
            self._composite(slo, alert, budget, long_, short)

    def _window(self, slo: SloDefinition, metrics: tuple[Metric, ...], dims: Mapping[str, pulumi.Input[str]],
                alert: BurnRateAlert, window: int, threshold: float) -> aws.cloudwatch.MetricAlarm:
        a = self._args
        key = slo_window_key(slo.key, alert.key, window)
        name = alarm_name(a.name_prefix, key)
        per_minute = slo.short_window_min_bad is not None and window < 3600
        period, evaluations = (60, window // 60) if per_minute else (window, 1)
        datapoints = min(slo.short_window_min_bad or 1, evaluations) if per_minute else None
        how = (f"bad in {datapoints} of {evaluations} minutes" if per_minute
               else f"over {window_label(window)}")
        queries = [metric_query(m, {k: dims[k] for k in (m.dimensions or dims.keys())}, period, return_data=False)
                   for m in metrics]
        queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="ratio", expression=slo.bad_ratio, label=f"{slo.key} bad-event ratio", return_data=True))
        alarm = aws.cloudwatch.MetricAlarm(
            self.child_name(key.removeprefix("slo-")), name=name,
            alarm_description=(f"{slo.title}: bad-event ratio {how} above {alert.factor:g} x the error budget "
                               f"({threshold:.6g}); one window of the {alert.key} burn-rate alert "
                               f"{alarm_name(a.name_prefix, slo_alert_key(slo.key, alert.key))}. "
                               f"Runbook: {runbook_path(slo.runbook, a.runbook_base)}"),
            comparison_operator="GreaterThanThreshold", threshold=threshold, evaluation_periods=evaluations,
            datapoints_to_alarm=datapoints, treat_missing_data="notBreaching", metric_queries=queries,
            # the composite carries the actions (workbook: page on both windows, not on either)
            actions_enabled=True,
            tags={**alarm_tags(key, alert.severity, slo.criteria),
                  "azora:composite": alarm_name(a.name_prefix, slo_alert_key(slo.key, alert.key))},
            opts=self.child_opts())
        self.windows[name] = alarm
        return alarm

    def _composite(self, slo: SloDefinition, alert: BurnRateAlert, budget: float,
                   long_: aws.cloudwatch.MetricAlarm, short: aws.cloudwatch.MetricAlarm) -> None:
        a = self._args
        key = slo_alert_key(slo.key, alert.key)
        name = alarm_name(a.name_prefix, key)
        # the children's names are known strings: the rule is known at preview (the pack joins on it)
        long_name = alarm_name(a.name_prefix, slo_window_key(slo.key, alert.key, alert.long_window))
        short_name = alarm_name(a.name_prefix, slo_window_key(slo.key, alert.key, alert.short_window))
        rule = f'ALARM("{long_name}") AND ALARM("{short_name}")'
        composite = aws.cloudwatch.CompositeAlarm(
            self.child_name(key.removeprefix("slo-")), alarm_name=name, alarm_rule=rule,
            alarm_description=(f"{slo.title}: the error budget ({budget:.6g} of events, 30 days) burns at "
                               f"{alert.factor:g}x over {window_label(alert.long_window)} and "
                               f"{window_label(alert.short_window)} ({alert.budget_spent:.0%} of the budget "
                               f"spent). Severity {alert.severity}. "
                               f"Runbook: {runbook_path(slo.runbook, a.runbook_base)}"),
            actions_enabled=True, alarm_actions=a.actions.on_alarm(alert.severity),
            ok_actions=a.actions.on_ok(alert.severity), tags=alarm_tags(key, alert.severity, slo.criteria),
            opts=self.child_opts(depends_on=[long_, short]))
        self.composites[f"{slo.key}-{alert.key}"] = composite
