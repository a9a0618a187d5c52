"""`azora-infra`: the command line. Exit 0 on success, 1 when a check fails, 2 on usage, config,
program or pack errors, always with a one-line message (`--debug` shows the traceback).

Interrupted (Ctrl-C, SIGTERM, SIGHUP), a command stops what it started (planner process groups,
the policy pack), removes its temp dirs and exits 128 + the signal number."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from types import FrameType

from . import __version__
from .commands import chaos, check, cost, diagram, dr, load_test, plan, report, validate
from .commands.common import EXIT_ERROR, CommandError
from .config.errors import one_line

COMMANDS = (plan, validate, report, check, cost, diagram, dr, chaos, load_test)
#: signals that end a command through its cleanup (SIGINT arrives as KeyboardInterrupt)
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so every `finally` runs (not an Exception, so
    no `except Exception` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def _signals_end_the_command() -> Iterator[None]:
    """While a command runs: the first SIGINT/SIGTERM/SIGHUP raises (KeyboardInterrupt /
    `Terminated`); later ones are ignored so the cleanup they started is not cut short. The
    previous handlers are restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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
        with _signals_end_the_command():
            return int(args.func(args))
    except CommandError as err:
        print(one_line(f"azora-infra {args.command}: {err}"), file=sys.stderr)  # a path may hold a newline
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"azora-infra {args.command}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated as err:
        print(f"azora-infra {args.command}: stopped by {err}", file=sys.stderr)
        return 128 + err.signum
    except Exception as err:
        if args.debug:
            traceback.print_exc()
        print(one_line(f"azora-infra {args.command}: internal error: {type(err).__name__}: {err}"), file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
