"""Stack config: the repo's stack files, one clear error per bad field, checks across stacks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from azora_infra.config import (
    ConfigError,
    Environment,
    Role,
    load_project,
    load_stack_file,
    parse_config,
    read_stack_file,
    validate_stacks,
)
from tests.harness import ALERTING, ROOT

VALID: dict[str, Any] = {
    "aws:region": "af-south-1",
    "azora:region": "af-south-1",
    "azora:environment": "prod",
    "azora:role": "primary",
    "azora:primaryStack": "africa",
    "azora:network": {"cidr": "10.10.0.0/16", "azCount": 3},
    "azora:tags": {"team": "platform", "service": "azora-os", "costCenter": "cc-1001"},
    "azora:alerting": ALERTING,
}


def _with(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(VALID)
    for key, value in changes.items():
        full = key.replace("__", ":")
        if value is None:
            raw.pop(full, None)
        else:
            raw[full] = value
    return raw


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "Pulumi.africa.yaml")
    return str(info.value)


def test_repo_stack_files_are_valid_and_consistent() -> None:
    stacks = load_project(ROOT)
    assert set(stacks) == {"africa", "europe", "asia", "staging-africa", "staging-europe", "staging-asia", "dev"}
    prod = {n: s for n, s in stacks.items() if s.environment is Environment.PROD}
    assert set(prod) == {"africa", "europe", "asia"}
    assert stacks["africa"].role is Role.PRIMARY
    assert {s.region for s in prod.values()} == {"af-south-1", "eu-west-1", "ap-southeast-1"}
    assert {s.jurisdiction.code for s in prod.values()} == {"ZA", "EU", "SG"}
    assert all(s.primary_stack == "africa" for s in prod.values())


def test_defaults_are_production_safe() -> None:
    cfg = parse_config(_with(azora__environment=None), "Pulumi.africa.yaml")
    assert cfg.environment is Environment.PROD
    assert cfg.preset.deletion_protection and cfg.preset.protect
    assert cfg.nat_per_az
    assert cfg.kms.deletion_window_days == 30
    assert cfg.log_retention_days == 365


def test_dev_preset_switches_cost_and_protection() -> None:
    cfg = parse_config(_with(azora__environment="dev"), "Pulumi.africa.yaml")
    assert not cfg.nat_per_az and not cfg.preset.protect and not cfg.preset.deletion_protection
    explicit = parse_config(_with(azora__environment="dev", azora__network={"cidr": "10.10.0.0/16",
                                                                            "natGateways": "per-az"}),
                            "Pulumi.africa.yaml")
    assert explicit.nat_per_az


def test_cost_tags_include_the_environment() -> None:
    cfg = parse_config(VALID, "Pulumi.africa.yaml")
    assert cfg.cost_tags() == {"azora:team": "platform", "azora:service": "azora-os",
                               "azora:cost-center": "cc-1001", "azora:environment": "prod"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"azora__network": {"cidr": "10.0.0.0/33"}},
         "Pulumi.africa.yaml: azora:network.cidr: 10.0.0.0/33 is not a valid IPv4 network"),
        ({"azora__network": {"cidr": "10.0.0.1/16"}},
         "Pulumi.africa.yaml: azora:network.cidr: 10.0.0.1/16 is not a valid IPv4 network"),
        ({"azora__network": {"cidr": "10.0.0.0/8"}},
         "Pulumi.africa.yaml: azora:network.cidr: 10.0.0.0/8 must be a /16 to /22 network, not /8"),
        ({"azora__network": {"cidr": "8.8.0.0/16"}},
         "Pulumi.africa.yaml: azora:network.cidr: 8.8.0.0/16 is not a private (RFC 1918) network"),
        ({"azora__network": {"cidr": "10.0.0.0/16", "azCount": 9}},
         "Pulumi.africa.yaml: azora:network.azCount: Input should be less than or equal to 3 (got 9)"),
        ({"azora__role": "boss"},
         "Pulumi.africa.yaml: azora:role: 'boss' is not one of 'primary', 'secondary' or 'standalone'"),
        ({"azora__environment": "qa"}, "Pulumi.africa.yaml: azora:environment: 'qa' is not one of"),
        ({"azora__region": "mars-1"}, "Pulumi.africa.yaml: azora:region: unknown region 'mars-1'"),
        ({"azora__region": "eu-west-1"},
         "Pulumi.africa.yaml: azora:region: eu-west-1 does not match aws:region af-south-1"),
        ({"aws__region": None}, "Pulumi.africa.yaml: aws:region: is required"),
        ({"azora__tags": {"team": "platform", "service": "azora-os"}},
         "Pulumi.africa.yaml: azora:tags.costCenter: is required"),
        ({"azora__tags": {"team": "a", "service": "b", "costCenter": "c", "extra": {"aws:x": "1"}}},
         "Pulumi.africa.yaml: azora:tags.extra: tag key 'aws:x' uses the reserved aws: prefix"),
        ({"azora__netwerk": {"cidr": "10.0.0.0/16"}},
         "Pulumi.africa.yaml: azora:netwerk: is not a known setting"),
        ({"azora__kms": {"administrators": ["bob"]}},
         "Pulumi.africa.yaml: azora:kms.administrators: bob is not an IAM role, user or account-root ARN"),
        ({"azora__kms": {"deletionWindowDays": 3}},
         "Pulumi.africa.yaml: azora:kms.deletionWindowDays: Input should be greater than or equal to 7"),
        ({"azora__network": {"cidr": "10.0.0.0/16", "flowLogRetentionDays": 42}},
         "Pulumi.africa.yaml: azora:network.flowLogRetentionDays: 42 is not a CloudWatch Logs retention period"),
    ],
)
def test_bad_field_gives_one_clear_error(changes: dict[str, Any], expected: str) -> None:
    assert _error(_with(**changes)).startswith(expected)


def test_engine_strings_are_decoded_like_yaml() -> None:
    # inside `pulumi up` every value is a string; objects arrive JSON-encoded
    raw = {k: (v if isinstance(v, str) else __import__("json").dumps(v)) for k, v in VALID.items()}
    assert parse_config(raw, "Pulumi.africa.yaml") == parse_config(VALID, "Pulumi.africa.yaml")


def test_no_azora_settings() -> None:
    assert "no `azora:` settings" in _error({"aws:region": "af-south-1"})


def test_several_errors_are_summarised_on_one_line() -> None:
    msg = _error(_with(azora__role="x", azora__network={"cidr": "nope"}))
    assert "\n" not in msg and "(and 1 more:" in msg


def test_control_characters_in_a_value_are_shown_escaped_on_one_line() -> None:
    """A value with a newline or an escape sequence (pasted, or hostile) cannot split the error or
    drive the terminal: it is shown escaped."""
    assert _error(_with(aws__region="\n")) == (
        "Pulumi.africa.yaml: azora:region: af-south-1 does not match aws:region \\n")
    msg = _error(_with(azora__network={"cidr": "10.0.0.0/16\r\n\x1b[2J"}))
    assert msg.startswith("Pulumi.africa.yaml: azora:network.cidr: 10.0.0.0/16\\r\\n\\x1b[2J is not a valid")
    assert msg.isprintable()


def _write(tmp: Path, name: str, raw: dict[str, Any]) -> Path:
    path = tmp / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": raw}), encoding="utf-8")
    return path


def test_stack_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "Pulumi.x.yaml"
    bad.write_text("config: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^Pulumi.x.yaml: not valid YAML \(line \d+\)"):
        load_stack_file(bad)
    with pytest.raises(ConfigError, match="no such stack file"):
        load_stack_file(tmp_path / "Pulumi.none.yaml")
    scalar = tmp_path / "Pulumi.s.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_stack_file(scalar)


def test_secure_values_are_reported_as_secrets(tmp_path: Path) -> None:
    path = _write(tmp_path, "africa", {**VALID, "azora:dbPassword": {"secure": "v1:abc"}})
    raw, secrets = read_stack_file(path)
    assert secrets == ["azora:dbPassword"] and raw["azora:dbPassword"] == {"secure": "v1:abc"}


def _stack(region: str, cidr: str, role: str = "secondary", primary: str = "africa") -> dict[str, Any]:
    return _with(aws__region=region, azora__region=region, azora__role=role, azora__primaryStack=primary,
                 azora__network={"cidr": cidr})


def _project(tmp: Path, stacks: dict[str, dict[str, Any]]) -> None:
    for name, raw in stacks.items():
        _write(tmp, name, raw)


def test_cross_stack_overlapping_cidrs(tmp_path: Path) -> None:
    _project(tmp_path, {"africa": _stack("af-south-1", "10.10.0.0/16", "primary"),
                        "europe": _stack("eu-west-1", "10.10.128.0/17")})
    with pytest.raises(ConfigError, match=r"^Pulumi.europe.yaml: azora:network.cidr: 10.10.128.0/17 overlaps "
                                          r"10.10.0.0/16 of stack africa$"):
        load_project(tmp_path)


def test_cross_stack_exactly_one_primary(tmp_path: Path) -> None:
    _project(tmp_path, {"africa": _stack("af-south-1", "10.10.0.0/16", "primary"),
                        "europe": _stack("eu-west-1", "10.20.0.0/16", "primary")})
    with pytest.raises(ConfigError, match=r"exactly one prod stack must be primary \(primary now: africa, europe\)"):
        load_project(tmp_path)
    _project(tmp_path, {"africa": _stack("af-south-1", "10.10.0.0/16"),
                        "europe": _stack("eu-west-1", "10.20.0.0/16")})
    with pytest.raises(ConfigError, match=r"primary now: none"):
        load_project(tmp_path)


def test_cross_stack_primary_name_must_match(tmp_path: Path) -> None:
    _project(tmp_path, {"africa": _stack("af-south-1", "10.10.0.0/16", "primary"),
                        "europe": _stack("eu-west-1", "10.20.0.0/16", primary="asia")})
    with pytest.raises(ConfigError, match=r"^Pulumi.europe.yaml: azora:primaryStack: 'asia' is not the primary"):
        load_project(tmp_path)


def test_cross_stack_one_stack_per_region(tmp_path: Path) -> None:
    _project(tmp_path, {"africa": _stack("af-south-1", "10.10.0.0/16", "primary"),
                        "cape": _stack("af-south-1", "10.20.0.0/16")})
    with pytest.raises(ConfigError, match="af-south-1 is already the region of prod stack africa"):
        load_project(tmp_path)


def test_empty_project(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no Pulumi\.<stack>\.yaml stack files"):
        load_project(tmp_path)


def test_validate_stacks_accepts_the_repo_set() -> None:
    validate_stacks(load_project(ROOT))


def test_cross_stack_global_datastore_members_must_match_the_primary(tmp_path: Path) -> None:
    _project(tmp_path, {"africa": _stack("af-south-1", "10.10.0.0/16", "primary"),
                        "europe": {**_stack("eu-west-1", "10.20.0.0/16"),
                                   "azora:cache": {"nodeType": "cache.r7g.xlarge"}}})
    with pytest.raises(ConfigError, match=r"^Pulumi\.europe\.yaml: azora:cache\.nodeType: "):
        load_project(tmp_path)


def test_services_must_live_in_a_team_namespace() -> None:
    web = {"team": "education", "namespace": "nowhere", "versions": {"v1": {"colours": {"blue": {"tag": "1.0.0",
                                                                                                "weight": 100}}}}}
    msg = _error(_with(azora__services={"web": web}))
    assert msg.startswith("Pulumi.africa.yaml: azora:services.web.namespace: 'nowhere' is not a team "
                          "namespace of azora:eks.namespaces (education, marketplace, ai)")


def test_a_stack_file_read_twice_is_parsed_once_and_a_change_is_seen(tmp_path: Path) -> None:
    """`read_yaml_file` remembers documents by the hash of their bytes: the same bytes are not parsed
    again, a copy comes back each time (changing it changes nothing for the next reader), and a
    rewrite of the file (even to the same size) is read anew."""
    from azora_infra.config import loader

    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  azora:a: 1\n", encoding="utf-8")
    first = loader.read_yaml_file(path)
    first["config"]["azora:a"] = 99
    assert loader.read_yaml_file(path) == {"config": {"azora:a": 1}}
    path.write_text("config:\n  azora:a: 2\n", encoding="utf-8")  # same size, same inode
    assert loader.read_yaml_file(path) == {"config": {"azora:a": 2}}
    for n in range(loader._PARSED_LIMIT + 5):  # bounded
        path.write_text(f"config:\n  azora:n: {n}\n", encoding="utf-8")
        loader.read_yaml_file(path)
    assert len(loader._PARSED) == loader._PARSED_LIMIT
