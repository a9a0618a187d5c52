"""Throughput of `azora-infra check` through the real Analyzer protocol (prints figures; not a test).

Synthetic plans (`azora_infra.check.synthetic`: components x {KMS key, bucket, SSE config, Aurora
cluster} + stack + explicit provider) are checked by the project's pack, `policies/`, over gRPC, with
the optimised servicer and with pulumi-policy's stock servicer side by side (``AZORA_POLICY_FASTPATH=0``),
each sequentially (one Analyze at a time, as the engine does) and with `--concurrency` calls in
flight, and the results are compared byte for byte. With ``--pack DIR`` a test pack is measured the
same way (no stock/optimised split: only azora-guard has the optimised servicer).

    .venv/bin/python benchmarks/check_throughput.py                      # ~1,000 and ~10,000 resources
    .venv/bin/python benchmarks/check_throughput.py --components 200 --stock-max 0   # optimised only

Columns: resources/s of the Analyze phase; AnalyzeStack seconds; resources/s of the whole check
(Configure + Analyze + AnalyzeStack, pack start excluded; the start is printed per process); and,
since wall-clock figures depend on what else the machine runs, resources per CPU-second of the pack
process and of this (client) process for one whole check - the throughput each side would reach
with a core of its own.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from azora_infra.check import CheckError, PolicyPackProcess, Timeouts, attach  # noqa: E402
from azora_infra.check.run import DEFAULT_CONCURRENCY  # noqa: E402
from azora_infra.check.synthetic import synthetic_plan  # noqa: E402

MODES = {"optimised": {}, "stock": {"AZORA_POLICY_FASTPATH": "0"}}


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def measure(pack_dir: Path, plan: dict[str, Any], env: dict[str, str], concurrency: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    proc = PolicyPackProcess(pack_dir, stack=plan["stack"], project=plan["project"], config=plan["config"],
                             timeouts=Timeouts(rpc=600, analyze_stack=1800), env=env)
    with attach(proc) as sess:
        started = time.perf_counter() - t0
        cpu0, own0 = cpu_seconds(proc.pid), time.process_time()
        seq = sess.check(plan, workers=1)
        cpu1, own1 = cpu_seconds(proc.pid), time.process_time()
        conc = sess.check(plan, workers=concurrency)
        cpu2 = cpu_seconds(proc.pid)
    same = json.dumps(seq.to_json(), sort_keys=True) == json.dumps(conc.to_json(), sort_keys=True)
    return {"start": started, "seq": seq, "conc": conc, "json": json.dumps(seq.to_json(), sort_keys=True),
            "same": same, "pack_cpu": min(cpu1 - cpu0, cpu2 - cpu1), "client_cpu": own1 - own0}


def _row(label: str, n: int, m: dict[str, Any]) -> str:
    seq, conc = m["seq"].timings, m["conc"].timings
    pack_cpu = f"{n / m['pack_cpu']:>9.0f}" if m["pack_cpu"] > 0 else f"{'-':>9}"
    return (f"  {label:<10} {n / seq['analyze']:>9.0f} {n / conc['analyze']:>11.0f} {seq['analyzeStack']:>13.2f}"
            f" {n / seq['total']:>10.0f} {n / conc['total']:>10.0f} {pack_cpu} {n / m['client_cpu']:>10.0f}"
            f" {m['start']:>8.2f}")


def bench(pack_dir: Path, components: int, concurrency: int, stock: bool, label: str) -> bool:
    plan = synthetic_plan(components)
    gc.freeze()  # as `azora-infra check` does once the plan is loaded
    n = len(plan["resources"])
    modes = MODES if stock else {"optimised": {}}
    results = {mode: measure(pack_dir, plan, env, concurrency) for mode, env in modes.items()}
    first = next(iter(results.values()))
    print(f"{label}: {n} resources, {len(first['seq'].policies)} policies, {len(first['seq'].violations)} violations"
          f"  (resources/s; concurrency {concurrency})")
    print(f"  {'servicer':<10} {'analyze seq':>9} {'analyze conc':>11} {'AnalyzeStack s':>13} {'total seq':>10}"
          f" {'total conc':>10} {'pack CPU':>9} {'client CPU':>10} {'start s':>8}")
    for mode, m in results.items():
        print(_row(mode, n, m))
    identical = all(m["same"] for m in results.values()) and len({m["json"] for m in results.values()}) == 1
    print(f"  results identical (sequential, concurrent{', optimised, stock' if stock else ''}): "
          f"{'yes' if identical else 'NO'}", flush=True)
    return identical


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--components", type=int, nargs="+", default=[200, 2000],
                        help="components per plan (5 resources each, +2); default 200 2000")
    parser.add_argument("--pack", type=Path, default=ROOT / "policies", help="policy pack (default: policies/)")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--stock-max", type=int, default=10**9, metavar="COMPONENTS",
                        help="also run the stock servicer up to this many components (default: always)")
    args = parser.parse_args(argv)
    real = args.pack.resolve() == (ROOT / "policies").resolve()
    ok = True
    for components in args.components:
        try:
            ok = bench(args.pack, components, args.concurrency, real and components <= args.stock_max,
                       f"pack {args.pack.name}/") and ok
        except CheckError as err:
            print(f"pack {args.pack}: could not run: {err}")
            return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
