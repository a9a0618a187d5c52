"""AWS Backup: the latest recovery point of each vault."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .aws import Aws

MAX_PAGES = 50  # 50 x 1000 recovery points: bounded even for a vault years old


@dataclass
class RecoveryPoint:
    arn: str
    resource_arn: str
    resource_type: str
    created: datetime
    status: str
    continuous: bool


def vault_region(arn: str) -> str:
    return arn.split(":")[3]


def vault_name(arn: str) -> str:
    return arn.rsplit(":backup-vault:", 1)[-1]


def recovery_points(aws: Aws, vault_arn: str, resource_arn: str | None = None) -> list[RecoveryPoint]:
    region = vault_region(vault_arn)
    params: dict[str, Any] = {"BackupVaultName": vault_name(vault_arn), "MaxResults": 1000}
    if resource_arn:
        params["ByResourceArn"] = resource_arn
    out: list[RecoveryPoint] = []
    for _ in range(MAX_PAGES):
        resp = aws.call("backup", region, "list_recovery_points_by_backup_vault", **params)
        for rp in resp.get("RecoveryPoints", []):
            out.append(RecoveryPoint(
                arn=rp["RecoveryPointArn"], resource_arn=rp.get("ResourceArn", ""),
                resource_type=rp.get("ResourceType", ""), created=rp["CreationDate"],
                status=rp.get("Status", "?"),
                continuous=":recovery-point:continuous:" in str(rp.get("RecoveryPointArn", ""))))
        token = resp.get("NextToken")
        if not token:
            break
        params["NextToken"] = token
    return out


def latest_recovery_point(aws: Aws, vault_arn: str, resource_arn: str | None = None) -> RecoveryPoint | None:
    points = [p for p in recovery_points(aws, vault_arn, resource_arn) if p.status in ("COMPLETED", "PARTIAL")]
    return max(points, key=lambda p: p.created, default=None)
