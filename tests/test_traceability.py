"""docs/traceability.md: every test id a row names (`tests/<file>.py::<test>`) exists, so a
`done` row cannot point at a test that was renamed or removed."""

from __future__ import annotations

import ast
import re

from tests.harness import ROOT

_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _test_names(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_named_test_ids_exist() -> None:
    text = (ROOT / "docs" / "traceability.md").read_text(encoding="utf-8")
    ids = _ID.findall(text)
    assert len(ids) >= 20
    missing = [f"{f}::{t}" for f, t in ids if not (ROOT / f).is_file() or t not in _test_names(f)]
    assert missing == []


def test_the_check_catches_a_wrong_id() -> None:
    assert "test_named_test_ids_exist" in _test_names("tests/test_traceability.py")
    assert "no_such_test" not in _test_names("tests/test_traceability.py")
