"""The engine's side of the Analyzer protocol: turn an offline plan into the exact protobuf requests
the Pulumi CLI sends to a policy pack (research note analyzer-harness.md §2).

`EngineView(plan)` indexes the plan once; `analyze_request(res)` builds the `AnalyzeRequest` for
Analyze/Remediate (properties = the resource's inputs) and `analyzer_resource(res)` the
`AnalyzerResource` for AnalyzeStack (properties = outputs, plus parent and dependencies).

Plan values are already in engine wire form (camelCase keys, secrets as ``{SIG: SECRET_SIG,
"value": v}``, unknowns as sentinel strings, resource references downgraded), so they map onto a
protobuf `Struct` directly: the pack sees secrets as plaintext and raises ``UnknownValueError`` on
unknowns, exactly as under ``pulumi preview``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from ..plan.recorder import engine_urn
from ..plan.values import SECRET_SIG, SIG

STACK_TYPE = "pulumi:pulumi:Stack"

_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_duration_seconds(text: str | None) -> float:
    """A Go ``time.ParseDuration`` string ("20m", "1h30m", "1.5h", "300ms") in seconds, as the
    engine converts custom timeouts for analyzers. Empty or absent → 0. Invalid → ValueError."""
    if text is None:
        return 0.0
    s = text.strip()
    if s in ("", "0"):
        return 0.0
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    total, pos = 0.0, 0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if m is None:
            raise ValueError(f"invalid duration {text!r}")
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if pos == 0:
        raise ValueError(f"invalid duration {text!r}")
    return sign * total


def to_struct(value: Mapping[str, Any] | None) -> struct_pb2.Struct:
    """A plan property map as a protobuf Struct (numbers become doubles, as on the wire)."""
    struct = struct_pb2.Struct()
    if value:
        struct.update(value)
    return struct


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG) == SECRET_SIG


def secret_outputs(outputs: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """Outputs with `additionalSecretOutputs` wrapped as secrets, as the engine stores them."""
    if not names:
        return dict(outputs)
    out = dict(outputs)
    for key in names:
        if key in out and not _is_secret(out[key]):
            out[key] = {SIG: SECRET_SIG, "value": out[key]}
    return out


def _urn_parts(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, qualified type, name) of ``urn:pulumi:<stack>::<project>::<qtype>::<name>``."""
    head, project, qtype, name = urn.split("::", 3)
    return head.split(":", 2)[2], project, qtype, name


def alias_urns(resource: Mapping[str, Any]) -> list[str]:
    """The resource's aliases as URNs, as the engine expands alias specs: a spec's missing name,
    type, stack or project default to the resource's own, its parent to the resource's parent
    unless ``noParent`` (best effort: the engine's parent-alias multiplication is not modelled)."""
    aliases = (resource.get("options") or {}).get("aliases") or []
    if not aliases:
        return []
    stack, project, _qtype, _name = _urn_parts(resource["urn"])
    out: list[str] = []
    for alias in aliases:
        if isinstance(alias, str):
            out.append(alias)
            continue
        parent = "" if alias.get("noParent") else str(alias.get("parentUrn") or resource.get("parent") or "")
        out.append(
            engine_urn(
                str(alias.get("stack") or stack),
                str(alias.get("project") or project),
                parent,
                str(alias.get("type") or resource["type"]),
                str(alias.get("name") or resource["name"]),
            )
        )
    return out


def resource_options(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    """`AnalyzerResourceOptions` as the engine marshals them: custom timeouts always present, in
    seconds (zeros when unset); aliases as URNs; the parent URN."""
    opts = resource.get("options") or {}
    timeouts = opts.get("customTimeouts") or {}
    dbr = opts.get("deleteBeforeReplace")
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(opts.get("protect")),
        ignoreChanges=list(opts.get("ignoreChanges") or []),
        deleteBeforeReplace=bool(dbr),
        # the recorder keeps a plain bool: an explicit `delete_before_replace=True` is "defined"
        deleteBeforeReplaceDefined=bool(dbr),
        additionalSecretOutputs=list(opts.get("additionalSecretOutputs") or []),
        aliases=alias_urns(resource),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
            create=go_duration_seconds(timeouts.get("create")),
            update=go_duration_seconds(timeouts.get("update")),
            delete=go_duration_seconds(timeouts.get("delete")),
        ),
        parent=str(resource.get("parent") or ""),
    )


