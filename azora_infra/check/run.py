"""A policy check run, as the Pulumi engine drives an analyzer during ``pulumi preview``:

Handshake (UNIMPLEMENTED accepted) → ConfigureStack (UNIMPLEMENTED accepted) → GetAnalyzerInfo →
Configure (an explicit level for every policy) → per resource in registration order: Remediate
(only when some policy is at ``remediate``; returned properties replace the inputs) then Analyze →
AnalyzeStack once with every resource.

Diagnostics from Analyze belong to the analyzed resource; AnalyzeStack ones to the URN they name
when it is in the plan, else to the root stack. ``remediate`` counts as mandatory. Advisories that
say "can't run policy … during preview" (the policy read an unknown value) are kept and flagged
(`Violation.cant_run`). A diagnostic of the pseudo-policy ``policy-exemptions`` whose message is
JSON ``{"policy", "urn", "reason"}`` is an exemption, not a violation (docs/policy-check.md).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2

from .config import (
    LEVEL_FROM_PROTO,
    LEVEL_TO_PROTO,
    LEVELS,
    NEVER_SILENCED_TAG,
    PolicyConfig,
    PolicyInfo,
    parse_policy_config,
    reconcile,
)
from .engine import STACK_TYPE, EngineView
from .pack import ENGINE_ADDRESS, PackError, PolicyPackProcess, Timeouts, Unimplemented

#: the pseudo-policy whose diagnostics are exemptions (contract with the pack; docs/policy-check.md)
EXEMPTIONS_POLICY = "policy-exemptions"
MANDATORY_LEVELS = frozenset({"mandatory", "remediate"})
_POLICY_TYPES = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource", analyzer_pb2.POLICY_TYPE_STACK: "stack"}
_SEVERITIES = {analyzer_pb2.POLICY_SEVERITY_LOW: "low", analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
               analyzer_pb2.POLICY_SEVERITY_HIGH: "high", analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical"}
#: Analyze calls in flight at once by default (the engine sends one at a time; results are the same)
DEFAULT_CONCURRENCY = 8
#: ``progress(done, total)``: resources analyzed so far
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Violation:
    """One policy diagnostic on one resource. `message` is what the pack reported (the Python SDK
    sends the policy description, a newline, then the violation message)."""

    policy: str
    enforcement_level: str
    urn: str
    resource_type: str
    message: str
    #: "can't run policy … during preview": the policy read a value unknown until apply
    cant_run: bool = False
    #: analyze | analyzeStack | remediate
    stage: str = "analyze"

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level in MANDATORY_LEVELS

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "policy": self.policy,
            "enforcementLevel": self.enforcement_level,
            "urn": self.urn,
            "resourceType": self.resource_type,
            "message": self.message,
        }
        if self.cant_run:
            doc["cantRun"] = True
        return doc


@dataclass(frozen=True)
class Exemption:
    """A policy deliberately not applied to a resource, with the reason (reported by the pack)."""

    policy: str
    urn: str
    resource_type: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"policy": self.policy, "urn": self.urn, "resourceType": self.resource_type, "reason": self.reason}


@dataclass(frozen=True)
class Remediation:
    """What a ``remediate`` policy changed (new inputs) or could not do (diagnostic)."""

    policy: str
    urn: str
    properties: dict[str, Any] | None
    diagnostic: str


@dataclass
class CheckResult:
    """The outcome of one check; `to_json()` is the documented JSON format."""

    stack: str
    pack_name: str
    pack_version: str
    resources_checked: int
    policies: list[tuple[str, str]]
    violations: list[Violation] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)
    #: policy name -> config entries the policy-config file set for names the pack does not have
    unknown_config: list[str] = field(default_factory=list)
    #: seconds: analyze (Remediate + Analyze for all resources), analyzeStack, total
    timings: dict[str, float] = field(default_factory=dict)
    #: every policy of the pack as GetAnalyzerInfo describes it (description, fix, severity: SARIF)
    policy_info: dict[str, PolicyInfo] = field(default_factory=dict)

    @property
    def mandatory_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]

    @property
    def advisory_violations(self) -> list[Violation]:
        return [v for v in self.violations if not v.mandatory]

    @property
    def cant_run(self) -> list[Violation]:
        return [v for v in self.violations if v.cant_run]

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory_violations else 0

    @property
    def levels(self) -> dict[str, str]:
        return dict(self.policies)

    def of_policy(self, name: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == name]

    def on(self, urn_or_name: str) -> list[Violation]:
        """Violations on a resource, by URN or by logical name (the URN's last part)."""
        return [v for v in self.violations if v.urn == urn_or_name or v.urn.rsplit("::", 1)[-1] == urn_or_name]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "policyPack": {"name": self.pack_name, "version": self.pack_version},
            "resourcesChecked": self.resources_checked,
            "policies": [{"name": n, "enforcementLevel": lvl} for n, lvl in self.policies],
            "violations": [v.to_json() for v in self.violations],
            "exemptions": [e.to_json() for e in self.exemptions],
        }


