"""`azora-infra`: the command line. Exit 0 on success, 1 when a check fails, 2 on usage, config,
program or pack errors, always with a one-line message (`--debug` shows the traceback)."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from . import __version__
from .commands import chaos, check, dr, load_test, plan, report, validate
from .commands.common import EXIT_ERROR, CommandError

COMMANDS = (plan, validate, report, check, dr, chaos, load_test)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="azora-infra", description=__doc__)
    parser.add_argument("--version", action="version", version=f"azora-infra {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    for p in sub.choices.values():
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CommandError as err:
        print(f"azora-infra {args.command}: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        if args.debug:
            traceback.print_exc()
        print(f"azora-infra {args.command}: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
