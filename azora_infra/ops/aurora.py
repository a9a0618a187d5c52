"""Aurora: the global cluster's topology and lag, switchover/failover, point-in-time restore."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import botocore.exceptions

from .aws import Aws

LAG_METRIC = "AuroraGlobalDBReplicationLag"  # ms, on the secondary cluster


def arn_region(arn: str) -> str:
    return arn.split(":")[3]


def cluster_id(arn: str) -> str:
    return arn.rsplit(":cluster:", 1)[-1]


@dataclass
class Member:
    arn: str
    is_writer: bool
    sync: str | None

    @property
    def region(self) -> str:
        return arn_region(self.arn)

    @property
    def identifier(self) -> str:
        return cluster_id(self.arn)


@dataclass
class GlobalState:
    identifier: str
    status: str
    #: FailoverState of an ongoing switchover/failover (Status, FromDbClusterArn, ToDbClusterArn, ...)
    failover: dict[str, Any] | None
    members: list[Member] = field(default_factory=list)

    @property
    def writer(self) -> Member | None:
        return next((m for m in self.members if m.is_writer), None)

    def member(self, arn: str) -> Member | None:
        return next((m for m in self.members if m.arn == arn), None)

    def summary(self) -> str:
        roles = ", ".join(f"{m.identifier}@{m.region}={'writer' if m.is_writer else 'reader'}" for m in self.members)
        busy = f", failover {self.failover.get('Status')}" if self.failover else ""
        return f"{self.identifier} {self.status}{busy}: {roles}"


def describe_global(aws: Aws, region: str, identifier: str) -> GlobalState:
    resp = aws.call("rds", region, "describe_global_clusters", GlobalClusterIdentifier=identifier)
    g = resp["GlobalClusters"][0]
    members = [Member(arn=m["DBClusterArn"], is_writer=bool(m.get("IsWriter")), sync=m.get("SynchronizationStatus"))
               for m in g.get("GlobalClusterMembers", [])]
    return GlobalState(identifier=g["GlobalClusterIdentifier"], status=g.get("Status", "?"),
                       failover=g.get("FailoverState") or None, members=members)


def settled_with_writer(state: GlobalState, target_arn: str) -> bool:
    """The switchover/failover to ``target_arn`` is over: it writes, nothing is in flight."""
    writer = state.writer
    return (writer is not None and writer.arn == target_arn and not state.failover
            and state.status == "available")


def replication_lag_ms(aws: Aws, region: str, identifier: str, minutes: int = 5) -> float | None:
    """The worst `AuroraGlobalDBReplicationLag` of a secondary over the last ``minutes`` (None: no data)."""
    end = aws.clock.now()
    resp = aws.call("cloudwatch", region, "get_metric_statistics", Namespace="AWS/RDS", MetricName=LAG_METRIC,
                    Dimensions=[{"Name": "DBClusterIdentifier", "Value": identifier}],
                    StartTime=end - timedelta(minutes=minutes), EndTime=end, Period=60, Statistics=["Maximum"])
    points = [float(p["Maximum"]) for p in resp.get("Datapoints", [])]
    return max(points) if points else None


def request_switchover(aws: Aws, region: str, identifier: str, target_arn: str) -> None:
    aws.call("rds", region, "switchover_global_cluster", GlobalClusterIdentifier=identifier,
             TargetDbClusterIdentifier=target_arn)


def request_failover(aws: Aws, region: str, identifier: str, target_arn: str) -> None:
    aws.call("rds", region, "failover_global_cluster", GlobalClusterIdentifier=identifier,
             TargetDbClusterIdentifier=target_arn, AllowDataLoss=True)


def describe_cluster(aws: Aws, region: str, identifier: str) -> dict[str, Any] | None:
    try:
        resp = aws.call("rds", region, "describe_db_clusters", DBClusterIdentifier=identifier)
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") == "DBClusterNotFoundFault":
            return None
        raise
    return dict(resp["DBClusters"][0])


def describe_instance(aws: Aws, region: str, identifier: str) -> dict[str, Any] | None:
    try:
        resp = aws.call("rds", region, "describe_db_instances", DBInstanceIdentifier=identifier)
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") == "DBInstanceNotFound":
            return None
        raise
    return dict(resp["DBInstances"][0])


def tags(cluster: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in cluster.get("TagList") or []}


def restore_to_time(aws: Aws, region: str, source: dict[str, Any], new_identifier: str,
                    to_time: datetime | None, extra_tags: dict[str, str]) -> None:
    """Point-in-time restore of ``source`` into a new cluster with the source's network, key,
    parameter group and tags (``to_time`` None: the latest restorable time)."""
    params: dict[str, Any] = {
        "DBClusterIdentifier": new_identifier,
        "SourceDBClusterIdentifier": source["DBClusterIdentifier"],
        "RestoreType": "full-copy",
        "DBSubnetGroupName": source.get("DBSubnetGroup"),
        "VpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in source.get("VpcSecurityGroups") or []],
        "KmsKeyId": source.get("KmsKeyId"),
        "DeletionProtection": False,
        "CopyTagsToSnapshot": True,
        "EnableIAMDatabaseAuthentication": bool(source.get("IAMDatabaseAuthenticationEnabled")),
        "Tags": [{"Key": k, "Value": v} for k, v in {**tags(source), **extra_tags}.items()],
    }
    if source.get("DBClusterParameterGroup"):
        params["DBClusterParameterGroupName"] = source["DBClusterParameterGroup"]
    if source.get("EnabledCloudwatchLogsExports"):
        params["EnableCloudwatchLogsExports"] = list(source["EnabledCloudwatchLogsExports"])
    if to_time is None:
        params["UseLatestRestorableTime"] = True
    else:
        params["RestoreToTime"] = to_time
    aws.call("rds", region, "restore_db_cluster_to_point_in_time",
             **{k: v for k, v in params.items() if v not in (None, [])})


def writer_instance_class(aws: Aws, region: str, cluster: dict[str, Any]) -> str:
    for m in cluster.get("DBClusterMembers") or []:
        if m.get("IsClusterWriter"):
            inst = describe_instance(aws, region, m["DBInstanceIdentifier"])
            if inst and inst.get("DBInstanceClass"):
                return str(inst["DBInstanceClass"])
    return "db.r6g.large"


def create_instance(aws: Aws, region: str, cluster_identifier: str, instance_identifier: str,
                    instance_class: str, engine: str) -> None:
    aws.call("rds", region, "create_db_instance", DBInstanceIdentifier=instance_identifier,
             DBClusterIdentifier=cluster_identifier, DBInstanceClass=instance_class, Engine=engine,
             PubliclyAccessible=False)


def delete_restored(aws: Aws, region: str, cluster_identifier: str, instance_identifier: str) -> None:
    """Remove a scratch restore (drills): the instance, then the cluster, no final snapshot."""
    if describe_instance(aws, region, instance_identifier) is not None:
        aws.call("rds", region, "delete_db_instance", DBInstanceIdentifier=instance_identifier,
                 SkipFinalSnapshot=True)
    if describe_cluster(aws, region, cluster_identifier) is not None:
        aws.call("rds", region, "delete_db_cluster", DBClusterIdentifier=cluster_identifier,
                 SkipFinalSnapshot=True)
