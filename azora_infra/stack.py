"""The composition of one region's stack: the single readable place that wires components together.

Order matters only through data: the provider first, then the keys every data store and log group
uses, then the network everything runs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.kms import RegionKeys, RegionKeysArgs
from components.network import RegionalNetwork, RegionalNetworkArgs

from .config import StackConfig
from .provider import region_provider


@dataclass
class RegionStack:
    config: StackConfig
    stack: str
    provider: aws.Provider
    keys: RegionKeys
    network: RegionalNetwork

    def outputs(self) -> dict[str, Any]:
        """What the stack exports (secondaries and ops tooling read these by StackReference)."""
        return {
            "region": self.config.region,
            "jurisdiction": self.config.jurisdiction.code,
            "role": self.config.role.value,
            "environment": self.config.environment.value,
            "vpcId": self.network.vpc_id,
            "vpcCidr": self.network.cidr,
            "privateSubnetIds": self.network.private_subnet_ids,
            "databaseSubnetIds": self.network.database_subnet_ids,
            "dbSubnetGroupName": self.network.db_subnet_group_name,
            "cacheSubnetGroupName": self.network.cache_subnet_group_name,
            "kmsKeyArns": self.keys.key_arns,
        }


def build_region_stack(cfg: StackConfig, stack: str) -> RegionStack:
    provider = region_provider(cfg)
    keys = RegionKeys(
        "keys",
        RegionKeysArgs(
            region=cfg.region,
            administrators=cfg.kms.administrators,
            users=cfg.kms.users,
            deletion_window_days=cfg.kms.deletion_window_days,
            protect=cfg.preset.protect,
        ),
        provider,
    )
    network = RegionalNetwork(
        "network",
        RegionalNetworkArgs(
            cidr=cfg.network.cidr,
            azs=cfg.azs,
            region=cfg.region,
            logs_key_arn=keys.logs_key_arn,
            nat_per_az=cfg.nat_per_az,
            flow_log_retention_days=cfg.log_retention_days,
            interface_endpoints=cfg.network.interface_endpoints,
            cluster_name=f"azora-{stack}",
        ),
        provider,
    )
    return RegionStack(config=cfg, stack=stack, provider=provider, keys=keys, network=network)


def export(region_stack: RegionStack) -> None:
    for key, value in region_stack.outputs().items():
        pulumi.export(key, value)
