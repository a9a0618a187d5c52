"""Fixtures for the ops tests: one moto server per test session (per xdist worker) on 127.0.0.1 with
the AWS stand-in, a PostgreSQL stand-in with a test CA, a fake clock, and a deployment (global
cluster, resident clusters, secrets, lag metrics, vaults, health checks, cache datastore) built
through boto3 with its `pulumi stack output --json` files."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest

from azora_infra.ops.aws import Aws
from azora_infra.ops.verify import RESTORE_CHECK, WRITER_CHECK
from tests.standins.aws import StandInServer
from tests.standins.postgres import LocalCa, PostgresStandIn

REGIONS = {"africa": "af-south-1", "europe": "eu-west-1", "asia": "ap-southeast-1"}
PASSWORD = "correct-horse-battery-1"


class FakeClock:
    """Wall time plus what was slept; `sleep` only advances the clock (tests never sleep)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        #: raise this at the n-th sleep (simulate Ctrl-C / a killed process mid-wait)
        self.interrupt_at: int | None = None

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.t)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.interrupt_at is not None and len(self.sleeps) >= self.interrupt_at:
            self.interrupt_at = None
            raise KeyboardInterrupt
        self.t += seconds


@pytest.fixture(scope="session")
def moto_server() -> Iterator[StandInServer]:
    t0 = time.monotonic()
    server = StandInServer()
    server.start()
    yield server
    server.stop()
    print(f"moto stand-in server up for {time.monotonic() - t0:.1f} s")


@dataclass
class Pg:
    server: PostgresStandIn
    ca_file: Path
    #: SQL seen per SNI host name
    queries: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture(scope="session")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pg]:
    ca = LocalCa(tmp_path_factory.mktemp("pg-tls"))
    holder: dict[str, Any] = {}

    def answer(host: str, sql: str) -> tuple[list[str], list[list[Any]]]:
        holder["pg"].queries.append((host, sql))
        cluster = host.split(".", 1)[0]
        if sql == WRITER_CHECK:
            return ["writable", "db", "at"], [[_is_writer(cluster), "azora", "2026-01-01 00:00:00+00"]]
        if sql == RESTORE_CHECK:
            return ["db", "user_tables"], [["azora", 12]]
        if sql.startswith("SELECT count(*) FROM enrolments"):
            return ["count"], [[4211]]
        raise ValueError(f'relation in "{sql}" does not exist')

    server = PostgresStandIn(ca, {"azora_admin": PASSWORD}, answer)
    holder["pg"] = Pg(server, ca.ca_file)
    yield holder["pg"]
    server.close()


def _is_writer(cluster: str) -> bool:
    """Is ``cluster`` the writer? Global members: moto's IsWriter; others (resident, restored): yes."""
    from moto.rds.models import rds_backends

    for backend in rds_backends["123456789012"].values():
        for g in backend.global_clusters.values():
            for c in g.members:
                if c.db_cluster_identifier == cluster:
                    return bool(c.is_writer)
    return True


@dataclass
class Deployment:
    server: StandInServer
    clock: FakeClock
    outputs_dir: Path
    outputs: dict[str, dict[str, Any]]
    env: str

    def aws(self) -> Aws:
        return Aws(clock=self.clock, endpoint_url=self.server.url)

    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.server.url)

    def calls(self, service: str, action: str) -> int:
        return sum(1 for s, a in self.server.state.calls if s == service and a == action)

    def writer_region(self) -> str:
        g = self.client("rds", "af-south-1").describe_global_clusters(GlobalClusterIdentifier="azora-global")
        return next(m["DBClusterArn"].split(":")[3] for m in g["GlobalClusters"][0]["GlobalClusterMembers"]
                    if m["IsWriter"])


