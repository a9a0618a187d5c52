"""The project's three stacks through the real `azora-guard` pack: no mandatory violation, nothing
that can't run, and the policies actually saw the resources (no false positives on correct configs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.policy_plans import check

STACKS = ("africa", "europe", "asia")


@pytest.fixture(scope="module")
def results(repo_plan: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    return {stack: check(repo_plan(stack)) for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_stack_has_no_mandatory_violation(results: dict[str, Any], stack: str) -> None:
    found = [f"{v.policy} on {v.urn}: {v.message.splitlines()[-1]}" for v in results[stack].mandatory_violations]
    assert found == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_policy_ran_on_every_resource(results: dict[str, Any], stack: str) -> None:
    result = results[stack]
    assert result.cant_run == []
    assert result.resources_checked > 100
    assert len(result.policies) > 140 and all(level != "disabled" for _, level in result.policies)


def test_exemptions_in_the_stacks_carry_reasons(results: dict[str, Any]) -> None:
    for result in results.values():
        assert all(e.reason.strip() for e in result.exemptions)
