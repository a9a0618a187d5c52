"""Synthetic plans in the `azora-infra plan` format, for benchmarks and tests of the check.

`synthetic_plan(components)` builds: the root stack, one explicit ``aws`` provider (region,
JSON-string defaultTags, version), and per component an ``azora:test:Service`` with a KMS key, a
bucket, the bucket's SSE configuration (its key ARN unknown, as in a first preview), and an Aurora
cluster (secret password, protect, ignoreChanges, custom timeouts, deleteBeforeReplace) — so
``components * 5 + 2`` resources.
"""

from __future__ import annotations

import json
from typing import Any

from ..plan.recorder import engine_urn
from ..plan.values import SECRET_SIG, SIG, UNKNOWN

PROJECT = "azora-platform"
SSE_TYPE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
ACCOUNT = "123456789012"


def _options(**over: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "protect": False,
        "retainOnDelete": False,
        "ignoreChanges": [],
        "deleteBeforeReplace": False,
        "additionalSecretOutputs": [],
        "customTimeouts": {},
        "aliases": [],
    }
    opts.update(over)
    return opts


def _resource(
    urn: str,
    type_: str,
    name: str,
    *,
    custom: bool,
    parent: str | None,
    inputs: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    provider: dict[str, Any] | None = None,
    dependencies: list[str] | None = None,
    property_dependencies: dict[str, list[str]] | None = None,
    options: dict[str, Any] | None = None,
    rid: str | None = None,
) -> dict[str, Any]:
    return {
        "urn": urn,
        "type": type_,
        "name": name,
        "custom": custom,
        "id": rid if custom else None,
        "parent": parent,
        "dependencies": dependencies or [],
        "propertyDependencies": property_dependencies or {},
        "providerRef": provider["ref"] if provider else None,
        "provider": provider,
        "version": "7.51.1" if custom else None,
        "inputs": inputs,
        "outputs": outputs if outputs is not None else dict(inputs),
        "options": options or _options(),
        "default": False,
    }


