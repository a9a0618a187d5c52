"""Property test: any mutation of a valid stack config either validates or gives one clear,
single-line ConfigError naming the file and an `azora:`/`aws:` field — never another exception."""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azora_infra.config import ConfigError, StackConfig, parse_config
from tests.test_config import VALID

ERROR = re.compile(r"^Pulumi\.africa\.yaml: ((azora|aws):[A-Za-z0-9_.\[\]:-]+: )?\S.*$")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["10.0.0.0/33", "10.1.0.0/16", "prod", "dev", "primary",
                                            "eu-west-1", "af-south-1", "", "{", "[1]", '{"cidr": 1}']),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)), max_leaves=8)
paths = st.sampled_from([
    ("aws:region",), ("azora:region",), ("azora:environment",), ("azora:role",), ("azora:primaryStack",),
    ("azora:network",), ("azora:network", "cidr"), ("azora:network", "azCount"),
    ("azora:network", "natGateways"), ("azora:network", "flowLogRetentionDays"),
    ("azora:network", "interfaceEndpoints"), ("azora:tags",), ("azora:tags", "team"),
    ("azora:tags", "costCenter"), ("azora:tags", "extra"), ("azora:kms",), ("azora:kms", "administrators"),
    ("azora:kms", "deletionWindowDays"), ("azora:unknown",), ("azora:network", "bogus"),
])


def _mutate(raw: dict[str, Any], path: tuple[str, ...], value: Any, delete: bool) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    target: Any = out
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(paths, values, st.booleans()), min_size=1, max_size=4))
def test_mutated_config_validates_or_fails_clearly(mutations: list[tuple[tuple[str, ...], Any, bool]]) -> None:
    raw = VALID
    for path, value, delete in mutations:
        raw = _mutate(raw, path, value, delete)
    try:
        cfg = parse_config(raw, "Pulumi.africa.yaml")
    except ConfigError as err:
        text = str(err)
        assert "\n" not in text, text
        assert ERROR.match(text), text
        assert "Traceback" not in text
    else:
        assert isinstance(cfg, StackConfig)
