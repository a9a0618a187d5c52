"""What every Azora component shares: child options with parent and the region's provider."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi


class AzoraComponent(pulumi.ComponentResource):
    """Base for the library's components.

    ``provider`` is the region's explicit `aws.Provider` (it carries the region and the default
    cost tags). Children are created with `child_opts`, which sets ``parent=self`` and that
    provider explicitly, so a child never falls back to a default provider, even when a caller
    passes a component-level ``providers`` map.
    """

    def __init__(self, type_token: str, name: str, provider: pulumi.ProviderResource,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token, name, None, pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(providers=[provider])))
        self._logical_name = name
        self._region_provider = provider

    @property
    def provider(self) -> pulumi.ProviderResource:
        return self._region_provider

    def child_opts(self, *, depends_on: Sequence[pulumi.Resource] | None = None,
                   protect: bool = False, retain_on_delete: bool = False,
                   ignore_changes: Sequence[str] | None = None,
                   provider: pulumi.ProviderResource | None = None,
                   **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self,
            provider=provider or self._region_provider,
            depends_on=list(depends_on) if depends_on else None,
            protect=protect,
            retain_on_delete=retain_on_delete or None,
            ignore_changes=list(ignore_changes) if ignore_changes else None,
            **extra,
        )

    def child_name(self, *parts: str) -> str:
        """Stable logical names: the component's name, then map keys or roles (never indexes)."""
        return "-".join((self._logical_name, *parts))
