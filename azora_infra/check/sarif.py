"""A check result as SARIF 2.1.0 (``azora-infra check --format sarif``), for GitHub code scanning.

- one ``rule`` per policy of the pack: its description, its fix (the policy's remediation steps) as
  help text, its default level (mandatory = error, advisory = warning, disabled = none) and its
  severity as ``security-severity`` (critical 9.5, high 8.0, medium 5.5, low 2.0: GitHub's bands);
- one ``result`` per violation (can't-run advisories included; exemptions are not violations): the
  message, the level it was reported at, the URN as the logical location and, as the physical
  location, the file and line that registered the resource (the plan's ``sourcePosition``, relative
  to the program directory: ``%SRCROOT%``) - or the stack file when the plan has no position for it
  (the root stack, default providers), since code scanning needs a file for every result;
- ``automationDetails.id`` = ``azora-guard/<stack>/`` so the stacks' uploads stay apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .run import CheckResult, Violation

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "SRCROOT"
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
_LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning", "disabled": "none"}


def source_path(uri: str, root: Path | None) -> str | None:
    """A ``file://`` URI as a path relative to `root` (POSIX), or None when it lies outside it."""
    parsed = urlparse(uri)
    if parsed.scheme != "file" or root is None:
        return None
    path = Path(unquote(parsed.path))
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _rule(info: Any, level: str) -> dict[str, Any]:
    fix = info.remediation or ""
    description = info.description or info.name
    props: dict[str, Any] = {"tags": ["security", "pulumi", *info.tags], "enforcementLevel": level}
    if info.severity in _SECURITY_SEVERITY:
        props["security-severity"] = _SECURITY_SEVERITY[info.severity]
        props["severity"] = info.severity
    return {
        "id": info.name,
        "name": info.name,
        "shortDescription": {"text": description},
        "fullDescription": {"text": description},
        "help": {
            "text": f"{description}\nFix: {fix}" if fix else description,
            "markdown": f"{description}\n\n**Fix:** {fix}" if fix else description,
        },
        "defaultConfiguration": {"level": _LEVEL.get(level, "warning")},
        "properties": props,
    }


def violation_message(v: Violation) -> str:
    """The violation message without the policy description the Python SDK puts first."""
    _head, sep, rest = v.message.partition("\n")
    return rest.strip() if sep and rest.strip() else v.message.strip()


def _location(v: Violation, resource: Mapping[str, Any] | None, root: Path | None,
              stack_file: str) -> dict[str, Any]:
    position = (resource or {}).get("sourcePosition") or {}
    path = source_path(str(position.get("uri") or ""), root) if position else None
    physical: dict[str, Any] = {"artifactLocation": {"uri": path or stack_file, "uriBaseId": SRCROOT},
                                "region": {"startLine": int(position.get("line") or 1) if path else 1}}
    name = v.urn.rsplit("::", 1)[-1] if v.urn else ""
    return {
        "physicalLocation": physical,
        "logicalLocations": [{"name": name, "fullyQualifiedName": v.urn or "(stack)", "kind": "resource"}],
    }


def to_sarif(result: CheckResult, plan: Mapping[str, Any], *, tool_version: str = "") -> dict[str, Any]:
    """The SARIF log (a dict; ``json.dumps`` it) of one stack's check."""
    program_dir = str(plan.get("programDir") or "")
    root = Path(program_dir) if program_dir else None
    stack_file = f"Pulumi.{result.stack}.yaml"
    levels = result.levels
    infos = sorted(result.policy_info.values(), key=lambda p: p.name)
    index = {info.name: i for i, info in enumerate(infos)}
    by_urn = {r["urn"]: r for r in plan.get("resources") or []}
    results = []
    for v in result.violations:
        fingerprint = hashlib.sha256(f"{v.policy}\0{v.urn}\0{violation_message(v)}".encode()).hexdigest()
        entry: dict[str, Any] = {
            "ruleId": v.policy,
            "level": _LEVEL.get(v.enforcement_level, "warning"),
            "message": {"text": violation_message(v)},
            "locations": [_location(v, by_urn.get(v.urn), root, stack_file)],
            "partialFingerprints": {"azoraGuardViolation/v1": fingerprint},
            "properties": {"enforcementLevel": v.enforcement_level, "resourceType": v.resource_type,
                           "urn": v.urn, "cantRun": v.cant_run},
        }
        if v.policy in index:
            entry["ruleIndex"] = index[v.policy]
        results.append(entry)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": result.pack_name,
            "semanticVersion": result.pack_version,
            "version": result.pack_version,
            "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
            "rules": [_rule(info, levels.get(info.name, info.enforcement_level)) for info in infos],
            "properties": {"checkedBy": f"azora-infra {tool_version}".strip()},
        }},
        "automationDetails": {"id": f"{result.pack_name}/{result.stack}/"},
        "results": results,
        "properties": {"stack": result.stack, "resourcesChecked": result.resources_checked},
    }
    if root is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root.resolve().as_uri() + "/"}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


__all__ = ["SCHEMA_URI", "source_path", "to_sarif", "violation_message"]
