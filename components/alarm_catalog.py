"""The alarm catalog: every alarm, SLO and alerting event the platform defines, as data.

One source of truth (issue 11): `components.alarms` creates the metric alarms from these
definitions, `components.slo` the burn-rate alarms, `components.event_alerts` the EventBridge
rules, `components.dashboards` draws the same metrics and alarms, and the resilience report
(`azora_infra.reports.resilience`) computes each alarm's time-to-page and the seed criteria it
covers from them. Every definition names its runbook, ``docs/runbooks/<runbook>.md`` (a test fails
when the file is missing).

Nothing here creates resources; the module imports nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["page", "ticket"]
#: what an alarm is about; each kind has fixed dimension names (``TARGET_DIMENSIONS``)
TargetKind = Literal[
    "alb", "target-group", "web-acl", "aurora-cluster", "aurora-secondary", "cache-node",
    "cache-secondary-node", "eks", "health-check", "certificate", "canary-step",
]

#: the dimension names of each target kind, in the order CloudWatch shows them
TARGET_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "alb": ("LoadBalancer",),
    "target-group": ("TargetGroup", "LoadBalancer"),
    "web-acl": ("WebACL", "Region", "Rule"),
    "aurora-cluster": ("DBClusterIdentifier",),
    "aurora-secondary": ("DBClusterIdentifier", "SourceRegion"),
    "cache-node": ("CacheClusterId",),
    "cache-secondary-node": ("CacheClusterId",),
    "eks": ("ClusterName",),
    "health-check": ("HealthCheckId",),
    "certificate": ("CertificateArn",),
    "canary-step": ("CanaryName", "StepName"),
}

#: CloudWatch's standard statistics; anything else (p95, PR(:0.1), TC(...)) is an extended one
STANDARD_STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})

#: the runbook directory every alarm description points into
RUNBOOK_DIR = "docs/runbooks"
#: seconds from an alarm's state change to a person being notified: CloudWatch evaluates alarms
#: once a minute on metrics that arrive up to a minute late, then SNS delivers (seconds) and a
#: pager or mail client shows it. A stated assumption of the resilience report.
DELIVERY_SECONDS = 60
#: seconds from an AWS event to its EventBridge rule's SNS target (EventBridge delivers events
#: "in near real time"; CloudTrail API events can take minutes: modelled as 5 minutes)
EVENT_DELIVERY_SECONDS = {"service": 60, "cloudtrail": 300}


@dataclass(frozen=True)
class Metric:
    """One metric an alarm reads; its dimension values come from the alarm's target."""

    id: str
    namespace: str
    name: str
    stat: str
    #: None: the target kind's dimensions; else these names (a subset or superset of them)
    dimensions: tuple[str, ...] | None = None

    @property
    def extended(self) -> bool:
        return self.stat not in STANDARD_STATISTICS


@dataclass(frozen=True)
class AlarmDefinition:
    """A metric alarm, per target (ALB, cluster, ...) the caller passes."""

    key: str
    family: str
    title: str
    target: TargetKind
    metrics: tuple[Metric, ...]
    threshold: float
    comparison: str = "GreaterThanThreshold"
    #: metric math over the metric ids returning the alarmed value (None: the single metric).
    #: For node-level targets (cache) it is the aggregate over the nodes' metrics: "MAX" or "SUM".
    expression: str | None = None
    period: int = 60
    evaluation_periods: int = 1
    #: M of N: how many of the evaluation periods must breach (None: all of them)
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "notBreaching"
    severity: Severity = "ticket"
    runbook: str = "alb"
    #: seed acceptance criteria this alarm helps meet (docs/traceability.md ids)
    criteria: tuple[str, ...] = ()
    unit: str = ""
    #: dashboard section: health, errors, latency, saturation, replication
    panel: str = "errors"
    #: anomaly detection: alarm above the band of this many standard deviations (threshold unused)
    band: float | None = None
    #: alarms in another region than the target's (Route 53 metrics exist only in us-east-1)
    region: str | None = None

    @property
    def breaching_periods(self) -> int:
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def detection_seconds(self) -> int:
        """How long the condition must hold before the alarm fires (M periods of N)."""
        return self.period * self.breaching_periods

    @property
    def evaluation_seconds(self) -> int:
        return self.period * self.evaluation_periods

    @property
    def time_to_page_seconds(self) -> int:
        """Evaluation periods x period + delivery (the report's model, issue 11)."""
        return self.evaluation_seconds + DELIVERY_SECONDS

    def with_threshold(self, threshold: float) -> AlarmDefinition:
        return replace(self, threshold=threshold)

    def dimension_names(self, metric: Metric) -> tuple[str, ...]:
        return metric.dimensions if metric.dimensions is not None else TARGET_DIMENSIONS[self.target]


