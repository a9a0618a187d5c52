"""CloudWatch dashboards generated from the alarms and SLOs a region created, so what the dashboards
draw is what pages (one source of truth: `components.alarm_catalog`).

- `RegionDashboard` (one per region): the state of every alarm; the SLOs' error budget left over
  30 days and their burn rate; then one graph per alarm, with its threshold, in sections: service
  health, errors, latency, saturation, replication lag.
- `GlobalDashboard` (one, in the primary region): the regions side by side: each region's alarm
  states and the graphs of its key alarms (the alarm's own metric, drawn by CloudWatch from the
  alarm). It needs no identifier of the other stacks: alarm names are deterministic
  (`alarm_catalog.alarm_name`), so their ARNs follow from region, account and name.

Outputs: ``dashboard_name``, ``dashboard_arn``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .alarm_catalog import SLO_WINDOW_SECONDS
from .alarms import AlarmSpec
from .base import AzoraComponent
from .slo import SloSpec

#: dashboard sections, in order, with their titles (AlarmDefinition.panel)
PANELS: tuple[tuple[str, str], ...] = (
    ("health", "Service health"), ("errors", "Errors"), ("latency", "Latency"),
    ("saturation", "Saturation"), ("replication", "Replication lag"),
)
GRID = 24
#: CloudWatch shows at most 100 alarms in one alarm-status widget
MAX_ALARMS_PER_WIDGET = 100


def alarm_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


def _metric_row(namespace: str, name: str, dims: Mapping[str, Any], options: dict[str, Any]) -> list[Any]:
    row: list[Any] = [namespace, name]
    for k, v in dims.items():
        row += [k, v]
    return [*row, options]


class _Layout:
    """Places widgets left to right, top to bottom on the 24-column grid."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0
        self.widgets: list[dict[str, Any]] = []

    def add(self, widget: dict[str, Any], width: int, height: int) -> None:
        if self.x + width > GRID:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        self.widgets.append({**widget, "x": self.x, "y": self.y, "width": width, "height": height})
        self.x += width
        self.row_height = max(self.row_height, height)

    def newline(self) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0

    def text(self, markdown: str) -> None:
        self.newline()
        self.add({"type": "text", "properties": {"markdown": markdown}}, GRID, 1)
        self.newline()


def alarm_graph(spec: AlarmSpec) -> dict[str, Any]:
    """A graph of what an alarm evaluates, with its threshold."""
    d = spec.definition
    hidden = spec.expression is not None and d.band is None
    metrics: list[Any] = [
        _metric_row(s.metric.namespace, s.metric.name, s.dimensions,
                    {"id": s.metric.id, "stat": s.metric.stat, "period": d.period, "visible": not hidden,
                     "region": spec.region})
        for s in spec.series]
    if spec.expression is not None:
        metrics.append([{"expression": spec.expression, "id": "band" if d.band is not None else "value",
                         "label": "expected band" if d.band is not None else d.title, "region": spec.region}])
    props: dict[str, Any] = {"title": f"{d.title} [{d.severity}]", "region": spec.region, "view": "timeSeries",
                             "stacked": False, "period": d.period, "metrics": metrics}
    if d.band is None:
        props["annotations"] = {"horizontal": [{"label": f"alarm: {spec.name}", "value": d.threshold}]}
    return {"type": "metric", "properties": props}


def budget_widgets(spec: SloSpec, region: str) -> list[tuple[dict[str, Any], int, int]]:
    """Error budget left over the SLO window, and the burn rate over time (1 = on budget)."""
    d = spec.definition
    rows = [_metric_row(m.namespace, m.name, {k: spec.dimensions[k] for k in (m.dimensions or spec.dimensions)},
                        {"id": m.id, "stat": m.stat, "visible": False}) for m in spec.metrics]
    left = {"type": "metric", "properties": {
        "title": f"{d.title}: error budget left (30 d)", "region": region, "view": "singleValue",
        "period": SLO_WINDOW_SECONDS,
        "metrics": [*rows, [{"expression": f"100 * (1 - ({d.bad_ratio}) / {spec.budget:.10g})",
                             "label": "% of the budget left", "id": "left"}]]}}
    burn = {"type": "metric", "properties": {
        "title": f"{d.title}: burn rate (1 = spends the budget in 30 d)", "region": region, "view": "timeSeries",
        "period": 300, "metrics": [*rows, [{"expression": f"({d.bad_ratio}) / {spec.budget:.10g}",
                                            "label": "burn rate", "id": "burn"}]],
        "annotations": {"horizontal": [{"label": "14.4x: fast burn", "value": 14.4},
                                       {"label": "1x: on budget", "value": 1}]}}}
    return [(left, 6, 6), (burn, 18, 6)]


@dataclass(frozen=True)
class RegionDashboardArgs:
    name: str
    region: str
    alarms: Sequence[AlarmSpec]
    slos: Sequence[SloSpec] = ()
    #: composite and other alarm ARNs shown in the status widget too (the SLO burn-rate alerts)
    extra_alarm_arns: Sequence[pulumi.Input[str]] = ()

    def validate(self) -> None:
        if not self.alarms and not self.slos:
            raise ValueError("RegionDashboard: nothing to draw")


