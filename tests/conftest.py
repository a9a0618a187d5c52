from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from azora_infra.plan.remote import SERVER_ENV, PlanServer

if TYPE_CHECKING:
    from azora_infra.plan import PlanSession

# Plans and checks never reach AWS: make boto3/moto and any stray SDK call fail fast offline.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "af-south-1")
os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")

REPO_STACKS = ("africa", "europe", "asia")
#: the repo's other environments (planned in the background after the prod stacks)
ENV_STACKS = ("staging-africa", "staging-europe", "staging-asia", "dev")
_PLANS_ENV = "AZORA_TEST_PLANS_DIR"
#: the planning-session directory shared by every worker (inside the plans dir)
_LAZY = "lazy"
#: the plans directory this process created (removed at the end of the session)
_created: list[Path] = []
#: the planner server this process started (stopped at the end of the session)
_servers: list[PlanServer] = []
#: the background planning of the repo's stacks (stopped at the end of the session)
_background: list[tuple[PlanSession, ThreadPoolExecutor]] = []


def pytest_configure(config: pytest.Config) -> None:
    """Before xdist workers start: start the planner server (unless ``AZORA_PLAN_SERVER`` is set,
    e.g. empty to plan every stack in a fresh interpreter), and, with xdist, start planning the
    repo's stacks in the background, in the planning session every worker's `repo_plan` shares (its
    flock makes each stack, and the primary a secondary references, planned once per test session),
    so the workers collect and run tests meanwhile and a test that reads a real plan waits only for
    it. Without xdist the tests run in this process, so each stack is planned when first asked for."""
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get(_PLANS_ENV):
        return
    out = Path(tempfile.mkdtemp(prefix="azora-test-plans-"))
    (out / _LAZY).mkdir()
    _created.append(out)
    if sys.platform.startswith("linux") and os.environ.get(SERVER_ENV) is None:
        # one planner server for the whole run: every planner of every test (and of every CLI it
        # starts) forks from one set of SDK imports; tests of the fresh-interpreter path unset it
        server = PlanServer.start()
        _servers.append(server)
        os.environ[SERVER_ENV] = server.address
    os.environ[_PLANS_ENV] = str(out)
    if not getattr(config.option, "numprocesses", None):
        return  # no xdist: tests run in this process (and change its environment); plan on demand
    session = _shared_session(out)
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="azora-test-plans")
    for stack in REPO_STACKS + ENV_STACKS:  # prod first: most tests read those
        pool.submit(_plan_quietly, session, stack)
    _background.append((session, pool))


def _shared_session(out: Path) -> PlanSession:
    from azora_infra.plan import DEFAULT_PROGRAM, PlanSession

    return PlanSession(DEFAULT_PROGRAM.resolve(), out / _LAZY, timeout=600, owner=False)


def _plan_quietly(session: PlanSession, stack: str) -> None:
    """Plan `stack` ahead of the tests; a failure is written down and reported by `repo_plan`."""
    with contextlib.suppress(Exception):
        session.plan(stack)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the background planning and the server, remove the plans directory (only the process
    that created them does; xdist workers inherit the variables)."""
    while _background:
        session, pool = _background.pop()
        session.close()
        pool.shutdown(wait=True, cancel_futures=True)
    while _created:
        shutil.rmtree(_created.pop(), ignore_errors=True)
        os.environ.pop(_PLANS_ENV, None)
    while _servers:
        _servers.pop().close()
        os.environ.pop(SERVER_ENV, None)


@pytest.fixture(scope="session")
def plan_server() -> Iterator[str]:
    """The address of a planner server: the test session's, or one started for the tests that need
    one when the run opted out of it (``AZORA_PLAN_SERVER`` empty)."""
    address = os.environ.get(SERVER_ENV)
    if address:
        yield address
        return
    with PlanServer.start() as server:
        yield server.address


@pytest.fixture(scope="session")
def repo_plan() -> Iterator[Callable[[str], dict[str, Any]]]:
    """``repo_plan("africa")`` -> the offline plan (dict) of that stack of this repository (of
    `REPO_STACKS` or `ENV_STACKS`), planned once per test session in the shared planning session:
    waits while the background planning (or another worker) plans it."""
    from azora_infra.plan import PlanError

    session = _shared_session(Path(os.environ[_PLANS_ENV]))
    cache: dict[str, dict[str, Any]] = {}

    def get(stack: str) -> dict[str, Any]:
        if stack not in cache:
            try:
                cache[stack] = session.plan(stack)
            except PlanError as err:
                pytest.fail(f"planning stack {stack} failed: {err}")
        return cache[stack]

    yield get
    session.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported by now lives until the end of the run: move it out of the collector's
    way (`gc.freeze`), and make full collections rare (they walk the SDK modules the tests import
    later, the repo plans and the module fixtures: 18 s of the two workers' CPU at Python's
    default thresholds, 4 s at these)."""
    import gc

    gc.freeze()
    gc.set_threshold(700, 10, 100)
