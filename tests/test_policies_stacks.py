"""The project's seven stacks (prod, staging, dev) through the real `azora-guard` pack: no mandatory violation, nothing
that can't run, and the policies actually saw the resources (no false positives on correct configs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.policy_plans import check

STACKS = ("africa", "europe", "asia", "staging-africa", "staging-europe", "staging-asia", "dev")


class Results(dict[str, Any]):
    """stack -> its check result, each stack planned and checked the first time a test asks."""

    def __init__(self, plan_of: Callable[[str], dict[str, Any]]) -> None:
        super().__init__()
        self.plan_of = plan_of

    def __missing__(self, stack: str) -> Any:
        self[stack] = check(self.plan_of(stack))
        return self[stack]


@pytest.fixture(scope="module")
def results(repo_plan: Callable[[str], dict[str, Any]]) -> Results:
    return Results(repo_plan)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_has_no_mandatory_violation(results: Results, stack: str) -> None:
    found = [f"{v.policy} on {v.urn}: {v.message.splitlines()[-1]}" for v in results[stack].mandatory_violations]
    assert found == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_policy_ran_on_every_resource(results: Results, stack: str) -> None:
    result = results[stack]
    assert result.cant_run == []
    assert result.resources_checked > 100
    assert len(result.policies) > 140 and all(level != "disabled" for _, level in result.policies)


def test_exemptions_in_the_stacks_carry_reasons(results: Results) -> None:
    for stack in STACKS:
        assert all(e.reason.strip() for e in results[stack].exemptions)
