"""The commands the README and the docs tell a user or an operator to run exist as written (D15.2,
D18.4): every `azora-infra ...` in a code block or a code span names a real subcommand (nested ones
too: `dr status`, `chaos report`) and only options that subcommand has. A runbook that names a
renamed flag fails here, not at 3 a.m."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from azora_infra.cli import build_parser
from tests.harness import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")


def _commands(text: str) -> Iterator[str]:
    """Each `azora-infra ...` command of the fenced blocks (continuation lines joined) and code spans."""
    for block in _FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            at = line.find("azora-infra ")
            if at >= 0 and not line[:at].rstrip().endswith(("#", "pip install")):
                yield line[at:]
    for span in _SPAN.findall(_FENCE.sub("", text)):
        if span.startswith("azora-infra "):
            yield span


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {opt for action in parser._actions for opt in action.option_strings}


def problems(command: str, root: argparse.ArgumentParser) -> list[str]:
    """What in one documented command the CLI would refuse: an unknown subcommand or option.

    A synopsis (a table cell, where `\\|` separates alternatives: `plan\\|check`, `--stack A \\| --env E`)
    names each alternative subcommand, and each option must belong to one of them; elsewhere a `|`
    ends the command (a shell pipeline). `$(...)` substitutions and `[ ]` around options are ignored."""
    synopsis = "\\|" in command
    text = re.sub(r"\$\([^)]*\)", "", command.split(" #", 1)[0]).replace("\\|", "|")
    try:
        words = shlex.split(text, posix=True)[1:]
    except ValueError:
        words = text.split()[1:]
    parsers, path = [root], ["azora-infra"]
    out: list[str] = []
    while words and (subs := _subparsers(parsers[0])):
        if not re.fullmatch(r"[a-z][a-z-]*(\|[a-z][a-z-]*)*", words[0]):
            break
        names = words[0].split("|")
        out += [f"{' '.join(path)}: no subcommand {n!r}" for n in names if n not in subs]
        if out:
            return out
        parsers, path, words = [subs[n] for n in names], [*path, words[0]], words[1:]
    known = set().union(*(_options(p) for p in parsers)) | _options(root)
    for word in words:
        if word in {"|", "&&", ";", ">", "2>", "<"} and not (synopsis and word == "|"):
            break  # the shell pipeline goes on with another program
        flag = word.strip("[]()").split("=", 1)[0]
        if re.fullmatch(r"--[a-z][a-z0-9-]*", flag) and flag not in known:
            out.append(f"{' '.join(path)}: no option {flag}")
    return out


def _documented() -> list[tuple[str, str]]:
    return [(str(p.relative_to(ROOT)), c) for p in DOCS for c in _commands(p.read_text(encoding="utf-8"))]


def test_every_documented_command_exists_as_written() -> None:
    root = build_parser()
    found = _documented()
    assert len(found) > 40  # the docs were read
    bad = [f"{where}: {c!r}: {p}" for where, c in found for p in problems(c, root)]
    assert bad == []


@pytest.mark.parametrize(("command", "expected"), [
    ("azora-infra plan --stack africa --output plan.json", []),
    ("azora-infra dr status --env prod --outputs outputs", []),
    ("azora-infra plan --stak africa", ["azora-infra plan: no option --stak"]),
    ("azora-infra dr statu --stack africa", ["azora-infra dr: no subcommand 'statu'"]),
    ("azora-infra chaos report --stack x --outputs o --since 7d", []),
    ("azora-infra check --stack africa | tee out.txt --not-ours", []),
    ("azora-infra frobnicate", ["azora-infra: no subcommand 'frobnicate'"]),
    ("azora-infra plan\\|check --stack A \\| --env prod [--quiet]", []),
    ("azora-infra plan\\|check --stack A [--verbose]", ["azora-infra plan|check: no option --verbose"]),
    ("azora-infra dr status\\|switch --outputs DIR", ["azora-infra dr: no subcommand 'switch'"]),
    ("azora-infra dr status\\|switchover --outputs DIR [--yes]", []),
    ("azora-infra load-test --stack s --output reports/load-$(git rev-parse --short HEAD).json", []),
])
def test_the_check_refuses_what_the_cli_would(command: str, expected: list[str]) -> None:
    assert problems(command, build_parser()) == expected


def test_commands_are_found_in_blocks_continuations_and_spans(tmp_path: Path) -> None:
    text = ("Run `azora-infra validate` first.\n\n```bash\n# azora-infra is installed\n"
            "azora-infra plan --stack africa \\\n  --output p.json\npip install azora-infra x\n```\n")
    assert list(_commands(text)) == ["azora-infra plan --stack africa    --output p.json", "azora-infra validate"]
