"""docs/traceability.md: every test id a row names (`tests/<file>.py::<test>`) exists, so a `done` row
cannot point at a test that was renamed or never written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_named_test_exists() -> None:
    text = (ROOT / "docs" / "traceability.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text))
    assert len(ids) >= 20
    for path, name in sorted(ids):
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} named in docs/traceability.md"
