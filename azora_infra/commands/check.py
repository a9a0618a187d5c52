"""`azora-infra check`: plan a stack offline and run the CrossGuard policy pack against it, driving
the pack over its real gRPC Analyzer interface as the Pulumi CLI does (docs/policy-check.md).

Reports as text, JSON, SARIF 2.1.0 or JUnit XML; under GitHub Actions (``GITHUB_ACTIONS=true``) also
one annotation per violation. Progress goes to stderr on a terminal only; ``--quiet`` drops it and
the warnings.

Exit 0: no mandatory violation; 1: at least one mandatory (or remediate) violation; 2: usage,
config, program or pack error (one line; ``--debug`` for the traceback)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from ..check import PackError, PolicyConfigError, Timeouts, render_text, run_check
from ..check import github as gh
from ..check.config import load_policy_config_file
from ..check.junit import to_junit
from ..check.run import DEFAULT_CONCURRENCY, CheckResult
from ..check.sarif import to_sarif
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
    p.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text",
                   help="report format: text, json, sarif (SARIF 2.1.0, for code scanning), junit (JUnit XML)")
    p.add_argument("--output", type=Path, default=None, help="write the report to FILE instead of stdout")
    p.add_argument("--start-timeout", type=float, default=Timeouts.start, metavar="SECONDS",
                   help=f"how long the pack may take to start (default {Timeouts.start:g})")
    p.add_argument("--rpc-timeout", type=float, default=Timeouts.rpc, metavar="SECONDS",
                   help=f"deadline of each Analyze/Configure call (default {Timeouts.rpc:g})")
    p.add_argument("--stack-timeout", type=float, default=Timeouts.analyze_stack, metavar="SECONDS",
                   help=f"deadline of the AnalyzeStack call (default {Timeouts.analyze_stack:g})")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
                   help=f"Analyze calls in flight at once (default {DEFAULT_CONCURRENCY}; 1 = one at a time, "
                   "as the engine does; the report is the same)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress and no warnings on stderr")
    p.set_defaults(func=run)


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    """A status-line writer for stderr: only on a terminal, never with --quiet."""
    if args.quiet or not sys.stderr.isatty():
        return None

    def show(text: str) -> None:
        sys.stderr.write(f"\r\033[K{text}" if text else "\r\033[K")
        sys.stderr.flush()

    return show


def _report(result: CheckResult, plan: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return to_json(result.to_json())
    if fmt == "sarif":
        try:
            version = metadata.version("azora-infra")
        except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
            version = ""
        return to_json(to_sarif(result, plan, tool_version=version))
    if fmt == "junit":
        return to_junit(result)
    return render_text(result)


def run(args: argparse.Namespace) -> int:
    stack = stack_name(args)
    pack_dir = (args.policy_pack or DEFAULT_PROGRAM / "policies").resolve()
    if not pack_dir.is_dir():
        raise CommandError(f"{pack_dir}: no such policy pack directory")
    if args.concurrency < 1:
        raise CommandError(f"--concurrency must be at least 1, not {args.concurrency}")
    try:
        policy_config = load_policy_config_file(args.policy_config) if args.policy_config else None
    except PolicyConfigError as err:
        raise CommandError(str(err)) from None
    show = _progress(args)
    if show is not None and args.plan is None:
        show(f"planning {stack}...")
    plan = get_plan(args)
    gc.freeze()  # the plan lives as long as the command: keep it out of every collection (big plans)
    timeouts = Timeouts(start=args.start_timeout, rpc=args.rpc_timeout, analyze_stack=args.stack_timeout)

    def progress(done: int, total: int) -> None:
        if show is not None:
            show(f"checking {stack}: {done}/{total} resources")

    try:
        result = run_check(plan, pack_dir, policy_config, timeouts=timeouts, reuse=False,
                           workers=args.concurrency, progress=progress if show is not None else None)
    except (PackError, PolicyConfigError) as err:
        raise CommandError(str(err)) from None
    finally:
        if show is not None:
            show("")
    if not args.quiet:
        for name in result.unknown_config:
            print(f"azora-infra check: warning: policy config names {name!r}, which the pack does not have",
                  file=sys.stderr)
    report = _report(result, plan, args.format)
    if os.environ.get(gh.ENV) == "true":
        # workflow commands are read from stdout; keep a machine-readable report on stdout intact
        stream = sys.stdout if args.output is not None or args.format == "text" else sys.stderr
        for line in gh.workflow_commands(result, plan):
            print(line, file=stream)
    emit(report, args.output)
    return result.exit_code
