"""Fail CI on a critical or high vulnerability in the installed dependencies.

    pip-audit --format json --output reports/pip-audit.json || true
    python .ci/vuln_gate.py reports/pip-audit.json            # exit 1 on critical/high (or unknown)

pip-audit lists known vulnerabilities but not their severity; each one is looked up in OSV
(api.osv.dev: the GHSA record's ``database_specific.severity``, via the vulnerability's aliases).
A vulnerability whose severity cannot be found counts as high (fail closed). Prints one line per
vulnerability and a summary; the GitHub job summary gets the same table when GITHUB_STEP_SUMMARY is set.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

OSV = "https://api.osv.dev/v1/vulns/"
BLOCKING = frozenset({"CRITICAL", "HIGH"})
_RANK = {"LOW": 1, "MODERATE": 2, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}


def fetch_osv(vuln_id: str) -> dict[str, Any] | None:  # pragma: no cover - network, exercised in CI only
    try:
        with urllib.request.urlopen(OSV + vuln_id, timeout=20) as response:
            return json.load(response)  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def severity(ids: Iterable[str], fetch: Callable[[str], dict[str, Any] | None]) -> str | None:
    """The highest GHSA severity of any of these ids (None when no record gives one)."""
    best: str | None = None
    for vuln_id in ids:
        record = fetch(vuln_id)
        level = str(((record or {}).get("database_specific") or {}).get("severity") or "").upper()
        if level in _RANK and (best is None or _RANK[level] > _RANK[best]):
            best = level
    return best


def findings(audit: dict[str, Any], fetch: Callable[[str], dict[str, Any] | None]) -> list[tuple[str, str, str, str]]:
    """(package, version, vulnerability id, severity or UNKNOWN) for every vulnerability pip-audit found."""
    out = []
    for dep in audit.get("dependencies") or []:
        for vuln in dep.get("vulns") or []:
            ids = [vuln["id"], *(vuln.get("aliases") or [])]
            out.append((dep["name"], dep.get("version", "?"), vuln["id"], severity(ids, fetch) or "UNKNOWN"))
    return out


def main(argv: list[str] | None = None, fetch: Callable[[str], dict[str, Any] | None] = fetch_osv) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: vuln_gate.py PIP_AUDIT_JSON", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as f:
        audit = json.load(f)
    rows = findings(audit, fetch)
    blocking = [r for r in rows if r[3] in BLOCKING or r[3] == "UNKNOWN"]
    lines = [f"{name} {version}: {vid} ({level})" for name, version, vid, level in rows]
    summary = f"{len(rows)} known vulnerabilities, {len(blocking)} critical/high/unknown"
    print("\n".join([*lines, summary]))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write("### Dependency audit\n\n| package | version | vulnerability | severity |\n|---|---|---|---|\n")
            f.writelines(f"| {n} | {v} | {i} | {s} |\n" for n, v, i, s in rows)
            f.write(f"\n{summary}\n")
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
