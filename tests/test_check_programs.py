"""Whole-program policy check: the small Pulumi program `tests/programs/defects` builds a clean prod data-store
setup; each of its stacks plants one defect (config `defects:plant`). The real `policies/` pack must pass the
clean stack and catch every defect with the right rule, on the right resource, saying what to change - and
nothing else mandatory."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from azora_infra.check import CheckResult, run_check
from azora_infra.cli import main
from azora_infra.plan import plan_stacks

TESTS = Path(__file__).parent
PROGRAM = TESTS / "programs" / "defects"
PACK = TESTS.parent / "policies"

#: stack -> {policy: (resource type, logical names it fires on, what the message tells to change)}
EXPECTED: dict[str, dict[str, tuple[str, set[str], str]]] = {
    "unencrypted": {
        "rds-storage-encrypted": ("aws:rds/cluster:Cluster", {"db"}, "set storageEncrypted=true"),
    },
    "untagged": {
        # every taggable resource inherits the provider's default_tags, so every one of them is missing the tags
        "required-tags": ("", {"data", "db", "files", "backup", "alerts", "db-cpuutilization", "db-freeablememory",
                               "db-databaseconnections"},
                          "missing cost-allocation tag(s) azora:team, azora:service, azora:cost-center: add them to "
                          "the provider's default_tags"),
    },
    "public-bucket": {
        "s3-public-access-block": ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {"files"},
                                   "leaves blockPublicPolicy off: set all four flags true"),
    },
    "unprotected": {
        "protect-stateful": ("aws:rds/cluster:Cluster", {"db"}, "set opts protect=True"),
        "rds-deletion-protection": ("aws:rds/cluster:Cluster", {"db"}, "set deletionProtection=true"),
    },
    "residency": {
        "residency-personal-region": ("aws:rds/cluster:Cluster", {"db"},
                                      "personal data in af-south-1 (ZA) outside its home jurisdiction EU (home region "
                                      "eu-west-1): remove the `region` override"),
        # the moved cluster also leaves the reach of the stack's (eu-west-1) backup selections: a true consequence
        "data-store-backup-selected": ("aws:rds/cluster:Cluster", {"db"}, "is in no AWS Backup selection"),
    },
    "no-alarm": {
        "alarms-per-resource": ("aws:rds/cluster:Cluster", {"db"}, "has no alarm on FreeableMemory"),
    },
    "no-action": {
        "alarm-actions": ("aws:cloudwatch/metricAlarm:MetricAlarm", {"db-cpuutilization"},
                          "set alarmActions to the severity's SNS topic"),
    },
    "unsubscribed": {
        "alarm-topic-subscribed": ("aws:sns/topic:Topic", {"alerts"}, "add an aws.sns.TopicSubscription"),
    },
    "no-runbook": {
        "alarm-runbook": ("aws:cloudwatch/metricAlarm:MetricAlarm", {"db-cpuutilization"},
                          "add 'Runbook: docs/runbooks/<file>.md'"),
    },
}
STACKS = ["clean", *EXPECTED]


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    plans = plan_stacks(STACKS, PROGRAM)  # one session: the planners fork from one set of SDK imports
    # the stacks differ in name, and a pack process serves one stack identity: one short-lived process each
    with ThreadPoolExecutor(3) as pool:
        return dict(zip(STACKS, pool.map(lambda s: run_check(plans[s], PACK, reuse=False), STACKS), strict=True))


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def test_clean_stack_has_no_mandatory_violation(results: dict[str, CheckResult]) -> None:
    clean = results["clean"]
    assert clean.exit_code == 0
    assert clean.mandatory_violations == [], [v.to_json() for v in clean.mandatory_violations]
    assert not clean.cant_run and not clean.exemptions
    # stack, provider, key, cluster, bucket + 4 side resources, backup x8, topic + subscription + 3 alarms
    assert clean.resources_checked == 22


@pytest.mark.parametrize("stack", list(EXPECTED))
def test_planted_defect_is_caught_by_its_rule(results: dict[str, CheckResult], stack: str) -> None:
    result = results[stack]
    assert result.exit_code == 1
    mandatory = result.mandatory_violations
    # exactly the planted defect: no other mandatory policy fires
    assert {v.policy for v in mandatory} == set(EXPECTED[stack]), [v.to_json() for v in mandatory]
    assert not result.cant_run
    for policy, (rtype, names, fix) in EXPECTED[stack].items():
        hits = [v for v in mandatory if v.policy == policy]
        assert {_name(v.urn) for v in hits} == names, policy
        for v in hits:
            assert v.urn.startswith(f"urn:pulumi:{stack}::defects::")
            if rtype:
                assert v.resource_type == rtype
            assert fix in v.message, v.message


def test_untagged_defect_hits_every_taggable_resource(results: dict[str, CheckResult]) -> None:
    types = {v.resource_type for v in results["untagged"].of_policy("required-tags")}
    assert types == {"aws:kms/key:Key", "aws:rds/cluster:Cluster", "aws:s3/bucket:Bucket", "aws:backup/vault:Vault",
                     "aws:backup/plan:Plan", "aws:iam/role:Role", "aws:sns/topic:Topic",
                     "aws:cloudwatch/metricAlarm:MetricAlarm"}


def test_cli_exits_1_and_names_rule_and_resource(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--stack", "unencrypted", "--program", str(PROGRAM)])
    out = capsys.readouterr().out
    assert code == 1
    assert "urn:pulumi:unencrypted::defects::aws:rds/cluster:Cluster::db" in out
    assert "MANDATORY rds-storage-encrypted" in out
    assert "set storageEncrypted=true" in out
    assert "FAILED: 1 mandatory" in out
