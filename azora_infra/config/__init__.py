"""Typed stack configuration (the `azora:` namespace), validated once at the edge."""

from .errors import ConfigError
from .loader import engine_config, load_stack_file, parse_config, read_stack_file
from .presets import PRESETS, Environment, Preset
from .project import load_project, stack_files, validate_stacks
from .stack import Role, StackConfig

__all__ = [
    "PRESETS",
    "ConfigError",
    "Environment",
    "Preset",
    "Role",
    "StackConfig",
    "engine_config",
    "load_project",
    "load_stack_file",
    "parse_config",
    "read_stack_file",
    "stack_files",
    "validate_stacks",
]
