from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

# Plans and checks never reach AWS: make boto3/moto and any stray SDK call fail fast offline.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "af-south-1")
os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")

REPO_STACKS = ("africa", "europe", "asia")
#: the repo's other environments: planned lazily, once per test session, by the first test that asks
ENV_STACKS = ("staging-africa", "staging-europe", "staging-asia", "dev")
_PLANS_ENV = "AZORA_TEST_PLANS_DIR"
#: the planning-session directory shared by every worker for the lazy plans (inside the plans dir)
_LAZY = "lazy"
#: the plans directory this process created (removed at the end of the session)
_created: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    """Plan the repo's three stacks once per test session (in parallel, in one planning session so
    the secondaries share one plan of africa), before xdist workers start, so every test that reads
    a real plan reads the same files instead of re-planning."""
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get(_PLANS_ENV):
        return
    from azora_infra.plan import DEFAULT_PROGRAM, PlanSession

    out = Path(tempfile.mkdtemp(prefix="azora-test-plans-"))
    (out / _LAZY).mkdir()

    with PlanSession.open(DEFAULT_PROGRAM) as session:
        def plan(stack: str) -> None:
            try:
                doc: Any = session.plan(stack)
            except Exception as err:
                doc = {"error": str(err)}
            (out / f"{stack}.json").write_text(json.dumps(doc), encoding="utf-8")

        _created.append(out)
        session.fork_planners(REPO_STACKS)  # one set of SDK imports for the three planners
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(plan, REPO_STACKS))
    os.environ[_PLANS_ENV] = str(out)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the plans directory (only the process that created it does; xdist workers inherit it)."""
    while _created:
        shutil.rmtree(_created.pop(), ignore_errors=True)
        os.environ.pop(_PLANS_ENV, None)


@pytest.fixture(scope="session")
def repo_plan() -> Iterator[Callable[[str], dict[str, Any]]]:
    """``repo_plan("africa")`` -> the offline plan (dict) of that stack of this repository.

    The prod stacks were planned before the session started; a stack of `ENV_STACKS` is planned the
    first time a test asks for it, in one planning session shared by every xdist worker (its flock
    makes each stack, and the primary a secondary references, planned once per test session)."""
    from azora_infra.plan import DEFAULT_PROGRAM, PlanError, PlanSession

    root = Path(os.environ[_PLANS_ENV])
    cache: dict[str, dict[str, Any]] = {}
    lazy: list[PlanSession] = []

    def get(stack: str) -> dict[str, Any]:
        if stack not in cache:
            path = root / f"{stack}.json"
            if stack in ENV_STACKS:
                if not lazy:
                    lazy.append(PlanSession(DEFAULT_PROGRAM.resolve(), root / _LAZY, timeout=600, owner=False))
                try:
                    doc: dict[str, Any] = lazy[0].plan(stack)
                except PlanError as err:
                    doc = {"error": str(err)}
            else:
                doc = json.loads(path.read_text(encoding="utf-8"))
            if "error" in doc:
                pytest.fail(f"planning stack {stack} failed: {doc['error']}")
            cache[stack] = doc
        return cache[stack]

    yield get
    for session in lazy:
        session.close()
