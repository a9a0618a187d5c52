"""The stack a secondary reads its primary's outputs from, named once for every part that does."""

from __future__ import annotations

from components.aurora import primary_stack_name as _qualified

from ..config import StackConfig


def primary_stack_name(cfg: StackConfig) -> str:
    """``<org>/<project>/<primary>`` of this stack's environment (`azora:organization`, else the
    engine's organization)."""
    return _qualified(cfg.primary, cfg.organization)
