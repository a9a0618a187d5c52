"""Reading what a policy receives, the pulumi-aws v7 way.

A policy sees the resource's camelCase inputs *without* the provider's Check: no ``tagsAll``, no
autonames, no schema defaults. So the helpers here:

- treat an absent property as "the provider default" (each rule states what that default is);
- merge the resource's own ``tags`` with its provider's ``defaultTags`` (a JSON *string* on an
  explicit provider: ``'{"tags": {...}}'``) - what ``tagsAll`` would hold after Check;
- take the region from the resource's own ``region`` input (v7), else from its provider's ``region``.

Values that are unknown during preview raise ``UnknownValueError`` from pulumi_policy's proxy when
read; they are left to propagate so the engine reports "can't run policy during preview" (advisory),
exactly as the CLI does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from azora_infra import tags as tag_keys

ARN_RE = re.compile(r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.*)$")


def is_seq(value: Any) -> bool:
    """A list (or pulumi_policy list proxy), not a string."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def as_list(value: Any) -> list[Any]:
    """``None`` -> [], a single object -> [it], a sequence -> list."""
    if value is None:
        return []
    if is_seq(value):
        return list(value)
    return [value]


def dig(value: Any, *path: str | int) -> Any:
    """``dig(props, "vpcConfig", "endpointPublicAccess")``; None when any step is absent."""
    current = value
    for step in path:
        if current is None:
            return None
        if isinstance(step, int):
            if not is_seq(current) or step >= len(current):
                return None
            current = current[step]
        elif isinstance(current, Mapping):
            current = current.get(step)
        else:
            return None
    return current


