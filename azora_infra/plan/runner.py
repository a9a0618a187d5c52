"""Runs one Pulumi Python program under mocks and writes its plan (docs/plan-format.md).

Started in a fresh interpreter per stack by `azora_infra.plan.session.PlanSession` (the mock runtime
and config are process-global), through the launcher of `azora_infra.children`:
``python -m azora_infra.plan.runner --program DIR --stack S --output F [--workdir SESSION]``.
It is a child subreaper: before it exits (normally or on SIGTERM, SIGINT, SIGHUP or its parent's
death) it kills every process the program left behind, detached ones included.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import logging
import os
import runpy
import select
import shutil
import signal
import sys
import traceback
import uuid
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .. import __version__, children
from .mocks import AzoraMocks
from .model import FORMAT_VERSION
from .project import ProgramError, PulumiProject
from .recorder import RecordingMonitor, engine_urn
from .session import DEFAULT_TIMEOUT, PlanSession, referenced_outputs
from .values import secret

ORGANIZATION = "organization"
#: attempts to remove an orphaned session directory (`_remove_tree`)
_REMOVE_ROUNDS = 20
#: a planner's garbage-collector thresholds: what a program allocates (SDK modules, resources,
#: outputs) lives until the planner exits, so full collections, which walk all of it, are rare (the
#: default, 10, cost a prod stack's planner 2 s of its 6 s in ten full collections; same peak memory)
GC_THRESHOLDS = (700, 10, 1000)
#: seconds a stopped planner waits to learn whether its parent is going (`_orphaned`)
_ORPHAN_WAIT = 0.5


class _ErrorLog(logging.Handler):
    """Collects what the program logs at error level (pulumi.log.error, failed applies)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, pulumi.Resource):
        return getattr(value, "_name", str(value))
    return str(value)


