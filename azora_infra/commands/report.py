"""`azora-infra report`: the resilience report of a stack, derived from its offline plan."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..plan import Plan
from ..reports.resilience import DrillError, build_report, render_markdown, render_text
from .common import EXIT_FAILED, EXIT_OK, CommandError, add_stack_arguments, emit, get_plan, to_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report", help="resilience report: failover, RPO/RTO, backup copies, availability vs targets",
        description="Derive recovery figures (DNS failover detection, replication and backup RPO, "
                    "regions holding backups, restore-test interval, RTO and availability models) "
                    "from the resources of STACK's offline plan and compare them with the targets. "
                    "See docs/resilience-report.md.")
    add_stack_arguments(p, plan_file="read a saved plan (azora-infra plan --format json) instead of planning")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument("--drill", type=Path, default=None,
                   help="a DR drill report (azora-infra dr drill --report): measured RTO/RPO beside the model")
    p.add_argument("--fail-on-miss", action="store_true", help="exit 1 when any figure misses its target")
    p.add_argument("--output", type=Path, default=None, help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def _load(args: argparse.Namespace) -> tuple[Plan, str]:
    doc = get_plan(args)
    source = f"plan file {args.plan}" if args.plan is not None else f"offline plan of stack {args.stack}"
    return Plan(doc), source


def run(args: argparse.Namespace) -> int:
    plan, source = _load(args)
    drill = None
    if args.drill is not None:
        try:
            drill = json.loads(args.drill.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CommandError(f"{args.drill}: cannot read the drill report ({err})") from None
    try:
        report = build_report(plan, source, drill)
    except DrillError as err:
        raise CommandError(f"{args.drill}: {err}") from None
    if args.format == "json":
        text = to_json(report.to_dict())
    elif args.format == "markdown":
        text = render_markdown(report)
    else:
        text = render_text(report)
    emit(text, args.output)
    return EXIT_FAILED if args.fail_on_miss and not report.ok else EXIT_OK
