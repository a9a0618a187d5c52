"""Text rendering of a plan: a tree by component, then resource counts by type."""

from __future__ import annotations

from collections import Counter
from typing import Any


def render_text(plan: dict[str, Any]) -> str:
    resources = plan["resources"]
    children: dict[str | None, list[dict[str, Any]]] = {}
    for r in resources:
        children.setdefault(r.get("parent"), []).append(r)
    lines = [f"Plan of stack {plan['stack']} ({plan['project']}): {plan['summary']['resources']} resources, "
             f"{plan['summary']['custom']} custom, {plan['summary']['components']} components"]

    def label(r: dict[str, Any]) -> str:
        extra = []
        prov = r.get("provider")
        if prov and prov.get("region"):
            extra.append(prov["region"])
        opts = r.get("options", {})
        if opts.get("protect"):
            extra.append("protect")
        if opts.get("retainOnDelete"):
            extra.append("retain")
        suffix = f"  [{', '.join(extra)}]" if extra else ""
        return f"{r['type']}  {r['name']}{suffix}"

    def walk(r: dict[str, Any], prefix: str, last: bool, depth: int) -> None:
        kids = children.get(r["urn"], [])
        if depth == 0:
            lines.append(label(r))
        else:
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{label(r)}")
        comps = [k for k in kids if not k["custom"]]
        custom = [k for k in kids if k["custom"]]
        ordered = comps + custom
        for i, k in enumerate(ordered):
            nxt = prefix + ("   " if last or depth == 0 else "│  ") if depth else ""
            walk(k, nxt, i == len(ordered) - 1, depth + 1)

    for root in children.get(None, []):
        walk(root, "", True, 0)
    lines.append("")
    lines.append("Resources by type:")
    counts = Counter(r["type"] for r in resources)
    width = max((len(t) for t in counts), default=0)
    for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {t.ljust(width)}  {n}")
    if plan.get("outputs"):
        lines.append("")
        lines.append("Stack outputs: " + ", ".join(sorted(plan["outputs"])))
    return "\n".join(lines) + "\n"
