"""The Pulumi program (`__main__.py` calls `main`): what `pulumi up --stack <region>` runs."""

from __future__ import annotations

from pathlib import Path

import pulumi

from .config import ConfigError, StackConfig, engine_config, load_project, parse_config
from .config.loader import StackNameError, stack_file_name
from .stack import build_region_stack, export


def load_config(stack: str, project_dir: Path | None = None) -> StackConfig:
    """Validate this stack's config (as the engine passed it) and, when the project's stack files
    are present, the set of stacks as a whole. A bad config stops the program with one line."""
    try:
        cfg = parse_config(engine_config(), stack_file_name(stack))
        root = project_dir or Path.cwd()
        if (root / stack_file_name(stack)).is_file():
            load_project(root)
    except (ConfigError, StackNameError) as err:
        raise pulumi.RunError(str(err)) from None
    return cfg


def main() -> None:
    stack = pulumi.get_stack()
    cfg = load_config(stack)
    export(build_region_stack(cfg, stack))
