"""The resilience report: recovery figures derived from a stack's plan, against the seed targets.

Every figure is computed from the settings of the resources in the plan (health checks, records,
backup plans and their rules, copy actions, restore-testing plans, global database members), names
the resources and settings it comes from, and passes or misses its target. Where AWS documents
a behaviour rather than a setting (replication lag, failover duration), the value is an explicit,
named assumption (`ASSUMPTIONS`). See docs/resilience-report.md.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from components.alarm_catalog import DELIVERY_SECONDS

from .. import regions
from ..plan.model import Plan, Resource
from ..regions import DataClass
from ..tags import DATA_CLASS

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
RESTORE_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
ENDPOINT_COMPONENT = "azora:dns:RegionalEndpoint"
BACKUP_COMPONENT = "azora:backup:RegionalBackup"

PASS, MISS, INFO, RESIDENCY = "pass", "miss", "info", "residency-limited"

#: the seed's numbers (BRIEF.md "Seeds")
TARGETS = {
    "failover_s": 30,
    "replication_s": 5,
    "rpo_s": 300,
    "rto_s": 900,
    "availability": 0.9999,
    "copy_regions": 3,
    "restore_test_days": 31,
}

#: documented behaviour and modelling choices, stated in every report
ASSUMPTIONS: dict[str, dict[str, Any]] = {
    "aliasElbTtlSeconds": {"value": 60, "source": "Route 53: an alias record to an Elastic Load Balancer is "
                           "answered with the load balancer's fixed 60 s TTL"},
    "route53DefaultInterval": {"value": 30, "source": "Route 53 HealthCheckConfig: RequestInterval default 30 s"},
    "route53DefaultThreshold": {"value": 3, "source": "Route 53 HealthCheckConfig: FailureThreshold default 3"},
    "auroraGlobalLagSeconds": {"value": 1, "source": "Aurora User Guide: global database replication lag "
                               "typically under 1 second"},
    "continuousBackupRpoSeconds": {"value": 1, "source": "AWS Backup: continuous backup restores to any point "
                                   "with 1 s precision (35 days)"},
    "failoverDecisionSeconds": {"value": 300, "source": "model: on-call confirms the regional failure and "
                                "starts the failover runbook (ops tooling) within 5 minutes"},
    "auroraGlobalFailoverSeconds": {"value": 300, "source": "Aurora User Guide: global failover RTO 'in the "
                                    "order of minutes'; modelled as 5 minutes incl. reconnect via the global "
                                    "writer endpoint"},
    "perRegionAvailability": {"value": 0.999, "source": "model: one region's serving path (ALB + EKS + data) "
                              "available 99.9 %"},
    "meanRegionalIncidentHours": {"value": 2.0, "source": "model: mean duration of a regional incident"},
    "alarmDeliverySeconds": {"value": DELIVERY_SECONDS,
                             "source": "model: CloudWatch evaluates alarms once a minute on metrics arriving up to "
                             "a minute late, then SNS and the pager or mail client deliver "
                             "(components/alarm_catalog.py DELIVERY_SECONDS)"},
}

SECONDS_PER_YEAR = 365 * 24 * 3600


@dataclass
class Source:
    urn: str
    type: str
    name: str
    setting: str


@dataclass
class Figure:
    id: str
    title: str
    value: float | None
    unit: str
    display: str
    target: str
    status: str
    model: str
    sources: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    stack: str
    region: str | None
    source: str
    figures: list[Figure]
    #: every alarm with its time-to-page and the seed criteria it covers (reports/alerting.py)
    alarms: list[Any] = field(default_factory=list)

    @property
    def misses(self) -> list[Figure]:
        return [f for f in self.figures if f.status == MISS]

    @property
    def ok(self) -> bool:
        return not self.misses

    def summary(self) -> dict[str, int]:
        out = {PASS: 0, MISS: 0, RESIDENCY: 0, INFO: 0}
        for f in self.figures:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "formatVersion": 1,
            "stack": self.stack,
            "region": self.region,
            "source": self.source,
            "ok": self.ok,
            "summary": self.summary(),
            "targets": TARGETS,
            "assumptions": ASSUMPTIONS,
            "figures": [asdict(f) for f in self.figures],
            "alarms": [asdict(a) for a in self.alarms],
        }


# --- schedules ----------------------------------------------------------------------------------

_NAMES = {**{m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
                                              "SEP", "OCT", "NOV", "DEC"))},
          **{d: i + 1 for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}}
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}


def _num(tok: str) -> int:
    return _NAMES[tok.upper()] if tok.upper() in _NAMES else int(tok)


def _expand(expr: str, lo: int, hi: int) -> list[int] | None:
    """The values a cron field selects; None for every value (``*`` / ``?``)."""
    if expr in ("*", "?"):
        return None
    values: set[int] = set()
    for part in expr.split(","):
        step = 1
        if "/" in part:
            part, step_s = part.split("/", 1)
            step = int(step_s)
        if part in ("*", ""):
            a, b = lo, hi
        elif "-" in part:
            x, y = part.split("-", 1)
            a, b = _num(x), _num(y)
        else:
            a = _num(part)
            b = hi if step != 1 else a
        if not lo <= a <= b <= hi or step < 1:
            raise ValueError(f"cron field {expr!r} out of range {lo}-{hi}")
        values.update(range(a, b + 1, step))
    return sorted(values)


def _max_gap(points: list[int], period: int) -> int:
    """Largest distance between consecutive points on a circle of ``period``."""
    gaps = [b - a for a, b in itertools.pairwise(points)]
    gaps.append(points[0] + period - points[-1])
    return max(gaps)


def schedule_interval_seconds(expr: str) -> int | None:
    """Worst-case time between two runs of an AWS ``cron(...)``/``rate(...)`` schedule (seconds);
    None when the expression uses features not modelled here (L, W, #)."""
    expr = expr.strip()
    rate = _RATE.match(expr)
    if rate:
        return int(rate.group(1)) * _UNIT[rate.group(2).rstrip("s")]
    if not (expr.startswith("cron(") and expr.endswith(")")):
        return None
    fields = expr[5:-1].split()
    if len(fields) != 6:
        return None
    try:
        minutes = _expand(fields[0], 0, 59) or list(range(60))
        hours = _expand(fields[1], 0, 23) or list(range(24))
        dom = _expand(fields[2], 1, 31)
        month = _expand(fields[3], 1, 12)
        dow = _expand(fields[4], 1, 7)
    except (ValueError, KeyError):
        return None
    times = sorted(h * 60 + m for h in hours for m in minutes)
    in_day = _max_gap(times, 1440) if len(times) > 1 else 1440
    across = times[0] + 1440 - times[-1]  # last run of a day -> first run of the next run day
    if dom is None and dow is None:
        gap_min = in_day
    else:
        days, period = (dom, 31) if dom is not None else (dow or [], 7)
        day_gap = _max_gap(days, period)
        gap_min = max(in_day if len(times) > 1 else 0, (day_gap - 1) * 1440 + across)
    if month is not None:
        gap_min = max(gap_min, _max_gap(month, 12) * 31 * 1440)
    return gap_min * 60


# --- helpers ------------------------------------------------------------------------------------

def _src(r: Resource, setting: str) -> Source:
    return Source(urn=r.urn, type=r.type, name=r.name, setting=setting)


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "n/a"
    if s >= 86400 and s % 3600 == 0:
        return f"{s / 86400:g} d"
    if s >= 3600 and s % 60 == 0:
        return f"{s / 3600:g} h"
    if s >= 120:
        return f"{s / 60:g} min"
    return f"{s:g} s"


def _region_of_vault_arn(arn: Any) -> str | None:
    parts = str(arn).split(":")
    return parts[3] if len(parts) > 5 and parts[2] == "backup" else None


def _home_region(plan: Plan) -> str | None:
    out = plan.outputs.get("region")
    if isinstance(out, str):
        return out
    cfg = plan.config.get("aws:region")
    if isinstance(cfg, str):
        return cfg
    for r in plan:
        if r.custom and r.region:
            return r.region
    return None


@dataclass
class _Dns:
    detection: float | None = None
    ttl: float | None = None
    regions: int = 0
    check_sources: list[Source] = field(default_factory=list)
    record_sources: list[Source] = field(default_factory=list)


@dataclass
class _Global:
    members: list[Resource] = field(default_factory=list)

    def classes(self) -> set[str]:
        return {r.data_class for r in self.members if r.data_class}


# --- figures ------------------------------------------------------------------------------------

def _dns_figures(plan: Plan, dns: _Dns) -> list[Figure]:
    figures: list[Figure] = []
    checks = plan.of_type(HEALTH_CHECK)
    target = TARGETS["failover_s"]
    if not checks:
        figures.append(Figure("dns.detection", "DNS failover detection", None, "s", "n/a", f"<= {target} s",
                              MISS, "request_interval x failure_threshold of the region's health check",
                              notes=["no Route 53 health check in the plan: nothing takes an unhealthy "
                                     "region out of DNS"]))
    else:
        worst = 0
        for c in checks:
            interval = int(c.inputs.get("requestInterval") or ASSUMPTIONS["route53DefaultInterval"]["value"])
            threshold = int(c.inputs.get("failureThreshold") or ASSUMPTIONS["route53DefaultThreshold"]["value"])
            worst = max(worst, interval * threshold)
            dns.check_sources.append(_src(c, f"requestInterval={interval}, failureThreshold={threshold}, "
                                             f"regions={len(c.inputs.get('regions') or [])}"))
        dns.detection = worst
        figures.append(Figure(
            "dns.detection", "DNS failover detection", worst, "s", _fmt_seconds(worst), f"<= {target} s",
            PASS if worst <= target else MISS,
            "request_interval x failure_threshold: consecutive failed checks before Route 53 stops "
            "answering with the region (seed: failover within 30 s)",
            list(dns.check_sources)))
    records = [r for r in plan.of_type(RECORD) if r.inputs.get("healthCheckId")]
    if not records:
        figures.append(Figure("dns.ttl", "DNS answer TTL", None, "s", "n/a", "<= 60 s", MISS,
                              "TTL of the health-checked record (alias: the target's TTL)",
                              notes=["no health-checked record in the plan"]))
        return figures
    ttls: list[float] = []
    for r in records:
        aliases = r.inputs.get("aliases") or []
        if aliases:
            target_name = str(aliases[0].get("name", ""))
            ttl = float(ASSUMPTIONS["aliasElbTtlSeconds"]["value"])
            kind = "load balancer, fixed" if "elb.amazonaws.com" in target_name else "assumed as for a load balancer"
            dns.record_sources.append(_src(r, f"alias to {target_name or '?'} (evaluateTargetHealth="
                                              f"{aliases[0].get('evaluateTargetHealth')}), TTL {ttl:g} s ({kind})"))
        else:
            ttl = float(r.inputs.get("ttl") or 0)
            dns.record_sources.append(_src(r, f"ttl={ttl:g}"))
        ttls.append(float(ttl))
    dns.ttl = max(ttls)
    figures.append(Figure(
        "dns.ttl", "DNS answer TTL", dns.ttl, "s", _fmt_seconds(dns.ttl), "<= 60 s",
        PASS if dns.ttl <= 60 else MISS,
        "resolvers may keep answering with a failed region until the TTL runs out; Route 53 "
        "guidance for health-checked records is 60 s or less",
        list(dns.record_sources)))
    if dns.detection is not None:
        shift = dns.detection + dns.ttl
        figures.append(Figure(
            "dns.client_shift", "Clients moved off a failed region", shift, "s", _fmt_seconds(shift),
            "informational", INFO, "detection + TTL: the last cached answers expire this long after the "
            "failure", [*dns.check_sources, *dns.record_sources],
            notes=["the seed's 30 s is measured on detection (DNS stops answering with the region); "
                   "clients holding a cached answer move within one TTL more"]))
    return figures


def _replication_figure(glob: _Global) -> Figure:
    target = TARGETS["replication_s"]
    if not glob.members:
        return Figure("replication.lag", "Cross-region replication (global database)", None, "s", "n/a",
                      f"<= {target} s", MISS,
                      "Aurora global database storage replication (documented typical lag)",
                      notes=["no Aurora global cluster and no cluster joined to one in the plan: "
                             "nothing replicates data across regions"])
    lag = float(ASSUMPTIONS["auroraGlobalLagSeconds"]["value"])
    srcs = [_src(r, "GlobalCluster" if r.type == GLOBAL_CLUSTER else
                 f"globalClusterIdentifier={r.inputs.get('globalClusterIdentifier')}, "
                 f"{DATA_CLASS}={r.data_class}") for r in glob.members]
    return Figure("replication.lag", "Cross-region replication (global database)", lag, "s", "< 1 s",
                  f"<= {target} s", PASS if lag <= target else MISS,
                  "Aurora global database storage replication: AWS documents lag typically under 1 s "
                  "(assumption auroraGlobalLagSeconds); confirm with AuroraGlobalDBReplicationLag",
                  srcs)


@dataclass
class _ClassBackup:
    plans: list[Resource] = field(default_factory=list)
    selected: bool = False
    continuous: list[Source] = field(default_factory=list)
    snapshot: list[tuple[int, Source]] = field(default_factory=list)
    copy: list[tuple[int, Source]] = field(default_factory=list)
    destinations: set[str] = field(default_factory=set)
    unknown_schedule: list[Source] = field(default_factory=list)


def _collect_backups(plan: Plan) -> dict[str, _ClassBackup]:
    by_class: dict[str, _ClassBackup] = {dc.value: _ClassBackup() for dc in DataClass}
    selections = plan.of_type(BACKUP_SELECTION)
    for p in plan.of_type(BACKUP_PLAN):
        dc = p.tags.get(DATA_CLASS)
        if dc is None:
            # a plan without a class tag: its selections' tag conditions name the class
            for s in selections:
                if s.inputs.get("planId") == p.outputs.get("id"):
                    for t in s.inputs.get("selectionTags") or []:
                        if t.get("key") == DATA_CLASS:
                            dc = str(t.get("value"))
        if dc not in by_class:
            continue
        cb = by_class[dc]
        cb.plans.append(p)
        cb.selected = cb.selected or any(s.inputs.get("planId") == p.outputs.get("id") for s in selections)
        for rule in p.inputs.get("rules") or []:
            name = rule.get("ruleName", "?")
            sched = str(rule.get("schedule") or "")
            if rule.get("enableContinuousBackup"):
                cb.continuous.append(_src(p, f"rule {name}: enableContinuousBackup=true, "
                                             f"deleteAfter={(rule.get('lifecycle') or {}).get('deleteAfter')}"))
                continue
            interval = schedule_interval_seconds(sched) if sched else None
            if interval is None:
                cb.unknown_schedule.append(_src(p, f"rule {name}: schedule={sched or 'none'}"))
                continue
            cb.snapshot.append((interval, _src(p, f"rule {name}: schedule={sched}")))
            copies = rule.get("copyActions") or []
            if copies:
                dests = sorted({d for d in (_region_of_vault_arn(c.get("destinationVaultArn")) for c in copies) if d})
                cb.destinations.update(dests)
                cb.copy.append((interval, _src(p, f"rule {name}: schedule={sched}, copyActions -> "
                                                   f"{', '.join(dests)}")))
    return by_class


def _candidates(plan: Plan, home: str | None, by_class: dict[str, _ClassBackup]) -> list[str]:
    """The deployment's other regions: the backup component's peers, every copy destination and
    the DNS endpoint's latency regions."""
    seen: list[str] = []
    for r in plan.of_type(BACKUP_COMPONENT):
        seen += [str(x) for x in r.outputs.get("peerRegions") or []]
    for r in plan.of_type(ENDPOINT_COMPONENT):
        seen += [str(x) for x in r.outputs.get("latencyRegions") or []]
    for cb in by_class.values():
        seen += sorted(cb.destinations)
    out: list[str] = []
    for name in seen:
        if name != home and name not in out and name in regions.REGIONS:
            out.append(name)
    return out


def _backup_figures(plan: Plan, home: str | None, glob: _Global) -> list[Figure]:
    figures: list[Figure] = []
    by_class = _collect_backups(plan)
    candidates = _candidates(plan, home, by_class)
    rpo = TARGETS["rpo_s"]
    replicated = glob.classes()
    for dc in DataClass:
        cls = dc.value
        cb = by_class[cls]
        # in-region RPO
        if not cb.plans:
            figures.append(Figure(f"rpo.in_region.{cls}", f"In-region backup RPO ({cls})", None, "s", "n/a",
                                  f"< {rpo // 60} min", MISS, "continuous backup -> 1 s; else the snapshot interval",
                                  notes=[f"no backup plan for data class {cls}"]))
        else:
            notes = [] if cb.selected else [f"no selection assigns resources to the {cls} plan: it backs up nothing"]
            if cb.continuous:
                value: float | None = float(ASSUMPTIONS["continuousBackupRpoSeconds"]["value"])
                srcs = list(cb.continuous)
                model = "continuous backup: point-in-time restore to the second (35 days)"
            elif cb.snapshot:
                value, _ = min(cb.snapshot, key=lambda t: t[0])
                srcs = [s for _, s in cb.snapshot]
                model = "no continuous rule: worst-case gap between snapshot runs"
            else:
                value, srcs, model = None, list(cb.unknown_schedule), "no rule with a readable schedule"
            ok = value is not None and value < rpo and cb.selected
            figures.append(Figure(f"rpo.in_region.{cls}", f"In-region backup RPO ({cls})", value, "s",
                                  _fmt_seconds(value), f"< {rpo // 60} min", PASS if ok else MISS, model, srcs, notes))
        # cross-region RPO and copies
        allowed = regions.allowed_regions(dc, home, candidates) if home else []
        scope = regions.RESIDENCY[dc]
        copy_value = min((i for i, _ in cb.copy), default=None)
        options: list[tuple[float, str, list[Source]]] = []
        if copy_value is not None:
            options.append((float(copy_value), "snapshot copies to other regions' vaults (continuous backups "
                            "are copied as snapshots, no PITR)", [s for _, s in cb.copy]))
        if cls in replicated and scope is regions.Scope.GLOBAL:
            options.append((float(ASSUMPTIONS["auroraGlobalLagSeconds"]["value"]),
                            "Aurora global database replication of the clusters tagged with this class",
                            [_src(r, f"{DATA_CLASS}={cls}") for r in glob.members if r.data_class == cls]))
        bad = sorted(cb.destinations - set(allowed))
        if home and not allowed and not cb.destinations:
            figures.append(Figure(f"rpo.cross_region.{cls}", f"Cross-region RPO ({cls})", None, "s", "n/a",
                                  f"< {rpo // 60} min", RESIDENCY,
                                  "no other region may hold this class: nothing is copied out (correct)",
                                  [_src(p, "no copy actions") for p in cb.plans],
                                  [_residency_note(dc, home, candidates)]))
        elif options:
            value, model, srcs = min(options, key=lambda o: o[0])
            status = PASS if value < rpo else MISS
            figures.append(Figure(f"rpo.cross_region.{cls}", f"Cross-region RPO ({cls})", value, "s",
                                  _fmt_seconds(value), f"< {rpo // 60} min", status, model, srcs,
                                  ["AWS Backup copies are snapshots, at best hourly; only replication gets "
                                   "below minutes"] if status == MISS else []))
        else:
            figures.append(Figure(f"rpo.cross_region.{cls}", f"Cross-region RPO ({cls})", None, "s", "n/a",
                                  f"< {rpo // 60} min", MISS, "no copy action and no replication for this class",
                                  [_src(p, "no copy actions") for p in cb.plans],
                                  [f"allowed regions {', '.join(allowed)} get no copy"] if allowed else []))
        holding = sorted({home, *cb.destinations} if home else cb.destinations)
        want = TARGETS["copy_regions"]
        srcs = [s for _, s in cb.copy] or [_src(p, "no copy actions") for p in cb.plans]
        if bad:
            status, note = MISS, (f"residency violation: {cls} data copied to {', '.join(bad)}, outside what "
                                  "the residency map allows")
        elif scope is regions.Scope.GLOBAL:
            status = PASS if len(holding) >= want else MISS
            where = ", ".join([home or "?", *candidates])
            note = f"global class: every region of the deployment may hold a copy ({where})"
        else:
            complete = set(allowed) <= cb.destinations
            status = RESIDENCY if complete and cb.plans else MISS
            note = _residency_note(dc, home, candidates) if home else "home region unknown"
            if not complete:
                note += f"; missing in-jurisdiction copies to {', '.join(sorted(set(allowed) - cb.destinations))}"
        figures.append(Figure(f"copies.{cls}", f"Regions holding backups ({cls})", float(len(holding)), "regions",
                              ", ".join(holding) or "none", f">= {want} regions (within residency)", status,
                              "home vault + the regions of the copy actions' destination vaults", srcs, [note]))
    return figures


def _residency_note(dc: DataClass, home: str | None, candidates: Iterable[str]) -> str:
    if home is None:
        return "home region unknown"
    j = regions.jurisdiction_of(home)
    allowed = regions.allowed_regions(dc, home, candidates)
    refused = [r for r in candidates if r not in allowed]
    text = f"{dc.value} data stays in {j.code} ({j.law})"
    if allowed:
        text += f": may be copied to {', '.join(allowed)}"
    if refused:
        text += f"; {', '.join(refused)} are in other jurisdictions, so no copy goes there"
    return text


def _restore_test_figure(plan: Plan) -> Figure:
    days = TARGETS["restore_test_days"]
    plans = plan.of_type(RESTORE_PLAN)
    if not plans:
        return Figure("dr.restore_test", "Restore test (DR drill) interval", None, "s", "n/a",
                      f"<= {days} d (monthly)", MISS, "schedule of the AWS Backup restore-testing plan",
                      notes=["no restore-testing plan in the plan"])
    best: tuple[int, Resource] | None = None
    for p in plans:
        interval = schedule_interval_seconds(str(p.inputs.get("scheduleExpression") or ""))
        if interval is not None and (best is None or interval < best[0]):
            best = (interval, p)
    sels = plan.of_type(RESTORE_SELECTION)
    srcs = [_src(p, f"scheduleExpression={p.inputs.get('scheduleExpression')}") for p in plans]
    srcs += [_src(s, f"protectedResourceType={s.inputs.get('protectedResourceType')}, "
                     f"validationWindowHours={s.inputs.get('validationWindowHours')}") for s in sels]
    notes = [] if sels else ["no restore-testing selection: the plan restores nothing"]
    value = float(best[0]) if best else None
    ok = value is not None and value <= days * 86400 and bool(sels)
    return Figure("dr.restore_test", "Restore test (DR drill) interval", value, "s", _fmt_seconds(value),
                  f"<= {days} d (monthly)", PASS if ok else MISS,
                  "worst-case gap between runs of the restore-testing schedule", srcs, notes)


def _rto_figure(dns: _Dns, glob: _Global) -> Figure:
    target = TARGETS["rto_s"]
    decision = float(ASSUMPTIONS["failoverDecisionSeconds"]["value"])
    db = float(ASSUMPTIONS["auroraGlobalFailoverSeconds"]["value"])
    model = ("DNS detection + TTL (reads and stateless traffic move) + failover decision + Aurora "
             "global failover (writes move)")
    missing = []
    if dns.detection is None or dns.ttl is None:
        missing.append("no health-checked latency record")
    if not glob.members:
        missing.append("no global database: writes have no cross-region failover")
    if missing:
        return Figure("rto.region", "Regional failover RTO (model)", None, "s", "n/a", f"< {target // 60} min",
                      MISS, model, [*dns.check_sources, *dns.record_sources], missing)
    assert dns.detection is not None and dns.ttl is not None
    value = dns.detection + dns.ttl + decision + db
    return Figure("rto.region", "Regional failover RTO (model)", value, "s", _fmt_seconds(value),
                  f"< {target // 60} min", PASS if value < target else MISS,
                  f"{model} = {dns.detection:g} + {dns.ttl:g} + {decision:g} + {db:g} s",
                  [*dns.check_sources, *dns.record_sources,
                   *[_src(r, "global database member") for r in glob.members]],
                  ["assumptions failoverDecisionSeconds and auroraGlobalFailoverSeconds; validate with a "
                   "switchover drill"])


def _availability_figure(plan: Plan, dns: _Dns, home: str | None) -> Figure:
    target = TARGETS["availability"]
    a = float(ASSUMPTIONS["perRegionAvailability"]["value"])
    mttr_h = float(ASSUMPTIONS["meanRegionalIncidentHours"]["value"])
    latency_regions: list[str] = []
    comps = plan.of_type(ENDPOINT_COMPONENT)
    for c in comps:
        latency_regions += [str(r) for r in c.outputs.get("latencyRegions") or [] if str(r) not in latency_regions]
    if dns.detection is None or dns.ttl is None:
        n = 1
        downtime = 0.0
        srcs: list[Source] = []
        notes = ["no health-checked latency record: the region is a single point of failure"]
    else:
        n = max(1, len(latency_regions))
        downtime = dns.detection + dns.ttl
        srcs = [*[_src(c, f"latencyRegions={c.outputs.get('latencyRegions')}") for c in comps],
                *dns.check_sources, *dns.record_sources]
        notes = []
    incidents_per_year = (1 - a) * 8760 / mttr_h
    all_down = (1 - a) ** n
    failover_loss = incidents_per_year * downtime / SECONDS_PER_YEAR if n > 1 else 0.0
    value = (1 - all_down) - failover_loss
    model = (f"1 - (1 - a)^n - incidents x (detection + TTL) / year, a = {a:g} per region, n = {n} "
             f"({', '.join(latency_regions) or home or '?'}), {incidents_per_year:.2f} regional incidents/"
             f"year/region (mean {mttr_h:g} h), each costing its users {downtime:g} s")
    return Figure("availability", "Modelled availability (active-active)", value, "ratio",
                  f"{value * 100:.4f} %", f">= {target * 100:g} %", PASS if value >= target else MISS,
                  model, srcs, notes)


DRILL_KIND = "azora-dr-drill"


class DrillError(ValueError):
    """The drill report is not one `azora-infra dr drill --report` wrote."""


def check_drill(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("kind") != DRILL_KIND or doc.get("formatVersion") != 1:
        raise DrillError("not a DR drill report (expected the JSON of `azora-infra dr drill --report`)")
    measured = doc.get("measured")
    if not isinstance(measured, dict) or not {"switchover", "restore"} <= set(measured):
        raise DrillError("the drill report has no measured switchover and restore")
    return doc


def _drill_figures(drill: dict[str, Any], modelled_rto: float | None) -> list[Figure]:
    """Measured RTO/RPO from a drill, beside the modelled ones."""
    when = f"{drill.get('environment', '?')} drill of {drill.get('startedAt', '?')}"
    figures: list[Figure] = []
    labels = {"switchover": ("Region switchover", "request -> new writer verified by a write check",
                             "target's replication lag before the move (a switchover itself loses nothing)"),
              "switchback": ("Switch back", "request -> old writer verified again", "lag before the move"),
              "restore": ("Point-in-time restore", "restore request -> restored cluster answered a query",
                          "time of the restore - restore point (latest restorable time)")}
    for part, (title, rto_model, rpo_model) in labels.items():
        m = drill["measured"].get(part)
        if not isinstance(m, dict):
            continue
        for kind, target_key, model in (("rto", "rto_s", rto_model), ("rpo", "rpo_s", rpo_model)):
            value = m.get(f"{kind}Seconds")
            target = TARGETS[target_key]
            ok = isinstance(value, (int, float)) and value < target and (kind == "rpo" or m.get("verified") is True)
            notes = [] if m.get("verified") else ["not verified: the drill's check did not pass"]
            if kind == "rto" and part == "switchover" and modelled_rto is not None and isinstance(value, (int, float)):
                notes.append(f"modelled regional RTO {_fmt_seconds(modelled_rto)} (rto.region); measured "
                             f"{_fmt_seconds(float(value))}: the writer move only, DNS detection and the "
                             "failover decision are not part of a planned switchover")
            figures.append(Figure(
                f"drill.{kind}.{part}", f"{title} {kind.upper()} (measured)",
                float(value) if isinstance(value, (int, float)) else None, "s",
                _fmt_seconds(float(value)) if isinstance(value, (int, float)) else "n/a",
                f"< {target // 60} min", PASS if ok else MISS,
                f"measured by `azora-infra dr drill` ({when}): {model if kind == 'rpo' else rto_model}",
                notes=notes))
    return figures


def build_report(plan: Plan, source: str = "offline plan", drill: dict[str, Any] | None = None) -> Report:
    home = _home_region(plan)
    glob = _Global(members=[*plan.of_type(GLOBAL_CLUSTER),
                            *[r for r in plan.of_type(RDS_CLUSTER) if r.inputs.get("globalClusterIdentifier")]])
    dns = _Dns()
    figures = _dns_figures(plan, dns)
    figures.append(_replication_figure(glob))
    figures += _backup_figures(plan, home, glob)
    figures.append(_restore_test_figure(plan))
    figures.append(_rto_figure(dns, glob))
    figures.append(_availability_figure(plan, dns, home))
    from .alerting import alarm_rows, alerting_figures  # it reads this module's Figure

    alarms = alarm_rows(plan)
    figures += alerting_figures(plan, alarms)
    if drill is not None:
        rto = next((f.value for f in figures if f.id == "rto.region"), None)
        figures += _drill_figures(check_drill(drill), rto)
    return Report(stack=plan.stack, region=home, source=source, figures=figures, alarms=alarms)


# --- rendering ----------------------------------------------------------------------------------

def render_text(report: Report) -> str:
    lines = [f"Resilience report: stack {report.stack} ({report.region or '?'}), from {report.source}", ""]
    for f in report.figures:
        lines.append(f"{f.status.upper():<17} {f.title}: {f.display} (target {f.target})")
        lines.append(f"{'':17} model: {f.model}")
        for s in f.sources:
            lines.append(f"{'':17} from: {s.name} [{s.type}] {s.setting}")
        for n in f.notes:
            lines.append(f"{'':17} note: {n}")
    from .alerting import render_rows

    if report.alarms:
        lines += ["", *render_rows(report.alarms)]
    counts = report.summary()
    lines += ["", "Summary: " + ", ".join(f"{v} {k}" for k, v in counts.items()),
              "Assumptions: " + "; ".join(f"{k}={v['value']}" for k, v in ASSUMPTIONS.items()), ""]
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    lines = [f"# Resilience report: `{report.stack}` ({report.region or '?'})", "",
             f"Source: {report.source}", "",
             "| Status | Figure | Value | Target | Model | From |", "|---|---|---|---|---|---|"]
    for f in report.figures:
        frm = "<br>".join(f"`{s.name}`: {s.setting}" for s in f.sources) or "-"
        model = f.model + "".join(f"<br>*{n}*" for n in f.notes)
        lines.append(f"| {f.status} | {f.title} | {f.display} | {f.target} | {_md(model)} | {_md(frm)} |")
    from .alerting import markdown_rows

    if report.alarms:
        lines += ["", *markdown_rows(report.alarms)]
    counts = report.summary()
    lines += ["", "**Summary:** " + ", ".join(f"{v} {k}" for k, v in counts.items()), "", "## Assumptions", ""]
    lines += [f"- `{k}` = {v['value']}: {v['source']}" for k, v in ASSUMPTIONS.items()]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")
