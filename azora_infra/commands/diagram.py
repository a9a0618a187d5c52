"""`azora-infra diagram`: the architecture diagram of stacks, drawn from their plans (planned offline,
or saved plans given with `--plan`), as Mermaid or Graphviz DOT; `--doc` writes the Markdown page
docs/architecture.md is (Mermaid diagram and residency table)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..reports.architecture import render_page
from ..reports.diagram import build_diagram, render
from .common import EXIT_OK, CommandError, add_stacks_arguments, emit, get_plans
from .progress import StatusLine


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diagram", help="architecture diagram of stacks from their plans (Mermaid or DOT)",
        description="Draw regions and their VPC tiers, EKS and the request path, the data stores with their "
                    "data class, replication and backup-copy arrows across regions and where each data class "
                    "may go, from the resources in the stacks' offline plans (docs/architecture.md).")
    add_stacks_arguments(p, plan_file="draw a saved plan (azora-infra plan --format json) instead of planning; "
                                      "repeat for several stacks")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    p.add_argument("--doc", action="store_true",
                   help="the Markdown page (Mermaid diagram and residency table), as docs/architecture.md")
    p.add_argument("--output", type=Path, default=None, help="write to FILE instead of stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.doc and args.format != "mermaid":
        raise CommandError("--doc writes Markdown with a Mermaid diagram: use it with --format mermaid")
    status = StatusLine.for_args(args)
    try:
        plans = get_plans(args, on_planned=lambda stack, plan: status.set(stack, f"{stack}: planned"))
    finally:
        status.done()
    docs = list(plans.values())
    emit(render_page(docs) if args.doc else render(build_diagram(docs), args.format), args.output)
    return EXIT_OK
