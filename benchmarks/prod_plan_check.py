"""Benchmark: the prod stacks planned AND policy-checked in one process, as
`azora-infra check --env prod` does (prints figures; not a test).

    python benchmarks/prod_plan_check.py [--env prod] [--repeat 1] [--no-fork]

Prints, per run: the wall time; when each stack's plan was ready and its check done (seconds from
the start); the CPU time of this process and of its children (planners, zygote, policy packs); the
load average, since other work on the machine stretches the wall time. Target (issue 14): the three
prod stacks planned and checked in <= 20 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from azora_infra.check import run_check
from azora_infra.check.run import DEFAULT_CONCURRENCY, CheckResult
from azora_infra.config.project import environment_stacks
from azora_infra.plan import DEFAULT_PROGRAM, plan_stacks


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def run_once(env: str) -> None:
    stacks = environment_stacks(DEFAULT_PROGRAM, env)
    pack = DEFAULT_PROGRAM / "policies"
    cpu0 = _cpu()
    start = time.perf_counter()
    marks: dict[str, dict[str, float]] = {s: {} for s in stacks}
    futures: dict[str, Future[CheckResult]] = {}

    with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        def check(stack: str, plan: dict[str, Any]) -> CheckResult:
            result = run_check(plan, pack, reuse=False, workers=DEFAULT_CONCURRENCY)
            marks[stack]["checked"] = time.perf_counter() - start
            return result

        def planned(stack: str, plan: dict[str, Any]) -> None:
            marks[stack]["planned"] = time.perf_counter() - start
            marks[stack]["resources"] = len(plan["resources"])
            futures[stack] = pool.submit(check, stack, plan)

        plans = plan_stacks(stacks, on_planned=planned)
        results = {s: futures[s].result() for s in plans}
    wall = time.perf_counter() - start
    cpu1 = _cpu()
    print(f"{env}: {len(stacks)} stacks planned and checked in {wall:.1f} s wall "
          f"(target <= 20 s on 2 cores); 1-min load average {os.getloadavg()[0]:.1f}")
    print(f"  CPU: this process {cpu1[0] - cpu0[0]:.1f} s, children (zygote, planners, packs) "
          f"{cpu1[1] - cpu0[1]:.1f} s; on 2 idle cores at best {(sum(cpu1) - sum(cpu0)) / 2:.1f} s")
    print(f"  {'stack':<10} {'resources':>9} {'plan ready s':>12} {'checked s':>10} {'violations':>10}")
    for stack in stacks:
        m = marks[stack]
        print(f"  {stack:<10} {int(m['resources']):>9} {m['planned']:>12.1f} {m['checked']:>10.1f} "
              f"{len(results[stack].violations):>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-fork", action="store_true", help="plan each stack in a fresh interpreter")
    args = parser.parse_args()
    if args.no_fork:
        os.environ["AZORA_PLAN_FORK"] = "0"
    for _ in range(max(1, args.repeat)):
        run_once(args.env)


if __name__ == "__main__":
    main()
