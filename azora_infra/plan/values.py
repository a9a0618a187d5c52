"""Engine wire values: the signature keys and unknown sentinels a plan keeps, and plain views of them.

Plan inputs are stored as the engine sends them to an analyzer (docs/plan-format.md): secrets as
``{SIG: SECRET_SIG, "value": v}``, unknowns as the sentinel strings, resource references and
output values downgraded. Readers that want plain data call `plain()`.
"""

from __future__ import annotations

from typing import Any

SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


class Unknown:
    """A value that is not known until the resource is created (what `plain()` puts for sentinels)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN_VALUE = Unknown()


def to_engine(value: Any) -> Any:
    """Downgrade a deserialised-to-dict protobuf value as the engine does for analyzers: resource
    references become the id (custom) or URN (component), output values their value, unknown or
    secret; top-level ``__`` keys are dropped by the caller."""
    if isinstance(value, dict):
        sig = value.get(SIG)
        if sig == RESOURCE_SIG:
            rid = value.get("id")
            return rid if rid not in (None, "") else value.get("urn")
        if sig == OUTPUT_SIG:
            if "value" not in value:
                return UNKNOWN
            inner = to_engine(value["value"])
            return {SIG: SECRET_SIG, "value": inner} if value.get("secret") else inner
        return {k: to_engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_engine(v) for v in value]
    return value


def secret(value: Any) -> dict[str, Any]:
    """`value` wrapped as the engine marks a secret."""
    return {SIG: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG) == SECRET_SIG


def plain(value: Any) -> Any:
    """Unwrap secrets and turn unknown sentinels into `UNKNOWN_VALUE`: the values a reader reasons on."""
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return UNKNOWN_VALUE
    return value


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN_VALUE or (isinstance(value, str) and value in UNKNOWN_SENTINELS)
