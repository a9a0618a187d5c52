"""Reading a plan (docs/plan-format.md): what the policy check, the reports and tests consume.

`load_plan_file` is the one way a saved plan gets in (`check --plan`, `report --plan`,
`Plan.load`): bounded, UTF-8 JSON, a `formatVersion` this version knows, and the shape every reader
relies on (`PLAN_SCHEMA`), or one line saying what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from ..tags import DATA_CLASS
from .values import plain

#: the plan format version this code writes and reads
FORMAT_VERSION = 1
#: the largest plan file read (the biggest stack here writes a few MiB)
MAX_PLAN_BYTES = 256 * 1024 * 1024

_STR_OR_NULL = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
#: the shape of a plan that readers rely on (fields may be added within a version)
PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["formatVersion", "project", "stack", "resources"],
    "properties": {
        "formatVersion": {"type": "integer"},
        "generator": {"type": "string"},
        "project": {"type": "string"},
        "stack": {"type": "string"},
        "organization": {"type": "string"},
        "programDir": {"type": "string"},
        "config": _STRING_MAP,
        "secretConfigKeys": _STRINGS,
        "stackTags": _STRING_MAP,
        "outputs": {"type": "object"},
        "summary": {"type": "object"},
        "resources": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["urn", "type", "name", "custom"],
                "properties": {
                    "urn": {"type": "string", "minLength": 1},
                    "type": {"type": "string", "minLength": 1},
                    "name": {"type": "string"},
                    "custom": {"type": "boolean"},
                    "id": _STR_OR_NULL,
                    "parent": _STR_OR_NULL,
                    "dependencies": _STRINGS,
                    "propertyDependencies": {"type": "object", "additionalProperties": _STRINGS},
                    "providerRef": _STR_OR_NULL,
                    "provider": {
                        "type": ["object", "null"],
                        "properties": {
                            "urn": {"type": "string"}, "ref": _STR_OR_NULL, "type": _STR_OR_NULL,
                            "name": _STR_OR_NULL, "default": {"type": "boolean"}, "region": _STR_OR_NULL,
                            "defaultTags": _STRING_MAP,
                        },
                    },
                    "version": _STR_OR_NULL,
                    "inputs": {"type": "object"},
                    "outputs": {"type": "object"},
                    "options": {
                        "type": "object",
                        "properties": {
                            "protect": {"type": "boolean"}, "retainOnDelete": {"type": "boolean"},
                            "deleteBeforeReplace": {"type": "boolean"}, "ignoreChanges": _STRINGS,
                            "additionalSecretOutputs": _STRINGS, "customTimeouts": _STRING_MAP,
                            "aliases": {"type": "array", "items": {"type": ["string", "object"]}},
                        },
                    },
                    "default": {"type": "boolean"},
                },
            },
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(PLAN_SCHEMA)


class PlanFileError(ValueError):
    """A plan file that cannot be read: `str()` is one line naming the file."""


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def validate_plan(doc: Any, source: str = "plan") -> dict[str, Any]:
    """`doc` if it is a plan this version reads, else PlanFileError (one line)."""
    if not isinstance(doc, dict):
        raise PlanFileError(f"{source}: not a plan (expected a JSON object, the output of "
                            "`azora-infra plan --format json`)")
    version = doc.get("formatVersion")
    if "formatVersion" not in doc:
        raise PlanFileError(f"{source}: not a plan (no formatVersion; expected the output of "
                            "`azora-infra plan --format json`)")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise PlanFileError(f"{source}: plan formatVersion {json.dumps(version)[:40]} is not supported "
                            f"(this azora-infra reads version {FORMAT_VERSION})")
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(doc))
    if error is not None:
        message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        raise PlanFileError(f"{source}: not a valid plan: {_where(error.absolute_path)}: {message}")
    urns = [r["urn"] for r in doc["resources"]]
    if len(set(urns)) != len(urns):
        dup = next(u for u in urns if urns.count(u) > 1)
        raise PlanFileError(f"{source}: not a valid plan: resource {dup} appears more than once")
    return doc


def load_plan_file(path: Path, *, stack: str | None = None) -> dict[str, Any]:
    """Read and check a saved plan (`validate_plan`); with `stack`, it must be that stack's plan."""
    source = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_PLAN_BYTES + 1)
    except FileNotFoundError:
        raise PlanFileError(f"{source}: no such plan file") from None
    except IsADirectoryError:
        raise PlanFileError(f"{source}: is a directory, not a plan file") from None
    except OSError as err:
        raise PlanFileError(f"{source}: cannot read plan: {err.strerror or err}") from None
    if len(data) > MAX_PLAN_BYTES:
        raise PlanFileError(f"{source}: larger than {MAX_PLAN_BYTES // (1024 * 1024)} MiB, the limit for a plan")
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise PlanFileError(f"{source}: not a plan (not UTF-8 text: byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise PlanFileError(f"{source}: not a plan (invalid JSON at line {err.lineno}: {err.msg})") from None
    except RecursionError:
        raise PlanFileError(f"{source}: not a plan (nested too deeply)") from None
    validate_plan(doc, source)
    if stack is not None and doc["stack"] != stack:
        raise PlanFileError(f"{source}: is the plan of stack {doc['stack']!r}, not {stack!r}")
    return doc


@dataclass(frozen=True)
class Resource:
    raw: dict[str, Any] = field(repr=False)

    @property
    def urn(self) -> str:
        return str(self.raw["urn"])

    @property
    def type(self) -> str:
        return str(self.raw["type"])

    @property
    def name(self) -> str:
        return str(self.raw["name"])

    @property
    def custom(self) -> bool:
        return bool(self.raw["custom"])

    @property
    def parent(self) -> str | None:
        return self.raw.get("parent")

    @property
    def inputs(self) -> dict[str, Any]:
        """Inputs with secrets unwrapped and unknowns as `values.UNKNOWN_VALUE`."""
        value = plain(self.raw.get("inputs") or {})
        return value if isinstance(value, dict) else {}

    @property
    def outputs(self) -> dict[str, Any]:
        value = plain(self.raw.get("outputs") or {})
        return value if isinstance(value, dict) else {}

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.raw.get("options") or {})

    @property
    def provider(self) -> dict[str, Any] | None:
        return self.raw.get("provider")

    @property
    def region(self) -> str | None:
        """The resource's own `region` input (pulumi-aws v7), else its provider's region."""
        own = self.inputs.get("region")
        if isinstance(own, str) and own:
            return own
        prov = self.provider
        return prov.get("region") if prov else None

    @property
    def tags(self) -> dict[str, str]:
        """The provider's default tags merged with the resource's own `tags` (what `tagsAll`
        would hold after the provider's Check)."""
        prov = self.provider or {}
        merged = dict(prov.get("defaultTags") or {})
        own = self.inputs.get("tags")
        if isinstance(own, dict):
            merged.update({str(k): str(v) for k, v in own.items() if isinstance(v, str)})
        return merged

    @property
    def data_class(self) -> str | None:
        return self.tags.get(DATA_CLASS)


