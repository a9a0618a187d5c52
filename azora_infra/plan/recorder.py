"""A mock resource monitor that records every registration as the engine would see it."""

from __future__ import annotations

import threading
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import get_project, get_stack

from .values import SECRET_SIG, SIG, to_engine


def _number(value: Any) -> Any:
    """Protobuf Struct numbers are doubles; keep integral ones as ints in the plan."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def struct_to_engine(struct: Any) -> dict[str, Any]:
    raw = json_format.MessageToDict(struct) if struct is not None else {}
    return {k: _number(to_engine(v)) for k, v in raw.items() if not k.startswith("__")}


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The engine's URN rule: the full chain of parent types, the root stack left out."""
    qualified = type_
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != "pulumi:pulumi:Stack":
            qualified = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def _timeouts(t: Any) -> dict[str, str]:
    return {k: getattr(t, k) for k in ("create", "update", "delete") if getattr(t, k, "")}


def source_position(request: Any) -> dict[str, Any] | None:
    """Where the program registered the resource (the SDK's ``sourcePosition``: the first frame of
    user code that called the resource's constructor), as ``{"uri": "file:///...", "line": N}``."""
    if "sourcePosition" not in request.DESCRIPTOR.fields_by_name or not request.HasField("sourcePosition"):
        return None
    pos = request.sourcePosition
    if not pos.uri:
        return None
    return {"uri": str(pos.uri), "line": int(pos.line)}


def _alias(alias: Any) -> dict[str, Any] | str:
    """An alias as the program declared it: a URN, or a spec's name/type/parent."""
    if alias.HasField("urn") if "urn" in alias.DESCRIPTOR.fields_by_name else False:
        return str(alias.urn)
    spec = alias.spec
    out: dict[str, Any] = {}
    for key in ("name", "type", "stack", "project", "parentUrn"):
        value = getattr(spec, key, "")
        if value:
            out[key] = value
    if getattr(spec, "noParent", False):
        out["noParent"] = True
    return out


def _mark_secret_outputs(state: struct_pb2.Struct, names: Any) -> None:
    """What the engine does with `additionalSecretOutputs` (which the SDKs set for outputs their
    schema marks secret, e.g. RandomPassword `result`): those outputs come back as secrets, so the
    program, the plan and everything computed from them keep them secret."""
    for name in names:
        if name not in state.fields or _is_secret_value(state.fields[name]):
            continue
        wrapped = struct_pb2.Struct()
        wrapped.fields[SIG].string_value = SECRET_SIG
        wrapped.fields["value"].CopyFrom(state.fields[name])
        state.fields[name].struct_value.CopyFrom(wrapped)


def _is_secret_value(value: struct_pb2.Value) -> bool:
    if value.WhichOneof("kind") != "struct_value":
        return False
    sig = value.struct_value.fields.get(SIG)
    return sig is not None and sig.string_value == SECRET_SIG


class RecordingMonitor(MockMonitor):
    """Keeps, per URN and in registration order, the whole RegisterResourceRequest in plan form."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.records: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(get_stack(), get_project(), parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        urn = response.urn
        if request.type == "pulumi:pulumi:Stack":
            return response
        _mark_secret_outputs(response.object, request.additionalSecretOutputs)
        record: dict[str, Any] = {
            "urn": urn,
            "type": request.type,
            "name": request.name,
            "custom": bool(request.custom),
            "id": response.id or None,
            "parent": request.parent or None,
            "dependencies": sorted(set(request.dependencies)),
            "propertyDependencies": {
                k: sorted(set(v.urns)) for k, v in sorted(request.propertyDependencies.items()) if v.urns
            },
            "providerRef": request.provider or None,
            "version": request.version or None,
            "inputs": struct_to_engine(request.object),
            "outputs": struct_to_engine(response.object) if request.custom else {},
            "options": {
                "protect": bool(request.protect) if request.HasField("protect") else False,
                "retainOnDelete": bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
                "ignoreChanges": list(request.ignoreChanges),
                "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                "additionalSecretOutputs": list(request.additionalSecretOutputs),
                "customTimeouts": _timeouts(request.customTimeouts),
                "aliases": [_alias(a) for a in request.aliases],
            },
        }
        position = source_position(request)
        if position is not None:
            record["sourcePosition"] = position
        with self._lock:
            self.records[urn] = record
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        with self._lock:
            if request.urn in self.records:
                self.records[request.urn]["outputs"] = struct_to_engine(request.outputs)
        return super().RegisterResourceOutputs(request)


__all__ = ["RecordingMonitor", "engine_urn", "resource_pb2", "struct_to_engine"]
