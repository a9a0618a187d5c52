"""A faster Analyzer servicer for Python CrossGuard packs, written so it could move upstream into
pulumi-policy unchanged. Nothing here knows about the azora-guard rules.

The stock servicer of pulumi-policy (``_PolicyAnalyzerServicer``) does, for **every policy** on
every ``Analyze`` call: deserialise the resource's properties again, build its options, its
provider, a copy of the policy's config and the runtime settings; and for every stack policy on
``AnalyzeStack`` it deserialises the whole stack again. With ~150 policies that is ~99 % of the
pack's time. The optimised servicer (`_servicer.FastAnalyzerServicer`, the one module that touches
SDK internals):

- deserialises each resource **once** per Analyze / AnalyzeStack, shared by every policy;
- **dispatches by resource type** before any per-policy work: a `TypedResourceValidationPolicy`
  declares the types it applies to (``resource_types``) and is not even considered for others;
- computes each policy's enforcement level and config **once per Configure**;
- builds **one** list of `PolicyResource` per AnalyzeStack, handed to every stack policy (so a pack
  can build one view of the stack and share it);
- configures the runtime settings once per worker thread instead of once per call;
- answers ``Remediate`` without deserialising when no policy is at ``remediate``.

`run_policy_pack` also moves everything loaded at start-up (the SDKs, the policies) out of the
garbage collector's view (``gc.freeze()``): a big AnalyzeStack allocates hundreds of thousands of
objects, and each full collection would otherwise walk the whole start-up heap again (3x slower
AnalyzeStack at 10k resources).

Results are byte-identical to the stock servicer (tests/test_fastpath.py). The contract it adds:
policies treat ``args`` (props, config, the resource list) as read-only, since they are shared.

It is used only on the exact pulumi-policy version it was written against (`SUPPORTED_VERSION`)
and only when the SDK functions it relies on have the source it was written against
(`_servicer.SDK_SOURCE_HASHES`); on anything else `run_policy_pack` falls back to the stock
servicer: slower, never different. ``AZORA_POLICY_FASTPATH=0`` forces the stock path.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import ResourceValidationPolicy

#: the pulumi-policy version the optimised servicer was written against (pinned in pyproject.toml
#: and policies/requirements.txt)
SUPPORTED_VERSION = "1.21.0"
#: set to "0" to force the stock servicer (benchmarks and the equivalence tests do)
ENV_SWITCH = "AZORA_POLICY_FASTPATH"


class TypedResourceValidationPolicy(ResourceValidationPolicy):
    """A `ResourceValidationPolicy` that declares the resource types it applies to. The optimised
    servicer never calls it for other types; the stock servicer calls it for every resource, so its
    ``validate`` must still ignore other types itself (the result is the same either way)."""

    def __init__(self, *args: Any, resource_types: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: empty = every resource type
        self.resource_types: frozenset[str] = frozenset(resource_types)


def unavailable_reason() -> str | None:
    """Why the optimised servicer cannot be used here (None when it can)."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return f"{ENV_SWITCH}=0"
    try:
        from pulumi_policy.version import VERSION
    except ImportError:
        return "pulumi_policy.version is missing"
    if VERSION != SUPPORTED_VERSION:
        return f"pulumi-policy {VERSION} is not {SUPPORTED_VERSION}"
    from . import _servicer

    changed = _servicer.changed_sdk_functions()
    if changed:
        return f"pulumi-policy's source differs from what the optimised servicer was written for: {', '.join(changed)}"
    return None


def run_policy_pack(*, wrap_servicer: Callable[[Any], Any] | None = None, **pack_args: Any) -> None:
    """Serve a policy pack exactly as ``pulumi_policy.PolicyPack(**pack_args)`` does (same argument
    checks, server, port line, lifetime), with the optimised servicer where it is available.

    `wrap_servicer(servicer) -> servicer` may wrap the servicer before it is registered with the
    gRPC server (e.g. to validate Configure); it is applied on both paths.
    """
    from pulumi_policy import PolicyPack, policy

    reason = unavailable_reason()
    if reason is None:
        from ._servicer import FastAnalyzerServicer

        policy._PolicyAnalyzerServicer = FastAnalyzerServicer  # type: ignore[misc]
    elif os.environ.get(ENV_SWITCH, "1") != "0":
        print(f"policy pack: using pulumi-policy's stock servicer ({reason})", file=sys.stderr, flush=True)
    if wrap_servicer is not None:
        register = analyzer_pb2_grpc.add_AnalyzerServicer_to_server

        def add_wrapped(servicer: Any, server: Any) -> None:
            register(wrap_servicer(servicer), server)

        analyzer_pb2_grpc.add_AnalyzerServicer_to_server = add_wrapped
    gc.freeze()  # start-up objects live as long as the process: keep them out of every collection
    PolicyPack(**pack_args)


__all__ = ["ENV_SWITCH", "SUPPORTED_VERSION", "TypedResourceValidationPolicy", "run_policy_pack",
           "unavailable_reason"]
