"""The SDK modules a planner zygote imports once before it forks one planner per stack
(`azora_infra.plan.zygote`): importing pulumi-aws and pulumi-kubernetes submodules is about 3.5 s of
each planner's 8 s on this project, and the forked planners share it.

`SDK_MODULES` lists the submodules the repo's stacks register resources from; a test checks it
covers every resource type of the prod plans (`module_of`). A module missing here is imported by the
planner that needs it, as without a zygote: slower, never different. Only SDK packages are listed,
never the program's own modules (another program may have its own ``components``).
"""

from __future__ import annotations

import importlib

#: always imported first
BASE_MODULES = ("pulumi", "pulumi.runtime", "pulumi.dynamic", "pulumi_aws", "pulumi_kubernetes", "pulumi_random",
                "pydantic", "yaml")
SDK_MODULES = (
    "pulumi_aws.acm", "pulumi_aws.backup", "pulumi_aws.budgets", "pulumi_aws.cfg", "pulumi_aws.cloudtrail",
    "pulumi_aws.serverlessrepository", "pulumi_aws.vpc",
    "pulumi_aws.cloudwatch", "pulumi_aws.cognito", "pulumi_aws.costexplorer", "pulumi_aws.cur",
    "pulumi_aws.ec2", "pulumi_aws.ecr", "pulumi_aws.eks", "pulumi_aws.elasticache", "pulumi_aws.fis",
    "pulumi_aws.guardduty", "pulumi_aws.iam", "pulumi_aws.kms", "pulumi_aws.lb", "pulumi_aws.rds",
    "pulumi_aws.route53", "pulumi_aws.s3", "pulumi_aws.secretsmanager", "pulumi_aws.securityhub",
    "pulumi_aws.sns", "pulumi_aws.ssm", "pulumi_aws.ssmcontacts", "pulumi_aws.ssmincidents",
    "pulumi_aws.synthetics", "pulumi_aws.wafv2", "pulumi_aws.amp", "pulumi_aws.accessanalyzer",
    "pulumi_aws.lambda_", "pulumi_aws.sqs", "pulumi_aws.xray", "pulumi_aws.bcmdata", "pulumi_aws.inspector2",
    "pulumi_aws.organizations", "pulumi_aws.macie2", "pulumi_aws.appautoscaling", "pulumi_aws.sfn",
    "pulumi_kubernetes.apiextensions", "pulumi_kubernetes.apps.v1", "pulumi_kubernetes.autoscaling.v2",
    "pulumi_kubernetes.batch.v1", "pulumi_kubernetes.core.v1", "pulumi_kubernetes.helm.v3",
    "pulumi_kubernetes.meta.v1", "pulumi_kubernetes.networking.v1", "pulumi_kubernetes.policy.v1",
    "pulumi_kubernetes.rbac.v1", "pulumi_kubernetes.storage.v1",
)

#: what a policy pack imports before its own code (`azora_infra.plan.server` forks packs too)
PACK_MODULES = ("pulumi_policy", "pulumi_policy.policy", "google.protobuf.empty_pb2", "grpc")


def module_of(type_token: str) -> str | None:
    """The SDK module a resource type comes from (``aws:wafv2/webAcl:WebAcl`` -> ``pulumi_aws.wafv2``;
    a Kubernetes custom resource -> ``pulumi_kubernetes.apiextensions``), None for other packages."""
    package, _, rest = type_token.partition(":")
    module = rest.partition(":")[0]
    if package == "aws":
        name = module.split("/")[0]
        return f"pulumi_aws.{name}_" if name == "lambda" else f"pulumi_aws.{name}"
    if package == "kubernetes":
        group, _, version = module.partition("/")
        short = group.split(".")[0]
        builtin = {"apps", "autoscaling", "batch", "core", "networking", "policy", "storage", "rbac", "helm"}
        if short in builtin and (group == short or group.endswith(".k8s.io") or group == "helm.sh"):
            return f"pulumi_kubernetes.{short}.{version}"
        return "pulumi_kubernetes.apiextensions"
    return None


def preload(modules: tuple[str, ...] | None = None) -> list[str]:
    """Import `modules` (default: `BASE_MODULES` and `SDK_MODULES`); returns the ones that could not
    be imported (not installed: skipped)."""
    missing = []
    for name in BASE_MODULES + SDK_MODULES if modules is None else modules:
        try:
            module = importlib.import_module(name)
            # SDK submodules are lazy: an ordinary attribute (not __file__ & co.) executes the module
            getattr(module, "_azora_preload_", None)
        except ImportError:
            missing.append(name)
    return missing


__all__ = ["BASE_MODULES", "SDK_MODULES", "module_of", "preload"]
