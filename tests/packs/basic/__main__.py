"""Test pack: every behaviour of the harness that a policy can observe."""

import json
from collections.abc import Mapping, Sequence

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

TAGGABLE = {"aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:rds/cluster:Cluster"}


def plain(value):
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(v) for v in value]
    return value


def provider_tags(provider) -> dict:
    if provider is None:
        return {}
    raw = provider.props.get("defaultTags")
    if isinstance(raw, str):
        raw = json.loads(raw)
    return dict((raw or {}).get("tags") or {})


def exempted(props, policy: str) -> str | None:
    spec = (props.get("tags") or {}).get("azora:exempt", "")
    name, _, reason = spec.partition(":")
    return reason if name == policy else None


def required_tags(args: ResourceValidationArgs, report: ReportViolation):
    if args.resource_type not in TAGGABLE:
        return
    tags = {**provider_tags(args.provider), **(args.props.get("tags") or {})}
    missing = [t for t in args.get_config()["requiredTags"] if t not in tags]
    if missing:
        report(f"Missing required tags: {', '.join(missing)}. Add them to the resource's tags or the "
               "provider's default_tags.")


def kms_rotation(args: ResourceValidationArgs, report: ReportViolation):
    if (args.resource_type == "aws:kms/key:Key" and exempted(args.props, "kms-rotation") is None
            and args.props.get("enableKeyRotation") is not True):
        report("Set enable_key_rotation=True on the key.")


def exemptions(args: ResourceValidationArgs, report: ReportViolation):
    for policy in ("kms-rotation",):
        reason = exempted(args.props, policy)
        if reason is not None:
            report(json.dumps({"policy": policy, "urn": args.urn, "reason": reason}))


def probe(args: ResourceValidationArgs, report: ReportViolation):
    cfg = args.get_config()
    if not cfg.get("echo") or (cfg.get("types") and args.resource_type not in cfg["types"]):
        return
    o = args.opts
    report(json.dumps({
        "type": args.resource_type, "urn": args.urn, "name": args.name, "props": plain(args.props),
        "opts": {"protect": o.protect, "ignoreChanges": list(o.ignore_changes),
                 "deleteBeforeReplace": o.delete_before_replace, "aliases": list(o.aliases),
                 "customTimeouts": [o.custom_timeouts.create_seconds, o.custom_timeouts.update_seconds,
                                    o.custom_timeouts.delete_seconds],
                 "additionalSecretOutputs": list(o.additional_secret_outputs), "parent": o.parent},
        "provider": None if args.provider is None else {
            "type": args.provider.resource_type, "name": args.provider.name, "urn": args.provider.urn,
            "props": plain(args.provider.props)},
        "env": {"stack": pulumi.get_stack(), "project": pulumi.get_project(),
                "organization": pulumi.get_organization(), "dryRun": pulumi.runtime.is_dry_run(),
                "probe": pulumi.Config("probe").get("value")},
    }, sort_keys=True))


def sse_key(args: ResourceValidationArgs, report: ReportViolation):
    if args.resource_type.startswith("aws:s3/bucketServerSideEncryptionConfiguration"):
        key = args.props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        if not str(key).startswith("arn:aws:kms:"):
            report("Use a customer-managed KMS key ARN as kms_master_key_id.")


def owner_tag(args: ResourceValidationArgs, report: ReportViolation):
    if args.resource_type == "aws:s3/bucket:Bucket" and "owner" not in (args.props.get("tags") or {}):
        report("Add an `owner` tag.")


def add_owner_tag(args: ResourceValidationArgs):
    if args.resource_type == "aws:s3/bucket:Bucket" and "owner" not in (args.props.get("tags") or {}):
        props = dict(args.props)
        props["tags"] = {**(props.get("tags") or {}), "owner": "platform"}
        return props
    return None


def stack_probe(args: StackValidationArgs, report: ReportViolation):
    cfg = args.get_config()
    for urn in cfg.get("reportUrns", []):
        report(f"flagged {urn}", urn)
    if cfg.get("count"):
        report(f"resources: {len(args.resources)}")
    if cfg.get("bigReport"):
        report("x" * int(cfg["bigReport"]))
    echo = cfg.get("echoUrn")
    for r in args.resources:
        if r.urn == echo:
            report(json.dumps({
                "parent": r.parent.urn if r.parent else None,
                "dependencies": [d.urn for d in r.dependencies],
                "propertyDependencies": {k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                "props": plain(r.props), "provider": r.provider.urn if r.provider else None,
            }, sort_keys=True), r.urn)


PolicyPack(
    name="azora-test-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    initial_config={
        "initial-props-only": {"note": "no level here"},
        "initial-disabled": EnforcementLevel.DISABLED,
    },
    policies=[
        ResourceValidationPolicy(
            name="required-tags", description="Taggable resources carry the cost-allocation tags.",
            enforcement_level=EnforcementLevel.MANDATORY, validate=required_tags,
            config_schema=PolicyConfigSchema(
                properties={"requiredTags": {"type": "array", "items": {"type": "string"},
                                             "default": ["azora:team"]}})),
        ResourceValidationPolicy(
            name="kms-rotation", description="KMS keys rotate automatically.",
            enforcement_level=EnforcementLevel.MANDATORY, validate=kms_rotation),
        ResourceValidationPolicy(
            name="policy-exemptions", description="Exemptions declared on resources.",
            enforcement_level=EnforcementLevel.ADVISORY, validate=exemptions),
        ResourceValidationPolicy(
            name="probe", description="Echoes what the policy receives.", validate=probe,
            config_schema=PolicyConfigSchema(properties={
                "echo": {"type": "boolean", "default": False},
                "types": {"type": "array", "items": {"type": "string"}}})),
        ResourceValidationPolicy(
            name="sse-customer-key", description="S3 encryption uses a customer-managed KMS key.",
            enforcement_level=EnforcementLevel.MANDATORY, validate=sse_key),
        ResourceValidationPolicy(
            name="owner-tag", description="Buckets carry an owner tag.",
            enforcement_level=EnforcementLevel.DISABLED, validate=owner_tag, remediate=add_owner_tag),
        ResourceValidationPolicy(
            name="initial-props-only", description="Mandatory in code; initialConfig without a level.",
            enforcement_level=EnforcementLevel.MANDATORY, validate=lambda args, report: None),
        ResourceValidationPolicy(
            name="initial-disabled", description="Mandatory in code; disabled by initialConfig.",
            enforcement_level=EnforcementLevel.MANDATORY, validate=lambda args, report: None),
        StackValidationPolicy(
            name="stack-probe", description="Reports what the stack policy is told to.", validate=stack_probe,
            config_schema=PolicyConfigSchema(properties={
                "reportUrns": {"type": "array", "items": {"type": "string"}, "default": []},
                "count": {"type": "boolean"}, "echoUrn": {"type": "string"},
                "bigReport": {"type": "integer"}})),
    ],
)
