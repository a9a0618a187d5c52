"""Helpers shared by subcommands: the arguments every planning command takes (`--stack`,
`--program`, `--timeout`), checked once here; getting a plan (planned, or read from `--plan`);
output writing and the usage-error convention (exit 2)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..config.loader import StackNameError, check_stack_name
from ..ops.outputs import OutputsError, StackOutputs, load_outputs
from ..plan import DEFAULT_TIMEOUT, PlanError, PlanFileError, load_plan_file, run_plan
from ..plan.session import check_timeout

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and found a problem (policy violation, missed target)
EXIT_ERROR = 2  # usage, config, program or pack error


class CommandError(Exception):
    """A one-line error that ends the command with exit status 2."""


def add_stack_arguments(p: argparse.ArgumentParser, *, plan_file: str | None = None) -> None:
    """`--stack`, `--program`, `--timeout` (and `--plan` when `plan_file` gives its help)."""
    p.add_argument("--stack", required=True,
                   help="stack name ([A-Za-z0-9_.-], no '..'): Pulumi.<stack>.yaml in the program dir")
    p.add_argument("--program", type=Path, default=None, help="Pulumi Python project dir (default: this repo)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"give up planning after SECONDS, the stacks it references included "
                        f"(default {DEFAULT_TIMEOUT:g})")
    if plan_file is not None:
        p.add_argument("--plan", type=Path, default=None, help=plan_file)


def stack_name(args: argparse.Namespace) -> str:
    """`args.stack`, checked: one line and exit 2 for anything but a valid stack name."""
    try:
        return check_stack_name(args.stack)
    except StackNameError as err:
        raise CommandError(str(err)) from None


def stack_outputs(args: argparse.Namespace) -> StackOutputs:
    """The `--stack` stack's outputs among the `--outputs` given (one clear error otherwise)."""
    try:
        outputs = load_outputs(args.outputs)
    except OutputsError as err:
        raise CommandError(str(err)) from None
    stack = outputs.get(stack_name(args))
    if stack is None:
        raise CommandError(f"--stack {args.stack}: not among the outputs given ({', '.join(sorted(outputs))})")
    return stack


def get_plan(args: argparse.Namespace) -> dict[str, Any]:
    """The plan of `args.stack`: read from `args.plan` when given (`load_plan_file`: a plan of a
    known format version, of that stack), else planned offline within `args.timeout`."""
    stack = stack_name(args)
    saved: Path | None = getattr(args, "plan", None)
    if saved is not None:
        try:
            return load_plan_file(saved, stack=stack)
        except PlanFileError as err:
            raise CommandError(str(err)) from None
    try:
        return run_plan(stack, args.program, debug=args.debug, timeout=check_timeout(args.timeout))
    except PlanError as err:
        raise CommandError(str(err)) from None


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def to_json(doc: Any) -> str:
    return json.dumps(doc, indent=2) + "\n"