def build_deployment(server: StandInServer, folder: Path, env: str = "prod") -> Deployment:
    """The three regions as `pulumi up` would leave them (what moto can hold), and their outputs."""
    server.reset()
    prefix = "" if env == "prod" else f"{env}-"
    url = server.url
    now = datetime.now(timezone.utc)

    def c(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=url)

    c("rds", "af-south-1").create_global_cluster(GlobalClusterIdentifier="azora-global", Engine="aurora-postgresql",
                                                 EngineVersion="16.4", StorageEncrypted=True)
    outputs: dict[str, dict[str, Any]] = {}
    for short, region in REGIONS.items():
        stack = f"{prefix}{short}"
        rds, sm, cw = c("rds", region), c("secretsmanager", region), c("cloudwatch", region)
        kms = f"arn:aws:kms:{region}:123456789012:key/{short}-data"
        primary = short == "africa"
        creds = {"MasterUsername": "azora_admin", "MasterUserPassword": PASSWORD} if primary else {}
        g = rds.create_db_cluster(
            DBClusterIdentifier=f"azora-{short}-global", Engine="aurora-postgresql", EngineVersion="16.4",
            GlobalClusterIdentifier="azora-global", StorageEncrypted=True, KmsKeyId=kms, **creds,
            Tags=[{"Key": "azora:data-class", "Value": "internal"}])["DBCluster"]
        r = rds.create_db_cluster(
            DBClusterIdentifier=f"azora-{short}-resident", Engine="aurora-postgresql", EngineVersion="16.4",
            MasterUsername="azora_admin", MasterUserPassword=PASSWORD, StorageEncrypted=True, KmsKeyId=kms,
            BackupRetentionPeriod=35, VpcSecurityGroupIds=[f"sg-{short}resident"], CopyTagsToSnapshot=True,
            Tags=[{"Key": "azora:data-class", "Value": "personal"}, {"Key": "azora:environment", "Value": env}],
        )["DBCluster"]
        rds.create_db_instance(DBInstanceIdentifier=f"azora-{short}-resident-writer", DBInstanceClass="db.r6g.xlarge",
                               Engine="aurora-postgresql", DBClusterIdentifier=f"azora-{short}-resident")
        secrets = {"resident": sm.create_secret(
            Name=f"rds/azora-{short}-resident/master",
            SecretString=json.dumps({"username": "azora_admin", "password": PASSWORD, "dbname": "azora"}))["ARN"]}
        if primary:
            secrets["global"] = sm.create_secret(
                Name="rds/azora-africa-global/master",
                SecretString=json.dumps({"username": "azora_admin", "password": PASSWORD, "dbname": "azora"}))["ARN"]
        # every member publishes its lag once it is a secondary (africa too, after a switchover)
        # one datapoint a minute for the next quarter hour: the tests' fake clocks run ahead of real time
        cw.put_metric_data(Namespace="AWS/RDS", MetricData=[{
            "MetricName": "AuroraGlobalDBReplicationLag", "Value": {"europe": 180.0, "asia": 240.0}.get(short, 150.0),
            "Unit": "Milliseconds", "Timestamp": now + timedelta(minutes=m),
            "Dimensions": [{"Name": "DBClusterIdentifier", "Value": f"azora-{short}-global"}]} for m in range(-1, 15)])
        vault = f"azora-{stack}-vault"
        server.vault(region, vault)
        server.recovery_point(region, vault, r["DBClusterArn"], now - timedelta(hours=5), continuous=False)
        server.recovery_point(region, vault, r["DBClusterArn"], now - timedelta(minutes=3))
        hc = c("route53", "us-east-1").create_health_check(
            CallerReference=f"{stack}-hc", HealthCheckConfig={
                "Type": "HTTPS", "FullyQualifiedDomainName": f"alb.{region}.example", "Port": 443,
                "ResourcePath": "/healthz", "RequestInterval": 10, "FailureThreshold": 3})["HealthCheck"]["Id"]
        server.health(hc, [("eu-west-1", True), ("ap-southeast-1", True), ("us-east-1", True)])
        outputs[stack] = {
            "region": region, "jurisdiction": "ZA", "role": "primary" if primary else "secondary",
            "environment": env, "auroraClusterArn": g["DBClusterArn"], "auroraClusterEndpoint": g["Endpoint"],
            "residentClusterArn": r["DBClusterArn"], "residentClusterEndpoint": r["Endpoint"],
            "databaseSecretArns": secrets,
            "backupVaultArn": f"arn:aws:backup:{region}:123456789012:backup-vault:{vault}",
            "healthCheckId": hc, "cacheReplicationGroupId": f"azora-{stack}-cache",
            "kmsKeyArns": {"data": kms},
        }
        if primary:
            outputs[stack].update({"globalClusterIdentifier": "azora-global",
                                   "globalClusterArn": "arn:aws:rds::123456789012:global-cluster:azora-global",
                                   "cacheGlobalReplicationGroupId": "ldgnf-azora-cache"})
    server.datastore("ldgnf-azora-cache", [(f"azora-{prefix}{s}-cache", r, "PRIMARY" if s == "africa" else "SECONDARY")
                                          for s, r in REGIONS.items()])
    folder.mkdir(parents=True, exist_ok=True)
    for stack, doc in outputs.items():
        (folder / f"{stack}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return Deployment(server=server, clock=FakeClock(), outputs_dir=folder, outputs=outputs, env=env)


@pytest.fixture
def deployment(moto_server: StandInServer, tmp_path: Path) -> Deployment:
    return build_deployment(moto_server, tmp_path / "outputs")
