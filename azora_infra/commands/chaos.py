"""`azora-infra chaos report`: the weekly chaos report from FIS experiment history (docs/chaos.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..ops import chaos
from ..ops.aws import Aws
from ..ops.outputs import OutputsError
from .common import EXIT_FAILED, EXIT_OK, CommandError, emit, stack_outputs, to_json


def build_aws(args: argparse.Namespace) -> Aws:
    return Aws()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("chaos", help="chaos engineering: the FIS experiment report")
    csub = p.add_subparsers(dest="chaos_command", required=True, metavar="SUBCOMMAND")
    q = csub.add_parser("report", help="success rate of the stack's FIS experiments vs 99 %, failures with reasons",
                        description="Read the FIS experiment history (ListExperiments/GetExperiment) of the stack's "
                                    "templates (its `chaosTemplateIds` export) in its region.")
    q.add_argument("--stack", required=True)
    q.add_argument("--outputs", action="append", required=True, metavar="STACK=FILE|DIR",
                   help="stack outputs (`pulumi stack output --json`): STACK=FILE or a directory of <stack>.json")
    q.add_argument("--since", default="7d", help="7d, 36h, 90m or an ISO 8601 time (default 7d)")
    q.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    q.add_argument("--output", default=None, help="write to FILE instead of stdout")
    q.add_argument("--fail-on-miss", action="store_true", help="exit 1 when the success rate is under 99 %%")
    q.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stack = stack_outputs(args)
    aws = build_aws(args)
    try:
        since = chaos.parse_since(args.since, aws.clock.now())
        region = stack.region
    except (chaos.ChaosError, OutputsError) as err:
        raise CommandError(str(err)) from None
    templates = stack.get("chaosTemplateIds")
    report = chaos.collect(aws, stack.stack, region, dict(templates) if isinstance(templates, dict) else None, since)
    text = (to_json(report.to_dict()) if args.format == "json" else
            chaos.render_markdown(report) if args.format == "markdown" else chaos.render_text(report))
    emit(text, Path(args.output) if args.output else None)
    return EXIT_FAILED if args.fail_on_miss and not report.ok else EXIT_OK
