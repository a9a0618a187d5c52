"""Run a piece of Pulumi code in-process under the project's mocks and get its registrations.

`record(fn)` sets up `AzoraMocks` + `RecordingMonitor`, runs ``fn()`` (which creates resources),
waits for every registration, and returns a `Plan` built exactly as `azora-infra plan` builds one
(root stack, default providers, provider summaries). Config can be set with ``config={...}``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from azora_infra.plan.mocks import AzoraMocks
from azora_infra.plan.model import Plan
from azora_infra.plan.project import PulumiProject
from azora_infra.plan.recorder import RecordingMonitor
from azora_infra.plan.runner import ORGANIZATION, build_plan

ROOT = Path(__file__).resolve().parents[1]
#: the `azora:alerting` a prod stack needs (a page and a ticket subscriber)
ALERTING: dict[str, Any] = {"page": {"emails": ["oncall@azora.example"]}, "ticket": {"emails": ["team@azora.example"]}}


async def _settle_outputs() -> None:
    """Resolve every output `fn` created, all at once: the SDK's `wait_for_rpcs` waits for them with
    `asyncio.wait(FIRST_COMPLETED)` over all outstanding outputs, again after each completion, which
    made a region stack's in-process record take twice as long. Outputs created meanwhile are
    resolved in the next round (bounded); on any failure the outputs go back to the SDK, which
    reports it as it always does."""
    for _ in range(1000):
        with SETTINGS.lock:
            pending = list(SETTINGS.outputs)
            SETTINGS.outputs.clear()
        if not pending:
            return
        results = await asyncio.gather(*pending, return_exceptions=True)
        if any(isinstance(result, BaseException) for result in results):
            with SETTINGS.lock:
                SETTINGS.outputs.update(pending)
            return


def record(fn: Callable[[], Any], *, stack: str = "test", project: str = "azora-platform",
           config: dict[str, Any] | None = None, region: str = "af-south-1",
           stack_outputs: Callable[[str], dict[str, Any]] | None = None) -> Plan:
    cfg = {"aws:region": region, **(config or {})}
    engine_cfg = {k: v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}
    os.environ["PULUMI_CONFIG"] = json.dumps(engine_cfg)
    pulumi.runtime.set_all_config(engine_cfg, [])
    # stack_outputs: a StackReference's name -> the outputs that stack exports
    mocks = AzoraMocks(default_region=region, stack_outputs=stack_outputs)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor,
                             organization=ORGANIZATION)

    async def program() -> None:
        fn()
        await _settle_outputs()

    _sync_await(run_pulumi_func(program))
    proj = PulumiProject(ROOT, project, ROOT / "__main__.py", "python", {})
    return Plan(build_plan(proj, stack, engine_cfg, [], list(monitor.records.values()), {}))
