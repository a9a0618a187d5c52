"""No import circles in the project's packages (issue 9): between `check/pack.py` and `check/run.py`,
among the config modules, anywhere in `azora_infra`, `components` or `policies`. Module-level imports
count (also `from .pkg import name`, which runs the package's `__init__`); imports inside functions
and under `if TYPE_CHECKING:` do not, since they cannot deadlock a partially initialised module."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness import ROOT

PACKAGES = ("azora_infra", "components", "policies")


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            if not {"venv", ".venv", "__pycache__"} & set(path.parts):
                found[_module_name(root, path)] = path
    return found


def _base(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*parts, *([target] if target else [])])


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    deps: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level, not under `if`
        if isinstance(node, ast.Import):
            deps |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path.name == "__init__.py", node.level, node.module)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:
                    deps.add(full)
                elif base in known:
                    deps.add(base)
    return deps - {module}


def import_cycles(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    """Every strongly connected set of two or more modules (Tarjan's algorithm, iterative)."""
    known = _modules(root, packages)
    graph = {m: sorted(_imports(m, p, known)) for m, p in known.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(graph[node]):
                work.append((node, i + 1))
                dep = graph[node][i]
                if dep not in index:
                    work.append((dep, 0))
                elif dep in on_stack:
                    low[node] = min(low[node], index[dep])
                continue
            for dep in graph[node]:
                if dep in on_stack:
                    low[node] = min(low[node], low[dep])
            if low[node] == index[node]:
                members: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    cycles.append(sorted(members))
    return cycles


def test_the_project_has_no_import_cycle() -> None:
    assert import_cycles(ROOT) == []
    assert len(_modules(ROOT, PACKAGES)) > 150  # the packages were read


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_planted_cycle_is_found(tmp_path: Path) -> None:
    _write(tmp_path, {
        "app/__init__.py": "",
        "app/check/__init__.py": "from .run import run\n",
        "app/check/run.py": "from .pack import Pack\n\ndef run(): ...\n",
        "app/check/pack.py": "from . import run\n\nclass Pack: ...\n",
        "app/config/__init__.py": "from .stack import Stack\n",
        "app/config/stack.py": "from ..config import base\n\nclass Stack: ...\n",
        "app/config/base.py": "from app.config import Stack\n",
        "app/ok/a.py": "def f():\n    from app.ok import b\n",
        "app/ok/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.ok import a\n",
    })
    assert sorted(import_cycles(tmp_path, ("app",))) == [
        ["app.check.pack", "app.check.run"],
        ["app.config", "app.config.base", "app.config.stack"],
    ]