def parse_json(value: Any) -> Any:
    """Provider config and policy documents may arrive as JSON strings; objects pass through."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def arn_region(arn: Any) -> str | None:
    """The region part of an ARN (``None`` for a non-ARN or a global ARN such as S3's)."""
    if not isinstance(arn, str):
        return None
    m = ARN_RE.match(arn)
    if not m or not m.group("region"):
        return None
    return m.group("region")


def truthy(value: Any) -> bool:
    """Booleans may arrive as strings from provider config; normalise."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _string_tags(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float | bool)}


@lru_cache(maxsize=256)
def _default_tags_json(text: str) -> tuple[tuple[str, str], ...]:
    """The tags of a JSON ``defaultTags`` string (one parse per distinct provider config)."""
    raw = parse_json(text)
    return tuple(_string_tags(raw.get("tags")).items()) if isinstance(raw, Mapping) else ()


def provider_default_tags(provider_props: Mapping[str, Any] | None) -> dict[str, str]:
    """``defaultTags.tags`` of a provider (JSON string or object)."""
    if not provider_props:
        return {}
    value = provider_props.get("defaultTags")
    if isinstance(value, str):
        return dict(_default_tags_json(value))
    raw = parse_json(value)
    if isinstance(raw, Mapping):
        return _string_tags(raw.get("tags"))
    return {}


@dataclass
class Res:
    """One resource as a rule sees it (inputs for resource rules; planned state for stack rules)."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    provider_props: Mapping[str, Any] | None = None
    provider_type: str | None = None
    protect: bool = False
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    #: tags computed once per Res (rules get copies); a Res is shared by the rules of one resource
    _tag_cache: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_args(cls, args: Any) -> Res:
        """From a pulumi_policy ``ResourceValidationArgs``."""
        prov = getattr(args, "provider", None)
        opts = getattr(args, "opts", None)
        return cls(
            type=args.resource_type, urn=args.urn, name=args.name, props=args.props,
            provider_props=prov.props if prov is not None else None,
            provider_type=prov.resource_type if prov is not None else None,
            protect=bool(getattr(opts, "protect", False)),
            parent=getattr(opts, "parent", None),
        )

    @classmethod
    def from_policy_resource(cls, r: Any) -> Res:
        """From a pulumi_policy ``PolicyResource`` (stack validation)."""
        prov = getattr(r, "provider", None)
        opts = getattr(r, "opts", None)
        parent = getattr(r, "parent", None)
        return cls(
            type=r.resource_type, urn=r.urn, name=r.name, props=r.props,
            provider_props=prov.props if prov is not None else None,
            provider_type=prov.resource_type if prov is not None else None,
            protect=bool(getattr(opts, "protect", False)),
            parent=parent.urn if parent is not None else getattr(opts, "parent", None),
            dependencies=[d.urn for d in (getattr(r, "dependencies", None) or [])],
            property_dependencies={k: [d.urn for d in v]
                                   for k, v in (getattr(r, "property_dependencies", None) or {}).items()},
        )

    # -- reading ------------------------------------------------------------------------------
    def get(self, *path: str | int) -> Any:
        return dig(self.props, *path)

    def has(self, key: str) -> bool:
        return key in self.props and self.props[key] is not None

    def present(self, key: str) -> bool:
        """Set to something (an unknown value counts as set: it will be known after apply)."""
        try:
            return self.has(key)
        except UnknownValueError:
            return True

    @property
    def is_aws(self) -> bool:
        return self.type.startswith("aws:")

    @property
    def is_custom_aws(self) -> bool:
        """An AWS resource (not a provider, component or the root stack)."""
        return self.is_aws

    def _tags(self, kind: str) -> dict[str, str]:
        cached = self._tag_cache.get(kind)
        if cached is None:
            if kind == "own":
                cached = _string_tags(self.props.get("tags"))
            elif kind == "default":
                cached = provider_default_tags(self.provider_props)
            else:
                cached = {**self._tags("default"), **self._tags("own")}
            self._tag_cache[kind] = cached
        return dict(cached)

    @property
    def own_tags(self) -> dict[str, str]:
        return self._tags("own")

    @property
    def default_tags(self) -> dict[str, str]:
        return self._tags("default")

    @property
    def tags(self) -> dict[str, str]:
        """Provider ``defaultTags`` merged with the resource's own ``tags`` (own wins)."""
        return self._tags("merged")

    @property
    def region(self) -> str | None:
        """The resource's own ``region`` input (pulumi-aws v7), else its provider's ``region``."""
        own = self.props.get("region")
        if isinstance(own, str) and own:
            return own
        if self.provider_props and "region" in self.provider_props:
            reg = self.provider_props["region"]
            if isinstance(reg, str) and reg:
                return reg
        return None

    @property
    def provider_region(self) -> str | None:
        if self.provider_props and "region" in self.provider_props:
            reg = self.provider_props["region"]
            return reg if isinstance(reg, str) and reg else None
        return None

    @property
    def environment(self) -> str | None:
        return self.tags.get(tag_keys.ENVIRONMENT)

    @property
    def data_class(self) -> str | None:
        return self.tags.get(tag_keys.DATA_CLASS)

    @property
    def is_personal(self) -> bool:
        return self.data_class == "personal"

    @property
    def is_prod(self) -> bool:
        """Production unless the merged ``azora:environment`` tag says otherwise (fails closed:
        an untagged resource is treated as production)."""
        env = self.environment
        return env is None or env == "prod"

    @property
    def arn(self) -> str | None:
        value = self.props.get("arn")
        return value if isinstance(value, str) else None

    @property
    def id(self) -> str | None:
        value = self.props.get("id")
        return value if isinstance(value, str) else None

    def label(self) -> str:
        return f"{self.type.rsplit(':', 1)[-1]} '{self.name}'"


def statements(policy: Any) -> Iterator[Mapping[str, Any]]:
    """The statements of an IAM-style policy document (JSON string or object)."""
    doc = parse_json(policy)
    if not isinstance(doc, Mapping):
        return
    for st in as_list(doc.get("Statement")):
        if isinstance(st, Mapping):
            yield st


def principal_is_public(principal: Any) -> bool:
    """``"*"`` or ``{"AWS": "*"}`` (or a list containing ``*``)."""
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        return "*" in as_list(aws)
    return False