@dataclass(frozen=True)
class Plan:
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def load(cls, path: Path, *, stack: str | None = None) -> Plan:
        """A saved plan (`load_plan_file`: PlanFileError with one line when it is not one)."""
        return cls(load_plan_file(path, stack=stack))

    @property
    def stack(self) -> str:
        return str(self.raw["stack"])

    @property
    def project(self) -> str:
        return str(self.raw["project"])

    @property
    def config(self) -> dict[str, str]:
        return dict(self.raw.get("config") or {})

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack's exports, secrets unwrapped (`raw["outputs"]` keeps them wrapped)."""
        value = plain(self.raw.get("outputs") or {})
        return value if isinstance(value, dict) else {}

    def __iter__(self) -> Iterator[Resource]:
        return (Resource(r) for r in self.raw["resources"])

    def __len__(self) -> int:
        return len(self.raw["resources"])

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self if r.type in types]

    def get(self, urn: str) -> Resource | None:
        for r in self:
            if r.urn == urn:
                return r
        return None

    def named(self, type_: str, name: str) -> Resource:
        for r in self.of_type(type_):
            if r.name == name:
                return r
        raise KeyError(f"no {type_} named {name!r} in the plan of {self.stack}")

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self if r.parent == urn]

    def descendants(self, urn: str) -> list[Resource]:
        out: list[Resource] = []
        frontier = [urn]
        while frontier:
            current = frontier.pop()
            for r in self.children(current):
                out.append(r)
                frontier.append(r.urn)
        return out
