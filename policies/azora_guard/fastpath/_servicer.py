"""The optimised Analyzer servicer: the ONE module that depends on pulumi-policy's internals
(``_PolicyAnalyzerServicer`` and its private helpers and fields, ``_NotApplicableError``).

It overrides ``Analyze``, ``AnalyzeStack``, ``Remediate``, ``Configure`` and ``ConfigureStack`` and
reuses everything else (GetAnalyzerInfo, the report-violation closure, option and provider
mapping). The behaviour it must reproduce is pinned twice: `SDK_SOURCE_HASHES` holds the SHA-256 of
the source of every SDK function it replaces or calls (checked at start-up by
`changed_sdk_functions`, and by tests/test_fastpath.py), and the equivalence tests compare its
answers byte for byte with the stock servicer's.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi.runtime.settings import SETTINGS
from pulumi_policy import deserialize as sdk_deserialize
from pulumi_policy import policy as sdk
from pulumi_policy import proxy as sdk_proxy
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import (
    EnforcementLevel,
    Policy,
    PolicyProviderResource,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    _NotApplicableError,
    _PolicyAnalyzerServicer,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

#: SHA-256 (first 40 hex digits) of ``inspect.getsource`` of each SDK function this module replaces or relies on, for
#: pulumi-policy 1.21.0. A different hash means the stock behaviour may have changed: the pack falls
#: back to the stock servicer and tests/test_fastpath.py fails until this module is reviewed.
SDK_SOURCE_HASHES: dict[str, str] = {
    "PolicyPack.__init__": "34256ae3a291d0b41e652ed37731e96c65e901e6",
    "_PolicyAnalyzerServicer.Analyze": "75db9cf8fc9d158596909b9b3f77bf48815990a6",
    "_PolicyAnalyzerServicer.AnalyzeStack": "3917a008482c2387d7da37f65d889970933e8df8",
    "_PolicyAnalyzerServicer.Remediate": "c4060524d4ad777f428983e213151e4a18715d39",
    "_PolicyAnalyzerServicer.Configure": "785e6599c03e67daf7049660b8bad2982ac5e509",
    "_PolicyAnalyzerServicer.ConfigureStack": "e71ae9c3aeeefc4a5dfac0cb3140310ae7c4bfdb",
    "_PolicyAnalyzerServicer.__init__": "d79091472a8911d62a8b9fa639c1692aa3254025",
    "_PolicyAnalyzerServicer._get_enforcement_level": "e766403ef7ab7cdf0be172e84ebd1b0b19e5132c",
    "_PolicyAnalyzerServicer._create_report_violation": "0be23b1e3ebae61589040c8822e60491a5a14fad",
    "_PolicyAnalyzerServicer._get_resource_options": "986051047b696f0fd99ed8890bc7e6445a171630",
    "_PolicyAnalyzerServicer._get_provider_resource": "5db736069fc8d3d65e220ee75143faa1d2603982",
    "_PolicyAnalyzerServicer._get_policy_config": "bd59507ff3226701dd05699366daa8148d94e472",
    "_PolicyAnalyzerServicer._configure_runtime_settings": "da0923ff3a404f3633b701587071091c98432f5d",
    "ResourceValidationPolicy.validate": "0505e541a368cc66b0b187cd7305b8113f4ec7ea",
    "ResourceValidationPolicy.has_validation": "df3874233b40a16c510dcce113acce51a2f6aa1c",
    "ResourceValidationArgs.__init__": "7411c9d9b8c6d48b121ceb433e7fb8d6089ffb50",
    "StackValidationArgs.__init__": "d80a42847dd088bb18d70b12cf4c0b07df1bec62",
    "PolicyResource.__init__": "a9e3ac8b82dc7663563302d196d4b36bffb5af6b",
    "deserialize.deserialize_properties": "2ef45163513f6cc9c65929241e2661bf6f3dfa47",
    "deserialize._deserialize_property": "f74731f85cfdd6af0630062df328542073d565b5",
    "proxy.unknown_checking_proxy": "760d27c0d09666ff364c53e298f1704d47a4dbf8",
    "proxy._proxy_helper": "c36dd3b6af1196cbab4c2be6408b333b0294c15c",
}

_MODULES = {"deserialize": sdk_deserialize, "proxy": sdk_proxy}


def _resolve(qualname: str) -> Callable[..., Any]:
    owner, _, attr = qualname.partition(".")
    holder = _MODULES[owner] if owner in _MODULES else getattr(sdk, owner)
    return getattr(holder, attr)


def sdk_source_hashes() -> dict[str, str]:
    """The SHA-256 of the installed SDK's source of every function in `SDK_SOURCE_HASHES`."""
    return {name: hashlib.sha256(inspect.getsource(_resolve(name)).encode()).hexdigest()[:40]
            for name in SDK_SOURCE_HASHES}


