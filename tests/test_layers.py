"""The layers point one way: components stand alone.

`components/` may import only the standard library, the Pulumi SDKs, other `components/` modules
and the leaf modules of domain constants (`azora_infra.regions`, `azora_infra.tags`); never the
app layers (`azora_infra.config`, `compose`, `plan`, `check`, `commands`, ...) or their
dependencies (pydantic, yaml, boto3). Every component module is parsed (imports inside functions
and ``TYPE_CHECKING`` blocks count), relative imports are resolved, and the checks are shown to
fail on planted bad imports so they cannot pass vacuously. Component constructors stay short:
no ``__init__`` over 80 lines (split into named private steps).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "components"
PACKAGE = "components"
#: the leaf modules of domain constants a component may read
LEAVES = ("azora_infra.regions", "azora_infra.tags")
#: third-party roots a component may import: the Pulumi SDKs
SDK_PREFIX = "pulumi"
#: the app layers named by the issue; any other azora_infra module is refused too
APP_LAYERS = ("azora_infra.config", "azora_infra.compose", "azora_infra.plan", "azora_infra.check",
              "azora_infra.commands")
MAX_INIT_LINES = 80


def _is_within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _imported_modules(path: Path, package: str) -> list[tuple[int, str, bool]]:
    """(line, absolute module, from-parent) for every import in the file. ``from X import a``
    yields ``X`` (from-parent true) and ``X.a`` (``a`` may be a submodule: ``from azora_infra
    import config``); relative imports are resolved against ``package``."""
    found: list[tuple[int, str, bool]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, False) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                if node.level > len(parts):
                    found.append((node.lineno, f"<relative import beyond {package}>", False))
                    continue
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module, True))
            found.extend((node.lineno, f"{module}.{alias.name}", False)
                         for alias in node.names if alias.name != "*")
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and (getattr(node.func, "id", None) == "__import__"
                   or getattr(node.func, "attr", None) == "import_module")):
            found.append((node.lineno, "<dynamic import>", False))
    return found


def _allowed(module: str, from_parent: bool) -> bool:
    root = module.split(".")[0]
    if module.startswith("<"):
        return False
    if root == PACKAGE or root.startswith(SDK_PREFIX):
        return True
    if root == "azora_infra":
        # `from azora_infra import regions`: the parent package itself; the names are checked apart
        return (module == "azora_infra" and from_parent) or any(_is_within(module, leaf) for leaf in LEAVES)
    return root in sys.stdlib_module_names


def layer_violations(directory: Path, package: str = PACKAGE) -> list[str]:
    """``file:line: module`` for every import of a component module that is not allowed."""
    return [f"{path.name}:{line}: {module}"
            for path in sorted(directory.glob("*.py"))
            for line, module, from_parent in _imported_modules(path, package)
            if not _allowed(module, from_parent)]


def long_constructors(directory: Path, limit: int = MAX_INIT_LINES) -> list[str]:
    """``file:Class.__init__ (n lines)`` for every class constructor longer than ``limit``."""
    long: list[str] = []
    for path in sorted(directory.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "__init__":
                    lines = (item.end_lineno or item.lineno) - item.lineno + 1
                    if lines > limit:
                        long.append(f"{path.name}:{node.name}.__init__ ({lines} lines)")
    return long


def _copy_components(tmp_path: Path) -> Path:
    copy = tmp_path / PACKAGE
    shutil.copytree(COMPONENTS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


# --- the real tree -------------------------------------------------------------------------


def test_components_import_no_app_layer() -> None:
    assert len(list(COMPONENTS.glob("*.py"))) > 30  # the check sees the whole package
    assert layer_violations(COMPONENTS) == []


def test_components_read_domain_constants_only_from_the_leaves() -> None:
    """The positive side: components do use the leaves (the check is not blind to azora_infra)."""
    used = {m for p in COMPONENTS.glob("*.py") for _, m, _ in _imported_modules(p, PACKAGE)
            if m.startswith("azora_infra.")}
    assert {"azora_infra.regions", "azora_infra.tags"} <= used
    assert all(any(_is_within(m, leaf) for leaf in LEAVES) for m in used), used


def test_leaf_modules_import_only_the_standard_library() -> None:
    """The leaves the components read stay leaves: no pydantic, no Pulumi, no app layer."""
    leaves = [ROOT / "azora_infra" / "regions.py", ROOT / "azora_infra" / "tags.py",
              COMPONENTS / "cache_catalog.py", COMPONENTS / "alarm_catalog.py"]
    for path in leaves:
        roots = {m.split(".")[0] for _, m, _ in _imported_modules(path, "azora_infra")}
        assert roots <= set(sys.stdlib_module_names) | {"__future__"}, (path.name, roots)


def test_importing_every_component_loads_no_app_layer() -> None:
    """Run-time proof in a fresh interpreter: importing every component module loads none of the
    app layers and no pydantic (what a program composing the components itself would pay)."""
    modules = sorted(p.stem for p in COMPONENTS.glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('components.' + m)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith(('azora_infra', 'pydantic')))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=True)
    loaded = set(done.stdout.split())
    assert loaded == {"azora_infra", "azora_infra.regions", "azora_infra.tags"}, loaded
    assert not any(_is_within(m, layer) for m in loaded for layer in APP_LAYERS)


def test_no_component_constructor_over_80_lines() -> None:
    assert long_constructors(COMPONENTS) == []


def test_component_modules_import_no_cycle() -> None:
    """components/ has no import cycle (module-level imports between component modules)."""
    graph: dict[str, set[str]] = {}
    for path in COMPONENTS.glob("*.py"):
        deps = {m.split(".")[1] for _, m, _ in _imported_modules(path, PACKAGE)
                if m.startswith(PACKAGE + ".") and (COMPONENTS / f"{m.split('.')[1]}.py").exists()}
        graph[path.stem] = deps - {path.stem}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            assert state.get(dep) != 1, f"import cycle: {' -> '.join([*trail, node, dep])}"
            if dep not in state:
                visit(dep, [*trail, node])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert graph["service"] >= {"gateway", "base"}  # the graph is read, not empty


# --- the checks fail on what they must refuse ------------------------------------------------

PLANTED = {
    "absolute from": ("from azora_infra.config.cache import CacheConfig\n", "azora_infra.config.cache"),
    "plain import": ("import azora_infra.compose.cache_edge\n", "azora_infra.compose.cache_edge"),
    "the app package": ("import azora_infra\n", ": azora_infra"),
    "submodule by name": ("from azora_infra import plan\n", "azora_infra.plan"),
    "inside a function": ("def f():\n    from azora_infra.check import run\n    return run\n",
                          "azora_infra.check"),
    "type checking only": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                           "    from azora_infra.commands.plan import main\n", "azora_infra.commands.plan"),
    "other app module": ("from azora_infra.stack import build\n", "azora_infra.stack"),
    "relative beyond the package": ("from ..azora_infra.config import base\n", "relative import beyond"),
    "pydantic": ("import pydantic\n", "pydantic"),
    "dynamic": ("import importlib\nM = importlib.import_module('azora_infra.config')\n", "<dynamic import>"),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_layer_check_fails_on_a_planted_bad_import(tmp_path: Path, case: str) -> None:
    source, expected = PLANTED[case]
    copy = _copy_components(tmp_path)
    assert layer_violations(copy) == []  # the copy is clean before planting
    target = copy / "cache.py"
    target.write_text(target.read_text(encoding="utf-8") + "\n" + source, encoding="utf-8")
    problems = layer_violations(copy)
    assert problems and all(p.startswith("cache.py:") for p in problems), problems
    assert any(expected in p for p in problems), problems


def test_layer_check_allows_relative_and_leaf_imports(tmp_path: Path) -> None:
    copy = _copy_components(tmp_path)
    (copy / "planted.py").write_text(
        "from . import netpol\nfrom .base import AzoraComponent\nfrom azora_infra import regions, tags\n"
        "import pulumi_aws as aws\nimport json\n", encoding="utf-8")
    assert layer_violations(copy) == []


def test_length_check_fails_on_a_planted_long_constructor(tmp_path: Path) -> None:
    copy = _copy_components(tmp_path)
    body = "".join(f"        self.a{i} = {i}\n" for i in range(MAX_INIT_LINES - 1))
    (copy / "planted.py").write_text(f"class Long:\n    def __init__(self) -> None:\n{body}", encoding="utf-8")
    assert long_constructors(copy) == []  # exactly 80 lines is allowed
    (copy / "planted.py").write_text(
        f"class Long:\n    def __init__(self) -> None:\n{body}        self.last = 0\n", encoding="utf-8")
    assert long_constructors(copy) == [f"planted.py:Long.__init__ ({MAX_INIT_LINES + 1} lines)"]


# --- compose maps config to the components' own args -----------------------------------------


def _config_objects(value: object, where: str, depth: int = 0) -> list[str]:
    """Where a pydantic model (a config object) sits inside a component's arguments."""
    from pydantic import BaseModel

    if depth > 12 or isinstance(value, (str, bytes, int, float, bool, type(None), pulumi.Output,
                                        pulumi.Resource)):
        return []
    if isinstance(value, BaseModel):
        return [f"{where}: {type(value).__module__}.{type(value).__name__}"]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [hit for f in dataclasses.fields(value)
                for hit in _config_objects(getattr(value, f.name), f"{where}.{f.name}", depth + 1)]
    if isinstance(value, Mapping):
        return [hit for k, v in value.items() for hit in _config_objects(v, f"{where}[{k!r}]", depth + 1)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [hit for i, v in enumerate(value) for hit in _config_objects(v, f"{where}[{i}]", depth + 1)]
    return []


def _component_classes() -> list[type[pulumi.ComponentResource]]:
    for path in sorted(COMPONENTS.glob("*.py")):
        importlib.import_module(f"{PACKAGE}.{path.stem}")
    seen: list[type[pulumi.ComponentResource]] = []
    todo: list[type[pulumi.ComponentResource]] = [pulumi.ComponentResource]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return [c for c in seen if c.__module__.startswith(PACKAGE + ".")]


def test_compose_hands_components_their_own_args_not_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning the repo's primary stack in-process: every component constructor receives its
    own args (dataclasses, plain values, outputs), never a pydantic config object."""
    from azora_infra.config import load_project
    from azora_infra.stack import build_region_stack
    from tests.harness import record

    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
    for cls in _component_classes():
        if "__init__" not in cls.__dict__:
            continue
        original = cls.__dict__["__init__"]

        def spy(self: object, *args: object, __original: Any = original, __cls: type = cls,
                **kwargs: object) -> None:
            if type(self) is __cls:
                calls.append((__cls.__name__, args, kwargs))
            __original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", spy)
    cfg = load_project(ROOT)["africa"]
    record(lambda: build_region_stack(cfg, "africa"), stack="africa", region=cfg.region)
    built = {name for name, _, _ in calls}
    assert {"RegionalCache", "AuroraCluster", "RegionalBackup", "RegionalNetwork", "Karpenter",
            "EksCluster", "KubernetesBaseline", "AzoraService"} <= built, built
    hits = [hit for name, args, kwargs in calls
            for hit in _config_objects({"args": args, **kwargs}, name)]
    assert hits == []
    # the walk does see a config object when one is handed over
    assert _config_objects({"args": (calls[0][1][0], {"x": [cfg.cache]})}, "planted") == [
        "planted['args'][1]['x'][0]: azora_infra.config.cache.CacheConfig"]
