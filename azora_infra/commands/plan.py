"""`azora-infra plan`: run stacks' program offline under mocks and show or save the plans.

One stack (`--stack NAME`): the plan as text or JSON (docs/plan-format.md), as always. Several
(`--stack A --stack B`, or `--env prod`): planned at once in one session, a primary they reference
planned once; text is each plan in turn, JSON an object ``{"stacks": {NAME: plan}}``, and
`--output-dir DIR` writes each stack's plan to ``DIR/<stack>.json`` (`.txt` for text), each a saved
plan other commands read with `--plan`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..plan import render_text
from .common import EXIT_OK, CommandError, add_stacks_arguments, emit, get_plans, stack_names, to_json
from .progress import StatusLine


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="plan stacks offline (Pulumi mocks) and print them",
                       description="Run the Pulumi program for each STACK under Pulumi's mocks, with the "
                                   "stack's config file loaded, and print every resource it would register.")
    add_stacks_arguments(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", type=Path, default=None, help="write to FILE instead of stdout")
    p.add_argument("--output-dir", type=Path, default=None, metavar="DIR",
                   help="write each stack's plan to DIR/<stack>.json (or .txt)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def _render(plan: dict[str, Any], fmt: str) -> str:
    return to_json(plan) if fmt == "json" else render_text(plan)


def run(args: argparse.Namespace) -> int:
    if args.output is not None and args.output_dir is not None:
        raise CommandError("give --output FILE or --output-dir DIR, not both")
    names = stack_names(args)
    status = StatusLine.for_args(args)
    for name in names:
        status.set(name, f"planning {name}...")

    def planned(stack: str, plan: dict[str, Any]) -> None:
        status.set(stack, f"{stack}: {len(plan['resources'])} resources")
        if args.output_dir is not None:
            suffix = "json" if args.format == "json" else "txt"
            emit(_render(plan, args.format), args.output_dir / f"{stack}.{suffix}")

    try:
        plans = get_plans(args, on_planned=planned)
    finally:
        status.done()
    if args.output_dir is not None:
        return EXIT_OK
    if len(plans) == 1:
        (plan,) = plans.values()
        emit(_render(plan, args.format), args.output)
    elif args.format == "json":
        emit(to_json({"stacks": plans}), args.output)
    else:
        emit("\n".join(render_text(plan) for plan in plans.values()), args.output)
    return EXIT_OK
