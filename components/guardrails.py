"""`OrganizationGuardrails`: service control policies for the AWS Organizations management account.

Not part of the region stacks: it is deployed once, from the management account, by a program of its
own (`examples/organization/`). The SCPs it attaches to the given roots, OUs or accounts:

- ``region-deny``: deny every action outside ``allowed_regions`` except the global services, whose
  single endpoint lives in us-east-1 (IAM, Organizations, STS, Route 53, CloudFront, support, budgets,
  Cost Explorer, ...: the ``NotAction`` list of AWS Control Tower's Region deny control);
- ``deny-leave-organization``;
- ``protect-security-services``: nobody stops or deletes CloudTrail, AWS Config, GuardDuty or Security Hub;
- ``protect-keys-and-archives``: nobody schedules a KMS key's deletion (or disables it) or deletes an
  audit archive bucket (or its policy).

The principals in ``break_glass_role_arns`` (wildcards allowed, e.g. ``arn:aws:iam::*:role/azora-break-glass``)
are exempt from all but the organisation guardrail: using one is itself an audited event. An SCP document
may hold at most 5,120 characters; the documents are written without whitespace and checked here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .base import AzoraComponent

#: Service control policy size quota (characters)
SCP_MAX_CHARS = 5120
#: the NotAction list of AWS Control Tower's Region deny control ("Deny access to AWS based on the
#: requested AWS Region", docs.aws.amazon.com/controltower/latest/userguide/primary-region-deny-policy.html):
#: global services whose requests go to us-east-1 (or are not regional) and must not be denied by region
GLOBAL_SERVICE_ACTIONS: tuple[str, ...] = (
    "a4b:*", "access-analyzer:*", "account:*", "acm:*", "activate:*", "artifact:*", "aws-marketplace-management:*",
    "aws-marketplace:*", "aws-portal:*", "billing:*", "billingconductor:*", "budgets:*", "ce:*", "chatbot:*",
    "chime:*", "cloudfront:*", "cloudtrail:LookupEvents", "compute-optimizer:*", "config:*", "consoleapp:*",
    "consolidatedbilling:*", "cur:*", "datapipeline:GetAccountLimits", "devicefarm:*", "directconnect:*",
    "ec2:DescribeRegions", "ec2:DescribeTransitGateways", "ec2:DescribeVpnGateways", "ecr-public:*", "fms:*",
    "freetier:*", "globalaccelerator:*", "health:*", "iam:*", "importexport:*", "invoicing:*", "iq:*", "kms:*",
    "license-manager:ListReceivedLicenses", "lightsail:Get*", "mobileanalytics:*", "networkmanager:*",
    "notifications-contacts:*", "notifications:*", "organizations:*", "payments:*", "pricing:*",
    "quicksight:DescribeAccountSubscription", "resource-explorer-2:*", "route53-recovery-cluster:*",
    "route53-recovery-control-config:*", "route53-recovery-readiness:*", "route53:*", "route53domains:*",
    "s3:CreateMultiRegionAccessPoint", "s3:DeleteMultiRegionAccessPoint", "s3:DescribeMultiRegionAccessPointOperation",
    "s3:GetAccountPublicAccessBlock", "s3:GetBucketLocation", "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock", "s3:GetMultiRegionAccessPoint", "s3:GetMultiRegionAccessPointPolicy",
    "s3:GetMultiRegionAccessPointPolicyStatus", "s3:GetStorageLensConfiguration", "s3:GetStorageLensDashboard",
    "s3:ListAllMyBuckets", "s3:ListMultiRegionAccessPoints", "s3:ListStorageLensConfigurations",
    "s3:PutAccountPublicAccessBlock", "s3:PutMultiRegionAccessPointPolicy", "savingsplans:*", "shield:*", "sso:*",
    "sts:*", "support:*", "supportapp:*", "supportplans:*", "sustainability:*", "tag:GetResources", "tax:*",
    "trustedadvisor:*", "vendor-insights:ListEntitledSecurityProfiles", "waf-regional:*", "waf:*", "wafv2:*",
)
#: what "disabling" a security service means, per service
SECURITY_SERVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "CloudTrail": ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail"),
    "Config": ("config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder",
               "config:DeleteDeliveryChannel", "config:DeleteRetentionConfiguration"),
    "GuardDuty": ("guardduty:DeleteDetector", "guardduty:DisassociateFromAdministratorAccount",
                  "guardduty:DisassociateFromMasterAccount", "guardduty:DeleteMembers",
                  "guardduty:StopMonitoringMembers"),
    "SecurityHub": ("securityhub:DisableSecurityHub", "securityhub:DisassociateFromAdministratorAccount",
                    "securityhub:DisassociateFromMasterAccount", "securityhub:DeleteMembers",
                    "securityhub:BatchDisableStandards"),
}
KEY_ACTIONS = ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteImportedKeyMaterial")
ARCHIVE_ACTIONS = ("s3:DeleteBucket", "s3:DeleteBucketPolicy")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_TARGET = re.compile(r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|\d{12})$")
_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}|\*):role/[\w+=,.@/*-]+$")


@dataclass(frozen=True)
class OrganizationGuardrailsArgs:
    #: the regions workloads may use (from the residency map), plus where global plumbing lives
    allowed_regions: Sequence[str]
    #: roots (``r-...``), OUs (``ou-...``) or accounts the SCPs are attached to, by a stable key
    targets: Mapping[str, str]
    #: roles exempt from the guardrails (except leaving the organisation): the break-glass roles
    break_glass_role_arns: Sequence[str]
    #: the audit archive buckets (ARN patterns) nobody but break-glass may delete
    archive_bucket_arns: Sequence[str] = ("arn:aws:s3:::*-audit-*",)
    global_service_actions: Sequence[str] = GLOBAL_SERVICE_ACTIONS
    name_prefix: str = "azora"
    tags: Mapping[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if not self.allowed_regions:
            raise ValueError("OrganizationGuardrails: allowed_regions is empty (that would deny every region)")
        bad = [r for r in self.allowed_regions if not _REGION.match(r)]
        if bad:
            raise ValueError(f"OrganizationGuardrails: not AWS regions: {bad}")
        if not self.targets:
            raise ValueError("OrganizationGuardrails: no targets (root, OU or account ids) to attach the SCPs to")
        bad = [t for t in self.targets.values() if not _TARGET.match(t)]
        if bad:
            raise ValueError(f"OrganizationGuardrails: not a root, OU or account id: {bad}")
        if not self.break_glass_role_arns:
            raise ValueError("OrganizationGuardrails: name at least one break-glass role (else nobody can ever "
                             "retire a trail, a key or an archive)")
        bad = [a for a in self.break_glass_role_arns if not _ROLE_ARN.match(a)]
        if bad:
            raise ValueError(f"OrganizationGuardrails: not IAM role ARNs: {bad}")
        for core in ("iam:*", "sts:*", "organizations:*"):
            if core not in self.global_service_actions:
                raise ValueError(f"OrganizationGuardrails: {core} must stay exempt from the region deny")


def _unless_break_glass(roles: Sequence[str]) -> dict[str, object]:
    return {"ArnNotLike": {"aws:PrincipalARN": sorted(roles)}}


def policy_documents(args: OrganizationGuardrailsArgs) -> dict[str, dict[str, object]]:
    """The SCP documents by policy key (plain data: what the tests and the docs read)."""
    bg = _unless_break_glass(args.break_glass_role_arns)
    region_deny = {"Sid": "DenyOutsideAllowedRegions", "Effect": "Deny",
                   "NotAction": sorted(args.global_service_actions), "Resource": "*",
                   "Condition": {"StringNotEquals": {"aws:RequestedRegion": sorted(args.allowed_regions)}, **bg}}
    security = [{"Sid": f"Protect{svc}", "Effect": "Deny", "Action": list(actions), "Resource": "*", "Condition": bg}
                for svc, actions in SECURITY_SERVICE_ACTIONS.items()]
    return {
        "region-deny": {"Version": "2012-10-17", "Statement": [region_deny]},
        "deny-leave-organization": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyLeavingOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization",
             "Resource": "*"}]},
        "protect-security-services": {"Version": "2012-10-17", "Statement": security},
        "protect-keys-and-archives": {"Version": "2012-10-17", "Statement": [
            {"Sid": "ProtectKmsKeys", "Effect": "Deny", "Action": list(KEY_ACTIONS), "Resource": "*", "Condition": bg},
            {"Sid": "ProtectAuditArchives", "Effect": "Deny", "Action": list(ARCHIVE_ACTIONS),
             "Resource": sorted(args.archive_bucket_arns), "Condition": bg}]},
    }


def render(document: Mapping[str, object]) -> str:
    """Compact JSON (whitespace counts against the SCP size quota)."""
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


class OrganizationGuardrails(AzoraComponent):
    """SCPs for the organisation's management account, attached to every target.

    Outputs: ``policy_ids`` (policy key -> id), ``attachment_count``.
    """

    DESCRIPTIONS: Mapping[str, str] = {
        "region-deny": "Deny requests outside the allowed regions (global services exempt)",
        "deny-leave-organization": "Accounts cannot leave the organization",
        "protect-security-services": "Nobody but break-glass stops CloudTrail, Config, GuardDuty or Security Hub",
        "protect-keys-and-archives": "Nobody but break-glass deletes KMS keys or audit archive buckets",
    }

    def __init__(self, name: str, args: OrganizationGuardrailsArgs, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args.validate()
        super().__init__("azora:guardrails:OrganizationGuardrails", name, provider, opts)
        self.documents = {key: render(doc) for key, doc in policy_documents(args).items()}
        too_big = {k: len(v) for k, v in self.documents.items() if len(v) > SCP_MAX_CHARS}
        if too_big:
            raise ValueError(f"OrganizationGuardrails: SCPs over {SCP_MAX_CHARS} characters: {too_big}")
        self.policies: dict[str, aws.organizations.Policy] = {}
        attachments = 0
        for key, content in self.documents.items():
            policy = aws.organizations.Policy(
                self.child_name(key), name=f"{args.name_prefix}-{key}", description=self.DESCRIPTIONS[key],
                type="SERVICE_CONTROL_POLICY", content=content, tags=dict(args.tags) or None,
                opts=self.child_opts())
            self.policies[key] = policy
            for target_key, target_id in sorted(args.targets.items()):
                aws.organizations.PolicyAttachment(
                    self.child_name(key, target_key), policy_id=policy.id, target_id=target_id,
                    opts=self.child_opts())
                attachments += 1
        self.policy_ids: dict[str, pulumi.Output[str]] = {k: p.id for k, p in self.policies.items()}
        self.attachment_count = attachments
        self.register_outputs({"policyIds": self.policy_ids, "attachmentCount": attachments})