def _alb(name: str, stat: str, mid: str = "m1") -> Metric:
    return Metric(mid, "AWS/ApplicationELB", name, stat)


#: every metric alarm of a region, by key
ALARMS: dict[str, AlarmDefinition] = {d.key: d for d in (
    # --- ALB ------------------------------------------------------------------------------------
    AlarmDefinition(
        "alb-5xx-ratio", "alb", "5xx responses above 5 % of requests in one minute (target and load balancer)",
        "alb", (_alb("HTTPCode_ELB_5XX_Count", "Sum", "elb5xx"), _alb("HTTPCode_Target_5XX_Count", "Sum", "target5xx"),
                _alb("RequestCount", "Sum", "requests")),
        threshold=5, expression="IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)",
        period=60, evaluation_periods=1, severity="page", runbook="alb",
        criteria=("D7.4", "E10.1", "E2.3"), unit="%", panel="errors"),
    AlarmDefinition(
        "alb-target-p95", "alb", "Target response time p95 above 200 ms for 3 of 5 minutes",
        "alb", (_alb("TargetResponseTime", "p95"),), threshold=0.2, period=60, evaluation_periods=5,
        datapoints_to_alarm=3, severity="page", runbook="alb", criteria=("E1.5", "D8.1", "E10.1"),
        unit="s", panel="latency"),
    AlarmDefinition(
        "alb-unhealthy-targets", "alb", "A target group has unhealthy targets for 5 minutes",
        "target-group", (_alb("UnHealthyHostCount", "Maximum"),), threshold=0, period=60,
        evaluation_periods=5, severity="ticket", runbook="alb", criteria=("E10.1",), unit="count",
        panel="health"),
    AlarmDefinition(
        "alb-no-healthy-targets", "alb", "A target group has no healthy target: requests fail with 503",
        "target-group", (_alb("HealthyHostCount", "Minimum"),), threshold=1, comparison="LessThanThreshold",
        period=60, evaluation_periods=2, treat_missing_data="breaching", severity="page", runbook="alb",
        criteria=("E1.1", "E10.1"), unit="count", panel="health"),
    # --- WAF ------------------------------------------------------------------------------------
    AlarmDefinition(
        "waf-blocked-spike", "waf", "WAF blocked requests above their anomaly band (attack or false positives)",
        "web-acl", (Metric("m1", "AWS/WAFV2", "BlockedRequests", "Sum"),), threshold=0,
        comparison="GreaterThanUpperThreshold", band=3, period=300, evaluation_periods=2,
        severity="ticket", runbook="waf-false-positives", criteria=("E2.3", "D10.5"), unit="count",
        panel="errors"),
    # --- Aurora ---------------------------------------------------------------------------------
    AlarmDefinition(
        "aurora-cpu", "aurora", "Aurora CPU above 80 % for 15 minutes", "aurora-cluster",
        (Metric("m1", "AWS/RDS", "CPUUtilization", "Maximum"),), threshold=80, period=300, evaluation_periods=3,
        runbook="aurora", criteria=("E2.3", "D8.5"), unit="%", panel="saturation"),
    AlarmDefinition(
        "aurora-freeable-memory", "aurora", "Aurora freeable memory below 1 GiB for 15 minutes", "aurora-cluster",
        (Metric("m1", "AWS/RDS", "FreeableMemory", "Minimum"),), threshold=1024 ** 3, comparison="LessThanThreshold",
        period=300, evaluation_periods=3, runbook="aurora", criteria=("E2.3",), unit="bytes", panel="saturation"),
    AlarmDefinition(
        "aurora-connections", "aurora", "Aurora connections above 1500 (near max_connections of db.r7g.large)",
        "aurora-cluster", (Metric("m1", "AWS/RDS", "DatabaseConnections", "Maximum"),), threshold=1500,
        period=300, evaluation_periods=3, runbook="aurora", criteria=("E2.3", "D8.5"), unit="count",
        panel="saturation"),
    AlarmDefinition(
        "aurora-deadlocks", "aurora", "Aurora deadlocks in each of 3 consecutive 5-minute periods", "aurora-cluster",
        (Metric("m1", "AWS/RDS", "Deadlocks", "Maximum"),), threshold=0, period=300, evaluation_periods=3,
        runbook="aurora", criteria=("E2.3",), unit="count/s", panel="errors"),
    AlarmDefinition(
        "aurora-replication-lag", "aurora",
        "Aurora global database replication lag above 5 s (the seed's replication target) in this secondary",
        "aurora-secondary", (Metric("m1", "AWS/RDS", "AuroraGlobalDBReplicationLag", "Maximum"),), threshold=5000,
        period=60, evaluation_periods=5, datapoints_to_alarm=3, severity="page", runbook="aurora",
        criteria=("E1.2", "E1.4", "E7.4"), unit="ms", panel="replication"),
    # --- ElastiCache ----------------------------------------------------------------------------
    AlarmDefinition(
        "cache-engine-cpu", "cache", "Cache engine CPU above 80 % on a node for 15 minutes", "cache-node",
        (Metric("m1", "AWS/ElastiCache", "EngineCPUUtilization", "Maximum"),), threshold=80, expression="MAX",
        period=300, evaluation_periods=3, runbook="cache", criteria=("E2.3", "D9.5"), unit="%", panel="saturation"),
    AlarmDefinition(
        "cache-memory", "cache", "Cache memory use above 80 % on a node for 15 minutes", "cache-node",
        (Metric("m1", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Maximum"),), threshold=80,
        expression="MAX", period=300, evaluation_periods=3, runbook="cache", criteria=("E2.3", "D9.5"), unit="%",
        panel="saturation"),
    AlarmDefinition(
        "cache-evictions", "cache", "Cache evictions above 1000 in 5 minutes for 15 minutes", "cache-node",
        (Metric("m1", "AWS/ElastiCache", "Evictions", "Sum"),), threshold=1000, expression="SUM", period=300,
        evaluation_periods=3, runbook="cache", criteria=("E2.3", "E5.4"), unit="count", panel="saturation"),
    AlarmDefinition(
        "cache-replication-lag", "cache", "Global datastore replication lag above 5 s in this secondary",
        "cache-secondary-node", (Metric("m1", "AWS/ElastiCache", "GlobalDatastoreReplicationLag", "Maximum"),),
        threshold=5, expression="MAX", period=60, evaluation_periods=5, datapoints_to_alarm=3, runbook="cache",
        criteria=("E1.2", "E1.4"), unit="s", panel="replication"),
    # --- EKS (Container Insights) ---------------------------------------------------------------
    AlarmDefinition(
        "eks-nodes-not-ready", "eks", "EKS nodes not ready for 5 minutes", "eks",
        (Metric("m1", "ContainerInsights", "cluster_failed_node_count", "Maximum"),), threshold=0, period=60,
        evaluation_periods=5, runbook="eks", criteria=("E10.1", "E5.3"), unit="count", panel="health"),
    AlarmDefinition(
        "eks-pod-restarts", "eks", "More than 5 container restarts in the cluster in 5 minutes", "eks",
        (Metric("m1", "ContainerInsights", "pod_number_of_container_restarts", "Sum"),), threshold=5, period=300,
        evaluation_periods=1, runbook="eks", criteria=("E10.1",), unit="count", panel="health"),
    # --- DNS ------------------------------------------------------------------------------------
    AlarmDefinition(
        "dns-health-check", "dns",
        "The region fails its Route 53 health check: it is out of latency routing until it recovers",
        "health-check", (Metric("m1", "AWS/Route53", "HealthCheckStatus", "Minimum"),), threshold=1,
        comparison="LessThanThreshold", period=60, evaluation_periods=1, treat_missing_data="breaching",
        severity="page", runbook="dns-health-check", criteria=("E1.1", "E10.1"), unit="", panel="health",
        region="us-east-1"),
    # --- certificates ---------------------------------------------------------------------------
    AlarmDefinition(
        "certificate-expiry-warning", "certificate", "The ALB certificate expires in less than 30 days",
        "certificate", (Metric("m1", "AWS/CertificateManager", "DaysToExpiry", "Minimum"),), threshold=30,
        comparison="LessThanThreshold", period=86400, evaluation_periods=1, runbook="certificate-expiry",
        criteria=("D10.2",), unit="days", panel="health"),
    AlarmDefinition(
        "certificate-expiry-critical", "certificate", "The ALB certificate expires in less than 7 days",
        "certificate", (Metric("m1", "AWS/CertificateManager", "DaysToExpiry", "Minimum"),), threshold=7,
        comparison="LessThanThreshold", period=86400, evaluation_periods=1, severity="page",
        runbook="certificate-expiry", criteria=("D10.2",), unit="days", panel="health"),
    # --- canary (outside-in latency) ------------------------------------------------------------
    AlarmDefinition(
        "canary-api-latency", "canary", "The canary's API step p95 above the latency SLO over 15 minutes",
        "canary-step", (Metric("m1", "CloudWatchSynthetics", "Duration", "p95"),), threshold=100, period=900,
        evaluation_periods=1, runbook="slo-burn-rate", criteria=("E1.5", "D8.1"), unit="ms", panel="latency"),
)}


# --- SLOs and burn rates (SRE workbook, "Alerting on SLOs", multiwindow multi-burn-rate) ---------

#: the SLO window the budget is spent over
SLO_WINDOW_SECONDS = 30 * 86400


@dataclass(frozen=True)
class BurnRateAlert:
    """Fires when the error budget burns ``factor`` times faster than sustainable over BOTH the long
    and the short window; the short window makes it reset soon after the burn stops."""

    key: str
    severity: Severity
    long_window: int
    short_window: int
    factor: float

    @property
    def budget_spent(self) -> float:
        """Fraction of the 30-day budget spent when the long window alone fires."""
        return self.factor * self.long_window / SLO_WINDOW_SECONDS


#: the workbook's set, with the 1 d/2 h x3 ticket of its second table. Each window is ONE alarm
#: period (a rolling window): CloudWatch allows period x evaluation periods up to 7 days for
#: periods of an hour or more and up to 1 day below an hour, so 3 d (259200 s) is one period.
BURN_RATE_ALERTS: tuple[BurnRateAlert, ...] = (
    BurnRateAlert("fast", "page", 3600, 300, 14.4),
    BurnRateAlert("medium", "page", 21600, 1800, 6.0),
    BurnRateAlert("slow", "ticket", 86400, 7200, 3.0),
    BurnRateAlert("slowest", "ticket", 259200, 21600, 1.0),
)


@dataclass(frozen=True)
class SloDefinition:
    """An SLI (the fraction of bad events, 0..1, as metric math) with its objective."""

    key: str
    title: str
    #: "alb" (dimensions LoadBalancer) or "canary" (CanaryName)
    source: Literal["alb", "canary"]
    #: "availability" or "latency": which objective of the stack's SLO applies
    objective: Literal["availability", "latency"]
    metrics: tuple[Metric, ...]
    #: metric math over the metric ids: the bad-event ratio 0..1
    bad_ratio: str
    runbook: str = "slo-burn-rate"
    criteria: tuple[str, ...] = ()
    #: windows shorter than an hour: require this many bad one-minute datapoints instead of a
    #: ratio over one period (a canary runs once a minute: one lost probe must not page)
    short_window_min_bad: int | None = None


#: placeholder in a metric's stat replaced by the latency objective in seconds (PR = percentile
#: rank: the percentage of requests at or under the objective)
LATENCY_OBJECTIVE = "{latency_s}"

SLOS: dict[str, SloDefinition] = {s.key: s for s in (
    SloDefinition(
        "availability", "Availability at the ALB (5xx of all requests)", "alb", "availability",
        (_alb("HTTPCode_ELB_5XX_Count", "Sum", "elb5xx"), _alb("HTTPCode_Target_5XX_Count", "Sum", "target5xx"),
         _alb("RequestCount", "Sum", "requests")),
        "IF(requests > 0, (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)",
        criteria=("E1.3", "E10.1", "D7.4")),
    SloDefinition(
        "latency", "Latency at the ALB (requests slower than the objective)", "alb", "latency",
        (_alb("TargetResponseTime", f"PR(:{LATENCY_OBJECTIVE})", "fast"),),
        "(100 - fast) / 100", criteria=("E1.5", "E5.2", "D8.1")),
    SloDefinition(
        "canary-availability", "Availability seen by the canary (failed runs)", "canary", "availability",
        (Metric("success", "CloudWatchSynthetics", "SuccessPercent", "Average", ("CanaryName",)),),
        "(100 - success) / 100", criteria=("E1.3", "E10.1"), short_window_min_bad=2),
)}


# --- alerting events (EventBridge rules to the severity topics) ----------------------------------

@dataclass(frozen=True)
class EventDefinition:
    key: str
    family: str
    title: str
    pattern: Mapping[str, object]
    severity: Severity
    runbook: str
    criteria: tuple[str, ...] = ()
    #: "service" (the service's own event) or "cloudtrail" (needs a trail with management events)
    via: Literal["service", "cloudtrail"] = "service"

    @property
    def time_to_page_seconds(self) -> int:
        return EVENT_DELIVERY_SECONDS[self.via]


EVENTS: dict[str, EventDefinition] = {e.key: e for e in (
    EventDefinition(
        "backup-job-failed", "backup", "An AWS Backup job failed, was aborted or expired",
        {"source": ["aws.backup"], "detail-type": ["Backup Job State Change"],
         "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]}},
        "ticket", "backup-failure", ("E7.1", "D6.4", "E10.1")),
    EventDefinition(
        "backup-copy-failed", "backup", "A cross-region backup copy job failed",
        {"source": ["aws.backup"], "detail-type": ["Copy Job State Change"], "detail": {"state": ["FAILED"]}},
        "ticket", "backup-failure", ("E7.5", "E10.1")),
    EventDefinition(
        "restore-job-failed", "backup", "A restore job (or the monthly restore test) failed",
        {"source": ["aws.backup"], "detail-type": ["Restore Job State Change"], "detail": {"status": ["FAILED"]}},
        "ticket", "restore", ("E7.2", "E8.3", "D6.5")),
    EventDefinition(
        "kms-key-deletion", "security", "A KMS key was scheduled for deletion or disabled",
        {"source": ["aws.kms"], "detail-type": ["AWS API Call via CloudTrail"],
         "detail": {"eventSource": ["kms.amazonaws.com"], "eventName": ["ScheduleKeyDeletion", "DisableKey"]}},
        "page", "kms-problems", ("E3.5", "E10.1"), via="cloudtrail"),
)}


@dataclass(frozen=True)
class TrailAlarmDefinition:
    """An alarm on a metric filter of the region's audit trail (CIS benchmark, created by
    `components.audit.AuditTrail`): its key is ``cis-<filter>``."""

    key: str
    title: str
    severity: Severity = "page"
    runbook: str = "security-events"
    criteria: tuple[str, ...] = ("E3.6", "E4.5", "E10.1")
    #: the trail reaches CloudWatch Logs in about 5 minutes; one 5-minute period
    period: int = 300
    evaluation_periods: int = 1

    @property
    def time_to_page_seconds(self) -> int:
        return self.period * self.evaluation_periods + EVENT_DELIVERY_SECONDS["cloudtrail"]


TRAIL_ALARMS: dict[str, TrailAlarmDefinition] = {d.key: d for d in (
    TrailAlarmDefinition("cis-root-usage", "The account root user made a call"),
    TrailAlarmDefinition("cis-unauthorized-api-calls", "Calls refused as unauthorized"),
    TrailAlarmDefinition("cis-console-login-without-mfa", "A console sign-in without MFA"),
    TrailAlarmDefinition("cis-iam-policy-changes", "An IAM policy was created, changed, attached or detached"),
    TrailAlarmDefinition("cis-kms-key-disable-or-deletion", "A KMS key was disabled or scheduled for deletion"),
    TrailAlarmDefinition("cis-security-group-changes", "A security group changed"),
    TrailAlarmDefinition("cis-nacl-changes", "A network ACL changed"),
    TrailAlarmDefinition("cis-cloudtrail-changes", "A trail was stopped, deleted or changed"),
)}


# --- runbooks --------------------------------------------------------------------------------------

#: failure scenarios with a runbook of their own (alarm families have theirs through definitions)
SCENARIO_RUNBOOKS: tuple[str, ...] = (
    "region-loss", "az-loss", "aurora-switchover-failover", "cache-failover", "kms-problems",
    "certificate-expiry", "waf-false-positives", "backup-failure", "restore",
)
#: the post-mortem template (action items instead of the five operating sections)
POSTMORTEM_TEMPLATE = "post-mortem-template"


def runbooks() -> set[str]:
    """Every runbook file stem the catalog refers to."""
    names = {d.runbook for d in ALARMS.values()} | {s.runbook for s in SLOS.values()}
    names |= {e.runbook for e in EVENTS.values()} | {t.runbook for t in TRAIL_ALARMS.values()}
    return names | set(SCENARIO_RUNBOOKS) | {POSTMORTEM_TEMPLATE}


def runbook_path(runbook: str, base: str = RUNBOOK_DIR) -> str:
    """Where a description points: ``<base>/<runbook>.md`` (base: the repo path or a URL ending in it)."""
    return f"{base.rstrip('/')}/{runbook}.md"


def alarm_name(prefix: str, key: str, target: str | None = None) -> str:
    """The deterministic alarm name every reader (dashboards, other stacks) can compute."""
    return "-".join(p for p in (prefix, key, target) if p)


def slo_window_key(slo: str, alert: str, window: int) -> str:
    """``slo-availability-fast-1h``: the name part of one burn-rate window alarm."""
    return f"slo-{slo}-{alert}-{window_label(window)}"


def slo_alert_key(slo: str, alert: str) -> str:
    """``slo-availability-fast-burn``: the name part of a burn-rate composite alarm."""
    return f"slo-{slo}-{alert}-burn"


def window_label(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def check_alarm_window(period: int, evaluation_periods: int) -> None:
    """CloudWatch's limits (PutMetricAlarm): period 10, 20, 30 or a multiple of 60; period x
    evaluation periods at most 7 days, and at most 1 day when the period is under an hour."""
    if period not in (10, 20, 30) and period % 60:
        raise ValueError(f"alarm period {period} s is not 10, 20, 30 or a multiple of 60")
    total = period * evaluation_periods
    limit = 86400 if period < 3600 else 7 * 86400
    if evaluation_periods < 1 or total > limit:
        raise ValueError(f"alarm window {period} s x {evaluation_periods} exceeds CloudWatch's {limit} s")


def validate_catalog(definitions: Iterable[AlarmDefinition] = ALARMS.values()) -> None:
    """The catalog's own consistency (run by the tests and by the alarm component)."""
    for d in definitions:
        check_alarm_window(d.period, d.evaluation_periods)
        if d.datapoints_to_alarm is not None and not 1 <= d.datapoints_to_alarm <= d.evaluation_periods:
            raise ValueError(f"{d.key}: datapoints_to_alarm must be 1..evaluation_periods")
        if d.target not in TARGET_DIMENSIONS:
            raise ValueError(f"{d.key}: unknown target kind {d.target}")
        ids = [m.id for m in d.metrics]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{d.key}: metric ids repeat")
    for alert in BURN_RATE_ALERTS:
        for window in (alert.long_window, alert.short_window):
            check_alarm_window(window, 1)


def coverage() -> dict[str, list[str]]:
    """Seed criterion -> the alarm, SLO and event keys that cover it."""
    out: dict[str, list[str]] = {}
    for key, crit in ([(d.key, d.criteria) for d in ALARMS.values()]
                      + [(f"slo-{s.key}", s.criteria) for s in SLOS.values()]
                      + [(e.key, e.criteria) for e in EVENTS.values()]):
        for c in crit:
            out.setdefault(c, []).append(key)
    return out
