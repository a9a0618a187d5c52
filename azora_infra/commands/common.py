"""Helpers shared by subcommands: the arguments every planning command takes (`--stack`,
`--program`, `--timeout`), checked once here; getting a plan (planned, or read from `--plan`);
the several-stack form (`--stack A --stack B`, `--env ENV`) that plans them in one session;
output writing and the usage-error convention (exit 2)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..config import ConfigError
from ..config.loader import StackNameError, check_stack_name
from ..config.presets import Environment
from ..config.project import environment_stacks
from ..ops.outputs import OutputsError, StackOutputs, load_outputs
from ..plan import DEFAULT_PROGRAM, DEFAULT_TIMEOUT, PlanError, PlanFileError, load_plan_file, plan_stacks, run_plan
from ..plan.multi import OnPlanned
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


def add_stacks_arguments(p: argparse.ArgumentParser, *, plan_file: str | None = None) -> None:
    """`--stack NAME` or `--env ENV` (each repeatable), `--program`, `--timeout` (and `--plan FILE`,
    repeatable, when `plan_file` gives its help; without saved plans one of `--stack`/`--env` is required)."""
    which = p.add_mutually_exclusive_group(required=plan_file is None)
    which.add_argument("--stack", action="append", default=None, metavar="NAME",
                       help="stack name ([A-Za-z0-9_.-], no '..'): Pulumi.<stack>.yaml in the program dir; "
                            "repeat for several stacks, planned in one session (a primary they reference once)")
    which.add_argument("--env", choices=[e.value for e in Environment], action="append", default=None,
                       help="every stack whose stack file has this azora:environment (repeatable: "
                            "--env prod --env staging plans both in one session)")
    p.add_argument("--program", type=Path, default=None, help="Pulumi Python project dir (default: this repo)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"give up planning after SECONDS, all stacks and the stacks they reference included "
                        f"(default {DEFAULT_TIMEOUT:g})")
    if plan_file is not None:
        p.add_argument("--plan", type=Path, action="append", default=None, metavar="FILE", help=plan_file)


def stack_names(args: argparse.Namespace) -> list[str]:
    """The stacks `--stack` (checked, duplicates dropped) or each `--env` (in that order) names; a
    CommandError when neither is given. With saved plans only (`--plan`) and neither, the stacks of
    the plans."""
    names: list[str] = []
    if args.env is not None:
        for env in args.env:
            try:
                found = environment_stacks((args.program or DEFAULT_PROGRAM).resolve(), env)
            except ConfigError as err:
                raise CommandError(str(err)) from None
            names += [name for name in found if name not in names]
        return names
    for name in args.stack or ():
        try:
            check_stack_name(name)
        except StackNameError as err:
            raise CommandError(str(err)) from None
        if name not in names:
            names.append(name)
    if not names and not getattr(args, "plan", None):
        raise CommandError("give the stacks: --stack NAME (repeatable) or --env ENV")
    return names


def _saved_plans(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The `--plan` files, by stack; they must be exactly the stacks asked for (if any were)."""
    wanted = stack_names(args)
    plans: dict[str, dict[str, Any]] = {}
    for path in args.plan:
        try:
            doc = load_plan_file(path)
        except PlanFileError as err:
            raise CommandError(str(err)) from None
        stack = str(doc["stack"])
        if stack in plans:
            raise CommandError(f"{path}: a second plan of stack {stack!r}")
        if wanted and stack not in wanted:
            raise CommandError(f"{path}: is the plan of stack {stack!r}, not {' or '.join(map(repr, wanted))}")
        plans[stack] = doc
    missing = [s for s in wanted if s not in plans]
    if missing:
        raise CommandError(f"no --plan file for stack {', '.join(missing)}")
    return {s: plans[s] for s in wanted} if wanted else plans


def get_plans(args: argparse.Namespace, on_planned: OnPlanned | None = None) -> dict[str, dict[str, Any]]:
    """The plans of the stacks `--stack`/`--env` name, by stack: read from `--plan` files when given,
    else planned in one session within `--timeout` (`plan_stacks`); `on_planned(stack, plan)` as each
    plan is ready."""
    if getattr(args, "plan", None):
        plans = _saved_plans(args)
        if on_planned is not None:
            for stack, doc in plans.items():
                on_planned(stack, doc)
        return plans
    names = stack_names(args)
    try:
        return plan_stacks(names, args.program, debug=args.debug, timeout=check_timeout(args.timeout),
                           on_planned=on_planned)
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
