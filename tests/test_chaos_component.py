"""FIS experiment templates (`ChaosExperiments`), the daily random run (`ChaosSchedule`), `azora:chaos`
and what the stacks' plans contain: templates everywhere, a schedule in staging only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from azora_infra.config import ConfigError, parse_config
from azora_infra.config.chaos import KNOWN_EXPERIMENTS
from azora_infra.plan.model import Plan
from components.chaos import EXPERIMENTS, POD_RULES, ChaosExperiments, ChaosExperimentsArgs, family_policy
from components.chaos_schedule import ChaosSchedule, ChaosScheduleArgs, state_machine_definition
from tests.harness import record
from tests.test_config import VALID, _with

TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
SLO = "arn:aws:cloudwatch:af-south-1:123456789012:alarm:azora-africa-slo-burn-fast"
TAGS = {"azora:environment": "staging", "azora:service": "azora-os"}


def _args(**kw: Any) -> ChaosExperimentsArgs:
    base: dict[str, Any] = dict(
        region="af-south-1", name_prefix="azora-staging-africa", target_tags=TAGS, stop_alarm_arns=[SLO],
        logs_key_arn="arn:aws:kms:af-south-1:123456789012:key/logs", reports_key_arn="arn:aws:kms:af-south-1:"
        "123456789012:key/data", availability_zone="af-south-1b", eks_cluster_name="azora-staging-africa",
        eks_cluster_arn="arn:aws:eks:af-south-1:123456789012:cluster/azora-staging-africa",
        pod_namespace="learning", api_throttle_role_arns=["arn:aws:iam::123456789012:role/karpenter"],
        guard_load_balancer_arn_suffix="app/azora-staging-africa-alb/0123456789abcdef")
    base.update(kw)
    return ChaosExperimentsArgs(**base)


def _experiments(**kw: Any) -> Plan:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        kube = k8s.Provider("k8s", kubeconfig="{}")
        ChaosExperiments("chaos", _args(k8s_provider=kube, **kw), provider)
    return record(program)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _experiments()


def _templates(plan: Plan) -> dict[str, Any]:
    return {r.name.removeprefix("chaos-"): r for r in plan.of_type(TEMPLATE)}


def test_the_experiment_keys_match_the_config_section() -> None:
    assert tuple(EXPERIMENTS) == KNOWN_EXPERIMENTS


def test_one_template_per_fault_with_its_fis_action(plan: Plan) -> None:
    templates = _templates(plan)
    assert set(templates) == set(EXPERIMENTS)
    for key, t in templates.items():
        (action,) = t.inputs["actions"]
        assert action["actionId"] == EXPERIMENTS[key].action
        assert action["target"] == {"key": EXPERIMENTS[key].target_key, "value": t.inputs["targets"][0]["name"]}
    assert templates["cache-az-power"].inputs["actions"][0]["actionId"] == \
        "aws:elasticache:replicationgroup-interrupt-az-power"


def test_every_template_stops_on_the_alarms_and_logs_and_reports(plan: Plan) -> None:
    (guard,) = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    (log_group,) = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    (bucket,) = plan.of_type("aws:s3/bucket:Bucket")
    assert log_group.inputs["kmsKeyId"].endswith(":key/logs") and log_group.inputs["retentionInDays"] == 90
    for t in plan.of_type(TEMPLATE):
        stops = [s["value"] for s in t.inputs["stopConditions"]]
        assert stops == [guard.outputs["arn"], SLO]
        assert all(s["source"] == "aws:cloudwatch:alarm" for s in t.inputs["stopConditions"])
        logs = t.inputs["logConfiguration"]
        assert logs["logSchemaVersion"] == 2
        assert logs["cloudwatchLogsConfiguration"]["logGroupArn"] == log_group.outputs["arn"] + ":*"
        report = t.inputs["experimentReportConfiguration"]
        assert report["outputs"]["s3Configuration"]["bucketName"] == bucket.outputs["id"]
        assert report["preExperimentDuration"] == "PT10M"
        assert t.inputs["experimentOptions"]["emptyTargetResolutionMode"] == "fail"


def test_the_guard_alarm_is_the_regional_5xx_rate(plan: Plan) -> None:
    (guard,) = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    rate = next(q for q in guard.inputs["metricQueries"] if q.get("returnData"))
    assert "target5xx" in rate["expression"] and "requests" in rate["expression"]
    assert guard.inputs["threshold"] == 5.0 and guard.inputs["evaluationPeriods"] == 2
    assert guard.region == "af-south-1"


def test_targets_are_chosen_by_tag_and_narrowed_per_fault(plan: Plan) -> None:
    t = {k: v.inputs["targets"][0] for k, v in _templates(plan).items()}
    tags = {k: {x["key"]: x["value"] for x in v.get("resourceTags") or []} for k, v in t.items()}
    assert tags["aurora-writer-failover"] == TAGS and t["aurora-writer-failover"]["selectionMode"] == "COUNT(1)"
    assert tags["aurora-reader-reboot"] == {**TAGS, "azora:db-role": "reader"}
    assert t["cache-az-power"]["parameters"] == {"availabilityZoneIdentifier": "af-south-1b"}
    assert t["az-network-disruption"]["filters"] == [{"path": "AvailabilityZone", "values": ["af-south-1b"]}]
    assert tags["eks-node-termination"] == TAGS
    assert t["eks-pod-delete"]["parameters"] == {"clusterIdentifier": "azora-staging-africa", "namespace": "learning",
                                                  "selectorType": "labelSelector",
                                                  "selectorValue": "azora.io/chaos=enabled"}
    assert t["api-throttle"]["resourceArns"] == ["arn:aws:iam::123456789012:role/karpenter"]


def test_roles_are_least_privilege_per_fault_family(plan: Plan) -> None:
    policies = {p.name.removeprefix("chaos-role-"): json.loads(p.inputs["policy"])
                for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert set(policies) == {"aurora", "cache", "nodes", "pods", "network", "api"}
    aurora = {s["Sid"]: s for s in policies["aurora"]["Statement"]}
    assert aurora["FaultOnTaggedDatabases"]["Condition"] == {"StringEquals": {
        "aws:ResourceTag/azora:environment": "staging", "aws:ResourceTag/azora:service": "azora-os"}}
    actions = {a for s in policies["aurora"]["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                                     else s["Action"])}
    assert "ec2:TerminateInstances" not in actions and "rds:DeleteDBCluster" not in actions
    nodes = {s["Sid"]: s for s in policies["nodes"]["Statement"]}
    assert nodes["TerminateTaggedNodes"]["Condition"]["StringEquals"]["aws:ResourceTag/azora:environment"] == "staging"
    assert all("*" not in str(s["Action"]) for p in policies.values() for s in p["Statement"])
    roles = {r.name: json.loads(r.inputs["assumeRolePolicy"]) for r in plan.of_type("aws:iam/role:Role")}
    for trust in roles.values():
        (s,) = trust["Statement"]
        assert s["Principal"] == {"Service": "fis.amazonaws.com"}
        assert s["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault family"):
        family_policy("dns", "1", "af-south-1", TAGS, bucket_arn="b", reports_key_arn="k")


def test_pod_faults_get_kubernetes_rbac_and_an_access_entry(plan: Plan) -> None:
    (entry,) = plan.of_type("aws:eks/accessEntry:AccessEntry")
    pods_role = next(r for r in plan.of_type("aws:iam/role:Role") if r.name == "chaos-role-pods")
    assert entry.inputs["principalArn"] == pods_role.outputs["arn"] and entry.inputs["userName"] == "fis-experiment"
    (role,) = plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
    assert [(r["resources"], r["verbs"]) for r in role.inputs["rules"]] == [(list(a), list(b)) for a, b in POD_RULES]
    (binding,) = plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert {(s["kind"], s["name"]) for s in binding.inputs["subjects"]} == {
        ("ServiceAccount", "fis-experiment"), ("User", "fis-experiment")}
    assert role.inputs["metadata"]["namespace"] == "learning"
    for key in ("eks-pod-delete", "eks-pod-cpu-stress", "eks-pod-network-latency"):
        t = _templates(plan)[key]
        params = {p["key"]: p["value"] for p in t.inputs["actions"][0]["parameters"]}
        assert params["kubernetesServiceAccount"] == "fis-experiment"


def test_report_bucket_is_private_and_encrypted(plan: Plan) -> None:
    (sse,) = plan.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws:kms:af-south-1:123456789012:key/data"}
    (pab,) = plan.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(pab.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                       "restrictPublicBuckets"))
    policy = json.loads(plan.of_type("aws:s3/bucketPolicy:BucketPolicy")[0].inputs["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(("kw", "message"), [
    ({"stop_alarm_arns": [], "guard_load_balancer_arn_suffix": None}, "FIS takes 1 to 5"),
    ({"stop_alarm_arns": [SLO] * 5}, "6 stop alarms"),
    ({"stop_alarm_arns": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:r53"]}, "is not a CloudWatch alarm of"),
    ({"experiments": ["meteor-strike"]}, "unknown experiments"),
    ({"target_tags": {}}, "would target every resource"),
    ({"eks_cluster_name": None}, "need eks_cluster_name"),
    ({"api_throttle_role_arns": []}, "api-throttle needs"),
])
def test_bad_arguments_are_refused(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _args(k8s_provider=None if "eks_cluster_name" in kw else object(), **kw).validate()


def test_pod_faults_need_a_kubernetes_provider() -> None:
    with pytest.raises(ValueError, match="need k8s_provider"):
        _args().validate()


# --- the schedule ------------------------------------------------------------------------------

def test_the_picker_starts_one_template_at_random() -> None:
    ids = ["EXTa", "EXTb", "EXTc"]
    doc = json.loads(state_machine_definition(ids))
    pick, start = doc["States"]["Pick"], doc["States"]["Start"]
    assert pick["Parameters"] == {"templates": ids, "index.$": "States.MathRandom(0, 3)"}  # end exclusive
    assert start["Resource"] == "arn:aws:states:::aws-sdk:fis:startExperiment"
    assert start["Parameters"]["ExperimentTemplateId.$"] == "States.ArrayGetItem($.templates, $.index)"
    # every index MathRandom(0, n) can return selects a template, and every template can be selected
    assert {ids[i] for i in range(0, 3)} == set(ids)


def test_schedule_roles_may_only_start_what_they_must() -> None:
    def program() -> None:
        provider = aws.Provider("aws-af-south-1", region="af-south-1")
        ChaosSchedule("chaos-schedule", ChaosScheduleArgs(
            region="af-south-1", name_prefix="azora-staging-africa", template_ids=["EXTa", "EXTb"],
            logs_key_arn="arn:aws:kms:af-south-1:123456789012:key/logs"), provider)
    plan = record(program)
    (schedule,) = plan.of_type("aws:scheduler/schedule:Schedule")
    (sm,) = plan.of_type("aws:sfn/stateMachine:StateMachine")
    assert schedule.inputs["scheduleExpression"] == "cron(0 10 ? * MON-FRI *)"
    assert schedule.inputs["target"]["arn"] == sm.outputs["arn"]
    policies = {p.name: json.loads(p.inputs["policy"]) for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")}
    (start,) = policies["chaos-schedule-scheduler"]["Statement"]
    assert start == {"Effect": "Allow", "Action": "states:StartExecution", "Resource": sm.outputs["arn"]}
    fis = policies["chaos-schedule-picker"]["Statement"][0]
    assert fis["Action"] == "fis:StartExperiment" and fis["Resource"] == [
        "arn:aws:fis:af-south-1:123456789012:experiment-template/EXTa",
        "arn:aws:fis:af-south-1:123456789012:experiment-template/EXTb",
        "arn:aws:fis:af-south-1:123456789012:experiment/*"]
    assert sm.inputs["loggingConfiguration"]["level"] == "ALL"
    with pytest.raises(ValueError, match="no experiment templates"):
        ChaosScheduleArgs(region="x", name_prefix="p", template_ids=[], logs_key_arn="k").validate()


# --- config -------------------------------------------------------------------------------------

def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "Pulumi.africa.yaml")
    return str(info.value)


def test_prod_refuses_a_schedule_without_a_reason() -> None:
    msg = _error(_with(azora__chaos={"schedule": {"enabled": True}}))
    assert msg.startswith("Pulumi.africa.yaml: azora:chaos.schedule.enabled: a prod stack runs no scheduled chaos")
    cfg = parse_config(_with(azora__chaos={"schedule": {"enabled": True}, "allowInProd": {
        "reason": "game day 2026-Q3, approved by the platform lead"}}), "Pulumi.africa.yaml")
    assert cfg.chaos.schedule_enabled(cfg.preset.chaos) is True
    assert "at least 20 characters" in _error(_with(azora__chaos={"schedule": {"enabled": True},
                                                                  "allowInProd": {"reason": "because"}}))


def test_the_preset_decides_the_default_schedule() -> None:
    prod = parse_config(VALID, "Pulumi.africa.yaml")
    staging = parse_config(_with(azora__environment="staging"), "Pulumi.staging-africa.yaml")
    dev = parse_config(_with(azora__environment="dev"), "Pulumi.dev.yaml")
    assert prod.chaos.enabled and not prod.chaos.schedule_enabled(prod.preset.chaos)
    assert staging.chaos.schedule_enabled(staging.preset.chaos)
    assert not dev.chaos.schedule_enabled(dev.preset.chaos)
    off = parse_config(_with(azora__environment="staging", azora__chaos={"enabled": False}), "x.yaml")
    assert not off.chaos.schedule_enabled(off.preset.chaos)


@pytest.mark.parametrize(("chaos", "field", "message"), [
    ({"experiments": ["meteor-strike"]}, "azora:chaos.experiments", "unknown experiments"),
    ({"experiments": []}, "azora:chaos.experiments", "is empty"),
    ({"availabilityZone": "eu-west-1a"}, "azora:chaos.availabilityZone", "is not one of this stack's zones"),
    ({"podSelector": "app in (a,b)"}, "azora:chaos.podSelector", "equality label selector"),
    ({"schedule": {"expression": "daily"}}, "azora:chaos.schedule.expression", "cron(...) or rate(...)"),
    ({"scheduel": {}}, "azora:chaos.scheduel", "is not a known setting"),
])
def test_bad_chaos_config_is_one_line(chaos: dict[str, Any], field: str, message: str) -> None:
    msg = _error(_with(azora__environment="staging", azora__chaos=chaos))
    assert f"{field}: " in msg and message in msg and "\n" not in msg


# --- plans ---------------------------------------------------------------------------------------

def test_prod_plans_have_templates_with_alarm_stops_and_no_schedule(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    for stack in ("africa", "europe", "asia"):
        plan = Plan(repo_plan(stack))
        templates = plan.of_type(TEMPLATE)
        assert templates, stack
        assert not plan.of_type("aws:scheduler/schedule:Schedule"), stack
        # the region's own alarms stop every experiment: the ALB 5xx ratio and the SLO fast burns
        # (no second 5xx alarm of the chaos component's own)
        assert not [a for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.name == "chaos-guard"]
        five_xx = next(a for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
                       if a.tags.get("azora:alarm") == "alb-5xx-ratio")
        fast = sorted((c for c in plan.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")
                       if c.inputs["alarmName"].endswith("-fast-burn")), key=lambda c: c.name)
        for t in templates:
            stops = [s["value"] for s in t.inputs["stopConditions"]]
            assert stops[0] == five_xx.outputs["arn"] and 2 <= len(stops) <= 5
            assert set(stops[1:]) <= {c.outputs["arn"] for c in fast} and stops[1:]
        assert set(plan.outputs["chaosTemplateIds"]) == {t.name.removeprefix("chaos-") for t in templates}
    europe = {t.name: t for t in Plan(repo_plan("europe")).of_type(TEMPLATE)}
    tags = {x["key"]: x["value"] for x in europe["chaos-aurora-writer-failover"].inputs["targets"][0]["resourceTags"]}
    assert tags["azora:data-class"] == "personal"  # a secondary fails over only its resident cluster


def test_staging_plans_have_the_daily_schedule_over_the_templates(repo_plan: Callable[[str], dict[str, Any]]) -> None:
    plan = Plan(repo_plan("staging-africa"))  # the repo's staging primary (Pulumi.staging-africa.yaml)
    (schedule,) = plan.of_type("aws:scheduler/schedule:Schedule")
    (sm,) = plan.of_type("aws:sfn/stateMachine:StateMachine")
    templates = plan.of_type(TEMPLATE)
    assert len(templates) == len(EXPERIMENTS)
    doc = json.loads(sm.inputs["definition"])
    assert sorted(doc["States"]["Pick"]["Parameters"]["templates"]) == sorted(t.outputs["id"] for t in templates)
    assert doc["States"]["Pick"]["Parameters"]["index.$"] == f"States.MathRandom(0, {len(templates)})"
    assert schedule.inputs["target"]["arn"] == sm.outputs["arn"]
    assert plan.outputs["chaosScheduleArn"] == schedule.outputs["arn"]
    assert all(t.inputs["stopConditions"] for t in templates)
    # dev keeps the templates for manual runs, without the daily schedule (the dev preset)
    dev = Plan(repo_plan("dev"))
    assert dev.of_type("aws:scheduler/schedule:Schedule") == [] and dev.of_type(TEMPLATE)

