"""One `aws.Provider` per owner: each part's resources carry its owner's cost tags.

`azora:ownership` names a team, service and cost center (and optionally a customer) per platform
part. Every owner gets a provider in the stack's region whose ``default_tags`` are its tags, and the
composition hands each component the provider of the part it belongs to, so no component needs to
know about owners. Parts not listed use the stack's provider (`azora:tags`). Providers are keyed by
the owner's service (config validation guarantees a service has one owner), so parts that share an
owner share a provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..config import StackConfig
from ..config.ownership import PARTS
from ..provider import allowed_accounts


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "owner"


@dataclass
class OwnerProviders:
    #: the stack's own provider (azora:tags)
    default: aws.Provider
    #: owner service -> its provider (owners other than azora:tags)
    by_service: dict[str, aws.Provider] = field(default_factory=dict)
    #: part -> its provider
    by_part: dict[str, aws.Provider] = field(default_factory=dict)
    #: part -> the cost tags its resources carry
    tags_by_part: dict[str, dict[str, str]] = field(default_factory=dict)

    def of(self, part: str) -> aws.Provider:
        if part not in PARTS:
            raise KeyError(f"unknown platform part {part!r} (known: {', '.join(PARTS)})")
        return self.by_part.get(part, self.default)

    def tags(self, part: str) -> dict[str, str]:
        return dict(self.tags_by_part[part])


def owner_providers(cfg: StackConfig, default: aws.Provider) -> OwnerProviders:
    out = OwnerProviders(default=default)
    for part in PARTS:
        tags = cfg.owner_tags(part)
        out.tags_by_part[part] = tags
        owner = cfg.owner(part)
        if owner == cfg.default_owner:
            continue
        provider = out.by_service.get(owner.service)
        if provider is None:
            provider = aws.Provider(
                f"aws-{cfg.region}-{slug(owner.service)}", region=cfg.region,
                default_tags=aws.ProviderDefaultTagsArgs(tags=tags), allowed_account_ids=allowed_accounts(cfg),
                opts=pulumi.ResourceOptions())
            out.by_service[owner.service] = provider
        out.by_part[part] = provider
    return out


def billing_provider(cfg: StackConfig, tags: dict[str, str]) -> aws.Provider:
    """The provider for the account-wide billing APIs served from us-east-1 (Cost Explorer, Data
    Exports): no data lives there, only their definitions."""
    return aws.Provider("aws-us-east-1-billing", region="us-east-1",
                        default_tags=aws.ProviderDefaultTagsArgs(tags=tags), allowed_account_ids=allowed_accounts(cfg),
                        opts=pulumi.ResourceOptions())
