"""OrganizationGuardrails: the SCPs deny what they should and nothing they should not (evaluated as AWS
evaluates a Deny), fit the SCP size quota, attach to every target; the examples/organization program
plans offline with the regions of the residency map."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pulumi_aws as aws
import pytest

from azora_infra import regions
from azora_infra.cli import main
from azora_infra.plan import run_plan
from azora_infra.plan.model import Plan
from components.guardrails import (
    GLOBAL_SERVICE_ACTIONS,
    SCP_MAX_CHARS,
    OrganizationGuardrails,
    OrganizationGuardrailsArgs,
    policy_documents,
    render,
)
from tests.harness import ROOT, record

ALLOWED = ("af-south-1", "ap-southeast-1", "eu-central-1", "eu-west-1", "us-east-1")
BREAK_GLASS = "arn:aws:iam::*:role/azora-break-glass"
ARGS = OrganizationGuardrailsArgs(allowed_regions=ALLOWED, targets={"workloads": "ou-ab12-34cd56ef",
                                                                    "sandbox": "123456789012"},
                                  break_glass_role_arns=[BREAK_GLASS])
DEPLOYER = "arn:aws:iam::210987654321:role/ci-deployer"
EMERGENCY = "arn:aws:iam::210987654321:role/azora-break-glass"


def _as_list(v: Any) -> list[str]:
    return v if isinstance(v, list) else [v]


def _condition_holds(cond: dict[str, Any], ctx: dict[str, str]) -> bool:
    for op, checks in cond.items():
        for key, values in checks.items():
            have, want = ctx.get(key, ""), _as_list(values)
            if op == "StringNotEquals" and have in want:
                return False
            if op == "ArnNotLike" and any(fnmatch.fnmatchcase(have, w) for w in want):
                return False
    return True


def denied(action: str, region: str, principal: str, resource: str = "*") -> list[str]:
    """The Sids of the guardrails that deny this request (SCPs only deny; an empty list: not denied)."""
    ctx = {"aws:RequestedRegion": region, "aws:PrincipalARN": principal}
    out = []
    for doc in policy_documents(ARGS).values():
        for st in doc["Statement"]:
            if "Action" in st:
                acts = _as_list(st["Action"])
                in_scope = any(fnmatch.fnmatchcase(action, a) for a in acts)
            else:
                in_scope = not any(fnmatch.fnmatchcase(action, a) for a in st["NotAction"])
            if not in_scope:
                continue
            if not any(fnmatch.fnmatchcase(resource, r) for r in _as_list(st["Resource"])):
                continue
            if _condition_holds(st.get("Condition", {}), ctx):
                out.append(st["Sid"])
    return out


@pytest.mark.parametrize(("action", "region", "principal", "resource", "deny"), [
    ("ec2:RunInstances", "us-west-2", DEPLOYER, "*", ["DenyOutsideAllowedRegions"]),
    ("rds:CreateDBCluster", "sa-east-1", DEPLOYER, "*", ["DenyOutsideAllowedRegions"]),
    ("ec2:RunInstances", "af-south-1", DEPLOYER, "*", []),
    ("s3:PutObject", "eu-west-1", DEPLOYER, "*", []),
    # global services are answered from us-east-1 whatever region a request names: never region-denied
    ("iam:CreateRole", "us-west-2", DEPLOYER, "*", []),
    ("organizations:DescribeOrganization", "eu-north-1", DEPLOYER, "*", []),
    ("route53:ChangeResourceRecordSets", "us-west-2", DEPLOYER, "*", []),
    ("cloudfront:CreateDistribution", "us-west-2", DEPLOYER, "*", []),
    ("support:CreateCase", "us-west-2", DEPLOYER, "*", []),
    ("budgets:ModifyBudget", "us-west-2", DEPLOYER, "*", []),
    ("ce:GetCostAndUsage", "us-west-2", DEPLOYER, "*", []),
    ("sts:AssumeRole", "us-west-2", DEPLOYER, "*", []),
    ("ec2:RunInstances", "us-west-2", EMERGENCY, "*", []),
    ("organizations:LeaveOrganization", "us-east-1", EMERGENCY, "*", ["DenyLeavingOrganization"]),
    ("cloudtrail:StopLogging", "af-south-1", DEPLOYER, "*", ["ProtectCloudTrail"]),
    ("cloudtrail:StopLogging", "af-south-1", EMERGENCY, "*", []),
    ("config:StopConfigurationRecorder", "eu-west-1", DEPLOYER, "*", ["ProtectConfig"]),
    ("guardduty:DeleteDetector", "ap-southeast-1", DEPLOYER, "*", ["ProtectGuardDuty"]),
    ("securityhub:DisableSecurityHub", "ap-southeast-1", DEPLOYER, "*", ["ProtectSecurityHub"]),
    ("cloudtrail:PutEventSelectors", "af-south-1", DEPLOYER, "*", []),  # deployments still manage the trail
    ("kms:ScheduleKeyDeletion", "af-south-1", DEPLOYER, "*", ["ProtectKmsKeys"]),
    ("s3:DeleteBucket", "af-south-1", DEPLOYER, "arn:aws:s3:::azora-africa-audit-123456789012",
     ["ProtectAuditArchives"]),
    ("s3:DeleteBucket", "af-south-1", DEPLOYER, "arn:aws:s3:::azora-africa-scratch", []),
    ("s3:DeleteBucket", "af-south-1", EMERGENCY, "arn:aws:s3:::azora-africa-audit-123456789012", []),
])
def test_guardrails_deny_exactly_what_they_should(action: str, region: str, principal: str, resource: str,
                                                  deny: list[str]) -> None:
    assert denied(action, region, principal, resource) == deny


def test_documents_fit_the_scp_quota_and_exempt_the_core_global_services() -> None:
    docs = {k: render(v) for k, v in policy_documents(ARGS).items()}
    assert all(len(d) <= SCP_MAX_CHARS for d in docs.values()), {k: len(d) for k, d in docs.items()}
    region_deny = policy_documents(ARGS)["region-deny"]["Statement"][0]
    for service in ("iam:*", "organizations:*", "route53:*", "cloudfront:*", "support:*", "budgets:*", "ce:*",
                    "sts:*"):
        assert service in region_deny["NotAction"]
    assert region_deny["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == sorted(ALLOWED)


def test_each_policy_is_attached_to_every_target() -> None:
    def program() -> None:
        OrganizationGuardrails("guardrails", ARGS, aws.Provider("management", region="us-east-1"))
    plan = record(program, region="us-east-1")
    policies = {p.inputs["name"]: p for p in plan.of_type("aws:organizations/policy:Policy")}
    assert set(policies) == {f"azora-{k}" for k in policy_documents(ARGS)}
    assert all(p.inputs["type"] == "SERVICE_CONTROL_POLICY" for p in policies.values())
    assert json.loads(policies["azora-region-deny"].inputs["content"]) == policy_documents(ARGS)["region-deny"]
    targets = sorted((a.inputs["policyId"], a.inputs["targetId"])
                     for a in plan.of_type("aws:organizations/policyAttachment:PolicyAttachment"))
    assert targets == sorted((p.outputs["id"], t) for p in policies.values()
                             for t in ("123456789012", "ou-ab12-34cd56ef"))


@pytest.mark.parametrize(("kw", "message"), [
    ({"allowed_regions": ()}, "would deny every region"),
    ({"allowed_regions": ("mars-1",)}, "not AWS regions"),
    ({"targets": {}}, "no targets"),
    ({"targets": {"x": "not-an-ou"}}, "not a root, OU or account id"),
    ({"break_glass_role_arns": ()}, "at least one break-glass role"),
    ({"break_glass_role_arns": ("arn:aws:iam::*:user/bob",)}, "not IAM role ARNs"),
    ({"global_service_actions": tuple(a for a in GLOBAL_SERVICE_ACTIONS if a != "iam:*")}, "iam:\\* must stay exempt"),
])
def test_bad_arguments_are_refused(kw: dict[str, Any], message: str) -> None:
    args = OrganizationGuardrailsArgs(**{"allowed_regions": ALLOWED, "targets": {"w": "ou-ab12-34cd56ef"},
                                         "break_glass_role_arns": [BREAK_GLASS], **kw})
    with pytest.raises(ValueError, match=message):
        args.validate()


def test_an_oversized_scp_is_refused_before_anything_is_created() -> None:
    args = OrganizationGuardrailsArgs(allowed_regions=ALLOWED, targets={"w": "ou-ab12-34cd56ef"},
                                      break_glass_role_arns=[BREAK_GLASS],
                                      global_service_actions=(*GLOBAL_SERVICE_ACTIONS,
                                                              *(f"svc{i}:Action{i}" for i in range(400))))
    with pytest.raises(Exception, match="SCPs over 5120 characters"):
        record(lambda: OrganizationGuardrails("g", args, aws.Provider("m", region="us-east-1")), region="us-east-1")


def test_example_organization_program_plans_offline_with_the_residency_map() -> None:
    plan = Plan(run_plan("management", ROOT / "examples" / "organization"))
    expected = sorted({r.name for r in regions.REGIONS.values() if r.jurisdiction in ("ZA", "EU", "SG")}
                      | {"us-east-1"})
    assert plan.outputs["allowedRegions"] == expected
    content = json.loads(plan.named("aws:organizations/policy:Policy", "guardrails-region-deny").inputs["content"])
    assert content["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == expected
    assert len(plan.of_type("aws:organizations/policyAttachment:PolicyAttachment")) == 4


def test_example_refuses_an_unknown_jurisdiction(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    program = tmp_path / "organization"
    shutil.copytree(ROOT / "examples" / "organization", program)
    stack = program / "Pulumi.management.yaml"
    stack.write_text(stack.read_text().replace("[ZA, EU, SG]", "[ZA, XX]"))
    code = main(["plan", "--program", str(program), "--stack", "management"])
    err = capsys.readouterr().err
    assert code == 2 and "organization:jurisdictions: unknown ['XX']" in err
    assert len(err.strip().splitlines()) == 1
