"""docs/traceability.md cannot overstate: one row per acceptance criterion of the two seeds, each
`done` (naming test ids `tests/<file>.py::<test>` that exist), `partial` or `outside IaC` (each with
its reason), and a summary whose counts match the rows.

`check()` returns every problem of a table; the doctored-table tests feed it broken tables to show
that each check can fail."""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tests.harness import ROOT

DOC = ROOT / "docs" / "traceability.md"
STATUSES = ("done", "partial", "outside IaC")
NO_REASON = ("", "-", "\N{EM DASH}")
#: seed prefix -> (seed file prefix in shared/seeds, criteria per requirement 1..n). Checked against
#: the seeds themselves whenever shared/ lies beside the repository (as in CI) or above the worktree.
SEEDS: dict[str, tuple[str, tuple[int, ...]]] = {"E": ("000_", (6,) * 10), "D": ("003_", (5,) * 18)}

_TEST_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
_TICKED = re.compile(r"`([^`]*)`")
_CRITERION = re.compile(r"[ED]\d+\.\d+")
_SUMMARY_ROW = re.compile(r"^\| ([ED]) \([^|]*\) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$")


@dataclass(frozen=True)
class Row:
    line: int
    id: str
    tests: str
    status: str
    reason: str


def checked_in_ids() -> list[str]:
    return [f"{seed}{req}.{n}" for seed, (_, counts) in SEEDS.items()
            for req, count in enumerate(counts, 1) for n in range(1, count + 1)]


def parse_seed(seed: str, text: str) -> list[str]:
    """`E1.1`, `E1.2`, ...: the numbered acceptance criteria under each `### Requirement N`."""
    ids: list[str] = []
    for m in re.finditer(r"^### Requirement (\d+)\b(.*?)(?=^### |\Z)", text, re.M | re.S):
        ids += [f"{seed}{m.group(1)}.{n}" for n in re.findall(r"^(\d+)\. ", m.group(2), re.M)]
    return ids


def seeds_dir() -> Path | None:
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "seeds").is_dir():
            return base / "shared" / "seeds"
    return None


