"""Rules that can never be silenced, enforced by the pack itself on every path.

A *locked* rule (`registry.RuleMeta.locked`: mandatory and never exemptable - the residency rules and
``policy-exemption-valid``) keeps its level and its properties whatever the policy config says. The
pack checks every ``Configure`` before the servicer sees it (`ConfigureGuard` wraps the servicer, stock
or optimised, when it is registered with the gRPC server), so this holds under
``pulumi preview --policy-pack policies --policy-pack-config f.json`` as under ``azora-infra check``:

- a config entry that lowers a locked rule to ``advisory`` or ``disabled`` is refused (the CLI aborts
  with the one-line reason) - unless the lowered level is exactly the config's ``all`` level, which
  the CLI applies to every policy (it sends the ``all`` entry along): ``all`` skips locked rules, so
  the rule stays mandatory;
- a config that changes a locked rule's properties is refused;
- a property a policy's config schema does not declare is refused, for every policy (the schemas are
  closed: a typo never silently falls back to a default).

``azora-infra check`` refuses the same before it calls the pack (azora_infra/check/config.py, from the
``never-silenced`` policy tag), so its user gets exit 2 and the reason without starting a check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from .registry import RULES, RuleMeta

#: the proto enum: ADVISORY=0, MANDATORY=1, DISABLED=2, REMEDIATE=3
_LEVEL_NAMES = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
_ENFORCING = frozenset({analyzer_pb2.MANDATORY, analyzer_pb2.REMEDIATE})


class ConfigRefused(ValueError):
    """A policy config that would silence a locked rule or names an undeclared property."""


@dataclass(frozen=True)
class _Policy:
    level: int
    properties: frozenset[str]
    defaults: dict[str, Any]
    locked: bool


def _policies(rules: Mapping[str, RuleMeta]) -> dict[str, _Policy]:
    return {name: _Policy(analyzer_pb2.MANDATORY if meta.level == "mandatory" else analyzer_pb2.ADVISORY,
                          frozenset(meta.config), meta.defaults(), meta.locked)
            for name, meta in rules.items()}


def reconcile_configure(request: Any, rules: Mapping[str, RuleMeta] | None = None) -> Any:
    """The ``ConfigureAnalyzerRequest`` the servicer may apply: locked rules back at their own level
    when only ``all`` lowered them. Raises `ConfigRefused` (one line) for anything else that would
    silence a locked rule and for undeclared properties."""
    policies = _policies(RULES if rules is None else rules)
    given = request.policyConfig
    every = given["all"].enforcementLevel if "all" in given else None
    problems: list[str] = []
    restore: list[str] = []
    for name in sorted(given):
        if name == "all" or name not in policies:
            continue  # the CLI passes "all" and names the pack does not have; neither configures a rule
        policy, cfg = policies[name], given[name]
        props = json_format.MessageToDict(cfg.properties)
        extra = sorted(set(props) - policy.properties)
        if extra:
            declared = ", ".join(sorted(policy.properties)) or "none"
            problems.append(f"{name}: property {', '.join(map(repr, extra))} is not in its config schema "
                            f"(declared: {declared})")
        if not policy.locked:
            continue
        if cfg.enforcementLevel not in _ENFORCING:
            level = _LEVEL_NAMES.get(cfg.enforcementLevel, str(cfg.enforcementLevel))
            if cfg.enforcementLevel == every:
                restore.append(name)
            else:
                problems.append(f"{name} cannot be set to {level}: it is never silenced")
        if not extra and props != policy.defaults:
            problems.append(f"{name}: its properties cannot be changed: it is never silenced")
    if problems:
        raise ConfigRefused("policy config refused: " + "; ".join(problems))
    if not restore:
        return request
    fixed = analyzer_pb2.ConfigureAnalyzerRequest()
    fixed.CopyFrom(request)
    for name in restore:
        fixed.policyConfig[name].enforcementLevel = policies[name].level
    return fixed


class ConfigureGuard:
    """Wraps an Analyzer servicer: ``Configure`` goes through `reconcile_configure` first (refused
    configs end the call with INVALID_ARGUMENT and the reason); every other RPC goes straight through."""

    def __init__(self, inner: Any, rules: Mapping[str, RuleMeta] | None = None) -> None:
        self._inner = inner
        self._rules = rules

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def Configure(self, request: Any, context: Any) -> Any:
        try:
            request = reconcile_configure(request, self._rules)
        except ConfigRefused as err:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(err))
        return self._inner.Configure(request, context)


__all__ = ["ConfigRefused", "ConfigureGuard", "reconcile_configure"]
