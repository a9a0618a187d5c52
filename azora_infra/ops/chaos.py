"""The chaos report: FIS experiment history of a stack's templates, the success rate against the
seed's 99 %, and every failure with its stop reason (ListExperiments + GetExperiment)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .aws import Aws

TARGET_SUCCESS_RATE = 0.99
MAX_PAGES = 100
#: finished states; pending/initiating/running/stopping are still in flight and not counted
SUCCEEDED = {"completed"}
FAILED = {"failed", "stopped", "cancelled"}
_SINCE = re.compile(r"^(\d+)([dhm])$")


class ChaosError(Exception):
    pass


def parse_since(text: str, now: datetime) -> datetime:
    """``7d``, ``36h``, ``90m`` or an ISO 8601 time with a zone."""
    m = _SINCE.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now - timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: n})
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ChaosError(f"--since {text!r}: expected 7d, 36h, 90m or an ISO 8601 time") from None
    if t.tzinfo is None:
        raise ChaosError(f"--since {text!r}: give a time zone (Z or +hh:mm)")
    return t


@dataclass
class Run:
    id: str
    template: str
    template_name: str
    status: str
    reason: str
    created: str
    ended: str | None = None


@dataclass
class ChaosReport:
    stack: str
    region: str
    since: str
    until: str
    runs: list[Run] = field(default_factory=list)

    @property
    def finished(self) -> list[Run]:
        return [r for r in self.runs if r.status in SUCCEEDED | FAILED]

    @property
    def failures(self) -> list[Run]:
        return [r for r in self.runs if r.status in FAILED]

    @property
    def success_rate(self) -> float | None:
        done = self.finished
        return None if not done else (len(done) - len(self.failures)) / len(done)

    @property
    def ok(self) -> bool:
        rate = self.success_rate
        return rate is not None and rate >= TARGET_SUCCESS_RATE

    def by_template(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.runs:
            row = out.setdefault(r.template_name, {"runs": 0, "succeeded": 0, "failed": 0, "inFlight": 0})
            row["runs"] += 1
            key = "succeeded" if r.status in SUCCEEDED else "failed" if r.status in FAILED else "inFlight"
            row[key] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"formatVersion": 1, "kind": "azora-chaos-report", "stack": self.stack, "region": self.region,
                "since": self.since, "until": self.until, "targetSuccessRate": TARGET_SUCCESS_RATE,
                "experiments": len(self.runs), "finished": len(self.finished), "failed": len(self.failures),
                "successRate": self.success_rate, "ok": self.ok, "byTemplate": self.by_template(),
                "failures": [asdict(r) for r in self.failures]}


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), timezone.utc)


def collect(aws: Aws, stack: str, region: str, templates: dict[str, str] | None, since: datetime) -> ChaosReport:
    """Experiments created since ``since`` from ``templates`` (name -> id; None: every template)."""
    names = {v: k for k, v in (templates or {}).items()}
    report = ChaosReport(stack=stack, region=region, since=since.isoformat(), until=aws.clock.now().isoformat())
    params: dict[str, Any] = {"maxResults": 100}
    for _ in range(MAX_PAGES):
        resp = aws.call("fis", region, "list_experiments", **params)
        for e in resp.get("experiments", []):
            created = _time(e["creationTime"])
            if created < since or (templates is not None and e.get("experimentTemplateId") not in names):
                continue
            state = e.get("state") or {}
            status = str(state.get("status", "?"))
            run = Run(id=e["id"], template=e.get("experimentTemplateId", "?"),
                      template_name=names.get(e.get("experimentTemplateId", ""), e.get("experimentTemplateId", "?")),
                      status=status, reason=str(state.get("reason") or ""), created=created.isoformat())
            if status in FAILED or not run.reason:
                detail = aws.call("fis", region, "get_experiment", id=e["id"])["experiment"]
                dstate = detail.get("state") or {}
                run.reason = str(dstate.get("reason") or run.reason)
                err = dstate.get("error") or {}
                if err.get("code") or err.get("location"):
                    run.reason += f" ({err.get('code', '')} at {err.get('location', '?')})".replace("( ", "(")
                run.ended = _time(detail["endTime"]).isoformat() if detail.get("endTime") else None
            report.runs.append(run)
        token = resp.get("nextToken")
        if not token:
            break
        params["nextToken"] = token
    report.runs.sort(key=lambda r: r.created)
    return report


def _rate(report: ChaosReport) -> str:
    rate = report.success_rate
    return "n/a (no finished experiment)" if rate is None else f"{rate * 100:.1f} %"


def render_text(report: ChaosReport) -> str:
    lines = [f"Chaos report: stack {report.stack} ({report.region}), {report.since} .. {report.until}",
             f"  experiments {len(report.runs)}, finished {len(report.finished)}, failed {len(report.failures)}",
             f"  success rate {_rate(report)} (target >= {TARGET_SUCCESS_RATE * 100:g} %): "
             f"{'PASS' if report.ok else 'MISS'}"]
    for name, row in sorted(report.by_template().items()):
        lines.append(f"  {name}: {row['runs']} runs, {row['succeeded']} succeeded, {row['failed']} failed"
                     + (f", {row['inFlight']} in flight" if row["inFlight"] else ""))
    if report.failures:
        lines.append("  failures:")
        for r in report.failures:
            lines.append(f"    {r.created} {r.template_name} {r.id}: {r.status}: {r.reason or 'no reason given'}")
    return "\n".join(lines) + "\n"


def render_markdown(report: ChaosReport) -> str:
    lines = [f"# Chaos report: `{report.stack}` ({report.region})", "",
             f"{report.since} .. {report.until}", "",
             f"**Success rate:** {_rate(report)} (target >= {TARGET_SUCCESS_RATE * 100:g} %): "
             f"**{'pass' if report.ok else 'miss'}**", "",
             "| Template | Runs | Succeeded | Failed | In flight |", "|---|---|---|---|---|"]
    for name, row in sorted(report.by_template().items()):
        lines.append(f"| {name} | {row['runs']} | {row['succeeded']} | {row['failed']} | {row['inFlight']} |")
    if report.failures:
        lines += ["", "## Failures", "", "| Started | Template | Experiment | State | Reason |",
                  "|---|---|---|---|---|"]
        for r in report.failures:
            reason = (r.reason or "no reason given").replace("|", "\\|")
            lines.append(f"| {r.created} | {r.template_name} | `{r.id}` | {r.status} | {reason} |")
    return "\n".join(lines) + "\n"
