"""`azora:network`: the region's VPC."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator

from .base import ConfigModel, check_log_retention

#: Interface endpoints a private EKS cluster (no internet route for AWS APIs) needs.
EKS_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "ec2", "ecr.api", "ecr.dkr", "sts", "logs", "elasticloadbalancing", "autoscaling",
    "eks", "eks-auth", "kms", "secretsmanager", "ssm", "sqs",
)


class NetworkConfig(ConfigModel):
    #: the VPC CIDR; /16 to /22 (the subnet layout needs room for 12 subnets).
    #: Must not overlap another stack's VPC (peering, transit gateway).
    cidr: str
    #: availability zones to span (the region catalog lists them)
    az_count: int = Field(default=3, ge=2, le=3)
    #: "per-az" or "single"; unset: the environment preset decides (per-az in staging and prod)
    nat_gateways: Literal["per-az", "single"] | None = None
    #: VPC flow log retention (days); unset: the environment preset
    flow_log_retention_days: int | None = None
    #: interface endpoints to create (service suffix after com.amazonaws.<region>.)
    interface_endpoints: tuple[str, ...] = EKS_INTERFACE_ENDPOINTS

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.IPv4Network(v, strict=True)
        except (ValueError, TypeError):
            raise ValueError(f"{v} is not a valid IPv4 network") from None
        if not 16 <= net.prefixlen <= 22:
            raise ValueError(f"{v} must be a /16 to /22 network, not /{net.prefixlen}")
        if not net.is_private:
            raise ValueError(f"{v} is not a private (RFC 1918) network")
        return str(net)

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, v: int | None) -> int | None:
        return None if v is None else check_log_retention(v)

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)
