"""Policy configuration, reconciled as the Pulumi CLI does (``ReconcilePolicyPackConfig``,
pkg/resource/analyzer/config.go) and validated with JSON Schema.

Order of application, later wins:
1. each policy's own enforcement level and the ``default`` of every property in its config schema;
2. the pack's ``initialConfig`` (from GetAnalyzerInfo: an entry without a level means *advisory*,
   the protobuf default, exactly as the CLI reads it);
3. the ``--policy-config`` file: ``"all": "<level>"`` first, then per-policy entries, each either a
   level string or an object with an optional ``enforcementLevel`` and properties.

The result is validated per policy against ``{"type": "object", "properties": <schema>,
"required": [...], "additionalProperties": false}`` with ``enforcementLevel`` injected as an enum;
any error aborts the run. Schemas are closed: stricter than the CLI, which ignores a property no
schema declares (a typo would silently fall back to the default). A policy without a schema is not
validated, as under the CLI (azora-guard itself refuses properties its policies do not declare).
Every policy ends with an explicit level, which is what `Configure` sends: a `PolicyConfig` without
one would silently mean advisory.

A policy the pack tags ``never-silenced`` (`NEVER_SILENCED_TAG`; azora-guard's residency rules) keeps
its level and properties: ``all`` skips it, and a per-policy entry that lowers its level or sets a
property is a `PolicyConfigError` (the pack refuses the same in Configure, for the real CLI).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
ENFORCING = frozenset({"mandatory", "remediate"})
#: the policy tag (GetAnalyzerInfo) of a rule that no config may silence (contract with the pack)
NEVER_SILENCED_TAG = "never-silenced"
#: the proto enum EnforcementLevel: ADVISORY=0, MANDATORY=1, DISABLED=2, REMEDIATE=3
LEVEL_FROM_PROTO = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
LEVEL_TO_PROTO = {v: k for k, v in LEVEL_FROM_PROTO.items()}


class PolicyConfigError(ValueError):
    """The policy configuration file is malformed or fails a policy's config schema."""


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as GetAnalyzerInfo describes it."""

    name: str
    enforcement_level: str
    description: str = ""
    policy_type: str = "resource"  # resource | stack | unknown
    #: the config schema's ``properties`` (None when the policy declares no schema)
    schema_properties: dict[str, Any] | None = None
    schema_required: tuple[str, ...] = ()
    #: tagged `NEVER_SILENCED_TAG`: no config may lower its level or change its properties
    locked: bool = False
    #: what to change (the policy's remediation steps) and its severity (low | medium | high | critical)
    remediation: str = ""
    severity: str = ""
    tags: tuple[str, ...] = ()


@dataclass
class PolicyConfig:
    """A policy's configuration: its enforcement level (None = not given) and properties."""

    enforcement_level: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def _level(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise PolicyConfigError(f"{where}: {value!r} is not a valid enforcement level; must be a string")
    if value not in LEVELS:
        raise PolicyConfigError(f"{where}: {value!r} is not a valid enforcement level (one of {', '.join(LEVELS)})")
    return value


def parse_policy_config(doc: Any) -> dict[str, PolicyConfig]:
    """A ``--policy-config`` document (already JSON-decoded) as per-policy configs, like the CLI's
    ``parsePolicyPackConfig``: a value is a level string or an object; empty entries are dropped."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise PolicyConfigError("policy config must be a JSON object of policy name -> level or object")
    result: dict[str, PolicyConfig] = {}
    for name, value in doc.items():
        if isinstance(value, str):
            result[name] = PolicyConfig(_level(value, f"parsing enforcement level for {name!r}"))
        elif isinstance(value, dict):
            props = dict(value)
            level = None
            if "enforcementLevel" in props:
                level = _level(props.pop("enforcementLevel"), f"parsing enforcement level for {name!r}")
            if level is None and not props:
                continue
            result[name] = PolicyConfig(level, props)
        else:
            raise PolicyConfigError(f"parsing {name!r}: {value!r} is not a valid value; must be a string or object")
    return result


def load_policy_config_file(path: Path) -> dict[str, Any]:
    """Read a ``--policy-config`` JSON file (empty file = no config)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PolicyConfigError(f"{path}: cannot read policy config: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise PolicyConfigError(f"{path}: not a JSON policy config (not UTF-8 text: byte {err.start})") from None
    if not text.strip():
        return {}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise PolicyConfigError(f"{path}: not valid JSON: {err.msg} (line {err.lineno})") from None
    if not isinstance(doc, dict):
        raise PolicyConfigError(f"{path}: policy config must be a JSON object")
    return doc


def _defaults(policies: list[PolicyInfo]) -> dict[str, PolicyConfig]:
    result: dict[str, PolicyConfig] = {}
    for policy in policies:
        props: dict[str, Any] = {}
        for key, schema in (policy.schema_properties or {}).items():
            if isinstance(schema, dict) and "default" in schema:
                props[key] = schema["default"]
        result[policy.name] = PolicyConfig(policy.enforcement_level, props)
    return result


def _apply(result: dict[str, PolicyConfig], config: Mapping[str, PolicyConfig],
           locked: frozenset[str] = frozenset()) -> None:
    """The CLI's ``applyConfig``: ``all`` (level only) first, then each entry over the result;
    ``all`` skips `locked` policies and an entry that would silence one is refused."""
    every = config.get("all")
    if every is not None and every.enforcement_level in LEVELS:
        for name, cfg in result.items():
            if name not in locked:
                cfg.enforcement_level = every.enforcement_level
    for name, given in config.items():
        if name == "all" and name not in result:
            continue  # the CLI keeps an "all" pseudo-entry; it configures no policy
        if name in locked:
            _refuse_silencing(name, given)
        current = result.setdefault(name, PolicyConfig())
        if given.enforcement_level in LEVELS:
            current.enforcement_level = given.enforcement_level
        current.properties.update(given.properties)


def _refuse_silencing(name: str, given: PolicyConfig) -> None:
    if given.enforcement_level is not None and given.enforcement_level not in ENFORCING:
        raise PolicyConfigError(
            f"policy config cannot set {name} to {given.enforcement_level}: it is never silenced "
            "(a mandatory rule that cannot be exempted)")
    if given.properties:
        raise PolicyConfigError(
            f"policy config cannot change the properties of {name} ({', '.join(sorted(given.properties))}): "
            "it is never silenced")


def schema_for(policy: PolicyInfo) -> dict[str, Any]:
    """The JSON Schema a policy's config is validated against (``enforcementLevel`` injected)."""
    props = dict(policy.schema_properties or {})
    props["enforcementLevel"] = {"type": "string", "enum": list(LEVELS)}
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if policy.schema_required:
        schema["required"] = list(policy.schema_required)
    return schema


def _where(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return f"{path}: {error.message}" if path else error.message


def reconcile(
    policies: list[PolicyInfo],
    initial_config: Mapping[str, PolicyConfig] | None = None,
    config: Mapping[str, PolicyConfig] | None = None,
) -> dict[str, PolicyConfig]:
    """Every policy's final level and properties (see the module docstring). Raises
    `PolicyConfigError` naming the policy and the JSON-Schema message, e.g.
    ``allowed-regions: 'allowedRegions' is a required property``."""
    result = _defaults(policies)
    locked = frozenset(p.name for p in policies if p.locked)
    if initial_config:
        _apply(result, initial_config, locked)
    if config:
        _apply(result, config, locked)
    errors: list[str] = []
    for policy in policies:
        cfg = result[policy.name]
        if cfg.enforcement_level not in LEVELS:
            errors.append(f"{policy.name}: no valid enforcement level ({cfg.enforcement_level!r})")
            continue
        if policy.schema_properties is None:
            continue  # as the CLI: a policy without a config schema is not validated (the pack may refuse)
        validator = jsonschema.Draft7Validator(schema_for(policy))
        for error in sorted(validator.iter_errors(cfg.properties), key=lambda e: list(e.absolute_path)):
            errors.append(f"{policy.name}: {_where(error)}")
    if errors:
        raise PolicyConfigError("invalid policy config: " + "; ".join(errors))
    return result


__all__ = [
    "ENFORCING",
    "LEVELS",
    "LEVEL_FROM_PROTO",
    "LEVEL_TO_PROTO",
    "NEVER_SILENCED_TAG",
    "PolicyConfig",
    "PolicyConfigError",
    "PolicyInfo",
    "load_policy_config_file",
    "parse_policy_config",
    "reconcile",
    "schema_for",
]
