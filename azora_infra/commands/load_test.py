"""`azora-infra load-test`: run the stack's k6 load test through the Kubernetes API and report the
thresholds (p95 < 200 ms, error rate < 1 %). The gate before each prod deploy (docs/load-test.md).

Exit 0: every threshold held; 1: a threshold failed or the run errored; 2: usage, outputs or API error."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..ops import loadtest
from ..ops.k8s import Kube, KubeError
from ..ops.waits import Clock, RealClock, Waiter, WaitTimeout
from .common import EXIT_FAILED, EXIT_OK, CommandError, emit, stack_outputs, to_json


def build_clock(args: argparse.Namespace) -> Clock:
    return RealClock()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("load-test", help="run the stack's k6 load test and check its thresholds",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack", required=True)
    p.add_argument("--outputs", action="append", required=True, metavar="STACK=FILE|DIR")
    p.add_argument("--kubeconfig", type=Path, default=None, help="default: $KUBECONFIG or ~/.kube/config")
    p.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")
    p.add_argument("--name", default=None, help="TestRun name (default: azora-load-<UTC time>)")
    p.add_argument("--timeout", type=float, default=3600, metavar="SECONDS", help="bound of the wait (default 3600)")
    p.add_argument("--poll", type=float, default=30, metavar="SECONDS", help="status poll interval (default 30)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", type=Path, default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stack = stack_outputs(args)
    spec = stack.get("loadTest")
    if not isinstance(spec, dict):
        raise CommandError(f"{stack.source}: no `loadTest` export: enable azora:loadTest in the stack (staging only)")
    path = args.kubeconfig or Path(os.environ.get("KUBECONFIG", "~/.kube/config").split(os.pathsep)[0]).expanduser()
    clock = build_clock(args)
    name = args.name or "azora-load-" + clock.now().strftime("%Y%m%d-%H%M%S")
    thresholds = spec.get("thresholds") or {}
    p95 = int(str((thresholds.get("http_req_duration") or ["p(95)<200"])[0]).split("<")[1])
    rate = float(str((thresholds.get("http_req_failed") or ["rate<0.01"])[0]).split("<")[1])
    try:
        kube = Kube.from_kubeconfig(path, args.context)
        loadtest.start(kube, spec["namespace"], name, int(spec["parallelism"]))
        print(f"started TestRun {spec['namespace']}/{name} ({spec['parallelism']} runners)", flush=True)
        stage = loadtest.wait(kube, Waiter(clock=clock, interval_seconds=args.poll), spec["namespace"], name,
                              args.timeout)
        result = loadtest.results(kube, spec["namespace"], name, stage, p95, rate)
    except KubeError as err:
        raise CommandError(str(err)) from None
    except WaitTimeout as err:
        print(f"azora-infra load-test: {err}; the TestRun keeps running: `kubectl -n {spec['namespace']} "
              f"delete testrun {name}` to stop it")
        return EXIT_FAILED
    emit(to_json(result.to_dict()) if args.format == "json" else loadtest.render_text(result), args.output)
    return EXIT_OK if result.ok else EXIT_FAILED
