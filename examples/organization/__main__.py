"""Organization guardrails for the Azora management account (`components.guardrails`).

The allowed regions come from the residency map (`azora_infra.regions`): every catalogued region of the
jurisdictions the platform serves, plus the regions where global services keep their regional plumbing.
Plan it offline: `azora-infra plan --program examples/organization --stack management`.
"""

import pulumi
import pulumi_aws as aws

from azora_infra import regions
from components.guardrails import OrganizationGuardrails, OrganizationGuardrailsArgs

cfg = pulumi.Config("organization")
jurisdictions = cfg.require_object("jurisdictions")
unknown = sorted(set(jurisdictions) - set(regions.JURISDICTIONS))
if unknown:
    raise pulumi.RunError(f"organization:jurisdictions: unknown {unknown} (known: {sorted(regions.JURISDICTIONS)})")
global_regions = cfg.get_object("globalRegions") or ["us-east-1"]
for name in global_regions:
    regions.region(name)  # a global-plumbing region must be in the catalog too
allowed = sorted({r.name for r in regions.REGIONS.values() if r.jurisdiction in jurisdictions} | set(global_regions))

provider = aws.Provider("management", region=aws.config.region or "us-east-1")
guardrails = OrganizationGuardrails("guardrails", OrganizationGuardrailsArgs(
    allowed_regions=allowed, targets=cfg.require_object("targets"),
    break_glass_role_arns=cfg.require_object("breakGlassRoles"),
    tags={"azora:team": "security", "azora:service": "organization", "azora:cost-center": "cc-3001-security",
          "azora:environment": "prod"},
), provider)

pulumi.export("allowedRegions", allowed)
pulumi.export("policyIds", guardrails.policy_ids)
