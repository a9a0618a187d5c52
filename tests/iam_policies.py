"""Read the IAM a plan writes: find every policy document and evaluate requests against one.

`policy_documents(plan)` yields every JSON policy document a resource input holds (role trust
policies, role policies, key policies, topic/queue/bucket/vault/log resource policies), with the
resource and the input it came from.

`allows(doc, action, resource, principal=..., context=...)` evaluates one request the way IAM
evaluates a single policy: an explicit Deny wins, otherwise some Allow statement must match the
action, the resource, the principal (for resource policies) and every condition. Condition keys
missing from ``context`` fail their condition, as in IAM. Operators this module does not model,
``NotAction``/``NotResource``/``NotPrincipal``, raise: a test must never pass because the
evaluator did not understand a statement.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from azora_infra.plan.model import Plan, Resource

#: action verbs that read (a mutating action with "Resource": "*" is what the whole-plan rule hunts)
READ_VERBS = ("Describe", "Get", "List", "BatchGet", "Search", "Lookup", "Scan", "Query", "View")


@dataclass(frozen=True)
class PolicyDoc:
    resource: Resource
    field: str
    doc: dict[str, Any]

    @property
    def statements(self) -> list[dict[str, Any]]:
        s = self.doc["Statement"]
        return [s] if isinstance(s, dict) else list(s)

    @property
    def is_trust_policy(self) -> bool:
        return self.field == "assumeRolePolicy"

    @property
    def is_identity_policy(self) -> bool:
        return self.resource.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy",
                                      "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy")

    def where(self) -> str:
        return f"{self.resource.type} {self.resource.name} ({self.field})"


def policy_documents(plan: Plan) -> Iterator[PolicyDoc]:
    for r in plan:
        for field, value in r.inputs.items():
            if not isinstance(value, str) or '"Statement"' not in value:
                continue
            try:
                doc = json.loads(value)
            except ValueError:
                continue
            if isinstance(doc, dict) and "Statement" in doc:
                yield PolicyDoc(r, field, doc)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, (str, int, bool)) else list(value)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    pattern = pattern.replace("[", "[[]")
    if ignore_case:
        return fnmatch.fnmatchcase(value.lower(), pattern.lower())
    return fnmatch.fnmatchcase(value, pattern)


def service_principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return []
    return [str(p) for p in as_list(principal.get("Service"))]


def _principal_matches(stated: Any, principal: Mapping[str, str]) -> bool:
    if stated == "*":
        return True
    for kind, who in principal.items():
        listed = [str(p) for p in as_list(stated.get(kind))]
        if "*" in listed or who in listed:
            return True
        if kind == "AWS":
            # the account root stands for every principal of the account that IAM allows
            account = who.split(":")[4] if who.count(":") >= 5 else who
            if f"arn:aws:iam::{account}:root" in listed or account in listed:
                return True
    return False


def _condition_holds(op: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    actual = context.get(key)
    wanted = [str(e) for e in as_list(expected)]
    if op == "Null":
        return (actual is None) == (wanted == ["true"])
    if op.endswith("IfExists"):
        if actual is None:
            return True
        op = op.removesuffix("IfExists")
    if actual is None:
        return False
    values = [str(v) for v in as_list(actual)]
    if op == "StringEquals":
        return any(v in wanted for v in values)
    if op in ("StringLike", "ArnLike", "ArnEquals"):
        # IAM treats ArnEquals and ArnLike alike: wildcards allowed in both
        return any(wildcard_match(w, v) for w in wanted for v in values)
    if op == "Bool":
        return any(v.lower() in [w.lower() for w in wanted] for v in values)
    if op == "ForAllValues:StringEquals":
        return all(v in wanted for v in values)
    raise NotImplementedError(f"condition operator {op} is not modelled")


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    return all(_condition_holds(op, key, expected, context)
               for op, pairs in conditions.items() for key, expected in pairs.items())


def allows(doc: Mapping[str, Any], action: str, resource: str, *, principal: Mapping[str, str] | None = None,
           context: Mapping[str, Any] | None = None) -> bool:
    """Whether this one policy lets ``principal`` (resource policies) call ``action`` on ``resource``."""
    ctx = context or {}
    allowed = False
    statements = doc["Statement"]
    for s in [statements] if isinstance(statements, dict) else statements:
        unmodelled = {"NotAction", "NotResource", "NotPrincipal"} & set(s)
        if unmodelled:
            raise NotImplementedError(f"{sorted(unmodelled)} is not modelled")
        if principal is not None and "Principal" in s and not _principal_matches(s["Principal"], principal):
            continue
        if not any(wildcard_match(str(a), action, ignore_case=True) for a in as_list(s.get("Action"))):
            continue
        # a trust policy names no Resource: it is the role the policy belongs to
        if "Resource" in s and not any(wildcard_match(str(r), resource) for r in as_list(s["Resource"])):
            continue
        if not _conditions_hold(s.get("Condition") or {}, ctx):
            continue
        if s["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def mutates(action: str) -> bool:
    verb = action.split(":", 1)[-1]
    return not verb.startswith(READ_VERBS)
