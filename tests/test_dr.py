# ruff: noqa: F811  (pytest fixtures imported from tests.dr_env are redefined as arguments)
"""`azora-infra dr` against moto in server mode on 127.0.0.1 (boto3 over real HTTP) with the AWS
stand-in for what moto lacks, and a PostgreSQL wire-protocol stand-in for the verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from azora_infra import cli
from azora_infra.commands import dr as dr_cmd
from azora_infra.ops.verify import PostgresVerifier
from tests.dr_env import Deployment, Pg, build_deployment, deployment, moto_server, pg  # noqa: F401


@pytest.fixture
def run_dr(monkeypatch: pytest.MonkeyPatch, pg: Pg, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Runs `azora-infra dr ...` in-process with the deployment's fake clock and endpoint; returns
    (exit code, stdout, stderr)."""
    host, port = pg.server.address

    def run(d: Deployment, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setattr(dr_cmd, "build_aws", lambda args: d.aws())
        monkeypatch.setattr(dr_cmd, "build_verifier",
                            lambda args: PostgresVerifier(ca_file=str(pg.ca_file), tunnel=(host, port)))
        monkeypatch.chdir(tmp_path)
        code = cli.main(["dr", *argv, "--outputs", str(d.outputs_dir)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_status_reports_writer_lag_cache_health_and_recovery_points(deployment: Deployment, run_dr: Any) -> None:
    code, out, _ = run_dr(deployment, "status", "--env", "prod", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert doc["globalCluster"]["writer"] == "af-south-1" and doc["globalCluster"]["status"] == "available"
    eu = doc["regions"]["eu-west-1"]
    assert eu["aurora"] == {"cluster": "azora-europe-global", "role": "reader", "synchronization": "connected",
                            "replicationLagMs": 180.0}
    assert eu["cache"]["role"] == "secondary" and doc["cacheGlobalDatastore"]["primary"] == "af-south-1"
    assert eu["healthCheck"]["healthy"] is True and eu["healthCheck"]["checkers"] == 3
    rp = doc["regions"]["af-south-1"]["latestRecoveryPoint"]
    # the newest point: the continuous one of 3 minutes ago, not the 5-hour-old snapshot
    assert rp["continuous"] is True and 175 <= rp["ageSeconds"] < 3600


def test_status_fails_on_an_unhealthy_region(deployment: Deployment, run_dr: Any) -> None:
    hc = deployment.outputs["asia"]["healthCheckId"]
    deployment.server.health(hc, [("eu-west-1", False), ("ap-southeast-1", False), ("us-east-1", False)])
    code, out, _ = run_dr(deployment, "status", "--env", "prod")
    assert code == 1
    assert f"health check {hc}: UNHEALTHY (0/3 checkers succeed)" in out
    assert "writer in af-south-1" in out and "lag 240.0 ms" in out


def test_switchover_prints_the_plan_and_changes_nothing_without_yes(deployment: Deployment, run_dr: Any) -> None:
    code, out, _ = run_dr(deployment, "switchover", "--to", "europe")
    assert code == 0 and "Nothing done: re-run with --yes" in out
    assert "SwitchoverGlobalCluster azora-global -> arn:aws:rds:eu-west-1" in out
    assert deployment.calls("rds", "SwitchoverGlobalCluster") == 0 and deployment.writer_region() == "af-south-1"


def test_switchover_moves_writer_and_cache_and_verifies_the_new_writer(deployment: Deployment, run_dr: Any,
                                                                       pg: Pg) -> None:
    code, out, _ = run_dr(deployment, "switchover", "--to", "europe", "--yes")
    assert code == 0, out
    assert deployment.writer_region() == "eu-west-1"
    ds = deployment.server.state.datastores["ldgnf-azora-cache"]
    assert {m["ReplicationGroupRegion"]: m["Role"] for m in ds["Members"]}["eu-west-1"] == "PRIMARY"
    # the writer check ran over TLS against the europe endpoint, and it answered writable
    assert any(h.startswith("azora-europe-global.") for h, _ in pg.queries)
    assert "measured RTO (request -> verified writer)" in out
    assert "target lag before the move 0.18 s" in out
    # the waits polled on the fake clock: bounded, nothing really slept
    assert deployment.clock.sleeps and all(s <= 15 for s in deployment.clock.sleeps)


def test_switchover_is_idempotent(deployment: Deployment, run_dr: Any, tmp_path: Path) -> None:
    assert run_dr(deployment, "switchover", "--to", "europe", "--yes")[0] == 0
    # a new journal: every step re-checks the real state and finds nothing to do
    code, out, _ = run_dr(deployment, "switchover", "--to", "europe", "--yes", "--journal", str(tmp_path / "j2"))
    assert code == 0, out
    assert deployment.calls("rds", "SwitchoverGlobalCluster") == 1
    assert deployment.calls("elasticache", "FailoverGlobalReplicationGroup") == 1


def test_switchover_retries_throttling_and_5xx_with_backoff(deployment: Deployment, run_dr: Any) -> None:
    deployment.server.fault("rds", "SwitchoverGlobalCluster", status=400, code="Throttling", count=2)
    deployment.server.fault("elasticache", "FailoverGlobalReplicationGroup", status=503, code="ServiceUnavailable")
    code, out, _ = run_dr(deployment, "switchover", "--to", "europe", "--yes")
    assert code == 0, out
    assert out.count("retried rds.switchover_global_cluster (eu-west-1): throttled") == 2
    assert "retried elasticache.failover_global_replication_group (eu-west-1): server error" in out
    assert deployment.writer_region() == "eu-west-1"


def test_switchover_interrupted_midway_resumes_from_the_journal(deployment: Deployment, run_dr: Any,
                                                                tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    # once the switchover is requested, describing the global cluster fails (5xx) past the retry
    # budget: the wait step fails while AWS carries on switching
    deployment.server.fault_after(("rds", "SwitchoverGlobalCluster"), "rds", "DescribeGlobalClusters", count=6)
    code, out, _ = run_dr(deployment, "switchover", "--to", "europe", "--yes", "--journal", str(journal))
    assert code == 1
    assert "FAILED at step aurora-wait: AWS kept failing" in out and "still server error after 6 attempts" in out
    assert "steps done: preflight, aurora-switchover" in out
    assert f"--journal {journal} --yes" in out and "roll back aurora-switchover: once it settles" in out
    doc = json.loads(journal.read_text())
    assert doc["steps"]["aurora-switchover"]["status"] == "done" and doc["steps"]["aurora-wait"]["status"] == "failed"
    # resume: what is done is not repeated (one SwitchoverGlobalCluster in all), the rest completes
    code, out, _ = run_dr(deployment, "switchover", "--to", "europe", "--yes", "--journal", str(journal))
    assert code == 0, out
    assert "- aurora-switchover: done earlier" in out and "- aurora-wait: resuming" in out
    assert deployment.calls("rds", "SwitchoverGlobalCluster") == 1
    assert deployment.writer_region() == "eu-west-1"
    assert json.loads(journal.read_text())["completed"] is True


def test_ctrl_c_during_a_wait_is_journaled_and_resumable(deployment: Deployment, run_dr: Any,
                                                         tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    deployment.clock.interrupt_at = 1  # the first sleep of the aurora wait
    code, out, _ = run_dr(deployment, "switchover", "--to", "europe", "--yes", "--journal", str(journal))
    assert code == 130 and "FAILED at step aurora-wait: interrupted" in out
    code, out, _ = run_dr(deployment, "switchover", "--to", "europe", "--yes", "--journal", str(journal))
    assert code == 0 and deployment.writer_region() == "eu-west-1"
    assert deployment.calls("rds", "SwitchoverGlobalCluster") == 1


def test_a_journal_of_another_target_is_refused(deployment: Deployment, run_dr: Any, tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    assert run_dr(deployment, "switchover", "--to", "europe", "--yes", "--journal", str(journal))[0] == 0
    code, _, err = run_dr(deployment, "switchover", "--to", "asia", "--yes", "--journal", str(journal))
    assert code == 2 and "is the journal of `dr switchover`" in err and "'to': 'europe'" in err


def test_aurora_wait_is_bounded_by_its_timeout(deployment: Deployment, run_dr: Any) -> None:
    deployment.server.state.steps = 10_000  # AWS never finishes
    try:
        code, out, _ = run_dr(deployment, "switchover", "--to", "europe", "--yes", "--timeout-aurora", "120")
    finally:
        deployment.server.state.steps = 3
    assert code == 1
    assert "FAILED at step aurora-wait" in out and "not done after 120 s" in out
    assert "switching-over" in out  # the last state is named
    assert deployment.clock.t == pytest.approx(120)


def test_failover_requires_allow_data_loss(deployment: Deployment, run_dr: Any) -> None:
    code, _, err = run_dr(deployment, "failover", "--to", "europe", "--yes")
    assert code == 2 and "--allow-data-loss" in err
    assert deployment.calls("rds", "FailoverGlobalCluster") == 0


def test_failover_with_allow_data_loss_moves_the_writer(deployment: Deployment, run_dr: Any) -> None:
    code, out, _ = run_dr(deployment, "failover", "--to", "europe", "--allow-data-loss", "--yes")
    assert code == 0, out
    assert deployment.writer_region() == "eu-west-1" and deployment.calls("rds", "FailoverGlobalCluster") == 1
    assert "FailoverGlobalCluster azora-global" in out and "(AllowDataLoss)" in out


def test_switchover_refuses_a_target_outside_the_environment(deployment: Deployment, run_dr: Any) -> None:
    code, _, err = run_dr(deployment, "switchover", "--to", "mars", "--yes")
    assert code == 2 and "no stack 'mars'" in err


def test_restore_to_latest_creates_a_verified_cluster(deployment: Deployment, run_dr: Any, pg: Pg) -> None:
    code, out, _ = run_dr(deployment, "restore", "--stack", "africa", "--data-class", "personal",
                          "--to-time", "latest", "--yes")
    assert code == 0, out
    rds = deployment.client("rds", "af-south-1")
    (restored,) = [c for c in rds.describe_db_clusters()["DBClusters"] if "-restore-" in c["DBClusterIdentifier"]]
    assert restored["DBClusterIdentifier"].startswith("azora-africa-resident-restore-")
    tags = {t["Key"]: t["Value"] for t in restored["TagList"]}
    assert tags["azora:restored-from"] == "azora-africa-resident" and tags["azora:data-class"] == "personal"
    assert restored["StorageEncrypted"] is True
    assert restored["KmsKeyId"] == "arn:aws:kms:af-south-1:123456789012:key/africa-data"
    inst = rds.describe_db_instances(DBInstanceIdentifier=f"{restored['DBClusterIdentifier']}-1")["DBInstances"][0]
    assert inst["DBInstanceClass"] == "db.r6g.xlarge"  # the source writer's class
    assert any(h.startswith(restored["DBClusterIdentifier"] + ".") for h, _ in pg.queries)
    assert '"user_tables": "12"' in out and "measured RTO (restore request -> verified query)" in out


def test_restore_with_a_data_check_query(deployment: Deployment, run_dr: Any) -> None:
    code, out, _ = run_dr(deployment, "restore", "--stack", "africa", "--data-class", "personal", "--to-time",
                          "latest", "--verify-sql", "SELECT count(*) FROM enrolments", "--yes")
    assert code == 0 and '"count": "4211"' in out
    code, out, _ = run_dr(deployment, "restore", "--stack", "europe", "--data-class", "personal", "--to-time",
                          "latest", "--verify-sql", "SELECT * FROM missing", "--yes")
    assert code == 1 and "FAILED at step restore-verify" in out and "does not exist" in out
    assert "roll back restore-cluster: delete the new cluster" in out


def test_restore_refuses_a_time_outside_the_window(deployment: Deployment, run_dr: Any) -> None:
    code, out, _ = run_dr(deployment, "restore", "--stack", "africa", "--data-class", "personal",
                          "--to-time", "2001-01-01T00:00:00Z", "--yes")
    assert code == 1 and "outside the restore window" in out
    assert not [c for c in deployment.client("rds", "af-south-1").describe_db_clusters()["DBClusters"]
                if "-restore-" in c["DBClusterIdentifier"]]


@pytest.mark.parametrize(("argv", "message"), [
    (("--to-time", "yesterday"), "not an ISO 8601 time"),
    (("--to-time", "2026-01-01T00:00:00"), "give a time zone"),
])
def test_restore_rejects_bad_times(deployment: Deployment, run_dr: Any, argv: tuple[str, ...], message: str) -> None:
    code, _, err = run_dr(deployment, "restore", "--stack", "africa", "--data-class", "personal", *argv, "--yes")
    assert code == 2 and message in err


def test_restore_of_a_class_the_stack_does_not_hold(deployment: Deployment, run_dr: Any) -> None:
    code, out, _ = run_dr(deployment, "restore", "--stack", "africa", "--data-class", "public",
                          "--to-time", "latest", "--yes")
    assert code == 1 and "no cluster tagged azora:data-class=public" in out


def test_verification_fails_on_a_wrong_password(deployment: Deployment, run_dr: Any) -> None:
    sm = deployment.client("secretsmanager", "af-south-1")
    sm.put_secret_value(SecretId=deployment.outputs["africa"]["databaseSecretArns"]["resident"],
                        SecretString=json.dumps({"username": "azora_admin", "password": "rotated-and-wrong"}))
    # AWSCURRENT is wrong, AWSPREVIOUS (the password at the restore point) works
    code, out, _ = run_dr(deployment, "restore", "--stack", "africa", "--data-class", "personal",
                          "--to-time", "latest", "--yes")
    assert code == 0, out
    assert "AWSPREVIOUS" in json.loads(next(Path.cwd().glob("azora-dr-restore-*.json")).read_text())[
        "steps"]["restore-verify"]["data"]["credentials"]


def test_drill_switches_over_and_back_restores_and_reports(moto_server: Any, run_dr: Any, tmp_path: Path) -> None:
    d = build_deployment(moto_server, tmp_path / "staging", env="staging")
    report = tmp_path / "drill.json"
    code, out, _ = run_dr(d, "drill", "--env", "staging", "--to", "europe", "--report", str(report), "--yes")
    assert code == 0, out
    doc = json.loads(report.read_text())
    assert doc["kind"] == "azora-dr-drill" and doc["ok"] is True and doc["environment"] == "staging"
    m = doc["measured"]
    assert m["switchover"]["to"] == "staging-europe" and m["switchover"]["from"] == "af-south-1"
    assert m["switchover"]["verified"] and m["switchback"]["verified"] and m["restore"]["verified"]
    assert 0 < m["switchover"]["rtoSeconds"] < 900 and m["switchover"]["rpoSeconds"] == 0.18
    assert m["restore"]["rpoSeconds"] is not None and m["restore"]["rpoSeconds"] >= 0
    assert d.writer_region() == "af-south-1"  # switched back
    rds = d.client("rds", "af-south-1")
    assert not [c for c in rds.describe_db_clusters()["DBClusters"] if "-restore-" in c["DBClusterIdentifier"]]
    assert [s["step"] for s in doc["steps"]][:2] == ["switchover-preflight", "switchover-aurora-switchover"]


def test_outputs_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "africa.json"
    bad.write_text("{not json", encoding="utf-8")
    assert cli.main(["dr", "status", "--outputs", f"africa={bad}"]) == 2
    assert "not the JSON of `pulumi stack output --json`" in capsys.readouterr().err
    assert cli.main(["dr", "status", "--outputs", str(tmp_path / "missing-dir")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_the_real_entry_point_reaches_the_endpoint_of_aws_endpoint_url(deployment: Deployment) -> None:
    """`azora-infra dr status` as a user runs it (new process, real clock, boto3's endpoint setting)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "AWS_ENDPOINT_URL": deployment.server.url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing"}
    out = subprocess.run([sys.executable, "-m", "azora_infra", "dr", "status", "--env", "prod", "--outputs",
                          str(deployment.outputs_dir)], capture_output=True, text=True, env=env, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert "Aurora global cluster azora-global: available, writer in af-south-1" in out.stdout
