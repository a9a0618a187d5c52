"""Planning several stacks in one process: one `PlanSession`, one planner per stack started at once,
so a primary that several secondaries reference (and that is itself asked for) is planned once and
its plan is what every StackReference to it reads.

Every stack name is checked, and every stack file looked for, before any planner starts: a typo
gives one clear error and no work. The first stack that fails to plan ends the run: the other
planners are stopped, and the error names the stack.

With two stacks or more the planners are forked from one zygote that imports the SDKs once
(`PlanSession.fork_planners`); the plans are the same.

`on_planned(stack, plan)` is called in the calling thread as each plan arrives (in completion
order), so a caller can start reading one plan (a policy check) while the others are planned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from .. import children
from ..config.loader import StackNameError, check_stack_name
from .api import DEFAULT_PROGRAM
from .session import DEFAULT_TIMEOUT, PlanError, PlanSession, check_timeout

#: ``on_planned(stack, plan)``
OnPlanned = Callable[[str, dict[str, Any]], None]


def check_stacks(stacks: Iterable[str], program: Path | None = None) -> list[str]:
    """The stack names, checked (valid names, a stack file each), duplicates dropped, order kept."""
    root = (program or DEFAULT_PROGRAM).resolve()
    names: list[str] = []
    for stack in stacks:
        try:
            check_stack_name(stack)
        except StackNameError as err:
            raise PlanError(str(err)) from None
        if stack not in names:
            names.append(stack)
    if not names:
        raise PlanError("no stack to plan")
    if root.is_dir():
        missing = [s for s in names if not (root / f"Pulumi.{s}.yaml").is_file()]
        if missing:
            raise PlanError(f"no stack file {', '.join(f'Pulumi.{s}.yaml' for s in missing)} in {root}")
    return names


def plan_stacks(stacks: Iterable[str], program: Path | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                debug: bool = False, on_planned: OnPlanned | None = None) -> dict[str, dict[str, Any]]:
    """The plans of `stacks` (in the order given), made in one session within `timeout` seconds in
    all. Raises `PlanError` (one line, naming the stack when there are several) on the first failure;
    every planner is gone and the session directory removed when this returns or raises."""
    check_timeout(timeout)
    names = check_stacks(stacks, program)
    plans: dict[str, dict[str, Any]] = {}
    with PlanSession.open(program or DEFAULT_PROGRAM, timeout=timeout, debug=debug) as session:
        deadline = children.deadline_after(timeout)
        session.fork_planners(names, deadline=deadline)  # one set of SDK imports for all (Linux)
        pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="azora-plan")
        try:
            pending: dict[Future[dict[str, Any]], str] = {
                pool.submit(session.plan, stack, deadline=deadline): stack for stack in names}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: names.index(pending[f])):
                    stack = pending.pop(future)
                    try:
                        plan = future.result()
                    except PlanError as err:
                        raise PlanError(f"stack {stack}: {err}" if len(names) > 1 else str(err)) from None
                    plans[stack] = plan
                    if on_planned is not None:
                        on_planned(stack, plan)
        finally:
            session.close()  # stops the planners still running, so their threads end now
            pool.shutdown(wait=True, cancel_futures=True)
    return {stack: plans[stack] for stack in names}


__all__ = ["OnPlanned", "check_stacks", "plan_stacks"]
