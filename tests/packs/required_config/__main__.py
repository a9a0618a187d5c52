"""Test pack: a stack policy whose config has a required property without a default."""

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, PolicyPack, StackValidationPolicy


def allowed_regions(args, report):
    allowed = args.get_config()["allowedRegions"]
    for r in args.resources:
        if r.provider is None:
            continue
        region = r.provider.props.get("region")
        if region not in allowed:
            report(f"{r.name} uses provider {r.provider.name!r} in region {region!r}; allowed: "
                   f"{', '.join(allowed)}. Use the region's explicit provider.", r.urn)


PolicyPack(
    name="required-config-pack",
    policies=[
        StackValidationPolicy(
            name="allowed-regions", description="Resources live in allowed regions.",
            enforcement_level=EnforcementLevel.MANDATORY, validate=allowed_regions,
            config_schema=PolicyConfigSchema(
                properties={"allowedRegions": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
                required=["allowedRegions"])),
    ],
)
