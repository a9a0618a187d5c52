"""docs/architecture.md, generated from the plans of the prod stacks (`azora-infra diagram --env prod
--doc`, or ``python -m azora_infra.reports.architecture > docs/architecture.md``): the Mermaid
diagram of `azora_infra.reports.diagram` and the residency table, with what each part shows.
A test fails when the page in docs/ differs from what the current plans give."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .diagram import build_diagram, to_mermaid

ENVIRONMENT = "prod"

_INTRO = """\
# Architecture

<!-- Generated from the offline plans of the prod stacks: do not edit by hand. Regenerate with
     `azora-infra diagram --env prod --doc --output docs/architecture.md`
     (or `python -m azora_infra.reports.architecture > docs/architecture.md`). -->

What the three prod stacks would create, drawn from their offline plans (`azora-infra plan`), not
from their config: every box is a resource (or a group of resources) in a plan.

- **Regions**: one stack each ({regions}), with its jurisdiction and role; the VPC
  with its subnets grouped by tier (`azora:tier` tag: AZs and CIDRs).
- **Request path** (solid arrows): Route 53 latency record → ALB (listeners, TLS policy, WAF) →
  Istio ingress gateway (HTTPS to pod IPs) → each service over mTLS, inside the EKS cluster, placed
  in the tier its subnets are in.
- **Data stores** with their data class (`azora:data-class`), in the tier of their subnet group (S3
  outside the VPC), and the region's backup vault.
- **Across regions**: Aurora global database replication and ElastiCache global datastore
  replication (thick arrows, from the primary), AWS Backup copy actions to other regions' vaults
  (dashed, labelled with the data classes they carry).
- **Residency** (green notes, and the table below): which data classes stay in the region's
  jurisdiction and where the others are copied.

Draw another set with `azora-infra diagram --stack NAME` (or `--env ENV`, `--plan FILE`, `--format dot`).
"""


def render_page(plans: Sequence[Mapping[str, Any]]) -> str:
    """The Markdown page for these plans."""
    diagram = build_diagram(plans, title="Azora platform (prod)")
    regions = ", ".join(f"`{r.stack}` {r.region}" for r in {r.stack: r for r in diagram.residency}.values())
    lines = [_INTRO.format(regions=regions or "none"), "```mermaid", to_mermaid(diagram).rstrip("\n"), "```", "",
             "## Residency", "",
             "Per stack and data class: the stores holding it, the other regions its copies or replicas go to, "
             "whether it stays in the jurisdiction, and the rule of the residency map (`azora_infra/regions.py`) "
             "with whether every copy keeps to it.", "",
             "| stack | region | jurisdiction | data class | stores | copies or replicas in | stays in jurisdiction "
             "| rule | copies within rule |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in diagram.residency:
        lines.append(f"| `{r.stack}` | {r.region} | {r.jurisdiction} | {r.data_class} | "
                     f"{', '.join(f'`{s}`' for s in r.stores)} | {', '.join(r.copied_to) or 'none'} | "
                     f"{'yes' if r.stays_in_jurisdiction else 'no'} | {r.scope} | {'yes' if r.within_rule else 'NO'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - the same as `azora-infra diagram --env prod --doc` (tested)
    from ..cli import main

    sys.exit(main(["diagram", "--env", ENVIRONMENT, "--doc", *sys.argv[1:]]))