def _package_version(pkg: str) -> str:
    for dist in (f"pulumi_{pkg}", f"pulumi-{pkg}"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "0.0.0"


def _decode_default_tags(inputs: dict[str, Any]) -> dict[str, str]:
    raw = inputs.get("defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    if isinstance(raw, dict):
        tags = raw.get("tags") or {}
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}
    return {}


def stable_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Registration order is decided by thread timing; make it reproducible without breaking
    causality: a topological order (parent and dependencies first), ties broken by URN."""
    import heapq

    by_urn = {r["urn"]: r for r in records}
    preds: dict[str, set[str]] = {u: set() for u in by_urn}
    succs: dict[str, set[str]] = {u: set() for u in by_urn}
    for r in records:
        before = {r.get("parent") or "", *r.get("dependencies", []),
                  (r.get("providerRef") or "").rsplit("::", 1)[0]}
        for b in before:
            if b in by_urn and b != r["urn"]:
                preds[r["urn"]].add(b)
                succs[b].add(r["urn"])
    ready = [u for u, p in preds.items() if not p]
    heapq.heapify(ready)
    ordered: list[dict[str, Any]] = []
    while ready:
        u = heapq.heappop(ready)
        ordered.append(by_urn[u])
        for v in succs[u]:
            preds[v].discard(u)
            if not preds[v]:
                heapq.heappush(ready, v)
    if len(ordered) != len(records):  # a cycle cannot happen in a real program; keep everything
        seen = {r["urn"] for r in ordered}
        ordered += [r for r in records if r["urn"] not in seen]
    return ordered


def build_plan(project: PulumiProject, stack: str, config: dict[str, str], secret_keys: list[str],
               records: list[dict[str, Any]], outputs: dict[str, Any]) -> dict[str, Any]:
    """Turn recorded registrations into the engine's view: root stack, default providers,
    provider summaries on every custom resource."""
    root_urn = engine_urn(stack, project.name, "", "pulumi:pulumi:Stack", f"{project.name}-{stack}")
    resources: list[dict[str, Any]] = [{
        "urn": root_urn, "type": "pulumi:pulumi:Stack", "name": f"{project.name}-{stack}",
        "custom": False, "id": None, "parent": None, "dependencies": [], "propertyDependencies": {},
        "providerRef": None, "provider": None, "version": None, "inputs": {}, "outputs": outputs,
        "default": False,
        "options": {"protect": False, "retainOnDelete": False, "ignoreChanges": [],
                    "deleteBeforeReplace": False, "additionalSecretOutputs": [], "customTimeouts": {},
                    "aliases": []},
    }]
    providers: dict[str, dict[str, Any]] = {}  # ref -> provider record
    records = stable_order(records)
    for rec in records:
        if rec["type"].startswith("pulumi:providers:"):
            if rec.get("version"):
                rec["inputs"] = {**rec["inputs"], "version": rec["version"]}
            providers[f"{rec['urn']}::{rec['id']}"] = rec
    for rec in records:
        if rec["parent"] is None:
            rec["parent"] = root_urn
        ref = rec.get("providerRef")
        pkg = rec["type"].split(":")[0]
        needs_provider = rec["custom"] and not rec["type"].startswith("pulumi:providers:") and pkg != "pulumi"
        if needs_provider and not ref:
            version = rec.get("version") or _package_version(pkg)
            name = "default_" + version.replace(".", "_").replace("-", "_")
            purn = engine_urn(stack, project.name, "", f"pulumi:providers:{pkg}", name)
            pid = str(uuid.uuid5(uuid.NAMESPACE_URL, purn))
            ref = f"{purn}::{pid}"
            if ref not in providers:
                inputs = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{pkg}:")}
                inputs["version"] = version
                default: dict[str, Any] = {
                    "urn": purn, "type": f"pulumi:providers:{pkg}", "name": name, "custom": True,
                    "id": pid, "parent": root_urn, "dependencies": [], "propertyDependencies": {},
                    "providerRef": None, "provider": None, "version": version, "inputs": inputs,
                    "outputs": inputs, "default": True,
                    "options": {"protect": False, "retainOnDelete": False, "ignoreChanges": [],
                                "deleteBeforeReplace": False, "additionalSecretOutputs": [],
                                "customTimeouts": {}, "aliases": []},
                }
                providers[ref] = default
                resources.append(default)
            rec["providerRef"] = ref
        if needs_provider:
            prov = providers.get(ref or "")
            pin = prov["inputs"] if prov else {}
            rec["provider"] = {
                "urn": prov["urn"] if prov else (ref or "").rsplit("::", 1)[0],
                "ref": ref,
                "type": prov["type"] if prov else None,
                "name": prov["name"] if prov else None,
                "default": bool(prov and prov.get("default")),
                "region": pin.get("region"),
                "defaultTags": _decode_default_tags(pin),
            }
        else:
            rec["provider"] = None
        rec.setdefault("default", False)
        resources.append(rec)
    by_type: dict[str, int] = {}
    for r in resources:
        by_type[r["type"]] = by_type.get(r["type"], 0) + 1
    shown_config = {k: ("[secret]" if k in secret_keys else v) for k, v in sorted(config.items())}
    return {
        "formatVersion": FORMAT_VERSION,
        "generator": f"azora-infra {__version__}",
        "project": project.name,
        "stack": stack,
        "organization": ORGANIZATION,
        "programDir": str(project.root),
        "config": shown_config,
        "secretConfigKeys": sorted(secret_keys),
        "resources": resources,
        "outputs": outputs,
        "summary": {
            "resources": len(resources),
            "custom": sum(1 for r in resources if r["custom"]),
            "components": sum(1 for r in resources if not r["custom"] and r["type"] != "pulumi:pulumi:Stack"),
            "byType": dict(sorted(by_type.items())),
        },
    }


def record_program(project: PulumiProject, stack: str, references: PlanSession) -> dict[str, Any]:
    """Run the program under mocks and build its plan. The config reaches the program through the
    runtime (never the process environment, which children would inherit); stack references are
    planned in `references`."""
    config, secret_keys = project.stack_config(stack)
    pulumi.runtime.set_all_config(config, secret_keys)
    mocks = AzoraMocks(default_region=config.get("aws:region", "us-east-1"),
                       stack_outputs=lambda ref: referenced_outputs(references, ref, project.name))
    monitor = RecordingMonitor(mocks)
    errors = _ErrorLog()
    logger = logging.getLogger("azora-infra.plan")
    logger.addHandler(errors)
    logger.propagate = False
    pulumi.runtime.set_mocks(mocks, project=project.name, stack=stack, preview=True, logger=logger,
                             monitor=monitor, organization=ORGANIZATION)
    sys.path.insert(0, str(project.main.parent))
    if str(project.root) not in sys.path:
        sys.path.insert(0, str(project.root))
    os.chdir(project.root)
    exports: dict[str, Any] = {}

    async def program() -> None:
        runpy.run_path(str(project.main), run_name="__main__")
        root = pulumi.runtime.get_root_resource()
        for key, value in dict(getattr(root, "outputs", {}) or {}).items():
            output = pulumi.Output.from_input(value)
            resolved = _json_safe(await output.future())
            exports[key] = secret(resolved) if await output.is_secret() else resolved

    _sync_await(run_pulumi_func(program))
    if errors.messages:
        raise ProgramError(errors.messages[0].strip().splitlines()[0])
    records = list(monitor.records.values())
    return build_plan(project, stack, config, secret_keys, records, exports)


def _orphaned(parent: int) -> bool:
    """Whether the process that started this planner is gone. A parent killed with SIGKILL sends the
    parent-death signal as its threads exit, and this process may still see it as its parent for a
    moment (it is re-parented once the last thread is gone): a parent that is a zombie is gone, one
    that sleeps (waiting for this planner it is stopping) is not; one still running is waited for,
    briefly, on a pidfd."""
    if os.getppid() != parent:
        return True
    fields = children.proc_stat(parent)
    if not fields:
        return True  # gone
    state = fields[0]
    if state in (b"Z", b"X"):
        return True  # exited (its other threads may still be going)
    if state in (b"S", b"T", b"t"):
        return False  # alive and waiting: it is stopping this planner and cleans up itself
    try:
        fd = os.pidfd_open(parent)
    except ProcessLookupError:
        return True
    except OSError:  # no pidfd (old kernel): only the re-parenting tells
        return False
    try:
        ready, _, _ = select.select([fd], [], [], _ORPHAN_WAIT)
        return bool(ready) or os.getppid() != parent
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    """Remove `path`, again if it is still there: while this (main) thread removes it, a thread of
    this process that was waiting for a planner the signal handler just killed wakes up and writes
    that stack's ``error.txt``, and a removal that met the new file leaves the directory (bounded)."""
    for _ in range(_REMOVE_ROUNDS):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return


def _on_signal(remove_if_orphaned: Path | None) -> None:
    """SIGTERM (also the parent-death signal), SIGINT, SIGHUP: kill everything the program left
    running (this process is their subreaper) and exit. When the parent itself is gone, nobody else
    will remove the session directory: do it here."""
    parent = os.getppid()

    def handler(signum: int, _frame: Any) -> None:
        children.reap_children()
        if remove_if_orphaned is not None and _orphaned(parent):
            _remove_tree(remove_if_orphaned)
        os._exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, handler)


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    if isinstance(err, pulumi.RunError | ProgramError):
        return text.splitlines()[0]
    return f"{type(err).__name__}: {text.splitlines()[0]}"


