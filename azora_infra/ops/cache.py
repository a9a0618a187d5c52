"""ElastiCache global datastore: member roles, and promoting a secondary region to primary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .aws import Aws


@dataclass
class CacheMember:
    replication_group_id: str
    region: str
    role: str  # PRIMARY | SECONDARY
    status: str


@dataclass
class DatastoreState:
    identifier: str
    status: str
    members: list[CacheMember] = field(default_factory=list)

    @property
    def primary(self) -> CacheMember | None:
        return next((m for m in self.members if m.role.upper() == "PRIMARY"), None)

    def summary(self) -> str:
        roles = ", ".join(f"{m.replication_group_id}@{m.region}={m.role.lower()}/{m.status}" for m in self.members)
        return f"{self.identifier} {self.status}: {roles}"


def describe_datastore(aws: Aws, region: str, identifier: str) -> DatastoreState:
    resp = aws.call("elasticache", region, "describe_global_replication_groups",
                    GlobalReplicationGroupId=identifier, ShowMemberInfo=True)
    g: dict[str, Any] = resp["GlobalReplicationGroups"][0]
    members = [CacheMember(replication_group_id=m["ReplicationGroupId"], region=m["ReplicationGroupRegion"],
                           role=m.get("Role", "?"), status=m.get("Status", "?")) for m in g.get("Members", [])]
    return DatastoreState(identifier=g["GlobalReplicationGroupId"], status=g.get("Status", "?"), members=members)


def promoted(state: DatastoreState, region: str, replication_group_id: str) -> bool:
    p = state.primary
    return (p is not None and p.region == region and p.replication_group_id == replication_group_id
            and state.status == "available" and all(m.status == "associated" for m in state.members))


def promote(aws: Aws, region: str, identifier: str, replication_group_id: str) -> None:
    """Make the member in ``region`` the primary (the only failover API of a global datastore)."""
    aws.call("elasticache", region, "failover_global_replication_group", GlobalReplicationGroupId=identifier,
             PrimaryRegion=region, PrimaryReplicationGroupId=replication_group_id)
