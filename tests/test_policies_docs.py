"""docs/policies.md is generated from the registry and up to date; every rule is implemented, covers
the anchor table and has a failing case in the pack tests; the pack's files exist as the CLI needs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from policies.azora_guard import registry
from policies.azora_guard.docs import render
from tests import (
    test_policies_alarms,
    test_policies_baseline,
    test_policies_data,
    test_policies_edge,
    test_policies_exemptions,
    test_policies_platform,
    test_policies_storage,
)

ROOT = Path(__file__).resolve().parents[1]


def test_docs_are_up_to_date() -> None:
    assert (ROOT / "docs" / "policies.md").read_text(encoding="utf-8") == render(), (
        "docs/policies.md is stale: run `python -m policies.azora_guard.docs > docs/policies.md`")


def test_docs_script_runs_as_a_module() -> None:
    out = subprocess.run([sys.executable, "-m", "policies.azora_guard.docs"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out == render()
    assert "| `residency-personal-region` | mandatory | critical |" in out
    assert "CKV_AWS_96, CKV_AWS_16" in out and "#27" in out


def test_every_anchor_row_is_covered_or_explained() -> None:
    explained = {row for row, *_ in registry.NOT_APPLICABLE}
    assert registry.covered_rows() | explained == set(range(1, 127))
    assert not registry.covered_rows() & explained


def test_every_rule_has_a_failing_case() -> None:
    failing: set[str] = set()
    for module in (test_policies_data, test_policies_storage, test_policies_edge, test_policies_platform,
                   test_policies_alarms):
        for case in module.CASES:
            failing |= case[-1]
    failing |= {p for _, p in test_policies_storage.CASES for p in p}
    failing |= {p for _, expected in test_policies_edge.STACK_CASES for p in expected}
    failing |= {"secret-rotation-max-days", "residency-global-cache"}
    failing |= {registry.EXEMPTIONS_POLICY, registry.EXEMPTION_VALID_POLICY}  # test_policies_exemptions
    failing |= {p for _, expected in test_policies_baseline.CASES.values() for p in expected}
    failing |= {"user-pool-residency", "customer-tag-format"}  # test_policies_baseline's identity plan
    assert test_policies_exemptions.EXEMPT
    assert set(registry.RULES) - failing == set()


def test_registry_metadata_is_complete() -> None:
    for meta in registry.RULES.values():
        assert meta.level in (registry.MANDATORY, registry.ADVISORY), meta.name
        assert meta.severity in ("low", "medium", "high", "critical"), meta.name
        assert meta.theme in registry.THEMES and meta.checks and meta.fix, meta.name
        assert meta.name == meta.name.lower() and " " not in meta.name
    residency = [m for m in registry.RULES.values() if m.theme == "residency"]
    assert residency and all(m.exemptable == registry.NEVER and m.level == registry.MANDATORY for m in residency)


def test_pack_files() -> None:
    pack = ROOT / "policies"
    doc = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert doc["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}} and doc["version"]
    reqs = (pack / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "-e .." in reqs
    # the optimised servicer is written against one exact pulumi-policy: the pack's venv pins it
    from policies.azora_guard.fastpath import SUPPORTED_VERSION
    assert f"pulumi-policy=={SUPPORTED_VERSION}" in reqs
    assert "serve()" in (pack / "__main__.py").read_text(encoding="utf-8")
