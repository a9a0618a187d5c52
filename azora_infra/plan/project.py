"""Reading a Pulumi project directory as the CLI would: its name, entry point and a stack's config."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.errors import ConfigError
from ..config.loader import read_stack_file, read_yaml_file, stack_file_name


class ProgramError(Exception):
    """The program directory, its stack file or the program itself failed: one line for the user."""


def _entry_point(root: Path, source: str, main: Any) -> Path:
    """`main` of Pulumi.yaml: a relative path inside the project (a directory means its
    ``__main__.py``). Absolute paths and paths that leave the project are refused."""
    if main is None or main == "":
        main = "."
    if not isinstance(main, str):
        raise ProgramError(f"{source}: main: must be a relative path (got a {type(main).__name__})")
    if "\0" in main or Path(main).is_absolute():
        raise ProgramError(f"{source}: main: {main!r} must be a path inside the project directory")
    entry = (root / main).resolve()
    if entry != root and root not in entry.parents:
        raise ProgramError(f"{source}: main: {main!r} leaves the project directory")
    if entry.is_dir():
        entry = entry / "__main__.py"
    if not entry.is_file():
        raise ProgramError(f"{source}: entry point {entry.relative_to(root)} does not exist")
    return entry


@dataclass(frozen=True)
class PulumiProject:
    root: Path
    name: str
    main: Path
    runtime: str
    config_defaults: dict[str, Any]

    @classmethod
    def load(cls, root: Path) -> PulumiProject:
        root = root.resolve()
        path = root / "Pulumi.yaml"
        if not path.is_file():
            path = root / "Pulumi.yml"
        if not path.is_file():
            raise ProgramError(f"{root}: no Pulumi.yaml (not a Pulumi project directory)")
        try:
            doc = read_yaml_file(path, what="project file") or {}
        except ConfigError as err:
            raise ProgramError(str(err)) from None
        if not isinstance(doc, dict):
            raise ProgramError(f"{path.name}: must be a mapping (name, runtime, main, config)")
        name = doc.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ProgramError(f"{path.name}: name: is required (a string)")
        runtime = doc.get("runtime")
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if runtime_name != "python":
            raise ProgramError(
                f"{path.name}: runtime {runtime_name!r} is not python; only Python programs can be planned")
        main = _entry_point(root, path.name, doc.get("main"))
        config = doc.get("config")
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise ProgramError(f"{path.name}: config: must be a mapping of keys to values or "
                               f"{{type, default}} (got a {type(config).__name__})")
        defaults: dict[str, Any] = {}
        for key, spec in config.items():
            key = str(key)
            full = key if ":" in key else f"{name}:{key}"
            if isinstance(spec, dict) and ("default" in spec or "value" in spec):
                defaults[full] = spec.get("value", spec.get("default"))
            elif not isinstance(spec, dict):
                defaults[full] = spec
        return cls(root, name, main, str(runtime_name), defaults)

    def stack_config(self, stack: str) -> tuple[dict[str, str], list[str]]:
        """The stack's config as the engine hands it to a program: ``{"ns:key": string}`` (objects
        JSON-encoded) and the secret keys. Encrypted values cannot be decrypted offline: they get a
        placeholder, still marked secret."""
        raw, secret_keys = read_stack_file(self.root / stack_file_name(stack))
        merged = {**self.config_defaults, **raw}
        config: dict[str, str] = {}
        for key, value in merged.items():
            full = key if ":" in key else f"{self.name}:{key}"
            if key in secret_keys:
                config[full] = f"offline-secret-{full.replace(':', '-')}"
            elif isinstance(value, str):
                config[full] = value
            elif isinstance(value, bool):
                config[full] = "true" if value else "false"
            else:
                # YAML reads an unquoted 2025-10-01 as a date: the engine passes it as text
                config[full] = json.dumps(value, default=_scalar_text)
        return config, [k if ":" in k else f"{self.name}:{k}" for k in secret_keys]


def _scalar_text(value: object) -> str:
    """YAML scalars JSON cannot encode (dates, timestamps) as their ISO text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"config value of type {type(value).__name__} cannot be passed to a program")