@cache
def _test_names(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def named_test_exists(path: str, name: str) -> bool:
    return (ROOT / path).is_file() and name in _test_names(path)


def parse_rows(text: str) -> tuple[list[Row], list[str]]:
    """The criterion rows of every table: `| id | criterion | implementation | tests | status | reason |`."""
    rows: list[Row] = []
    problems: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not re.match(r"^\|\s*[ED]\d", line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not _CRITERION.fullmatch(cells[0]):
            problems.append(f"line {n}: a row is one criterion id and 6 cells: {line[:70]}")
            continue
        rows.append(Row(n, cells[0], cells[3], cells[4], cells[5]))
    return rows, problems


def _row_problems(r: Row) -> list[str]:
    where = f"{r.id} (line {r.line})"
    problems = []
    if r.status not in STATUSES:
        problems.append(f"{where}: status {r.status!r} is not one of {', '.join(STATUSES)}")
    bare = [t for t in _TICKED.findall(r.tests) if not _TEST_ID.fullmatch(f"`{t}`")]
    if bare:
        problems.append(f"{where}: {bare} are not test ids (tests/test_x.py::test_name)")
    if r.status == "done" and not _TEST_ID.search(r.tests):
        problems.append(f"{where}: done without a test id")
    if r.status in ("partial", "outside IaC") and r.reason in NO_REASON:
        problems.append(f"{where}: {r.status} without a reason")
    return problems


def _summary_problems(text: str, rows: list[Row]) -> list[str]:
    _, _, summary = text.partition("\n## Summary\n")
    found = {m.group(1): tuple(int(g) for g in m.groups()[1:])
             for m in map(_SUMMARY_ROW.match, summary.splitlines()) if m}
    problems = []
    for seed in SEEDS:
        statuses = Counter(r.status for r in rows if r.id.startswith(seed))
        counts = (*(statuses[s] for s in STATUSES), sum(statuses.values()))
        if found.get(seed) != counts:
            problems.append(f"summary for {seed}: {found.get(seed)} in the table, the rows give {counts} "
                            f"(done, partial, outside IaC, criteria)")
    return problems


def check(text: str, expected: list[str], exists: Callable[[str, str], bool] = named_test_exists) -> list[str]:
    """Every problem of the traceability document `text` against the criterion ids `expected`."""
    rows, problems = parse_rows(text)
    for r in rows:
        problems += _row_problems(r)
    problems += [f"`{f}::{t}` does not exist" for f, t in _TEST_ID.findall(text) if not exists(f, t)]
    counts = Counter(r.id for r in rows)
    problems += [f"{i}: {c} rows (one per criterion)" for i, c in sorted(counts.items()) if c > 1]
    problems += [f"{i}: not a criterion of the seeds" for i in sorted(set(counts) - set(expected))]
    problems += [f"{i}: no row" for i in expected if i not in counts]
    return problems + _summary_problems(text, rows)


def expected_ids() -> list[str]:
    """The seeds' criteria when the seeds are at hand (they must agree with the checked-in list)."""
    ids = checked_in_ids()
    folder = seeds_dir()
    if folder is not None:
        parsed = [i for seed, (prefix, _) in SEEDS.items()
                  for f in sorted(folder.glob(f"{prefix}*.txt")) for i in parse_seed(seed, f.read_text("utf-8"))]
        assert parsed == ids, "the seeds' criteria changed: update SEEDS in tests/test_traceability.py"
    return ids


# --- the real document -------------------------------------------------------------------------------


def test_the_table_holds() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert check(text, expected_ids()) == []
    rows, _ = parse_rows(text)
    assert len(rows) == 150 and len(_TEST_ID.findall(text)) >= 100


def test_the_seeds_have_the_checked_in_criteria() -> None:
    ids = expected_ids()
    assert (len(ids), ids[0], ids[59], ids[60], ids[-1]) == (150, "E1.1", "E10.6", "D1.1", "D18.5")
    seed = "### Requirement 1: A\n\n1. THE x\n2. THE y\n\n### Requirement 2: B\n\n- glossary\n1. THE z\n"
    assert parse_seed("E", seed) == ["E1.1", "E1.2", "E2.1"]


# --- doctored tables: every check can fail --------------------------------------------------------------

_ID = "`tests/test_service.py::test_cutover_is_a_weight_change`"
_DONE = f"| E9.1 | several API versions at once | routes | {_ID} | done | |"
_PARTIAL = f"| E9.2 | deprecation notice | headers | {_ID} | partial | x |"
_OUTSIDE = "| D2.2 | critical services | \N{EM DASH} | \N{EM DASH} | outside IaC | the services' |"
_SUMMARY = ("\n## Summary\n\n| seed | done | partial | outside IaC | criteria |\n|---|---|---|---|---|\n"
            "| E (000) | 1 | 1 | 0 | 2 |\n| D (003) | 0 | 0 | 1 | 1 |\n")
_EXPECTED = ["E9.1", "E9.2", "D2.2"]


def _table(*rows: str, summary: str = _SUMMARY) -> str:
    return "| id | criterion | implementation | tests | status | missing / reason |\n|---|---|---|---|---|---|\n" + (
        "\n".join(rows) + "\n" + summary)


def test_a_sound_doctored_table_passes() -> None:
    assert check(_table(_DONE, _PARTIAL, _OUTSIDE), _EXPECTED) == []


@pytest.mark.parametrize(("rows", "expected", "fragment"), [
    ((_DONE.replace(_ID, "\N{EM DASH}"), _PARTIAL, _OUTSIDE),
     _EXPECTED, "E9.1 (line 3): done without a test id"),
    ((_DONE.replace("::test_cutover_is_a_weight_change", ""), _PARTIAL, _OUTSIDE),
     _EXPECTED, "['tests/test_service.py'] are not test ids"),
    ((_DONE.replace("test_cutover_is_a_weight_change", "test_no_such_test"), _PARTIAL, _OUTSIDE),
     _EXPECTED, "`tests/test_service.py::test_no_such_test` does not exist"),
    ((_DONE.replace("tests/test_service.py", "tests/test_no_such_file.py"), _PARTIAL, _OUTSIDE),
     _EXPECTED, "`tests/test_no_such_file.py::test_cutover_is_a_weight_change` does not exist"),
    ((_DONE, _PARTIAL.replace("| partial |", "| open |"), _OUTSIDE),
     _EXPECTED, "E9.2 (line 4): status 'open' is not one of done, partial, outside IaC"),
    ((_DONE, _PARTIAL.replace("| partial |", "| app |"), _OUTSIDE),
     _EXPECTED, "status 'app' is not one of"),
    ((_DONE, _PARTIAL.replace("| x |", "| |"), _OUTSIDE), _EXPECTED, "E9.2 (line 4): partial without a reason"),
    ((_DONE, _PARTIAL, _OUTSIDE.replace("the services' |", "\N{EM DASH} |")),
     _EXPECTED, "D2.2 (line 5): outside IaC without a reason"),
    ((_DONE, _PARTIAL, _OUTSIDE, _DONE), _EXPECTED, "E9.1: 2 rows (one per criterion)"),
    ((_DONE, _OUTSIDE), _EXPECTED, "E9.2: no row"),
    ((_DONE, _PARTIAL, _OUTSIDE, _DONE.replace("E9.1", "E11.1")), _EXPECTED, "E11.1: not a criterion of the seeds"),
    ((_DONE.replace("| E9.1 |", "| E9.1\N{EN DASH}E9.2 |"), _OUTSIDE),
     _EXPECTED, "line 3: a row is one criterion id and 6 cells"),
    ((_DONE.replace("| done | |", "| done |"), _PARTIAL, _OUTSIDE), _EXPECTED, "a row is one criterion id and 6 cells"),
])
def test_a_doctored_table_is_caught(rows: tuple[str, ...], expected: list[str], fragment: str) -> None:
    problems = check(_table(*rows), expected)
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(("summary", "fragment"), [
    (_SUMMARY.replace("| E (000) | 1 | 1 | 0 | 2 |", "| E (000) | 2 | 0 | 0 | 2 |"),
     "summary for E: (2, 0, 0, 2) in the table, the rows give (1, 1, 0, 2)"),
    (_SUMMARY.replace("| D (003) | 0 | 0 | 1 | 1 |\n", ""), "summary for D: None in the table"),
    ("", "summary for E: None in the table"),
])
def test_a_stale_summary_is_caught(summary: str, fragment: str) -> None:
    problems = check(_table(_DONE, _PARTIAL, _OUTSIDE, summary=summary), _EXPECTED)
    assert any(fragment in p for p in problems), problems


def test_the_real_checker_finds_real_and_missing_tests() -> None:
    assert named_test_exists("tests/test_traceability.py", "test_the_table_holds")
    assert not named_test_exists("tests/test_traceability.py", "no_such_test")
    assert not named_test_exists("tests/test_no_such_file.py", "test_the_table_holds")
