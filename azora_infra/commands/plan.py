"""`azora-infra plan`: run a stack's program offline under mocks and show or save the plan."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..plan import render_text
from .common import EXIT_OK, add_stack_arguments, emit, get_plan, to_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="plan a stack offline (Pulumi mocks) and print it",
                       description="Run the Pulumi program for STACK under Pulumi's mocks, with the "
                                   "stack's config file loaded, and print every resource it would register.")
    add_stack_arguments(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", type=Path, default=None, help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = get_plan(args)
    emit(to_json(plan) if args.format == "json" else render_text(plan), args.output)
    return EXIT_OK