def synthetic_plan(
    components: int, *, stack: str = "bench", region: str = "af-south-1", unknown_key_arns: bool = True
) -> dict[str, Any]:
    """A plan of ``components * 5 + 2`` resources (see the module docstring)."""
    root = engine_urn(stack, PROJECT, "", "pulumi:pulumi:Stack", f"{PROJECT}-{stack}")
    default_tags = {
        "azora:team": "platform",
        "azora:service": "azora-os",
        "azora:cost-center": "cc-1001",
        "azora:environment": "prod",
    }
    prov_urn = engine_urn(stack, PROJECT, root, "pulumi:providers:aws", f"aws-{region}")
    prov_inputs = {
        "region": region,
        "defaultTags": json.dumps({"tags": default_tags}),
        "skipCredentialsValidation": "false",
        "skipRegionValidation": "true",
        "version": "7.51.1",
    }
    provider_res = _resource(
        prov_urn,
        "pulumi:providers:aws",
        f"aws-{region}",
        custom=True,
        parent=root,
        inputs=prov_inputs,
        rid="prov-0001",
        options=_options(additionalSecretOutputs=["accessKey", "secretKey", "token"]),
    )
    provider_res["providerRef"] = None
    provider = {
        "urn": prov_urn,
        "ref": f"{prov_urn}::prov-0001",
        "type": "pulumi:providers:aws",
        "name": f"aws-{region}",
        "default": False,
        "region": region,
        "defaultTags": default_tags,
    }
    resources: list[dict[str, Any]] = [
        _resource(
            root,
            "pulumi:pulumi:Stack",
            f"{PROJECT}-{stack}",
            custom=False,
            parent=None,
            inputs={},
            outputs={"region": region},
        ),
        provider_res,
    ]
    for i in range(components):
        svc = f"svc{i:05d}"
        comp = engine_urn(stack, PROJECT, root, "azora:test:Service", svc)
        key_urn = engine_urn(stack, PROJECT, comp, "aws:kms/key:Key", f"{svc}-key")
        key_arn = f"arn:aws:kms:{region}:{ACCOUNT}:key/{i:08d}-0000-4000-8000-000000000000"
        bucket_urn = engine_urn(stack, PROJECT, comp, "aws:s3/bucket:Bucket", f"{svc}-data")
        sse_urn = engine_urn(stack, PROJECT, comp, SSE_TYPE, f"{svc}-data")
        db_urn = engine_urn(stack, PROJECT, comp, "aws:rds/cluster:Cluster", f"{svc}-db")
        def tags() -> dict[str, str]:
            return {"azora:data-class": "internal", "azora:service": svc}  # noqa: B023 - called in the loop body
        resources.append(
            _resource(
                comp,
                "azora:test:Service",
                svc,
                custom=False,
                parent=root,
                inputs={},
                outputs={"bucket": f"{svc}-data", "keyArn": key_arn},
            )
        )
        resources.append(
            _resource(
                key_urn,
                "aws:kms/key:Key",
                f"{svc}-key",
                custom=True,
                parent=comp,
                provider=provider,
                rid=f"{i:08d}",
                inputs={
                    "description": f"{svc} data key",
                    "enableKeyRotation": True,
                    "deletionWindowInDays": 30,
                    "tags": tags(),
                },
                outputs={
                    "description": f"{svc} data key",
                    "enableKeyRotation": True,
                    "arn": key_arn,
                    "keyId": f"{i:08d}",
                    "tags": tags(),
                    "tagsAll": {**default_tags, **tags()},
                },
            )
        )
        resources.append(
            _resource(
                bucket_urn,
                "aws:s3/bucket:Bucket",
                f"{svc}-data",
                custom=True,
                parent=comp,
                provider=provider,
                rid=f"{svc}-data",
                inputs={"tags": tags(), "forceDestroy": False},
                outputs={
                    "bucket": f"{svc}-data",
                    "arn": f"arn:aws:s3:::{svc}-data",
                    "tags": tags(),
                    "tagsAll": {**default_tags, **tags()},
                },
                options=_options(protect=True, aliases=[{"type": "aws:s3/bucketV2:BucketV2"}]),
            )
        )
        sse_inputs = {
            "bucket": f"{svc}-data",
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": UNKNOWN if unknown_key_arns else key_arn,
                    },
                    "bucketKeyEnabled": True,
                }
            ],
        }
        resources.append(
            _resource(
                sse_urn,
                SSE_TYPE,
                f"{svc}-data",
                custom=True,
                parent=comp,
                provider=provider,
                rid=f"{svc}-data",
                inputs=sse_inputs,
                dependencies=[key_urn, bucket_urn],
                property_dependencies={"bucket": [bucket_urn], "rules": [key_urn]},
            )
        )
        resources.append(
            _resource(
                db_urn,
                "aws:rds/cluster:Cluster",
                f"{svc}-db",
                custom=True,
                parent=comp,
                provider=provider,
                rid=f"{svc}-db",
                dependencies=[key_urn],
                property_dependencies={"kmsKeyId": [key_urn]},
                inputs={
                    "engine": "aurora-postgresql",
                    "engineVersion": "16.4",
                    "storageEncrypted": True,
                    "kmsKeyId": key_arn,
                    "masterUsername": "azora",
                    "masterPassword": {SIG: SECRET_SIG, "value": f"pw-{svc}"},
                    "deletionProtection": True,
                    "backupRetentionPeriod": 35,
                    "tags": tags(),
                },
                options=_options(
                    protect=True,
                    ignoreChanges=["masterPassword"],
                    deleteBeforeReplace=True,
                    additionalSecretOutputs=["masterPassword"],
                    customTimeouts={"create": "1h30m", "update": "45m", "delete": "90s"},
                ),
            )
        )
    return {
        "formatVersion": 1,
        "generator": "azora_infra.check.synthetic",
        "project": PROJECT,
        "stack": stack,
        "organization": "organization",
        "programDir": "",
        "config": {"aws:region": region},
        "secretConfigKeys": [],
        "resources": resources,
        "outputs": {"region": region},
        "summary": {"resources": len(resources)},
    }


__all__ = ["synthetic_plan"]
