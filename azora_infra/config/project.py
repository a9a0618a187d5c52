"""Checks across all stacks of a project: one primary, the primary named by every stack,
non-overlapping VPC CIDRs, one stack per region."""

from __future__ import annotations

import itertools
from pathlib import Path

from .cache import check_global_datastore
from .errors import ConfigError
from .loader import NAMESPACE, StackNameError, check_stack_name, load_stack_file, stack_file_name
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
