"""`azora:ownership`: each part's resources carry its owner's team, service and cost center (and customer),
through one provider per owner; a service has one owner; the customer tag is a customer id."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from azora_infra.compose.alerting import build_alerting
from azora_infra.compose.cost import build_cost
from azora_infra.compose.ownership import owner_providers
from azora_infra.config import ConfigError, parse_config
from azora_infra.config.ownership import PARTS, OwnershipConfig
from azora_infra.plan.model import Plan
from azora_infra.provider import region_provider
from tests.harness import record
from tests.test_config import VALID

DATA = {"team": "data", "service": "data-platform", "costCenter": "cc-2001-data"}


def _raw(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(VALID)
    raw["azora:alerting"] = {"page": {"emails": ["oncall@azora.example"]},
                             "ticket": {"emails": ["platform@azora.example"]}}
    raw.update({f"azora:{k}": v for k, v in changes.items()})
    return raw


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "Pulumi.africa.yaml")
    return str(info.value)


def test_every_part_is_a_setting_and_vice_versa() -> None:
    assert set(PARTS) == set(OwnershipConfig.model_fields)


def test_part_owner_tags_override_the_stack_tags_and_keep_the_extra_tags() -> None:
    cfg = parse_config(_raw(ownership={"database": DATA}, tags={"team": "platform", "service": "azora-os",
                                                                "costCenter": "cc-1", "extra": {"owner": "x"}}),
                       "Pulumi.africa.yaml")
    assert cfg.owner_tags("database") == {"azora:team": "data", "azora:service": "data-platform",
                                          "azora:cost-center": "cc-2001-data", "azora:environment": "prod",
                                          "owner": "x"}
    assert cfg.owner_tags("network")["azora:cost-center"] == "cc-1"
    assert cfg.cost_centers() == ["cc-1", "cc-2001-data"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"ownership": {"databse": DATA}}, "azora:ownership.databse: is not a known setting"),
    ({"ownership": {"database": DATA, "cache": {**DATA, "team": "other"}}},
     "azora:ownership.cache: service 'data-platform' is already owned by ownership.database"),
    ({"ownership": {"database": {"team": "data", "service": "azora-os", "costCenter": "cc-9"}}},
     "azora:ownership.database: service 'azora-os' is azora:tags.service"),
    ({"ownership": {"cache": {**DATA, "customer": "Acme Inc"}}}, "is not a customer id"),
    ({"tags": {"team": "t", "service": "s", "costCenter": "c", "customer": "ACME"}}, "is not a customer id"),
    ({"ownership": {"database": {**DATA, "costCenter": "cc<1>"}}}, "is not a valid AWS tag value"),
])
def test_bad_ownership_is_one_clear_line(changes: dict[str, Any], message: str) -> None:
    assert message in _error(_raw(**changes))


def test_one_provider_per_owner_service_and_the_parts_use_theirs() -> None:
    cfg = parse_config(_raw(ownership={"database": DATA, "cache": DATA,
                                       "identity": {"team": "id", "service": "identity", "costCenter": "cc-4",
                                                    "customer": "acme"}}), "Pulumi.africa.yaml")

    def program() -> None:
        owners = owner_providers(cfg, region_provider(cfg))
        assert owners.of("database") is owners.of("cache") is owners.by_service["data-platform"]
        assert owners.of("network") is owners.default
        with pytest.raises(KeyError, match="unknown platform part"):
            owners.of("databass")
        build_alerting(cfg, "africa", owners.of("identity"))
    plan = record(program, config={})
    providers = {p.name: p.inputs for p in plan.of_type("pulumi:providers:aws")}
    assert set(providers) == {"aws-af-south-1", "aws-af-south-1-data-platform", "aws-af-south-1-identity"}
    topic = plan.named("aws:sns/topic:Topic", "alerts-page")
    assert topic.tags["azora:customer"] == "acme" and topic.tags["azora:cost-center"] == "cc-4"
    assert topic.region == "af-south-1"


def test_a_customer_makes_the_primary_activate_the_customer_tag() -> None:
    cfg = parse_config(_raw(ownership={"cache": {**DATA, "customer": "acme"}}), "Pulumi.africa.yaml")

    def program() -> None:
        owners = owner_providers(cfg, region_provider(cfg))
        build_cost(cfg, "africa", owners, build_alerting(cfg, "africa", owners.of("observability")))
    plan = record(program, config={})
    keys = {t.inputs["tagKey"] for t in plan.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag")}
    assert "azora:customer" in keys and len(keys) == 5


def test_repo_parts_carry_their_owners_cost_center(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    plan = Plan(repo_plan("europe"))
    by_name = {r.name: r for r in plan if r.custom}
    expect = {"aurora-cluster": "cc-2001-data", "cache-rg": "cc-2001-data", "backup-vault": "cc-2001-data",
              "keys-data": "cc-3001-security", "audit-trail": "cc-3001-security",
              "posture-guardduty": "cc-3001-security", "identity-users": "cc-4001-identity",
              "network-vpc": "cc-1001-platform", "eks-cluster": "cc-1001-platform",
              "edge-alb": "cc-1001-platform"}
    for name, cc in expect.items():
        assert by_name[name].tags["azora:cost-center"] == cc, name
    # EC2 instances do not inherit provider tags: the node groups' launch template carries the eks owner's tags
    node_tags = plan.named("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "karpenter-nodeclass-default").inputs[
        "spec"]["tags"]
    assert node_tags["azora:cost-center"] == "cc-1001-platform"
    aws_providers = [p for p in plan.of_type("pulumi:providers:aws")]
    assert len(aws_providers) == 4  # the stack's own, data, security, identity