def region_body(args: RegionDashboardArgs) -> pulumi.Output[str]:
    layout = _Layout()
    layout.text(f"# Azora {args.name} ({args.region})\nGenerated from the alarm catalog: each graph is what an "
                "alarm evaluates; the runbook is in the alarm's description.")
    local = [s.arn for s in args.alarms if s.region == args.region]
    arns = [*args.extra_alarm_arns, *local]
    for i in range(0, len(arns), MAX_ALARMS_PER_WIDGET):
        layout.add({"type": "alarm", "properties": {"title": "Alarms", "alarms": arns[i:i + MAX_ALARMS_PER_WIDGET],
                                                    "sortBy": "stateUpdatedTimestamp", "states": []}}, GRID, 4)
    others = [s for s in args.alarms if s.region != args.region]
    for region in sorted({s.region for s in others}):
        layout.add({"type": "alarm", "properties": {
            "title": f"Alarms in {region}", "region": region,
            "alarms": [s.arn for s in others if s.region == region]}}, GRID, 2)
    if args.slos:
        layout.text("## Error budget")
        for slo in args.slos:
            for widget, width, height in budget_widgets(slo, args.region):
                layout.add(widget, width, height)
    for panel, title in PANELS:
        specs = [s for s in args.alarms if s.definition.panel == panel]
        if not specs:
            continue
        layout.text(f"## {title}")
        for spec in specs:
            layout.add(alarm_graph(spec), 8, 6)
    return pulumi.Output.from_input({"widgets": layout.widgets}).apply(lambda b: json.dumps(b, sort_keys=True))


class RegionDashboard(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: RegionDashboardArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:dashboards:RegionDashboard", name, provider, opts)
        self.dashboard = aws.cloudwatch.Dashboard(
            self.child_name("dashboard"), dashboard_name=args.name, dashboard_body=region_body(args),
            opts=self.child_opts())
        self.dashboard_name: pulumi.Output[str] = self.dashboard.dashboard_name
        self.dashboard_arn: pulumi.Output[str] = self.dashboard.dashboard_arn
        self.register_outputs({"dashboardName": self.dashboard_name, "dashboardArn": self.dashboard_arn})


@dataclass(frozen=True)
class GlobalRegion:
    """One region's column: its alarms by name (they exist in that region's stack)."""

    region: str
    #: alarm states shown (in ``region``)
    status_alarms: Sequence[str]
    #: alarms drawn as graphs (metric alarms)
    graph_alarms: Sequence[str] = ()
    #: alarms in another region (the Route 53 health check's, us-east-1): region -> names
    remote_alarms: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class GlobalDashboardArgs:
    name: str
    #: stack -> its column, in display order
    regions: Mapping[str, GlobalRegion]
    account_id: pulumi.Input[str]

    def validate(self) -> None:
        if not 1 <= len(self.regions) <= 6:
            raise ValueError("GlobalDashboard: 1-6 regions side by side")


def global_body(args: GlobalDashboardArgs, account: str) -> str:
    width = GRID // len(args.regions)
    widgets: list[dict[str, Any]] = []
    for col, (stack, r) in enumerate(args.regions.items()):
        x, y = col * width, 0

        def put(widget: dict[str, Any], height: int, x: int = x) -> None:
            nonlocal y
            widgets.append({**widget, "x": x, "y": y, "width": width, "height": height})
            y += height

        put({"type": "text", "properties": {"markdown": f"## {stack} ({r.region})"}}, 1)
        put({"type": "alarm", "properties": {"title": f"{stack}: SLOs and alarms", "region": r.region,
                                             "alarms": [alarm_arn(r.region, account, n) for n in r.status_alarms]}}, 6)
        for region, names in sorted(r.remote_alarms.items()):
            put({"type": "alarm", "properties": {"title": f"{stack}: alarms in {region}", "region": region,
                                                 "alarms": [alarm_arn(region, account, n) for n in names]}}, 2)
        for name in r.graph_alarms:
            put({"type": "metric", "properties": {"title": name, "region": r.region, "view": "timeSeries",
                                                  "annotations": {"alarms": [alarm_arn(r.region, account, name)]}}},
                5)
    return json.dumps({"widgets": widgets}, sort_keys=True)


class GlobalDashboard(AzoraComponent):
    """See the module docstring."""

    def __init__(self, name: str, args: GlobalDashboardArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:dashboards:GlobalDashboard", name, provider, opts)
        self.dashboard = aws.cloudwatch.Dashboard(
            self.child_name("dashboard"), dashboard_name=args.name,
            dashboard_body=pulumi.Output.from_input(args.account_id).apply(lambda a: global_body(args, a)),
            opts=self.child_opts())
        self.dashboard_name: pulumi.Output[str] = self.dashboard.dashboard_name
        self.dashboard_arn: pulumi.Output[str] = self.dashboard.dashboard_arn
        self.register_outputs({"dashboardName": self.dashboard_name, "dashboardArn": self.dashboard_arn})
