"""The coverage summary posted on a pull request (and written to the job summary):

    python .ci/coverage_summary.py reports/coverage.json [reports/diff-cover.json] > reports/coverage-summary.md

Total line coverage against the 90 % gate, diff coverage of the changed lines against the 60 % gate
(diff-cover's JSON report), and the ten least-covered files.
"""

from __future__ import annotations

import json
import sys
from typing import Any

TOTAL_GATE, DIFF_GATE = 90.0, 60.0
MARKER = "<!-- azora-coverage-summary -->"


def render(coverage: dict[str, Any], diff: dict[str, Any] | None = None) -> str:
    total = float(coverage["totals"]["percent_covered"])
    mark = "✅" if total >= TOTAL_GATE else "❌"
    lines = [MARKER, "### Coverage", "", f"- total line coverage: **{total:.1f} %** (gate {TOTAL_GATE:.0f} %) {mark}"]
    if diff is not None:
        pct = diff.get("total_percent_covered")
        if diff.get("total_num_lines", 0) == 0 or pct is None:
            lines.append("- diff coverage: no changed Python lines")
        else:
            ok = float(pct) >= DIFF_GATE
            lines.append(f"- diff coverage of changed lines: **{float(pct):.1f} %** "
                         f"({diff.get('total_num_lines')} lines, gate {DIFF_GATE:.0f} %) {'✅' if ok else '❌'}")
    files = sorted(coverage["files"].items(), key=lambda kv: kv[1]["summary"]["percent_covered"])[:10]
    lines += ["", "| least covered | lines | covered |", "|---|---:|---:|"]
    lines += [f"| `{name}` | {f['summary']['num_statements']} | {f['summary']['percent_covered']:.1f} % |"
              for name, f in files]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print("usage: coverage_summary.py COVERAGE_JSON [DIFF_COVER_JSON]", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as f:
        coverage = json.load(f)
    diff = None
    if len(args) == 2:
        with open(args[1], encoding="utf-8") as f:
            diff = json.load(f)
    sys.stdout.write(render(coverage, diff))
    return 0


if __name__ == "__main__":
    sys.exit(main())