def changed_sdk_functions() -> list[str]:
    """The SDK functions whose source is not what this module was written against."""
    try:
        current = sdk_source_hashes()
    except (AttributeError, OSError, TypeError):
        return ["(source not readable)"]
    return [name for name, digest in SDK_SOURCE_HASHES.items() if current.get(name) != digest]


# the SDK's private fields, read through their mangled names (the servicer keeps no public accessor)
_POLICIES = "_PolicyAnalyzerServicer__policies"
_PACK_NAME = "_PolicyAnalyzerServicer__policy_pack_name"
_PACK_VERSION = "_PolicyAnalyzerServicer__policy_pack_version"
_STACK_TAGS = "_PolicyAnalyzerServicer__stack_tags"


@dataclass(frozen=True)
class _Entry:
    """One policy as a call runs it: level, config and severity computed once per Configure."""

    policy: Policy
    level: EnforcementLevel  # the level diagnostics carry (remediate already mapped to mandatory)
    config: dict[str, Any] | None
    types: frozenset[str]  # empty = every type
    validates: bool = True


@dataclass
class _Dispatch:
    """What Analyze / AnalyzeStack / Remediate run, in pack order, for one Configure."""

    resource: list[_Entry]
    stack: list[_Entry]
    remediating: bool
    by_type: dict[str, list[_Entry]] = field(default_factory=dict)

    def for_type(self, type_: str) -> list[_Entry]:
        found = self.by_type.get(type_)
        if found is None:
            # a policy without validate is "not applicable" to every resource, whatever its types
            found = [e for e in self.resource if not e.types or type_ in e.types or not e.validates]
            self.by_type[type_] = found  # races only recompute the same list
        return found


