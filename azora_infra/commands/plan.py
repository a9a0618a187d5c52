"""`azora-infra plan`: run a stack's program offline under mocks and show or save the plan."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..plan import PlanError, render_text, run_plan
from .common import EXIT_OK, CommandError, emit, to_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="plan a stack offline (Pulumi mocks) and print it",
                       description="Run the Pulumi program for STACK under Pulumi's mocks, with the "
                                   "stack's config file loaded, and print every resource it would register.")
    p.add_argument("--stack", required=True, help="stack name: Pulumi.<stack>.yaml in the program dir")
    p.add_argument("--program", type=Path, default=None, help="Pulumi Python project dir (default: this repo)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", type=Path, default=None, help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        plan = run_plan(args.stack, args.program, debug=args.debug)
    except PlanError as err:
        raise CommandError(str(err)) from None
    emit(to_json(plan) if args.format == "json" else render_text(plan), args.output)
    return EXIT_OK
