"""Checks across all stacks of a project: one primary, the primary named by every stack,
non-overlapping VPC CIDRs, one stack per region; and choosing the stacks of an environment."""

from __future__ import annotations

import itertools
from pathlib import Path

from .cache import check_global_datastore
from .errors import ConfigError
from .loader import NAMESPACE, StackNameError, check_stack_name, load_stack_file, read_stack_file, stack_file_name
from .presets import Environment
from .stack import Role, StackConfig


def stack_files(project_dir: Path) -> dict[str, Path]:
    """Stack name -> stack file, for every `Pulumi.<stack>.yaml` in the project directory. A file
    whose stack part is not a valid stack name is an error (Pulumi could not have such a stack)."""
    found = {}
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        try:
            found[check_stack_name(name)] = path
        except StackNameError as err:
            raise ConfigError(ascii(path.name)[1:-1], "", str(err)) from None
    return found


def validate_stacks(stacks: dict[str, StackConfig]) -> None:
    """Raise a ConfigError naming the offending file and field if the set is inconsistent."""
    primaries = [name for name, cfg in stacks.items() if cfg.role is Role.PRIMARY]
    if len(primaries) != 1:
        which = ", ".join(primaries) if primaries else "none"
        first = sorted(stacks)[0] if not primaries else primaries[1]
        raise ConfigError(
            stack_file_name(first), f"{NAMESPACE}:role",
            f"exactly one stack must be primary (primary now: {which})",
        )
    primary = primaries[0]
    for name, cfg in sorted(stacks.items()):
        if cfg.primary_stack != primary:
            raise ConfigError(
                stack_file_name(name), f"{NAMESPACE}:primaryStack",
                f"{cfg.primary_stack!r} is not the primary stack ({primary!r})",
            )
    for (a, ca), (b, cb) in itertools.combinations(sorted(stacks.items()), 2):
        if ca.network.network.overlaps(cb.network.network):
            raise ConfigError(
                stack_file_name(b), f"{NAMESPACE}:network.cidr",
                f"{cb.network.cidr} overlaps {ca.network.cidr} of stack {a}",
            )
        if ca.region == cb.region and ca.environment == cb.environment:
            raise ConfigError(
                stack_file_name(b), f"{NAMESPACE}:region",
                f"{cb.region} is already the region of stack {a}",
            )
    check_global_datastore(stacks)


def load_project(project_dir: Path) -> dict[str, StackConfig]:
    """Load and validate every stack file of the project, then the set as a whole."""
    stacks = {name: load_stack_file(path) for name, path in stack_files(project_dir).items()}
    if not stacks:
        raise ConfigError(str(project_dir), "", "no Pulumi.<stack>.yaml stack files")
    validate_stacks(stacks)
    return stacks


def _selector(path: Path) -> tuple[str, bool]:
    """(`azora:environment`, is primary) of a stack file, read from the file itself: ``prod`` when
    unset, as the config model's default. Only these keys are read, so stacks can be chosen by
    environment before (or without) validating the whole set."""
    config, _ = read_stack_file(path)
    environment = config.get(f"{NAMESPACE}:environment", Environment.PROD.value)
    return str(environment), config.get(f"{NAMESPACE}:role") == Role.PRIMARY.value


def environment_stacks(project_dir: Path, environment: str) -> list[str]:
    """The stacks whose stack file says ``azora:environment: <environment>``: primaries first (the
    others reference them), then by name. A ConfigError naming the environments there are when no
    stack file has this one."""
    found: list[tuple[bool, str]] = []
    seen: set[str] = set()
    for name, path in stack_files(project_dir).items():
        env, primary = _selector(path)
        seen.add(env)
        if env == environment:
            found.append((not primary, name))
    if not found:
        raise ConfigError(str(project_dir), f"{NAMESPACE}:environment",
                          f"no stack file has environment {environment!r} (found: {', '.join(sorted(seen)) or 'none'})")
    return [name for _, name in sorted(found)]
