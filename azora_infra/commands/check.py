"""`azora-infra check`: plan a stack offline and run the CrossGuard policy pack against it, driving
the pack over its real gRPC Analyzer interface as the Pulumi CLI does (docs/policy-check.md).

Exit 0: no mandatory violation; 1: at least one mandatory (or remediate) violation; 2: usage,
config, program or pack error (one line; ``--debug`` for the traceback)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..check import PackError, PolicyConfigError, Timeouts, render_text, run_check
from ..check.config import load_policy_config_file
from ..plan import DEFAULT_PROGRAM
from .common import CommandError, add_stack_arguments, emit, get_plan, stack_name, to_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check a stack's offline plan against the policy pack",
        description="Plan STACK offline (as `azora-infra plan`), start the CrossGuard policy pack as the "
        "Pulumi CLI does and analyze every resource over gRPC. Exit 1 on a mandatory violation.",
    )
    add_stack_arguments(p, plan_file="reuse a saved plan (`azora-infra plan --format json`)")
    p.add_argument("--policy-pack", type=Path, default=None, help="policy pack dir (default: <repo>/policies)")
    p.add_argument("--policy-config", type=Path, default=None,
                   help="JSON policy config, as `pulumi preview --policy-pack-config`")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", type=Path, default=None, help="write the report to FILE instead of stdout")
    p.add_argument("--start-timeout", type=float, default=Timeouts.start, metavar="SECONDS",
                   help=f"how long the pack may take to start (default {Timeouts.start:g})")
    p.add_argument("--rpc-timeout", type=float, default=Timeouts.rpc, metavar="SECONDS",
                   help=f"deadline of each Analyze/Configure call (default {Timeouts.rpc:g})")
    p.add_argument("--stack-timeout", type=float, default=Timeouts.analyze_stack, metavar="SECONDS",
                   help=f"deadline of the AnalyzeStack call (default {Timeouts.analyze_stack:g})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stack_name(args)
    pack_dir = (args.policy_pack or DEFAULT_PROGRAM / "policies").resolve()
    if not pack_dir.is_dir():
        raise CommandError(f"{pack_dir}: no such policy pack directory")
    try:
        policy_config = load_policy_config_file(args.policy_config) if args.policy_config else None
    except PolicyConfigError as err:
        raise CommandError(str(err)) from None
    plan = get_plan(args)
    timeouts = Timeouts(start=args.start_timeout, rpc=args.rpc_timeout, analyze_stack=args.stack_timeout)
    try:
        result = run_check(plan, pack_dir, policy_config, timeouts=timeouts, reuse=False)
    except (PackError, PolicyConfigError) as err:
        raise CommandError(str(err)) from None
    for name in result.unknown_config:
        print(f"azora-infra check: warning: policy config names {name!r}, which the pack does not have",
              file=sys.stderr)
    emit(to_json(result.to_json()) if args.format == "json" else render_text(result), args.output)
    return result.exit_code
