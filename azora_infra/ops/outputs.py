"""Stack outputs: the identifiers the ops commands act on, read from `pulumi stack output --json`.

Several stacks are given as repeated ``--outputs STACK=FILE`` or as a directory holding
``<stack>.json`` files (one `pulumi stack output --json --stack <stack> > <stack>.json` each).
Nothing is hard-coded: regions, cluster ARNs, endpoints, vaults, health checks all come from
the exports of `azora_infra/stack.py` (`region`, `environment`, `role`, `globalClusterIdentifier`,
`auroraClusterArn`, `auroraClusterEndpoint`, `residentClusterArn`, `residentClusterEndpoint`,
`databaseSecretArns`, `cacheGlobalReplicationGroupId`, `cacheReplicationGroupId`,
`backupVaultArn`, `healthCheckId`, `chaosTemplateIds`, ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class OutputsError(Exception):
    """Missing or malformed stack outputs: one line naming the file and the export."""


@dataclass(frozen=True)
class StackOutputs:
    stack: str
    source: str
    values: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def require(self, key: str) -> Any:
        value = self.values.get(key)
        if value in (None, "", "[secret]"):
            why = "is a secret shown as [secret]: export with --show-secrets" if value == "[secret]" else "is missing"
            raise OutputsError(f"{self.source}: export `{key}` {why} (stack {self.stack})")
        return value

    @property
    def region(self) -> str:
        return str(self.require("region"))

    @property
    def environment(self) -> str:
        return str(self.require("environment"))

    @property
    def role(self) -> str:
        return str(self.require("role"))

    def secret_arn(self, which: str) -> str | None:
        arns = self.get("databaseSecretArns") or {}
        value = arns.get(which) if isinstance(arns, dict) else None
        return str(value) if value else None


def _read(stack: str, path: Path) -> StackOutputs:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutputsError(f"{path}: no such outputs file (write it with `pulumi stack output --json "
                           f"--stack {stack} > {path}`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise OutputsError(f"{path}: not the JSON of `pulumi stack output --json` ({err})") from None
    if not isinstance(doc, dict):
        raise OutputsError(f"{path}: expected a JSON object of stack exports")
    return StackOutputs(stack=stack, source=str(path), values=doc)


def load_outputs(specs: Iterable[str]) -> dict[str, StackOutputs]:
    """``STACK=FILE`` entries and directories of ``<stack>.json`` -> outputs by stack name."""
    out: dict[str, StackOutputs] = {}
    for spec in specs:
        if "=" in spec:
            stack, _, file = spec.partition("=")
            if not stack:
                raise OutputsError(f"--outputs {spec}: expected STACK=FILE")
            found = [(stack, Path(file))]
        else:
            folder = Path(spec)
            if not folder.is_dir():
                raise OutputsError(f"--outputs {spec}: not a directory (give STACK=FILE or a directory of "
                                   "<stack>.json files)")
            found = [(p.stem, p) for p in sorted(folder.glob("*.json"))]
            if not found:
                raise OutputsError(f"--outputs {spec}: no <stack>.json files in the directory")
        for stack, path in found:
            if stack in out:
                raise OutputsError(f"--outputs: stack {stack} given twice ({out[stack].source}, {path})")
            out[stack] = _read(stack, path)
    return out


@dataclass(frozen=True)
class Environment:
    """The stacks of one environment (prod: africa/europe/asia; staging: staging-*)."""

    name: str
    stacks: Mapping[str, StackOutputs]

    @classmethod
    def select(cls, outputs: Mapping[str, StackOutputs], env: str) -> Environment:
        stacks = {name: o for name, o in outputs.items() if o.get("environment") == env}
        if not stacks:
            known = sorted({str(o.get("environment")) for o in outputs.values()})
            raise OutputsError(f"no stack outputs of environment {env!r} (given: {', '.join(known) or 'none'})")
        return cls(env, stacks)

    @property
    def primary(self) -> StackOutputs:
        primaries = [o for o in self.stacks.values() if o.get("role") == "primary"]
        if len(primaries) != 1:
            raise OutputsError(f"environment {self.name}: expected one stack with role primary, found "
                               f"{len(primaries)} ({', '.join(o.stack for o in primaries) or 'none'})")
        return primaries[0]

    def by_target(self, target: str) -> StackOutputs:
        """A stack by name, region or short name (``europe`` finds ``europe`` and ``staging-europe``)."""
        for o in self.stacks.values():
            if target in (o.stack, o.get("region")) or o.stack.endswith(f"-{target}"):
                return o
        raise OutputsError(f"environment {self.name}: no stack {target!r} among {', '.join(sorted(self.stacks))}")

    @property
    def global_cluster_identifier(self) -> str:
        return str(self.primary.require("globalClusterIdentifier"))

    @property
    def cache_global_id(self) -> str | None:
        value = self.primary.get("cacheGlobalReplicationGroupId")
        return str(value) if value else None
