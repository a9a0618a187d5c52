"""`azora-infra check`: plan a stack offline and run the CrossGuard policy pack against it, driving
the pack over its real gRPC Analyzer interface as the Pulumi CLI does (docs/policy-check.md).

Several stacks (`--stack A --stack B`, `--env prod`, or several `--plan` files) are planned in one
session and each is checked as soon as its plan is ready; the report holds them all (JSON
``{"stacks": [...]}``, one SARIF run and one JUnit suite per stack) and the exit status is the worst.

Reports as text, JSON, SARIF 2.1.0 or JUnit XML; under GitHub Actions (``GITHUB_ACTIONS=true``) also
one annotation per violation. Progress goes to stderr on a terminal only; ``--quiet`` drops it and
the warnings.

Exit 0: no mandatory violation; 1: at least one mandatory (or remediate) violation; 2: usage,
config, program or pack error (one line; ``--debug`` for the traceback)."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import Future, ThreadPoolExecutor
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
from .common import CommandError, add_stacks_arguments, emit, get_plans, stack_names, to_json
from .progress import StatusLine


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check a stack's offline plan against the policy pack",
        description="Plan STACK offline (as `azora-infra plan`), start the CrossGuard policy pack as the "
        "Pulumi CLI does and analyze every resource over gRPC. Exit 1 on a mandatory violation.",
    )
    add_stacks_arguments(p, plan_file="reuse a saved plan (`azora-infra plan --format json`); "
                                      "repeat for several stacks")
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


def _merge_sarif(logs: list[dict[str, Any]]) -> dict[str, Any]:
    """One SARIF log with one run per stack (each run has its own ``automationDetails.id``)."""
    return {**logs[0], "runs": [run for log in logs for run in log["runs"]]}


def _merge_junit(docs: list[str]) -> str:
    """One JUnit document with one ``<testsuite>`` per stack."""
    roots = [ET.fromstring(doc.split("\n", 1)[1]) for doc in docs]
    merged = ET.Element("testsuites", name="azora-infra check " + " ".join(
        str(r.get("name", "")).rsplit(" ", 1)[-1] for r in roots))
    for attr in ("tests", "failures", "errors"):
        merged.set(attr, str(sum(int(r.get(attr, "0")) for r in roots)))
    merged.set("time", f"{sum(float(r.get('time', '0')) for r in roots):.3f}")
    for root in roots:
        merged.extend(list(root))
    ET.indent(merged)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(merged, encoding="unicode") + "\n"


def _reports(checked: list[tuple[CheckResult, dict[str, Any]]], fmt: str) -> str:
    if len(checked) == 1:
        return _report(*checked[0], fmt)
    if fmt == "json":
        return to_json({"stacks": [result.to_json() for result, _ in checked]})
    if fmt == "sarif":
        return to_json(_merge_sarif([json.loads(_report(r, p, fmt)) for r, p in checked]))
    if fmt == "junit":
        return _merge_junit([_report(r, p, fmt) for r, p in checked])
    return "\n".join(_report(r, p, fmt) for r, p in checked)


def run(args: argparse.Namespace) -> int:
    names = stack_names(args)
    pack_dir = (args.policy_pack or DEFAULT_PROGRAM / "policies").resolve()
    if not pack_dir.is_dir():
        raise CommandError(f"{pack_dir}: no such policy pack directory")
    if args.concurrency < 1:
        raise CommandError(f"--concurrency must be at least 1, not {args.concurrency}")
    try:
        policy_config = load_policy_config_file(args.policy_config) if args.policy_config else None
    except PolicyConfigError as err:
        raise CommandError(str(err)) from None
    status = StatusLine.for_args(args)
    if not args.plan:
        for name in names:
            status.set(name, f"planning {name}...")
    timeouts = Timeouts(start=args.start_timeout, rpc=args.rpc_timeout, analyze_stack=args.stack_timeout)

    def check(stack: str, plan: dict[str, Any]) -> CheckResult:
        def progress(done: int, total: int) -> None:
            status.set(stack, f"checking {stack}: {done}/{total} resources")

        return run_check(plan, pack_dir, policy_config, timeouts=timeouts, reuse=False,
                         workers=args.concurrency, progress=progress if status.enabled else None)

    # each stack is checked as soon as its plan is ready, while the others are still being planned
    futures: dict[str, Future[CheckResult]] = {}

    def planned(stack: str, plan: dict[str, Any]) -> None:
        futures.setdefault(stack, pool.submit(check, stack, plan))

    with ThreadPoolExecutor(max_workers=max(1, len(names) or len(args.plan or ())),
                            thread_name_prefix="azora-check") as pool:
        try:
            plans = get_plans(args, on_planned=planned)
            gc.freeze()  # the plans live as long as the command: keep them out of every collection
            checked = [(futures[stack].result(), plan) for stack, plan in plans.items()]
        except (PackError, PolicyConfigError) as err:
            raise CommandError(str(err)) from None
        finally:
            for future in futures.values():
                future.cancel()
            status.done()
    if not args.quiet:
        for name in sorted({n for result, _ in checked for n in result.unknown_config}):
            print(f"azora-infra check: warning: policy config names {name!r}, which the pack does not have",
                  file=sys.stderr)
    report = _reports(checked, args.format)
    if os.environ.get(gh.ENV) == "true":
        # workflow commands are read from stdout; keep a machine-readable report on stdout intact
        stream = sys.stdout if args.output is not None or args.format == "text" else sys.stderr
        for result, plan in checked:
            for line in gh.workflow_commands(result, plan):
                print(line, file=stream)
    emit(report, args.output)
    return max(result.exit_code for result, _ in checked)
