"""Reading a Pulumi project directory as the CLI would: its name, entry point and a stack's config."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config.loader import read_stack_file


class ProgramError(Exception):
    """The program directory, its stack file or the program itself failed: one line for the user."""


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
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise ProgramError(f"{path.name}: not valid YAML: {err}") from None
        if not isinstance(doc, dict) or not doc.get("name"):
            raise ProgramError(f"{path.name}: `name` is required")
        runtime = doc.get("runtime")
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if runtime_name != "python":
            raise ProgramError(
                f"{path.name}: runtime {runtime_name!r} is not python; only Python programs can be planned")
        main = root / str(doc.get("main") or ".")
        if main.is_dir():
            main = main / "__main__.py"
        if not main.is_file():
            raise ProgramError(f"{path.name}: entry point {main.relative_to(root)} does not exist")
        defaults: dict[str, Any] = {}
        for key, spec in (doc.get("config") or {}).items():
            full = key if ":" in key else f"{doc['name']}:{key}"
            if isinstance(spec, dict) and ("default" in spec or "value" in spec):
                defaults[full] = spec.get("value", spec.get("default"))
            elif not isinstance(spec, dict):
                defaults[full] = spec
        return cls(root, str(doc["name"]), main, str(runtime_name), defaults)

    def stack_config(self, stack: str) -> tuple[dict[str, str], list[str]]:
        """The stack's config as the engine hands it to a program: ``{"ns:key": string}`` (objects
        JSON-encoded) and the secret keys. Encrypted values cannot be decrypted offline: they get a
        placeholder, still marked secret."""
        raw, secret_keys = read_stack_file(self.root / f"Pulumi.{stack}.yaml")
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