class FastAnalyzerServicer(_PolicyAnalyzerServicer):
    """`_PolicyAnalyzerServicer` with one deserialisation per call and type dispatch (see the
    package docstring). Thread-safe: the dispatch table is an immutable snapshot per Configure."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dispatch_lock = threading.Lock()
        self._dispatch: _Dispatch | None = None
        self._local = threading.local()

    # -- configuration ---------------------------------------------------------------------------

    def Configure(self, request: Any, context: Any) -> Any:
        result = super().Configure(request, context)
        with self._dispatch_lock:
            self._dispatch = None
        return result

    def ConfigureStack(self, request: Any, context: Any) -> Any:
        result = super().ConfigureStack(request, context)
        with self._dispatch_lock:
            self._dispatch = None
        return result

    def _table(self) -> _Dispatch:
        table = self._dispatch
        if table is not None:
            return table
        with self._dispatch_lock:
            if self._dispatch is None:
                self._dispatch = self._build()
            return self._dispatch

    def _build(self) -> _Dispatch:
        resource: list[_Entry] = []
        stack: list[_Entry] = []
        remediating = False
        for policy in getattr(self, _POLICIES):
            level = self._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED:
                continue
            if level == EnforcementLevel.REMEDIATE:
                remediating = remediating or isinstance(policy, ResourceValidationPolicy)
                level = EnforcementLevel.MANDATORY
            config = self._get_policy_config(policy.name)
            if isinstance(policy, ResourceValidationPolicy):
                types = frozenset(getattr(policy, "resource_types", ()) or ())
                resource.append(_Entry(policy, level, config, types, policy.has_validation()))
            elif isinstance(policy, StackValidationPolicy):
                stack.append(_Entry(policy, level, config, frozenset()))
        return _Dispatch(resource, stack, remediating)

    def _runtime(self) -> None:
        """The stock `_configure_runtime_settings`, once per worker thread and environment (the
        settings live in context variables, which are per thread)."""
        env = os.environ
        key = (env.get("PULUMI_CONFIG"), env.get("PULUMI_PROJECT"), env.get("PULUMI_STACK"),
               env.get("PULUMI_DRY_RUN"), env.get("PULUMI_ORGANIZATION"))
        if getattr(self._local, "key", None) == key and getattr(SETTINGS, "stack", None) == key[2]:
            return
        self._configure_runtime_settings()
        self._local.key = key

    # -- calls -----------------------------------------------------------------------------------

    def _cant_run(self, response: Any, policy: Policy, err: UnknownValueError) -> None:
        name, version = getattr(self, _PACK_NAME), getattr(self, _PACK_VERSION)
        response.diagnostics.append(proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=name,
            policyPackVersion=version,
            message=(f"can't run policy '{policy.name}' from policy pack "
                     f"'{name}@v{version}' during preview: {err.message}"),
            urn="",
            description=policy.description,
            enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
        ))

    @staticmethod
    def _run(policy: Policy, args: Any, report: Any) -> None:
        result = policy.validate(args, report)  # type: ignore[attr-defined]
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            task: asyncio.Task[Any] = asyncio.Task(result, loop=loop)  # type: ignore[arg-type]
            loop.run_until_complete(task)
            loop.close()

    def Analyze(self, request: Any, _context: Any) -> Any:
        self._runtime()
        response = proto.AnalyzeResponse()
        entries = self._table().for_type(request.type)
        if not entries:
            return response
        props = None
        opts = provider = None
        stack_tags = getattr(self, _STACK_TAGS)
        for e in entries:
            policy = e.policy
            if not e.validates:
                response.not_applicable.append(proto.PolicyNotApplicable(
                    policy_name=policy.name, reason="Policy does not implement validate"))
                continue
            if props is None:
                props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(request.properties)))
                opts = self._get_resource_options(request)
                provider = self._get_provider_resource(request)
            report = self._create_report_violation(response, policy.name, policy.description, e.level,
                                                   policy.severity)
            args = ResourceValidationArgs(request.type, props, request.urn, request.name, opts,  # type: ignore[arg-type]
                                          provider, e.config, stack_tags)
            try:
                self._run(policy, args, report)
            except UnknownValueError as err:
                self._cant_run(response, policy, err)
            except _NotApplicableError as err:
                response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name,
                                                                         reason=err.reason or ""))
        return response

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        """The stock servicer's resource list (parents, dependencies, property dependencies linked),
        built once; a provider's properties are deserialised once per distinct provider."""
        providers: dict[bytes, PolicyProviderResource | None] = {}
        resources: list[PolicyResource] = []
        links: list[tuple[PolicyResource, str, list[str], dict[str, list[str]]]] = []
        for r in request.resources:
            props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(r.properties)))
            provider: PolicyProviderResource | None = None
            if r.HasField("provider"):
                key = r.provider.SerializeToString(deterministic=True)
                if key not in providers:
                    providers[key] = self._get_provider_resource(r)
                provider = providers[key]
            resource = PolicyResource(r.type, props, r.urn, r.name, self._get_resource_options(r), provider,
                                      None, [], {})
            links.append((resource, r.parent, list(r.dependencies),
                          {k: list(v.urns) for k, v in r.propertyDependencies.items()}))
            resources.append(resource)
        by_urn = {res.urn: res for res in resources}
        for resource, parent, deps, prop_deps in links:
            if parent is not None and parent in by_urn:
                resource.parent = by_urn[parent]
            resource.dependencies.extend(by_urn[d] for d in deps if d in by_urn)
            for k, urns in prop_deps.items():
                resource.property_dependencies[k] = [by_urn[d] for d in urns if d in by_urn]
        return resources

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:
        self._runtime()
        response = proto.AnalyzeResponse()
        resources: list[PolicyResource] | None = None
        stack_tags = getattr(self, _STACK_TAGS)
        for e in self._table().stack:
            policy = e.policy
            if resources is None:
                resources = self._stack_resources(request)
            report = self._create_report_violation(response, policy.name, policy.description, e.level,
                                                   policy.severity)
            args = StackValidationArgs(resources, e.config, stack_tags)
            try:
                self._run(policy, args, report)
            except UnknownValueError as err:
                self._cant_run(response, policy, err)
            except _NotApplicableError as err:
                response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name,
                                                                         reason=err.reason or ""))
        return response

    def Remediate(self, request: Any, context: Any) -> Any:
        if not self._table().remediating:
            return proto.RemediateResponse()  # what the stock loop returns when no policy remediates
        return super().Remediate(request, context)


__all__ = ["SDK_SOURCE_HASHES", "FastAnalyzerServicer", "changed_sdk_functions", "sdk_source_hashes"]
