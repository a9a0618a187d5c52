"""Exemptions: a resource may be exempted from a named rule only with a reason.

Two ways to declare one:

- the resource's own tag ``azora:policy-exempt:<policy-name>`` = ``"<reason>"``
  (``azora_infra.tags.EXEMPT_PREFIX``; provider ``defaultTags`` never exempt anything);
- pack config on the policy ``policy-exemptions``:
  ``{"policy-exemptions": {"exemptions": [{"policy": "...", "urn": "..." | "name": "...", "reason": "..."}]}}``.

An exemption without a non-empty reason does not exempt, and ``policy-exemption-valid`` (mandatory)
reports it ("exemption for X on Y has no reason"), as it does an exemption of an unknown policy or of a
rule that cannot be exempted (residency rules never; encryption rules not on personal data).
Every exemption in force is listed by ``policy-exemptions`` as an ADVISORY diagnostic whose message
(after the policy description line) is the JSON ``{"policy": ..., "urn": ..., "reason": ...}`` - the
contract with ``azora_infra.check``.

Config exemptions reach the other rules through this module: ``policy-exemptions`` is the first
policy of the pack, so the engine runs it (and it stores its config here) before any other rule sees
the resource. Disabling ``policy-exemptions`` therefore also disables config exemptions (tags still work).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from azora_infra.tags import EXEMPT_PREFIX

from .props import Res
from .registry import NEVER, NOT_PERSONAL, RULES, RuleMeta

_lock = threading.Lock()
_config_entries: list[dict[str, str]] = []


@dataclass(frozen=True)
class Exemption:
    policy: str
    urn: str
    reason: str
    source: str  # "tag" | "config"

    def as_json(self) -> dict[str, str]:
        return {"policy": self.policy, "urn": self.urn, "reason": self.reason}


def set_config(entries: Iterable[Any] | None) -> None:
    """Store the ``exemptions`` config of ``policy-exemptions`` (called by that policy)."""
    clean: list[dict[str, str]] = []
    for e in entries or []:
        if isinstance(e, Mapping):
            clean.append({k: str(e[k]) for k in ("policy", "urn", "name", "reason") if k in e and e[k] is not None})
    with _lock:
        _config_entries[:] = clean


def config_entries() -> list[dict[str, str]]:
    with _lock:
        return list(_config_entries)


def declared(r: Res) -> list[Exemption]:
    """Every exemption declared for this resource (tags first, then config)."""
    out: list[Exemption] = []
    for key, value in r.own_tags.items():
        if key.startswith(EXEMPT_PREFIX):
            out.append(Exemption(key[len(EXEMPT_PREFIX):], r.urn, value.strip(), "tag"))
    for e in config_entries():
        if e.get("urn") == r.urn or (e.get("name") and e.get("name") == r.name and not e.get("urn")):
            out.append(Exemption(e.get("policy", ""), r.urn, e.get("reason", "").strip(), "config"))
    return out


def problem(ex: Exemption, r: Res) -> str | None:
    """Why this exemption does not exempt (None when it is valid)."""
    meta = RULES.get(ex.policy)
    where = f"{ex.policy} on {r.urn}"
    if meta is None:
        return f"exemption for {where} names an unknown policy (see docs/policies.md)"
    if meta.exemptable == NEVER:
        return f"exemption for {where} is not allowed: {ex.policy} cannot be exempted"
    if meta.exemptable == NOT_PERSONAL and r.is_personal:
        return (f"exemption for {where} is not allowed: {ex.policy} cannot be exempted on personal data "
                "(azora:data-class=personal)")
    if not ex.reason:
        return f"exemption for {where} has no reason: set the tag value / config `reason` to why it is safe"
    return None


def granted(meta: RuleMeta, r: Res) -> tuple[Exemption | None, str | None]:
    """(the valid exemption of ``meta`` for ``r``, or None; the problem of an invalid one, or None)."""
    issue: str | None = None
    for ex in declared(r):
        if ex.policy != meta.name:
            continue
        why = problem(ex, r)
        if why is None:
            return ex, None
        issue = why
    return None, issue
