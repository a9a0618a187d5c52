"""Attacks on the policy check and the pack, each done for real and its outcome asserted (issue 10,
items 1 and 7): a policy config that tries to silence the residency rules, through `azora-infra check`
and through the pack process driven as the Pulumi CLI drives it; a binary policy config; a pack that
prints its port and dies. After each case no process of ours and no temp file is left behind."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2

from azora_infra.check import PackError, PolicyPackProcess, Timeouts, attach
from azora_infra.check.engine import EngineView
from azora_infra.cli import main
from azora_infra.plan import run_plan
from policies.azora_guard import registry

TESTS = Path(__file__).parent
PROGRAM = TESTS / "programs" / "defects"
PACK = TESTS.parent / "policies"
FAULTY = TESTS / "packs" / "faulty"
RESIDENCY = "residency-personal-region"
#: every rule that can never be silenced (never exemptable and mandatory), from the registry itself
LOCKED = tuple(sorted(name for name, meta in registry.RULES.items() if meta.locked))


def _children() -> set[int]:
    """Live processes whose parent is this test process (pack processes, planners)."""
    me, found = str(os.getpid()), set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            found.add(int(entry))
    return found


@pytest.fixture(autouse=True)
def leaves_nothing(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every case runs with a private temp dir (for us and the processes we start) and must end with
    that dir empty and no child process alive."""
    private = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    before = _children()
    yield private
    assert _children() - before == set(), "a process outlived the case"
    assert list(private.iterdir()) == [], "a temp file outlived the case"


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The defects program's `residency` stack: a personal-data cluster moved out of its EU home."""
    path = tmp_path_factory.mktemp("plan") / "residency.json"
    path.write_text(json.dumps(run_plan("residency", PROGRAM)), encoding="utf-8")
    return path


def _check(plan: Path, tmp_path: Path, config: Any, *extra: str) -> int:
    cfg = tmp_path / "policy-config.json"
    if isinstance(config, bytes):
        cfg.write_bytes(config)
    else:
        cfg.write_text(json.dumps(config), encoding="utf-8")
    return main(["check", "--stack", "residency", "--program", str(PROGRAM), "--plan", str(plan),
                 "--policy-config", str(cfg), *extra])


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# -- through `azora-infra check` ----------------------------------------------------------------------

@pytest.mark.parametrize(("config", "reason"), [
    ({RESIDENCY: "disabled"}, f"cannot set {RESIDENCY} to disabled: it is never silenced"),
    ({RESIDENCY: "advisory"}, f"cannot set {RESIDENCY} to advisory: it is never silenced"),
    ({RESIDENCY: {"enforcementLevel": "disabled"}}, f"cannot set {RESIDENCY} to disabled"),
    ({"all": "advisory", RESIDENCY: "advisory"}, f"cannot set {RESIDENCY} to advisory"),
    ({"residency-backup-copy": "disabled"}, "cannot set residency-backup-copy to disabled"),
    ({"policy-exemption-valid": "advisory"}, "cannot set policy-exemption-valid to advisory"),
    ({RESIDENCY: {"residency": {"personal": "global"}}}, f"cannot change the properties of {RESIDENCY} (residency)"),
    ({RESIDENCY: {"regions": {"af-south-1": "EU"}}}, f"cannot change the properties of {RESIDENCY} (regions)"),
    ({RESIDENCY: {"homeRegion": "af-south-1"}}, f"cannot change the properties of {RESIDENCY} (homeRegion)"),
])
def test_silencing_a_residency_rule_exits_2(saved_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            config: dict[str, Any], reason: str) -> None:
    assert _check(saved_plan, tmp_path, config) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert reason in _one_line(captured.err)


@pytest.mark.parametrize("level", ["advisory", "disabled"])
def test_all_skips_the_residency_rules(saved_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       level: str) -> None:
    assert _check(saved_plan, tmp_path, {"all": level}, "--format", "json") == 1
    doc = json.loads(capsys.readouterr().out)
    levels = {p["name"]: p["enforcementLevel"] for p in doc["policies"]}
    assert {levels[name] for name in LOCKED} == {"mandatory"}
    assert {lvl for name, lvl in levels.items() if name not in LOCKED} == {level}
    mandatory = {(v["policy"], v["urn"].rsplit("::", 1)[-1]) for v in doc["violations"]
                 if v["enforcementLevel"] == "mandatory"}
    assert mandatory == {(RESIDENCY, "db")}
    others = {v["policy"] for v in doc["violations"] if v["enforcementLevel"] != "mandatory"}
    assert ("data-store-backup-selected" in others) == (level == "advisory")


@pytest.mark.parametrize(("config", "reason"), [
    # a typo in a declared schema: closed schemas refuse it instead of silently using the default
    ({"log-group-retention": {"minRetentionDayz": 1}}, "Additional properties are not allowed ('minRetentionDayz'"),
    # a property on a rule that declares none: the pack itself refuses it
    ({"rds-multi-az": {"allowSingleAz": True}}, "rds-multi-az: property 'allowSingleAz' is not in its config schema"),
])
def test_undeclared_properties_exit_2(saved_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      config: dict[str, Any], reason: str) -> None:
    assert _check(saved_plan, tmp_path, config) == 2
    assert reason in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00{\x00}", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                                     b'{"all": "advisory"}\x00\xc3'])
