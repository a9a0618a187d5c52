"""`azora-infra validate`: check every stack file of a project, and the set as a whole."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import ConfigError, load_project
from ..plan import DEFAULT_PROGRAM
from .common import EXIT_OK, CommandError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="validate all stack files (Pulumi.<stack>.yaml)")
    p.add_argument("--program", type=Path, default=None, help="project dir (default: this repo)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = (args.program or DEFAULT_PROGRAM).resolve()
    try:
        stacks = load_project(root)
    except ConfigError as err:
        raise CommandError(str(err)) from None
    for name, cfg in sorted(stacks.items()):
        print(f"{name}: {cfg.region} ({cfg.jurisdiction.code}/{cfg.jurisdiction.law}), {cfg.role.value}, "
              f"{cfg.environment.value}, VPC {cfg.network.cidr}")
    print(f"{len(stacks)} stacks valid")
    return EXIT_OK
