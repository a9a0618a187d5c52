"""`azora-infra plan`: the main job offline, for this repo's stacks and for any Pulumi program."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from azora_infra.cli import main as cli_main
from azora_infra.plan import Plan, PlanError, render_text, run_plan
from azora_infra.plan.values import SECRET_SIG, SIG, UNKNOWN, plain, to_engine
from tests.harness import ROOT

MINIMAL = ROOT / "tests" / "programs" / "minimal"
REGIONS = {"africa": "af-south-1", "europe": "eu-west-1", "asia": "ap-southeast-1"}


@pytest.mark.parametrize("stack", sorted(REGIONS))
def test_repo_stack_plans_show_the_foundation(repo_plan: Any, stack: str) -> None:
    plan = Plan(repo_plan(stack))
    region = REGIONS[stack]
    providers = [r for r in plan.of_type("pulumi:providers:aws") if not r.raw.get("default")]
    # the stack's own provider (azora:tags) and one per owner of azora:ownership, all in the stack's region
    regional = [p for p in providers if p.inputs["region"] == region and p.name == f"aws-{region}"]
    assert len(regional) == 1
    assert all(p.name.startswith(f"aws-{region}") for p in providers if p.inputs["region"] == region)
    tags = json.loads(regional[0].inputs["defaultTags"])["tags"]
    assert tags == {"azora:team": "platform", "azora:service": "azora-os",
                    "azora:cost-center": "cc-1001-platform", "azora:environment": "prod"}
    assert len(plan.of_type("aws:ec2/vpc:Vpc")) == 1
    assert len(plan.of_type("aws:ec2/subnet:Subnet")) >= 12
    assert plan.of_type("aws:ec2/flowLog:FlowLog")
    keys = plan.of_type("aws:kms/key:Key")
    assert {k.inputs.get("tags", {}).get("azora:key-purpose") for k in keys} >= {"data", "logs", "secrets", "backup"}
    assert all(k.inputs["enableKeyRotation"] and k.options["protect"] for k in keys)
    # nothing AWS in the stack falls back to a default provider
    assert not [r.name for r in plan if r.custom and r.provider and r.provider["default"]
                and r.type.startswith("aws:")]
    # every AWS resource runs in the stack's region, unless it says otherwise on purpose
    for r in plan:
        if r.type.startswith("aws:") and r.region != region:
            assert r.region == "us-east-1", f"{r.urn} is in {r.region}"
    assert plan.outputs["region"] == region


def test_plan_json_is_the_documented_format(repo_plan: Any) -> None:
    doc = repo_plan("africa")
    assert doc["formatVersion"] == 1 and doc["stack"] == "africa" and doc["project"] == "azora-platform"
    assert doc["resources"][0]["type"] == "pulumi:pulumi:Stack"
    assert doc["resources"][0]["urn"] == "urn:pulumi:africa::azora-platform::pulumi:pulumi:Stack::azora-platform-africa"
    keys = {"urn", "type", "name", "custom", "id", "parent", "dependencies", "propertyDependencies",
            "providerRef", "provider", "version", "inputs", "outputs", "options", "default"}
    for r in doc["resources"]:
        assert keys <= set(r), r["urn"]
        assert {"protect", "retainOnDelete", "ignoreChanges"} <= set(r["options"])
    urns = {r["urn"] for r in doc["resources"]}
    for r in doc["resources"]:
        assert r["parent"] is None or r["parent"] in urns
        assert all(d in urns for d in r["dependencies"]), r["urn"]
    assert doc["summary"]["resources"] == len(doc["resources"])


def test_nested_urns_carry_the_parent_type_chain(repo_plan: Any) -> None:
    plan = Plan(repo_plan("africa"))
    vpc = plan.of_type("aws:ec2/vpc:Vpc")[0]
    assert vpc.urn == ("urn:pulumi:africa::azora-platform::azora:network:RegionalNetwork$aws:ec2/vpc:Vpc::"
                       "network-vpc")


def test_generic_program_with_default_provider_and_config() -> None:
    plan = Plan(run_plan("dev", MINIMAL))
    assert plan.project == "minimal"
    default = [r for r in plan.of_type("pulumi:providers:aws") if r.raw["default"]]
    assert len(default) == 1
    assert default[0].name.startswith("default_7_")
    assert default[0].inputs["region"] == "eu-west-1" and default[0].inputs["version"].startswith("7.")
    buckets = plan.of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == 2
    for b in buckets:
        assert b.provider and b.provider["default"] and b.provider["region"] == "eu-west-1"
        assert b.options["protect"] and b.options["ignoreChanges"] == ["tags"]
        assert b.urn.startswith("urn:pulumi:dev::minimal::minimal:storage:Store$aws:s3/bucket:Bucket::")
        assert b.outputs["arn"] == f"arn:aws:s3:::{b.outputs['bucket']}"
    key = plan.named("aws:kms/key:Key", "store0-key")
    assert key.outputs["arn"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    logs = plan.named("aws:cloudwatch/logGroup:LogGroup", "logs")
    assert logs.inputs["retentionInDays"] == 30 and logs.inputs["kmsKeyId"] == key.outputs["arn"]
    assert key.urn in logs.raw["dependencies"]
    assert plan.named("minimal:storage:Store", "store0").outputs["bucketArn"].startswith("arn:aws:s3:::")
    assert plan.outputs == {"greeting": "hello", "firstBucket": buckets[0].outputs["bucket"]
                            if buckets[0].name == "store0-bucket" else buckets[1].outputs["bucket"]}


def test_program_error_is_one_line() -> None:
    with pytest.raises(PlanError, match=r"^minimal: refusing to run with fail=true$"):
        run_plan("broken", MINIMAL)


def test_missing_stack_and_project(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"Pulumi.nope.yaml: no such stack file"):
        run_plan("nope", MINIMAL)
    with pytest.raises(PlanError, match=r"no Pulumi\.yaml"):
        run_plan("dev", tmp_path)
    with pytest.raises(PlanError, match="no such program directory"):
        run_plan("dev", tmp_path / "missing")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "azora_infra", *args], capture_output=True, text=True,
                          check=False, cwd=ROOT)


def test_cli_bad_stack_file_exits_2_with_one_line(tmp_path: Path) -> None:
    program = tmp_path / "repo"
    program.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.europe.yaml", "Pulumi.asia.yaml"):
        shutil.copy(ROOT / name, program / name)
    text = (ROOT / "Pulumi.africa.yaml").read_text().replace("10.10.0.0/16", "10.0.0.0/33")
    (program / "Pulumi.africa.yaml").write_text(text)
    proc = _cli("plan", "--stack", "africa", "--program", str(program))
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("azora-infra plan: Pulumi.africa.yaml: azora:network.cidr: "
                                   "10.0.0.0/33 is not a valid IPv4 network")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_cli_text_and_json_output(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert cli_main(["plan", "--stack", "dev", "--program", str(MINIMAL), "--format", "json",
                     "--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["stack"] == "dev"
    text = render_text(doc)
    assert text.startswith("Plan of stack dev (minimal):")
    assert "minimal:storage:Store  store0" in text and "[eu-west-1, protect]" in text
    assert "Resources by type:" in text and "Stack outputs: firstBucket, greeting" in text


def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main(["plan"])
    assert info.value.code == 2
    assert cli_main(["plan", "--stack", "nope", "--program", str(MINIMAL)]) == 2
    assert "azora-infra plan: " in capsys.readouterr().err


def test_validate_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "africa: af-south-1 (ZA/POPIA), primary, prod, VPC 10.10.0.0/16" in out
    assert "7 stacks valid" in out


def test_engine_values_round_trip() -> None:
    ref = {SIG: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x", "id": "i-1"}
    comp = {SIG: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:c"}
    out_unknown = {SIG: "d0e6a833031e9bbcd3f4e8bde6ca49a4"}
    out_secret = {SIG: "d0e6a833031e9bbcd3f4e8bde6ca49a4", "value": "pw", "secret": True}
    assert to_engine({"a": ref, "b": comp, "c": out_unknown, "d": [out_secret]}) == {
        "a": "i-1", "b": "urn:c", "c": UNKNOWN, "d": [{SIG: SECRET_SIG, "value": "pw"}]}
    assert plain({"d": [{SIG: SECRET_SIG, "value": "pw"}]}) == {"d": ["pw"]}


@pytest.mark.parametrize("how", ["forked", "fresh"])
def test_planners_collect_garbage_with_the_planning_thresholds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               plan_server: str, how: str) -> None:
    """Full collections are rare in a planner (`GC_THRESHOLDS`), whether it is a fresh interpreter
    or forked by a planner server."""
    from azora_infra.plan.remote import SERVER_ENV
    from azora_infra.plan.runner import GC_THRESHOLDS

    program = tmp_path / "p"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: t\nruntime: python\n", encoding="utf-8")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    (program / "__main__.py").write_text(
        "import gc\nimport pulumi\npulumi.export('thresholds', list(gc.get_threshold()))\n", encoding="utf-8")
    monkeypatch.setenv(SERVER_ENV, plan_server if how == "forked" else "")
    assert run_plan("dev", program)["outputs"]["thresholds"] == list(GC_THRESHOLDS)
    assert GC_THRESHOLDS[2] > 10  # Python's default full-collection threshold is 10
