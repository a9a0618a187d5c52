"""Issue 10, "The IAM it writes": each finding tried the way it was found, on the repository's plans.

Every case does the bad thing (a request the review said the IAM allowed) against the policy the
plan actually holds, and asserts IAM's answer with `tests.iam_policies.allows`; each also makes
the legitimate request and asserts it still works, so no case passes because nothing is allowed.
The whole-plan rules then walk every policy document of every repository stack.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from azora_infra.plan.model import Plan
from components.backup import AuroraRestoreTest, RegionalBackupArgs
from components.kms import ADMIN_ACTIONS, key_policy
from tests.iam_policies import PolicyDoc, allows, as_list, mutates, policy_documents, service_principals

ROOT = Path(__file__).resolve().parents[1]
STACKS = {"africa": "af-south-1", "europe": "eu-west-1", "asia": "ap-southeast-1"}
ACCOUNT = "123456789012"
FOREIGN = "999999999999"

#: Service principals trusted WITHOUT aws:SourceAccount/aws:SourceArn, and only in role trust
#: policies: the service documents no such keys when it assumes a role (a condition on them would
#: lock the role out), and only a principal of this account with iam:PassRole can hand the role
#: to the service. docs/iam.md lists them with the same reasons.
UNSCOPED_TRUST = {
    "eks.amazonaws.com": "EKS cluster role: EKS documents no aws:SourceArn/aws:SourceAccount on role assumption",
    "ec2.amazonaws.com": "node instance roles: EC2 passes no aws:SourceArn/aws:SourceAccount to STS",
    "backup.amazonaws.com": "AWS Backup service role: AWS Backup documents the keys for resource policies only",
}
#: Service principals scoped by another documented condition instead of aws:Source*.
SCOPED_BY: dict[str, tuple[str, ...]] = {
    "pods.eks.amazonaws.com": ("aws:RequestTag/eks-cluster-arn", "aws:RequestTag/kubernetes-namespace",
                               "aws:RequestTag/kubernetes-service-account"),
    "logs.*.amazonaws.com": ("kms:EncryptionContext:aws:logs:arn",),
    "cloudwatch.amazonaws.com": ("kms:EncryptionContext:aws:sns:topicArn",),
    "events.amazonaws.com": ("kms:EncryptionContext:aws:sns:topicArn",),
}
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn")
#: Mutating actions an identity policy may allow on "Resource": "*" (none today); each with why.
#: mutating actions that IAM only grants on "Resource": "*" (the Service Authorization Reference lists
#: no resource type for them) -> the condition key a statement must then carry to scope them, or
#: None where the action has no scoping key at all. Each is needed by a named component.
MUTATING_ON_ANY_RESOURCE: dict[str, str | None] = {
    # FIS experiment logging (components/chaos.py): vended-log delivery to the experiment log group
    "logs:CreateLogDelivery": None,
    "logs:PutResourcePolicy": None,
    # FIS API throttling (components/chaos.py): only for that FIS action and those target roles
    "ec2:InjectApiError": "ec2:FisActionId",
    # the canary's metrics (components/canary.py): only into its namespace
    "cloudwatch:PutMetricData": "cloudwatch:namespace",
    # X-Ray segments of the canary's active tracing (components/canary.py)
    "xray:PutTraceSegments": None,
}


@pytest.fixture(scope="module", params=sorted(STACKS))
def stack(request: pytest.FixtureRequest, repo_plan: Any) -> tuple[str, Plan]:
    return request.param, Plan(repo_plan(request.param))


def _doc(plan: Plan, type_: str, name: str, field: str = "policy") -> dict[str, Any]:
    return json.loads(plan.named(type_, name).inputs[field])


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    return {k for pairs in (statement.get("Condition") or {}).values() for k in pairs}


# --- 9. the load balancer controller --------------------------------------------------------------

def test_9_controller_cannot_touch_listeners_waf_certificates_or_other_groups(stack: tuple[str, Plan]) -> None:
    name, plan = stack
    region = STACKS[name]
    policy = _doc(plan, "aws:iam/rolePolicy:RolePolicy", "lb-controller-policy")
    listener = plan.named("aws:lb/listener:Listener", "edge-https").outputs["arn"]
    alb = plan.named("aws:lb/loadBalancer:LoadBalancer", "edge-alb").outputs["arn"]
    web_acl = plan.named("aws:wafv2/webAcl:WebAcl", "edge-waf").outputs["arn"]
    alb_sg = plan.named("aws:ec2/securityGroup:SecurityGroup", "edge-alb").outputs["id"]
    db_sg = plan.named("aws:ec2/securityGroup:SecurityGroup", "resident-sg").outputs["id"]
    node_sg = plan.named("aws:ec2/securityGroup:SecurityGroup", "eks-node").outputs["id"]
    groups = [g.outputs["arn"] for g in plan.of_type("aws:lb/targetGroup:TargetGroup")]

    def sg(group: str) -> str:
        return f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{group}"

    in_region = {"aws:RequestedRegion": region}
    # what a TargetGroupBinding needs still works
    assert groups and all(allows(policy, "elasticloadbalancing:RegisterTargets", g) for g in groups)
    assert all(allows(policy, "elasticloadbalancing:DeregisterTargets", g) for g in groups)
    assert allows(policy, "elasticloadbalancing:DescribeTargetHealth", "*", context=in_region)
    assert allows(policy, "ec2:DescribeSecurityGroups", "*", context=in_region)
    # the bad things
    bad = [
        ("elasticloadbalancing:ModifyListener", listener), ("elasticloadbalancing:DeleteListener", listener),
        ("elasticloadbalancing:AddListenerCertificates", listener),
        ("elasticloadbalancing:RemoveListenerCertificates", listener),
        ("elasticloadbalancing:SetWebAcl", alb), ("elasticloadbalancing:DeleteLoadBalancer", alb),
        ("elasticloadbalancing:ModifyLoadBalancerAttributes", alb), ("elasticloadbalancing:SetSecurityGroups", alb),
        ("elasticloadbalancing:CreateLoadBalancer", "*"), ("elasticloadbalancing:ModifyTargetGroup", groups[0]),
        ("elasticloadbalancing:DeleteTargetGroup", groups[0]), ("elasticloadbalancing:ModifyRule", "*"),
        ("wafv2:DisassociateWebACL", alb), ("wafv2:AssociateWebACL", web_acl),
        ("waf-regional:DisassociateWebACL", alb), ("shield:DeleteProtection", "*"),
        ("acm:DescribeCertificate", "*"), ("iam:CreateServiceLinkedRole", "*"),
        # the gateway owns the node group's rule admitting the ALB; bindings carry no `networking`
        ("ec2:AuthorizeSecurityGroupIngress", sg(node_sg)), ("ec2:RevokeSecurityGroupIngress", sg(node_sg)),
        ("ec2:AuthorizeSecurityGroupIngress", sg(alb_sg)), ("ec2:AuthorizeSecurityGroupIngress", sg(db_sg)),
        ("ec2:AuthorizeSecurityGroupIngress", sg("sg-0someoneelse")), ("ec2:RevokeSecurityGroupIngress", sg(db_sg)),
        ("ec2:CreateSecurityGroup", "*"), ("ec2:DeleteSecurityGroup", sg(node_sg)), ("ec2:CreateTags", sg(node_sg)),
        ("elasticloadbalancing:RegisterTargets",
         f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:targetgroup/not-ours/0123456789abcdef"),
    ]
    allowed = [(a, r) for a, r in bad if allows(policy, a, r, context=in_region)]
    assert allowed == []
    # reads stay in the stack's region
    assert not allows(policy, "elasticloadbalancing:DescribeTargetHealth", "*",
                      context={"aws:RequestedRegion": "us-east-1"})


# --- 10. KMS key administrators -------------------------------------------------------------------

ADMIN = f"arn:aws:iam::{ACCOUNT}:role/platform-admin"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/pulumi-deployer"


@pytest.mark.parametrize("purpose", ["data", "logs", "secrets", "backup"])
def test_10_key_administrator_cannot_use_the_key_or_grant_itself_use(purpose: str) -> None:
    doc = json.loads(key_policy(ACCOUNT, "af-south-1", purpose, [ADMIN], [], [DEPLOYER]))
    admin = {"AWS": ADMIN}
    # managing the key still works
    for action in ("kms:DisableKey", "kms:EnableKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                   "kms:RevokeGrant", "kms:GetKeyPolicy", "kms:RotateKeyOnDemand"):
        assert allows(doc, action, "*", principal=admin), action
    # the bad things: use it, or give itself use of it (directly, not through an AWS service)
    for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant",
                   "kms:PutKeyPolicy", "kms:ReplicateKey", "kms:ImportKeyMaterial", "kms:CreateAlias",
                   "kms:UpdateAlias", "kms:TagResource", "kms:DisableKeyRotation"):
        assert not allows(doc, action, "*", principal=admin, context={"kms:CallerAccount": ACCOUNT}), action
    # only the key-policy owner (the deployer) may change the policy
    assert allows(doc, "kms:PutKeyPolicy", "*", principal={"AWS": DEPLOYER})


def test_10_repo_keys_list_admin_actions_explicitly(stack: tuple[str, Plan]) -> None:
    _, plan = stack
    keys = [k for k in plan.of_type("aws:kms/key:Key") if k.name.startswith("keys-")]
    assert len(keys) == 4
    for key in keys:
        statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
        admin = statements["KeyAdministration"]["Action"]
        assert admin == ADMIN_ACTIONS, key.name
        assert not [a for a in admin if "*" in a], key.name


# --- 11. Karpenter's interruption queue -----------------------------------------------------------

def test_11_queue_refuses_messages_from_any_other_rule(stack: tuple[str, Plan]) -> None:
    name, plan = stack
    region = STACKS[name]
    queue = plan.named("aws:sqs/queue:Queue", "karpenter-interruption").outputs["arn"]
    policy = _doc(plan, "aws:sqs/queuePolicy:QueuePolicy", "karpenter-interruption")
    rules = [r.outputs["arn"] for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")
             if r.name.startswith("karpenter-")]
    events = {"Service": "events.amazonaws.com"}
    secure = {"aws:SecureTransport": "true"}
    assert len(rules) == 4
    for rule in rules:
        assert allows(policy, "sqs:SendMessage", queue, principal=events, context={**secure, "aws:SourceArn": rule})
    for source in (f"arn:aws:events:{region}:{ACCOUNT}:rule/someone-elses-rule",
                   f"arn:aws:events:{region}:{FOREIGN}:rule/{rules[0].rsplit('/', 1)[-1]}", None):
        context = {**secure, **({"aws:SourceArn": source} if source else {})}
        assert not allows(policy, "sqs:SendMessage", queue, principal=events, context=context), source
    assert not allows(policy, "sqs:SendMessage", queue, principal={"Service": "sqs.amazonaws.com"},
                      context={**secure, "aws:SourceArn": rules[0]})


# --- 12. service principals without aws:SourceAccount / aws:SourceArn -------------------------------

def _scope(service: str) -> tuple[str, ...] | None:
    for pattern, keys in SCOPED_BY.items():
        if re.fullmatch(pattern.replace(".", r"\.").replace("*", r"[a-z0-9-]+"), service):
            return keys
    return None


def _foreign_context(statement: dict[str, Any], region: str) -> dict[str, str]:
    """What the same service sends when it acts for someone else (another account's resource,
    another cluster's service account, another topic or log group)."""
    context = {"aws:SourceAccount": FOREIGN, "aws:SourceArn": f"arn:aws:events:{region}:{FOREIGN}:rule/x",
               "aws:SecureTransport": "true", "kms:CallerAccount": FOREIGN}
    for key in _condition_keys(statement):
        if key.startswith(("aws:RequestTag/", "kms:EncryptionContext:")):
            context[key] = f"arn:aws:sns:{region}:{FOREIGN}:foreign"
    return context


def _sample(pattern: str) -> str:
    return pattern.replace("*", "x").replace("?", "x")


def test_12_no_service_principal_acts_for_another_account(stack: tuple[str, Plan]) -> None:
    """For every statement that trusts an AWS service: the service acting for another account (or
    another cluster's pod, another topic, another log group) is refused, unless the service is on
    the documented allow-list of role trusts it cannot be scoped in."""
    name, plan = stack
    region = STACKS[name]
    checked = 0
    for doc in policy_documents(plan):
        for s in doc.statements:
            services = service_principals(s)
            if s["Effect"] != "Allow" or not services:
                continue
            for service in services:
                keys = _condition_keys(s)
                if service in UNSCOPED_TRUST and doc.is_trust_policy:
                    continue
                scope = _scope(service)
                if not keys & set(SOURCE_KEYS):
                    assert scope is not None and set(scope) <= keys, (
                        f"{doc.where()}: {service} is trusted without aws:SourceAccount/aws:SourceArn "
                        "(or a documented equivalent)")
                action = str(as_list(s["Action"])[0])
                resource = _sample(str(as_list(s.get("Resource", "*"))[0]))
                principal = {"Service": service}
                single = {"Statement": [s]}
                unconditioned = {"Statement": [{k: v for k, v in s.items() if k != "Condition"}]}
                assert allows(unconditioned, action, resource, principal=principal)
                assert not allows(single, action, resource, principal=principal,
                                  context=_foreign_context(s, region)), (doc.where(), service)
                checked += 1
    # africa: flow logs, enhanced monitoring x2, Pod Identity x4, EventBridge, AWS Backup (topic, key),
    # CloudWatch (topic, key), CloudWatch Logs, WAF log delivery
    assert checked >= 14


def test_12_allow_list_is_documented() -> None:
    text = (ROOT / "docs" / "iam.md").read_text(encoding="utf-8")
    for service in (*UNSCOPED_TRUST, *SCOPED_BY):
        assert f"`{service}`" in text, service
    for keys in SCOPED_BY.values():
        for key in keys:
            assert key in text, key


# --- 13. monthly restore tests ----------------------------------------------------------------------

def test_13_restore_tests_never_restore_everything_or_with_aws_defaults(stack: tuple[str, Plan]) -> None:
    name, plan = stack
    region = STACKS[name]
    personal = {c.outputs["arn"] for c in plan.of_type("aws:rds/cluster:Cluster") if c.data_class == "personal"}
    selections = plan.of_type("aws:backup/restoreTestingSelection:RestoreTestingSelection")
    assert selections and personal
    for sel in selections:
        arns = sel.inputs["protectedResourceArns"]
        assert "*" not in arns and all(a.startswith(f"arn:aws:rds:{region}:") for a in arns), sel.name
        assert "protectedResourceConditions" not in sel.inputs
        keys = {k.lower() for k in sel.inputs["restoreMetadataOverrides"]}
        assert {"dbsubnetgroupname", "vpcsecuritygroupids", "kmskeyid"} <= keys, sel.name
        assert sel.region == region
    restored_personal = {a for s in selections if s.inputs["name"] == "aurora_personal"
                         for a in s.inputs["protectedResourceArns"]}
    assert restored_personal == personal


def test_13_asking_for_every_cluster_or_the_default_placement_is_refused() -> None:
    resident = "arn:aws:rds:af-south-1:123456789012:cluster:azora-africa-resident"
    with pytest.raises(ValueError, match="not an Aurora cluster in af-south-1"):
        RegionalBackupArgs(region="af-south-1", kms_key_arn="k", restore_subnet_group_name="db",
                           restore_kms_key_arn="k", restore_tests={
                               "personal": AuroraRestoreTest(["*"], ["sg-1"])}).validate()
    with pytest.raises(ValueError, match="need restore_subnet_group_name"):
        RegionalBackupArgs(region="af-south-1", kms_key_arn="k", restore_tests={
            "personal": AuroraRestoreTest([resident], ["sg-1"])}).validate()


# --- the whole plan -------------------------------------------------------------------------------------

def _problems(doc: PolicyDoc) -> list[str]:
    out: list[str] = []
    for s in doc.statements:
        if s["Effect"] != "Allow":
            continue
        where = f"{doc.where()} {s.get('Sid') or ''}".strip()
        if {"NotAction", "NotResource", "NotPrincipal"} & set(s):
            out.append(f"{where}: NotAction/NotResource/NotPrincipal in an Allow")
        actions = [str(a) for a in as_list(s.get("Action"))]
        if "*" in actions:
            out.append(f'{where}: "Action": "*"')
        out += [f"{where}: service wildcard {a}" for a in actions if re.fullmatch(r"[\w-]+:\*", a)]
        principal = s.get("Principal")
        if principal in ("*", {"AWS": "*"}) and not s.get("Condition"):
            out.append(f"{where}: allows everyone without a condition")
        if doc.is_identity_policy and "*" in as_list(s.get("Resource")):
            keys = _condition_keys(s)
            out += [f'{where}: {a} on "Resource": "*"' for a in actions
                    if mutates(a) and not (a in MUTATING_ON_ANY_RESOURCE and (
                        MUTATING_ON_ANY_RESOURCE[a] is None or MUTATING_ON_ANY_RESOURCE[a] in keys))]
    return out


def test_whole_plan_iam_has_no_wildcards_and_no_mutation_on_every_resource(stack: tuple[str, Plan]) -> None:
    _, plan = stack
    docs = list(policy_documents(plan))
    assert len(docs) >= 25
    problems = [p for d in docs for p in _problems(d)]
    assert problems == []


def test_whole_plan_rules_catch_what_they_hunt() -> None:
    """The rules find each kind of problem (a rule that never fires proves nothing)."""
    from azora_infra.plan.model import Resource

    def doc(type_: str, statement: dict[str, Any], field: str = "policy") -> PolicyDoc:
        return PolicyDoc(Resource({"type": type_, "name": "x", "urn": "u", "custom": True}), field,
                         {"Statement": [{"Effect": "Allow", **statement}]})

    role_policy = "aws:iam/rolePolicy:RolePolicy"
    assert _problems(doc(role_policy, {"Action": "*", "Resource": "arn:aws:s3:::b"}))
    assert _problems(doc(role_policy, {"Action": ["wafv2:*"], "Resource": "arn:aws:wafv2:x"}))
    assert _problems(doc(role_policy, {"Action": "ec2:AuthorizeSecurityGroupIngress", "Resource": "*"}))
    assert _problems(doc("aws:sns/topicPolicy:TopicPolicy", {"Principal": "*", "Action": "sns:Publish",
                                                              "Resource": "arn:aws:sns:x"}))
    assert _problems(doc(role_policy, {"NotAction": "iam:*", "Resource": "*"}))
    assert not _problems(doc(role_policy, {"Action": ["ec2:DescribeVpcs"], "Resource": "*"}))
    # an action IAM grants only on "*" still needs its scoping condition where one exists
    assert _problems(doc(role_policy, {"Action": "ec2:InjectApiError", "Resource": "*"}))
    assert not _problems(doc(role_policy, {"Action": "ec2:InjectApiError", "Resource": "*", "Condition": {
        "ForAnyValue:StringEquals": {"ec2:FisActionId": ["aws:fis:inject-api-throttle-error"]}}}))
    assert not _problems(doc("aws:kms/key:Key", {"Principal": {"AWS": "arn:aws:iam::1:root"},
                                                  "Action": ["kms:DisableKey"], "Resource": "*"}))