def _is_cant_run(diag: Any) -> bool:
    return diag.message.startswith("can't run policy '") and " during preview" in diag.message


def _strip_description(diag: Any) -> str:
    msg: str = diag.message
    if diag.description and msg.startswith(diag.description + "\n"):
        return msg[len(diag.description) + 1 :]
    return msg


class CheckSession:
    """Checks plans against one running pack. Each `check()` sends its own ConfigureStack,
    Configure, Analyze and AnalyzeStack; Handshake and GetAnalyzerInfo happen once per process.
    All plans must be for the stack identity the process was started with (its ``PULUMI_*`` env)."""

    def __init__(self, process: PolicyPackProcess) -> None:
        self.process = process
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._policies: list[PolicyInfo] = []
        self._initial: dict[str, PolicyConfig] = {}
        self._lock = threading.Lock()

    # -- one-time protocol steps -----------------------------------------------------------------

    def _ensure_info(self) -> None:
        if self._info is not None:
            return
        proc = self.process
        with contextlib.suppress(Unimplemented):
            proc.call(
                "Handshake",
                analyzer_pb2.AnalyzerHandshakeRequest(
                    engine_address=ENGINE_ADDRESS,
                    root_directory=str(proc.pack_dir),
                    program_directory=str(proc.pack_dir),
                ),
            )
        info = proc.call("GetAnalyzerInfo", empty_pb2.Empty())
        policies = []
        for p in info.policies:
            schema = None
            if p.HasField("configSchema"):
                schema = json_format.MessageToDict(p.configSchema.properties)
            policies.append(
                PolicyInfo(
                    name=p.name,
                    enforcement_level=LEVEL_FROM_PROTO.get(p.enforcementLevel, "advisory"),
                    description=p.description,
                    policy_type=_POLICY_TYPES.get(p.policy_type, "unknown"),
                    schema_properties=schema or None,
                    schema_required=tuple(p.configSchema.required),
                    locked=NEVER_SILENCED_TAG in p.tags,
                    remediation=p.remediation_steps,
                    severity=_SEVERITIES.get(p.severity, ""),
                    tags=tuple(p.tags),
                )
            )
        self._policies = sorted(policies, key=lambda p: p.name)  # the CLI sorts by name
        # the CLI reads initialConfig levels from the proto: an entry without one means advisory
        self._initial = {
            k: PolicyConfig(
                LEVEL_FROM_PROTO.get(v.enforcementLevel, "advisory"), json_format.MessageToDict(v.properties)
            )
            for k, v in info.initialConfig.items()
        }
        self._info = info

    @property
    def pack_name(self) -> str:
        self._ensure_info()
        assert self._info is not None
        return self._info.name or self.process.manifest.name or self.process.pack_dir.name

    @property
    def pack_version(self) -> str:
        """``PulumiPolicy.yaml`` `version` wins over the pack's answer (Python packs say 0.0.1)."""
        self._ensure_info()
        assert self._info is not None
        return self.process.manifest.version or self._info.version or "0.0.0"

    @property
    def policies(self) -> list[PolicyInfo]:
        self._ensure_info()
        return list(self._policies)

    # -- a check ---------------------------------------------------------------------------------

    def check(
        self,
        plan: Mapping[str, Any],
        policy_config: Mapping[str, Any] | None = None,
        *,
        workers: int = 1,
        progress: Progress | None = None,
    ) -> CheckResult:
        """Check one plan. `policy_config` is a ``--policy-config`` document (dict). `workers` > 1
        keeps that many Analyze calls in flight (the engine sends them one at a time; results are
        reported in plan order either way). `progress(done, total)` is called as resources are
        analyzed."""
        with self._lock:
            return self._check(plan, policy_config, workers, progress)

    def _check(self, plan: Mapping[str, Any], policy_config: Mapping[str, Any] | None, workers: int,
               progress: Progress | None = None) -> CheckResult:
        proc = self.process
        identity = (
            str(plan.get("stack") or ""),
            str(plan.get("project") or ""),
            str(plan.get("organization") or "organization"),
        )
        if identity != (proc.stack, proc.project, proc.organization):
            raise ValueError(
                f"plan is for {identity[2]}/{identity[1]}/{identity[0]} but the policy pack runs as "
                f"{proc.organization}/{proc.project}/{proc.stack}; use another session"
            )
        started = time.perf_counter()
        self._ensure_info()
        with contextlib.suppress(Unimplemented):
            proc.call(
                "ConfigureStack",
                analyzer_pb2.AnalyzerStackConfigureRequest(
                    stack=proc.stack,
                    project=proc.project,
                    organization=proc.organization,
                    dry_run=proc.dry_run,
                    config=proc.config,
                    config_secret_keys=list(plan.get("secretConfigKeys") or []),
                    tags=dict(plan.get("stackTags") or {}),
                ),
            )
        given = parse_policy_config(dict(policy_config) if policy_config else None)
        final = reconcile(self._policies, self._initial, given)
        names = {p.name for p in self._policies}
        configure = analyzer_pb2.ConfigureAnalyzerRequest()
        for name in sorted(names):
            cfg = final[name]
            assert cfg.enforcement_level is not None
            entry = configure.policyConfig[name]
            entry.enforcementLevel = LEVEL_TO_PROTO[cfg.enforcement_level]
            if cfg.properties:
                entry.properties.update(cfg.properties)
        every = given.get("all")
        if every is not None and every.enforcement_level in LEVELS and "all" not in names:
            # as the CLI: the "all" pseudo-entry goes along (the pack can tell `all` from a per-policy level)
            configure.policyConfig["all"].enforcementLevel = LEVEL_TO_PROTO[every.enforcement_level]
        proc.call("Configure", configure)
        levels = [(p.name, str(final[p.name].enforcement_level)) for p in self._policies]
        remediating = any(level == "remediate" for _, level in levels)

        view = EngineView(plan)
        result = CheckResult(
            stack=view.stack,
            pack_name=self.pack_name,
            pack_version=self.pack_version,
            resources_checked=len(view),
            policies=levels,
            unknown_config=sorted(n for n in given if n not in names and n != "all"),
            policy_info={p.name: p for p in self._policies},
        )
        t0 = time.perf_counter()
        stack_request: list[Any] = []
        builder = None
        if workers > 1:  # the pack is busy with Analyze meanwhile: build the AnalyzeStack request now
            builder = threading.Thread(target=lambda: stack_request.append(view.analyze_stack_request()),
                                       name="analyze-stack-request", daemon=True)
            builder.start()
        try:
            outcomes = self._analyze_all(view, remediating, workers, progress)
        finally:
            if builder is not None:
                builder.join()
        for resource, (remediations, response) in zip(view.resources, outcomes, strict=True):
            result.remediations.extend(remediations)
            for diag in response.diagnostics:
                self._collect(result, view, diag, resource, "analyze")
            for rem in remediations:
                if rem.diagnostic:
                    result.violations.append(
                        Violation(
                            rem.policy,
                            "advisory",
                            rem.urn,
                            resource["type"],
                            rem.diagnostic,
                            cant_run="can't run" in rem.diagnostic,
                            stage="remediate",
                        )
                    )
        t1 = time.perf_counter()
        request = stack_request[0] if stack_request else view.analyze_stack_request()
        stack_response = proc.call("AnalyzeStack", request, timeout=proc.timeouts.analyze_stack)
        for diag in stack_response.diagnostics:
            target = view.by_urn.get(diag.urn) or view.by_urn.get(view.root_urn) or {"urn": "", "type": STACK_TYPE}
            self._collect(result, view, diag, target, "analyzeStack")
        t2 = time.perf_counter()
        order = {r["urn"]: i for i, r in enumerate(view.resources)}
        result.violations.sort(key=lambda v: order.get(v.urn, len(order)))  # stable: by resource, then stage
        result.timings = {"analyze": t1 - t0, "analyzeStack": t2 - t1, "total": t2 - started}
        return result

    def _analyze_all(self, view: EngineView, remediating: bool, workers: int,
                     progress: Progress | None) -> list[tuple[list[Remediation], Any]]:
        total = len(view.resources)
        step = max(1, total // 100)
        outcomes: list[tuple[list[Remediation], Any]] = []

        def tick() -> None:
            if progress is not None and (len(outcomes) % step == 0 or len(outcomes) == total):
                progress(len(outcomes), total)

        if remediating and workers > 1:  # Remediate then Analyze with its result: one resource per worker
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="analyze") as pool:
                for outcome in pool.map(lambda r: self._analyze_one(view, r, remediating), view.resources):
                    outcomes.append(outcome)
                    tick()
        elif remediating or workers <= 1:
            for resource in view.resources:
                outcomes.append(self._analyze_one(view, resource, remediating))
                tick()
        else:  # no Remediate: pipeline the Analyze calls, `workers` in flight
            requests = (view.analyze_request(r) for r in view.resources)
            for response in self.process.call_many("Analyze", requests, window=workers):
                outcomes.append(([], response))
                tick()
        return outcomes

    def _analyze_one(
        self, view: EngineView, resource: Mapping[str, Any], remediating: bool
    ) -> tuple[list[Remediation], Any]:
        remediations: list[Remediation] = []
        props: dict[str, Any] | None = None
        if remediating:
            response = self.process.call("Remediate", view.analyze_request(resource))
            for rem in response.remediations:
                new = json_format.MessageToDict(rem.properties) if rem.HasField("properties") else None
                if new:
                    props = new
                remediations.append(Remediation(rem.policyName, resource["urn"], new or None, rem.diagnostic))
        return remediations, self.process.call("Analyze", view.analyze_request(resource, props))

    @staticmethod
    def _collect(result: CheckResult, view: EngineView, diag: Any, resource: Mapping[str, Any], stage: str) -> None:
        if diag.policyName == EXEMPTIONS_POLICY:
            exemption = _exemption(view, diag, resource)
            if exemption is not None:
                result.exemptions.append(exemption)
                return
        level = LEVEL_FROM_PROTO.get(diag.enforcementLevel, "advisory")
        result.violations.append(
            Violation(
                diag.policyName,
                level,
                resource["urn"],
                resource["type"],
                diag.message,
                cant_run=_is_cant_run(diag),
                stage=stage,
            )
        )