def tune_gc() -> None:
    """Set this process's collector thresholds for planning (`GC_THRESHOLDS`): the planner, and the
    zygote and server that fork planners."""
    gc.set_threshold(*GC_THRESHOLDS)


def main(argv: list[str] | None = None) -> int:
    tune_gc()
    parser = argparse.ArgumentParser(prog="azora_infra.plan.runner")
    parser.add_argument("--program", required=True, type=Path)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="the session directory to plan referenced stacks in (default: a new one)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds left for planning referenced stacks")
    parser.add_argument("--chain", default="", help="stacks being planned up the chain of references")
    parser.add_argument("--remove-if-orphaned", type=Path, default=None,
                        help="remove this directory if the parent dies while planning")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    _on_signal(args.remove_if_orphaned)
    try:
        return _plan_to(args)
    finally:
        children.reap_children()


def _plan_to(args: argparse.Namespace) -> int:
    output = args.output.resolve()
    chain = [*(s for s in args.chain.split(",") if s), args.stack]
    try:
        project = PulumiProject.load(args.program)
        with contextlib.ExitStack() as stack:
            if args.workdir is None:
                references = stack.enter_context(PlanSession.open(project.root, timeout=args.timeout))
                references.chain = tuple(chain)
            else:
                references = stack.enter_context(
                    PlanSession.attach(project.root, args.workdir, timeout=args.timeout, chain=chain))
            plan = record_program(project, args.stack, references)
    except SystemExit as err:  # a program that calls sys.exit
        if err.code in (0, None):
            print("program exited before registering its resources", file=sys.stderr)
        else:
            print(f"program exited with status {err.code}", file=sys.stderr)
        return 2
    except BaseException as err:
        from ..config.errors import ConfigError

        if args.debug:
            traceback.print_exc()
        msg = str(err) if isinstance(err, ConfigError) else _one_line(err)
        print(msg, file=sys.stderr)
        return 2
    partial = output.with_name(output.name + ".partial")
    partial.write_text(json.dumps(plan, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(partial, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
