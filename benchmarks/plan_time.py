"""Benchmark: offline plan time per stack and per resource (prints figures; not a test).

    python benchmarks/plan_time.py [--stacks africa europe asia] [--repeat 3] [--program DIR]

Each plan runs the program in a fresh interpreter, as `azora-infra plan` does; a secondary stack's
time includes planning the primary it references.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from azora_infra.plan import run_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", nargs="+", default=["africa", "europe", "asia"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--program", type=Path, default=None)
    args = parser.parse_args()
    print(f"{'stack':<10} {'resources':>9} {'median s':>9} {'min s':>7} {'ms/resource':>12}")
    for stack in args.stacks:
        times = []
        count = 0
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            plan = run_plan(stack, args.program)
            times.append(time.perf_counter() - start)
            count = len(plan["resources"])
        med = statistics.median(times)
        print(f"{stack:<10} {count:>9} {med:>9.2f} {min(times):>7.2f} {1000 * med / max(count, 1):>12.1f}")


if __name__ == "__main__":
    main()
