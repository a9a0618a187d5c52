"""WAFv2: rules (inline or the v7 standalone aws:wafv2/webAclRule:WebAclRule and rule-group associations),
actions, the Log4j managed rule group, logging, and association with internet-facing ALBs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from . import tokens as T
from .elb import lb_type
from .props import Res, as_list, dig, parse_json
from .rules import Stack, peek, resource_rule, stack_rule

KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"


def _attached(stack: Stack, acl: Res, *types: str) -> list[Res]:
    return stack.referrers(acl, "webAclArn", *types)


def _inline_rules(acl: Res) -> list[Any]:
    rules = as_list(peek(acl, "rules"))
    if not rules and peek(acl, "ruleJson"):
        rules = as_list(parse_json(peek(acl, "ruleJson")))
    return rules


@stack_rule("waf-has-rules")
def has_rules(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for acl in stack.of_type(T.WAF_ACL):
        if _inline_rules(acl) or _attached(stack, acl, T.WAF_RULE, T.WAF_RULE_GROUP_ASSOC):
            continue
        yield acl, "web ACL without rules: add managed rule groups and a rate limit (inline or as WebAclRule resources)"


@resource_rule("waf-rules-have-actions", T.WAF_ACL, T.WAF_RULE_GROUP, T.WAF_RULE)
def rule_actions(r: Res, _cfg: Mapping[str, Any]) -> Iterator[str]:
    rules = [r.props] if r.type == T.WAF_RULE else as_list(r.get("rules"))
    if r.type == T.WAF_ACL and not rules and r.get("ruleJson"):
        rules = as_list(parse_json(r.get("ruleJson")))
    for rule in rules:
        if not any(dig(rule, k) for k in ("action", "overrideAction", "Action", "OverrideAction")):
            yield (f"rule '{dig(rule, 'name') or dig(rule, 'Name') or r.name}' has no action: set action (statements) "
                   "or overrideAction (rule-group references)")


def _mentions(value: Any, needle: str) -> bool:
    try:
        return needle in json.dumps(value, default=str)
    except (TypeError, ValueError):
        return False


@stack_rule("waf-log4j-managed-rules")
def log4j(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for acl in stack.of_type(T.WAF_ACL):
        sources: list[Any] = [_inline_rules(acl)]
        sources += [dict(x.props) for x in _attached(stack, acl, T.WAF_RULE, T.WAF_RULE_GROUP_ASSOC)]
        if not any(_mentions(_plain(s), KNOWN_BAD_INPUTS) for s in sources):
            yield acl, (f"web ACL without {KNOWN_BAD_INPUTS} (Log4j and other known-bad inputs): add a "
                        f"managedRuleGroupStatement {{vendorName: 'AWS', name: '{KNOWN_BAD_INPUTS}'}}")


def _plain(value: Any) -> Any:
    """Copy a (proxied) value to plain dicts/lists; unknowns read as None."""
    from pulumi_policy.proxy import UnknownValueError

    if isinstance(value, Mapping):
        out = {}
        for k in value:
            try:
                out[k] = _plain(value[k])
            except UnknownValueError:
                out[k] = None
        return out
    if isinstance(value, list | tuple) or (hasattr(value, "__len__") and hasattr(value, "__getitem__")
                                           and not isinstance(value, str | bytes)):
        items = []
        for i in range(len(value)):
            try:
                items.append(_plain(value[i]))
            except UnknownValueError:
                items.append(None)
        return items
    return value


@stack_rule("waf-logging")
def logging(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for acl in stack.of_type(T.WAF_ACL):
        if not stack.referrers(acl, "resourceArn", T.WAF_LOGGING):
            yield acl, "web ACL without logging: add aws.wafv2.WebAclLoggingConfiguration(resourceArn=acl.arn, ...)"


@stack_rule("alb-waf-associated")
def alb_waf(stack: Stack, _cfg: Mapping[str, Any]) -> Iterator[tuple[Res, str]]:
    for lb in stack.of_type(*T.LB):
        if lb_type(lb) != "application" or peek(lb, "internal") is True:
            continue
        if not stack.referrers(lb, "resourceArn", T.WAF_ASSOC):
            yield lb, "internet-facing ALB without a web ACL: add aws.wafv2.WebAclAssociation(resourceArn=alb.arn, ...)"
