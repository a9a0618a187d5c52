"""The rule framework: theme modules register one check per rule; `build_policies` wraps each check
once (type filter, config defaults, exemptions) into a pulumi_policy policy.

A resource check is ``fn(r: Res, cfg) -> Iterable[str]`` (one message per finding: what to change);
a stack check is ``fn(stack: Stack, cfg) -> Iterable[tuple[Res, str]]``. Metadata (level, severity,
description, anchors, config schema) comes from `registry.RULES` by name.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from . import exemptions
from .fastpath import TypedResourceValidationPolicy
from .props import Res
from .registry import EXEMPTION_VALID_POLICY, EXEMPTIONS_POLICY, NEVER_SILENCED_TAG, RULES, RuleMeta

ResourceCheck = Callable[[Res, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[["Stack", Mapping[str, Any]], Iterable[tuple[Res, str]]]


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    types: tuple[str, ...]  # empty = every resource (stack rules: unused)
    fn: Callable[..., Iterable[Any]]


CHECKS: dict[str, Rule] = {}


def _register(name: str, types: tuple[str, ...], fn: Callable[..., Iterable[Any]], kind: str) -> None:
    meta = RULES.get(name)
    if meta is None:
        raise KeyError(f"rule {name!r} has no entry in registry.py")
    if meta.kind != kind:
        raise ValueError(f"rule {name!r} is a {meta.kind} rule in registry.py, registered as {kind}")
    if name in CHECKS:
        raise ValueError(f"rule {name!r} registered twice")
    CHECKS[name] = Rule(meta, types, fn)


def resource_rule(name: str, *types: str) -> Callable[[ResourceCheck], ResourceCheck]:
    def deco(fn: ResourceCheck) -> ResourceCheck:
        _register(name, types, fn, "resource")
        return fn
    return deco


def stack_rule(name: str) -> Callable[[StackCheck], StackCheck]:
    def deco(fn: StackCheck) -> StackCheck:
        _register(name, (), fn, "stack")
        return fn
    return deco


def prop_rule(name: str, types: tuple[str, ...], ok: Callable[[Res], bool],
              applies: Callable[[Res], bool] | None = None, message: str | None = None) -> None:
    """A simple property rule as data: a finding (the registry's `fix`, or ``message``) when
    ``applies(r)`` and not ``ok(r)``."""
    def check(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
        if (applies is None or applies(r)) and not ok(r):
            yield message or RULES[name].fix
    _register(name, types, check, "resource")


class Stack:
    """The stack's resources (planned state) for joins."""

    def __init__(self, resources: Iterable[Res]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._position = {r.urn: i for i, r in enumerate(self.resources)}
        self._by_type: dict[str, list[Res]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)
        #: (types, prop) -> referenced URN or value -> the resources of those types referring to it
        self._ref_index: dict[tuple[tuple[str, ...], str], dict[str, list[Res]]] = {}

    def of_type(self, *types: str) -> list[Res]:
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        found = [r for t in dict.fromkeys(types) for r in self._by_type.get(t, ())]
        return sorted(found, key=lambda r: self._position[r.urn])

    def dependents(self, urn: str) -> list[Res]:
        """The resources that depend on ``urn`` (its `dependencies` name it)."""
        if not hasattr(self, "_dependents"):
            self._dependents: dict[str, list[Res]] = {}
            for r in self.resources:
                for dep in dict.fromkeys(r.dependencies):
                    self._dependents.setdefault(dep, []).append(r)
        return list(self._dependents.get(urn, ()))

    def refers(self, src: Res, prop: str, target: Res, *values: Any) -> bool:
        """Does ``src.prop`` refer to ``target``: by property dependency, or by value (id/arn/name)?"""
        if target.urn in src.property_dependencies.get(prop, []):
            return True
        value = peek(src, prop)
        if value is None:
            return False
        candidates = [v for v in (*values, target.id, target.arn) if isinstance(v, str) and v]
        return value in candidates

    def referrers(self, target: Res, prop: str, *types: str, values: tuple[Any, ...] = ()) -> list[Res]:
        """The resources of ``types`` whose ``prop`` refers to ``target`` (as `refers` decides), found
        through an index built once per (types, prop), so joins stay linear in the stack's size."""
        index = self._ref_index.get((types, prop))
        if index is None:
            index = {}
            for src in self.of_type(*types):
                refs = set(src.property_dependencies.get(prop, []))
                value = peek(src, prop)
                if isinstance(value, str) and value:
                    refs.add(value)
                for ref in refs:
                    index.setdefault(ref, []).append(src)
            self._ref_index[(types, prop)] = index
        keys = [target.urn, *(v for v in (*values, target.id, target.arn) if isinstance(v, str) and v)]
        found = {s.urn: s for key in keys for s in index.get(key, ())}
        return sorted(found.values(), key=lambda r: self._position[r.urn])


def peek(r: Res, *path: str | int) -> Any:
    """Read a property for a join; an unknown value reads as None (a join cannot use it)."""
    try:
        return r.get(*path)
    except UnknownValueError:
        return None


# --------------------------------------------------------------------------------------------------
# wrapping
# --------------------------------------------------------------------------------------------------
def _config(meta: RuleMeta, given: Mapping[str, Any] | None) -> dict[str, Any]:
    cfg = meta.defaults()
    if given:
        cfg.update({k: v for k, v in given.items() if k != "enforcementLevel"})
    return cfg


class _ConfigOnce:
    """A rule's config (its defaults under the configured values), computed once per configured
    mapping: the optimised servicer hands every call the same mapping object, so this merges once
    per Configure; the stock servicer hands a fresh copy per call, so it merges every call (same
    result either way)."""

    def __init__(self, meta: RuleMeta) -> None:
        self.meta = meta
        self._last: tuple[Mapping[str, Any] | None, dict[str, Any]] | None = None

    def __call__(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        last = self._last
        if last is not None and last[0] is given:
            return last[1]
        merged = _config(self.meta, given)
        self._last = (given, merged)  # keeps `given` alive, so its identity cannot be reused
        return merged


_last_stack: tuple[object, Stack] | None = None
_last_res = threading.local()


def resource_view(args: ResourceValidationArgs) -> Res:
    """The `Res` of an Analyze call, shared by the rules of that resource: the optimised servicer
    hands every rule the same props object, so it is built (and its tags computed) once per call; the
    stock servicer hands each rule fresh props, so each builds its own (same result)."""
    last = getattr(_last_res, "value", None)
    if last is not None and last[0] is args.props and last[1] is args.provider and last[2] == args.urn:
        return last[3]
    r = Res.from_args(args)
    _last_res.value = (args.props, args.provider, args.urn, r)
    return r


def stack_view(resources: list[Any]) -> Stack:
    """One `Stack` view per AnalyzeStack: the optimised servicer hands every stack rule the same
    resource list, so the view (and the indexes it builds lazily) is shared by all of them."""
    global _last_stack
    last = _last_stack
    if last is not None and last[0] is resources:
        return last[1]
    view = Stack(Res.from_policy_resource(r) for r in resources)
    _last_stack = (resources, view)
    return view


def _schema(meta: RuleMeta) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=dict(meta.config)) if meta.config else None


def _common(meta: RuleMeta) -> dict[str, Any]:
    return {
        "enforcement_level": EnforcementLevel(meta.level),
        "config_schema": _schema(meta),
        "severity": Severity(meta.severity),
        "tags": [meta.theme, *([NEVER_SILENCED_TAG] if meta.locked else [])],
        "remediation_steps": meta.fix,
    }


def _finding(meta: RuleMeta, r: Res, message: str) -> str | None:
    """The message to report, or None when a valid exemption covers it."""
    ex, issue = exemptions.granted(meta, r)
    if ex is not None:
        return None
    return f"{message} (exemption ignored: {issue})" if issue else message


def wrap_resource(rule: Rule) -> ResourceValidationPolicy:
    meta = rule.meta
    config = _ConfigOnce(meta)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if rule.types and args.resource_type not in rule.types:
            return
        r = resource_view(args)
        for message in rule.fn(r, config(args.get_config())):
            text = _finding(meta, r, message)
            if text:
                report(text, None)

    return TypedResourceValidationPolicy(meta.name, meta.checks, validate, resource_types=rule.types,
                                         **_common(meta))


def wrap_stack(rule: Rule) -> StackValidationPolicy:
    meta = rule.meta
    config = _ConfigOnce(meta)

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        stack = stack_view(args.resources)
        for r, message in rule.fn(stack, config(args.get_config())):
            text = _finding(meta, r, message)
            if text:
                report(text, r.urn)

    return StackValidationPolicy(meta.name, meta.checks, validate, **_common(meta))


def exemption_policies() -> list[ResourceValidationPolicy]:
    """``policy-exemptions`` (first in the pack: it loads the config exemptions, then lists the ones in
    force on each resource) and ``policy-exemption-valid`` (reports invalid ones)."""
    listed, valid = RULES[EXEMPTIONS_POLICY], RULES[EXEMPTION_VALID_POLICY]

    def list_exemptions(args: ResourceValidationArgs, report: ReportViolation) -> None:
        exemptions.set_config(_config(listed, args.get_config()).get("exemptions"))
        r = resource_view(args)
        for ex in exemptions.declared(r):
            if exemptions.problem(ex, r) is None:
                report(json.dumps(ex.as_json(), sort_keys=True), None)

    def check_exemptions(args: ResourceValidationArgs, report: ReportViolation) -> None:
        r = resource_view(args)
        for ex in exemptions.declared(r):
            why = exemptions.problem(ex, r)
            if why:
                report(why, None)

    return [
        ResourceValidationPolicy(listed.name, listed.checks, list_exemptions, **_common(listed)),
        ResourceValidationPolicy(valid.name, valid.checks, check_exemptions, **_common(valid)),
    ]
