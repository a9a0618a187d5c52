"""The region's explicit AWS provider: region and default (cost-allocation) tags."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .config import StackConfig


def region_provider(cfg: StackConfig, name: str | None = None,
                    region: str | None = None) -> aws.Provider:
    """An `aws.Provider` pinned to the stack's region (or ``region``), carrying the cost tags as
    `default_tags` so every taggable resource gets them without repeating them."""
    target = region or cfg.region
    return aws.Provider(
        name or f"aws-{target}",
        region=target,
        default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.cost_tags()),
        allowed_account_ids=allowed_accounts(cfg),
        opts=pulumi.ResourceOptions(),
    )


def allowed_accounts(cfg: StackConfig) -> list[str] | None:
    """`azora:accountId` as the provider's `allowed_account_ids`: credentials of any other account
    fail before anything is created (staging's credentials never deploy into prod's account)."""
    return [cfg.account_id] if cfg.account_id else None