def _exemption(view: EngineView, diag: Any, resource: Mapping[str, Any]) -> Exemption | None:
    """``{"policy": ..., "urn": ..., "reason": ...}`` in the message (after the description the
    Python SDK prepends). Malformed ones stay violations, so a broken exemption is visible."""
    try:
        doc = json.loads(_strip_description(diag))
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("policy"), str) or not isinstance(doc.get("reason"), str):
        return None
    urn = str(doc.get("urn") or resource["urn"])
    target = view.by_urn.get(urn)
    return Exemption(doc["policy"], urn, target["type"] if target else str(resource["type"]), doc["reason"])


# -- the public API ------------------------------------------------------------------------------


def _identity(plan: Mapping[str, Any]) -> tuple[str, str, str]:
    return (
        str(plan.get("stack") or ""),
        str(plan.get("project") or ""),
        str(plan.get("organization") or "organization"),
    )


@contextlib.contextmanager
def attach(process: PolicyPackProcess) -> Iterator[CheckSession]:
    """A `CheckSession` on this process, which can check several plans of its stack. Starts the
    process if needed and, in that case, stops it at the end."""
    owned = process.proc is None
    if owned:
        process.start()
    try:
        yield CheckSession(process)
    finally:
        if owned:
            process.stop()


@contextlib.contextmanager
def session(
    pack_dir: Path,
    *,
    stack: str,
    project: str,
    organization: str = "organization",
    stack_config: Mapping[str, str] | None = None,
    timeouts: Timeouts | None = None,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[CheckSession]:
    """Start the pack once and check several plans of that stack with it::

    with session(Path("policies"), stack="africa", project="azora-platform") as s:
        first, second = s.check(plan_a), s.check(plan_b, {"all": "advisory"})
    """
    with PolicyPackProcess(
        pack_dir,
        stack=stack,
        project=project,
        organization=organization,
        config=stack_config,
        timeouts=timeouts,
        python=python,
        env=env,
    ) as proc:
        yield CheckSession(proc)


_POOL: dict[tuple[Any, ...], CheckSession] = {}
_POOL_LOCK = threading.Lock()


def run_check(
    plan: Mapping[str, Any],
    pack_dir: Path,
    policy_config: Mapping[str, Any] | None = None,
    *,
    stack_config: Mapping[str, str] | None = None,
    timeouts: Timeouts | None = None,
    reuse: bool = True,
    workers: int = 1,
    progress: Progress | None = None,
    pack_env: Mapping[str, str] | None = None,
) -> CheckResult:
    """Check a plan (the dict `azora_infra.plan.run_plan` returns) against the pack in `pack_dir`.

    `policy_config`: a ``--policy-config`` document. `stack_config`: the ``{"ns:key": "string"}``
    config handed to the pack as ``PULUMI_CONFIG`` (default: the plan's ``config``).
    With `reuse` (the default) the pack process is kept for later calls with the same pack, stack
    identity, config and timeouts — cheap to call many times in a test session; processes end at
    interpreter exit (or `shutdown()`). `workers`, `progress`: see `CheckSession.check`. `pack_env`:
    extra environment for the pack process. Raises `PackError` / `PolicyConfigError` (exit 2 cases).
    """
    stack, project, organization = _identity(plan)
    config = {
        str(k): str(v) for k, v in (stack_config if stack_config is not None else plan.get("config") or {}).items()
    }
    if not reuse:
        with session(
            pack_dir, stack=stack, project=project, organization=organization, stack_config=config, timeouts=timeouts,
            env=pack_env,
        ) as s:
            return s.check(plan, policy_config, workers=workers, progress=progress)
    env = dict(pack_env or {})
    key = (str(Path(pack_dir).resolve()), stack, project, organization, json.dumps(config, sort_keys=True), timeouts,
           json.dumps(env, sort_keys=True))
    with _POOL_LOCK:
        sess = _POOL.get(key)
        if sess is not None and not sess.process.alive():
            sess.process.stop()
            sess = None
        if sess is None:
            proc = PolicyPackProcess(
                pack_dir, stack=stack, project=project, organization=organization, config=config, timeouts=timeouts,
                env=env,
            )
            proc.start()
            sess = _POOL[key] = CheckSession(proc)
    try:
        return sess.check(plan, policy_config, workers=workers, progress=progress)
    except PackError:
        with _POOL_LOCK:
            _POOL.pop(key, None)
        sess.process.stop()
        raise


def shutdown() -> None:
    """Stop every pack process `run_check` keeps for reuse."""
    with _POOL_LOCK:
        sessions = list(_POOL.values())
        _POOL.clear()
    for sess in sessions:
        sess.process.stop()


# -- text output ---------------------------------------------------------------------------------


def render_text(result: CheckResult) -> str:
    """Violations grouped by resource (plan order), each with policy, level and message; then
    exemptions and a summary line."""
    lines = [
        f"Policy pack {result.pack_name}@{result.pack_version} on stack {result.stack}: "
        f"{len(result.policies)} policies, {result.resources_checked} resources checked",
        "",
    ]
    groups: dict[tuple[str, str], list[Violation]] = {}
    for v in result.violations:
        groups.setdefault((v.urn, v.resource_type), []).append(v)
    for (urn, rtype), items in groups.items():
        lines.append(f"{urn}  ({rtype})")
        for v in items:
            flag = "  [could not run: value unknown in preview]" if v.cant_run else ""
            lines.append(f"  {v.enforcement_level.upper():<9} {v.policy}{flag}")
            for text in v.message.splitlines() or [""]:
                lines.append(f"      {text}")
        lines.append("")
    if result.exemptions:
        lines.append("Exemptions:")
        for e in result.exemptions:
            lines.append(f"  {e.policy} on {e.urn} ({e.resource_type}): {e.reason}")
        lines.append("")
    mandatory, advisory = len(result.mandatory_violations), len(result.advisory_violations)
    extra = f", {len(result.cant_run)} could not run in preview" if result.cant_run else ""
    verdict = "FAILED" if mandatory else "passed"
    lines.append(
        f"{verdict}: {mandatory} mandatory, {advisory} advisory violation(s){extra}, "
        f"{len(result.exemptions)} exemption(s)"
    )
    return "\n".join(lines) + "\n"


__all__ = [
    "EXEMPTIONS_POLICY",
    "CheckResult",
    "CheckSession",
    "Exemption",
    "Remediation",
    "Violation",
    "attach",
    "render_text",
    "run_check",
    "session",
    "shutdown",
]
