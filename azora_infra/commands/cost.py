"""`azora-infra cost`: the monthly cost estimate of a stack, from its offline plan and the price catalog."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..reports.cost import build_estimate, render_markdown, render_text
from ..reports.prices import CatalogError, load_catalog
from .common import EXIT_FAILED, EXIT_OK, CommandError, add_stack_arguments, emit, to_json
from .report import _load


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cost", help="monthly cost estimate of a stack, grouped by cost center, team, service, component",
        description="Price every resource of STACK's offline plan from the price catalog (on-demand list prices "
                    "with their source and date), group the cost by the resources' cost-allocation tags and "
                    "components, and compare it with the budgets the plan defines. A price the catalog lacks "
                    "is listed as unpriced, never guessed. See docs/cost.md.")
    add_stack_arguments(p, plan_file="read a saved plan (azora-infra plan --format json) instead of planning")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument("--prices", type=Path, default=None, help="price catalog (default: data/prices/aws.json)")
    p.add_argument("--fail-over-budget", action="store_true",
                   help="exit 1 when the estimate of a budget's tag already exceeds its limit")
    p.add_argument("--output", type=Path, default=None, help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog(args.prices)
    except CatalogError as err:
        raise CommandError(str(err)) from None
    plan, source = _load(args)
    estimate = build_estimate(plan, catalog, source)
    if args.format == "json":
        text = to_json(estimate.to_dict())
    elif args.format == "markdown":
        text = render_markdown(estimate)
    else:
        text = render_text(estimate)
    emit(text, args.output)
    return EXIT_FAILED if args.fail_over_budget and estimate.over_budget else EXIT_OK