@dataclass(frozen=True)
class _Provider:
    urn: str
    type: str
    name: str
    properties: struct_pb2.Struct


class EngineView:
    """A plan indexed for request building: resources in registration order, URN lookup, the root
    stack URN and each provider's properties (built once, shared by all its resources)."""

    def __init__(self, plan: Mapping[str, Any]) -> None:
        self.plan = plan
        self.resources: list[dict[str, Any]] = list(plan.get("resources") or [])
        self.by_urn: dict[str, dict[str, Any]] = {r["urn"]: r for r in self.resources}
        roots = [r["urn"] for r in self.resources if r["type"] == STACK_TYPE]
        self.root_urn: str = roots[0] if roots else ""
        self._providers: dict[str, _Provider | None] = {}

    @property
    def stack(self) -> str:
        return str(self.plan.get("stack") or "")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def provider_of(self, resource: Mapping[str, Any]) -> _Provider | None:
        """The provider a custom resource was registered with: absent for components, providers,
        the root stack (the plan's ``provider`` is None for those)."""
        summary = resource.get("provider")
        if not summary:
            return None
        ref = str(resource.get("providerRef") or summary.get("ref") or "")
        if ref in self._providers:
            return self._providers[ref]
        purn = str(summary.get("urn") or ref.rsplit("::", 1)[0])
        prov = self.by_urn.get(purn)
        if prov is None:
            found = (
                None
                if not purn
                else _Provider(
                    purn,
                    str(summary.get("type") or ""),
                    str(summary.get("name") or purn.rsplit("::", 1)[-1]),
                    to_struct({}),
                )
            )
        else:
            found = _Provider(prov["urn"], prov["type"], prov["name"], to_struct(prov.get("inputs") or {}))
        self._providers[ref] = found
        return found

    def _provider_message(self, resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerProviderResource | None:
        prov = self.provider_of(resource)
        if prov is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=prov.type, name=prov.name, urn=prov.urn, properties=prov.properties
        )

    def analyze_request(
        self, resource: Mapping[str, Any], properties: Mapping[str, Any] | None = None
    ) -> analyzer_pb2.AnalyzeRequest:
        """The `AnalyzeRequest` for Analyze and Remediate: the inputs (or remediated `properties`)."""
        props = (resource.get("inputs") or {}) if properties is None else properties
        req = analyzer_pb2.AnalyzeRequest(
            type=resource["type"],
            urn=resource["urn"],
            name=resource["name"],
            properties=to_struct(props),
            options=resource_options(resource),
        )
        provider = self._provider_message(resource)
        if provider is not None:
            req.provider.CopyFrom(provider)
        return req

    def analyzer_resource(self, resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResource:
        """An `AnalyzerResource` for AnalyzeStack: the outputs, parent, dependencies and the
        property dependencies that are not empty."""
        outputs = secret_outputs(
            resource.get("outputs") or {}, list((resource.get("options") or {}).get("additionalSecretOutputs") or [])
        )
        res = analyzer_pb2.AnalyzerResource(
            type=resource["type"],
            urn=resource["urn"],
            name=resource["name"],
            properties=to_struct(outputs),
            options=resource_options(resource),
            parent=str(resource.get("parent") or ""),
            dependencies=list(resource.get("dependencies") or []),
        )
        for key, urns in (resource.get("propertyDependencies") or {}).items():
            if urns:
                res.propertyDependencies[key].urns.extend(urns)
        provider = self._provider_message(resource)
        if provider is not None:
            res.provider.CopyFrom(provider)
        return res

    def analyze_stack_request(self) -> analyzer_pb2.AnalyzeStackRequest:
        return analyzer_pb2.AnalyzeStackRequest(resources=[self.analyzer_resource(r) for r in self.resources])


__all__ = [
    "STACK_TYPE",
    "EngineView",
    "alias_urns",
    "go_duration_seconds",
    "resource_options",
    "secret_outputs",
    "to_struct",
]
