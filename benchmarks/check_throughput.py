"""Throughput of `azora-infra check` through the real Analyzer protocol (not a timed test).

Synthetic plans (`azora_infra.check.synthetic`: components x {KMS key, bucket, SSE config, Aurora
cluster} + stack + explicit provider) are checked against a test pack and, when ``policies/``
exists and loads, against the real pack. Prints, per plan size: pack start, the Analyze phase
(sequential, as the engine does, and with 4 client threads), AnalyzeStack, total, and resources/s.

    /work/venv/bin/python benchmarks/check_throughput.py                 # ~1,000 and ~10,000 resources
    /work/venv/bin/python benchmarks/check_throughput.py --components 40 --skip-real-pack
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from azora_infra.check import CheckError, PolicyPackProcess, Timeouts, attach  # noqa: E402
from azora_infra.check.synthetic import synthetic_plan  # noqa: E402


def bench(pack_dir: Path, components: int, label: str) -> None:
    plan = synthetic_plan(components)
    n = len(plan["resources"])
    t0 = time.perf_counter()
    proc = PolicyPackProcess(pack_dir, stack=plan["stack"], project=plan["project"], config=plan["config"],
                             timeouts=Timeouts(rpc=120, analyze_stack=600))
    with attach(proc) as sess:
        started = time.perf_counter() - t0
        seq = sess.check(plan)
        par = sess.check(plan, workers=4)
    print(f"{label}: {n} resources, {len(seq.policies)} policies, {len(seq.violations)} violations")
    print(f"  pack start           {started:7.2f} s")
    print(f"  Analyze (sequential) {seq.timings['analyze']:7.2f} s  {n / seq.timings['analyze']:8.0f} resources/s")
    print(f"  Analyze (4 threads)  {par.timings['analyze']:7.2f} s  {n / par.timings['analyze']:8.0f} resources/s")
    print(f"  AnalyzeStack         {seq.timings['analyzeStack']:7.2f} s")
    total = started + seq.timings["total"]
    print(f"  total (sequential)   {total:7.2f} s  {n / total:8.0f} resources/s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--components", type=int, nargs="+", default=[200, 2000],
                        help="components per plan (5 resources each, +2); default 200 2000")
    parser.add_argument("--pack", type=Path, default=ROOT / "tests" / "packs" / "basic", help="test pack")
    parser.add_argument("--real-pack", type=Path, default=ROOT / "policies", help="the project's pack")
    parser.add_argument("--skip-real-pack", action="store_true")
    args = parser.parse_args(argv)
    for components in args.components:
        bench(args.pack, components, f"test pack {args.pack.name}")
        if not args.skip_real_pack and (args.real_pack / "PulumiPolicy.yaml").is_file():
            try:
                bench(args.real_pack, components, "real pack policies/")
            except CheckError as err:
                print(f"real pack policies/: could not run: {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