def test_binary_policy_config_is_one_clear_error(saved_plan: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    assert _check(saved_plan, tmp_path, content) == 2
    line = _one_line(capsys.readouterr().err)
    assert "policy-config.json: not a JSON policy config (not UTF-8 text: byte" in line


# -- the pack process, driven as the Pulumi CLI drives it ------------------------------------------------

def _level(name: str) -> int:
    return {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
            "disabled": analyzer_pb2.DISABLED}[name]


def _cli_configure(info: Any, config: dict[str, Any]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """The ConfigureAnalyzerRequest the CLI sends for `--policy-pack-config` = `config`
    (ReconcilePolicyPackConfig: defaults, then `all`, then entries; the `all` entry is sent along)."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    every = config.get("all")
    for p in info.policies:
        entry = request.policyConfig[p.name]
        entry.enforcementLevel = _level(every) if every else p.enforcementLevel
        schema = json_format.MessageToDict(p.configSchema.properties)
        defaults = {k: v["default"] for k, v in schema.items() if isinstance(v, dict) and "default" in v}
        if defaults:
            entry.properties.update(defaults)
    if every:
        request.policyConfig["all"].enforcementLevel = _level(every)
    for name, value in config.items():
        if name == "all":
            continue
        entry = request.policyConfig[name]
        if isinstance(value, str):
            entry.enforcementLevel = _level(value)
        else:
            props = dict(value)
            if "enforcementLevel" in props:
                entry.enforcementLevel = _level(props.pop("enforcementLevel"))
            entry.properties.update(props)
    return request


@pytest.fixture(params=["optimised", "stock"])
def pack(request: pytest.FixtureRequest, saved_plan: Path) -> Iterator[PolicyPackProcess]:
    plan = json.loads(saved_plan.read_text(encoding="utf-8"))
    env = {"AZORA_POLICY_FASTPATH": "0"} if request.param == "stock" else {}
    proc = PolicyPackProcess(PACK, stack=plan["stack"], project=plan["project"], config=plan["config"], env=env)
    with proc:
        yield proc
    assert not proc.alive()


@pytest.mark.parametrize("config", [
    {RESIDENCY: "disabled"}, {RESIDENCY: "advisory"}, {"all": "disabled", RESIDENCY: "advisory"},
    {RESIDENCY: {"residency": {"personal": "global"}}}, {RESIDENCY: {"homeRegion": "af-south-1"}},
])
def test_the_pack_refuses_silencing_configure(pack: PolicyPackProcess, config: dict[str, Any]) -> None:
    info = pack.call("GetAnalyzerInfo", empty_pb2.Empty())
    with pytest.raises(PackError, match=rf"policy pack refused Configure: policy config refused: {RESIDENCY}"):
        pack.call("Configure", _cli_configure(info, config))


@pytest.mark.parametrize("level", ["advisory", "disabled"])
def test_the_pack_keeps_residency_mandatory_under_all(pack: PolicyPackProcess, saved_plan: Path, level: str) -> None:
    plan = json.loads(saved_plan.read_text(encoding="utf-8"))
    info = pack.call("GetAnalyzerInfo", empty_pb2.Empty())
    assert {p.name for p in info.policies if "never-silenced" in p.tags} == set(LOCKED)
    pack.call("Configure", _cli_configure(info, {"all": level}))
    view = EngineView(plan)
    [db] = [r for r in view.resources if r["name"] == "db" and r["type"] == "aws:rds/cluster:Cluster"]
    response = pack.call("Analyze", view.analyze_request(db))
    found = {(d.policyName, d.enforcementLevel) for d in response.diagnostics}
    assert (RESIDENCY, analyzer_pb2.MANDATORY) in found
    assert all(lvl == _level(level) for name, lvl in found if name not in LOCKED)


def test_a_pack_that_prints_its_port_and_exits_fails_fast() -> None:
    proc = PolicyPackProcess(FAULTY, stack="bench", project="azora-platform", config={"faulty:mode": "port-exit"},
                             timeouts=Timeouts(start=60.0, stop=2.0))
    started = time.monotonic()
    with pytest.raises(PackError, match=r"policy pack exited with status 4 after printing its port: .*dying"):
        proc.start()
    assert time.monotonic() - started < 15, "waited for the start timeout instead of noticing the exit"
    assert not proc.alive()


def test_the_check_stops_its_pack_after_a_refused_configure(saved_plan: Path) -> None:
    plan = json.loads(saved_plan.read_text(encoding="utf-8"))
    proc = PolicyPackProcess(PACK, stack=plan["stack"], project=plan["project"], config=plan["config"])
    with pytest.raises(PackError, match="refused Configure"), attach(proc) as sess:
        sess.process.call("GetAnalyzerInfo", empty_pb2.Empty())
        sess.process.call("Configure", analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={RESIDENCY: analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.DISABLED)}))
    assert not proc.alive()
