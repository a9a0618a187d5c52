"""Reading a plan (docs/plan-format.md): what the policy check, the reports and tests consume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..tags import DATA_CLASS
from .values import plain


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
    def load(cls, path: Path) -> Plan:
        return cls(json.loads(path.read_text(encoding="utf-8")))

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
        return dict(self.raw.get("outputs") or {})

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
