"""The agent's import graph runs one way, and never reaches the server.

The layers, from the top: the package's front door (``agent/__init__.py``),
the convenience layer ``_fluent``, the launcher ``_launch``, the ``Run``
object ``_run``, ``sync_tensorboard``'s follower ``_tensorboard``, the importers
``_importers`` (they write media), the charts ``plot`` (public, built on ``_media``), and ``_media``; above the
front door, the framework integrations (``agent.integration``), which users
import by name and which may use any layer. A module imports only layers below its own;
every other module is a helper (``_errors``, ``_spool``, ``_state`` ...) that
any layer may import and that imports no layer itself. Imports inside
functions count (a lazy import still closes a circle); those under
``if TYPE_CHECKING:`` do not, as they exist only for annotations.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional

AGENT = Path(__file__).resolve().parents[2] / "agent"
# bottom to top; the importers (`cairn import`) write media, and sync_tensorboard's follower reads with them
LAYERS = ("_media", "plot", "_importers", "_tensorboard", "_run", "_launch", "_fluent", "__init__", "integration")
SERVER = ("apps", "webapp", "django")
# What training imports: only agent/integration/ may, each module its own framework.
FRAMEWORKS = ("torch", "lightning", "pytorch_lightning", "lightning_fabric", "keras", "jax", "transformers",
              "tensorflow")
# The `cairn` command: an entry point of its own that nothing imports, so it may use any layer.
ENTRY_POINTS = ("agent.cli",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(AGENT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    """Whether ``name`` (``agent.x.y``) is a module or package of the agent."""
    path = AGENT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _layer(module: str) -> Optional[int]:
    """The layer of an agent module (higher is further up), or None for a helper."""
    parts = module.split(".")
    if parts[0] != "agent":
        return None
    if len(parts) == 1:
        return LAYERS.index("__init__")
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """Every module a file imports, as (line, absolute name, under TYPE_CHECKING)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[tuple[int, str, bool]] = []
        self._type_checking = False

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        outer, self._type_checking = self._type_checking, True
        for child in node.body:
            self.visit(child)
        self._type_checking = outer
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((node.lineno, alias.name, self._type_checking))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - node.level + 1]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        # `from . import _spool` imports the module agent._spool; `from . import init`
        # takes a name out of agent/__init__.py.
        submodules = [f"{module}.{a.name}" for a in node.names if _is_module(f"{module}.{a.name}")]
        if len(submodules) < len(node.names):
            self.found.append((node.lineno, module, self._type_checking))
        self.found.extend((node.lineno, name, self._type_checking) for name in submodules)


def _agent_files() -> list[Path]:
    return sorted(AGENT.rglob("*.py"))


def _imports_of(path: Path) -> tuple[str, list[tuple[int, str, bool]]]:
    module = _module_name(path)
    visitor = _Imports(module, is_package=path.name == "__init__.py")
    visitor.visit(ast.parse(path.read_text(), filename=str(path)))
    return module, visitor.found


def upward_imports() -> list[str]:
    """Each import that points up the layers, or from a helper into a layer."""
    wrong = []
    for path in _agent_files():
        module, found = _imports_of(path)
        own = _layer(module)
        for line, name, type_checking in found:
            target = _layer(name)
            if type_checking or target is None or module in ENTRY_POINTS:
                continue
            if own is None or target > own:
                wrong.append(f"{path.relative_to(AGENT.parent)}:{line} imports {name}")
    return wrong


def test_it_finds_the_layers_and_the_imports_it_checks() -> None:
    # Guards the test itself: a wrong path would find no imports and pass.
    modules = {_module_name(p): _imports_of(p)[1] for p in _agent_files()}
    assert {"agent", "agent._fluent", "agent._launch", "agent._run", "agent._media"} <= set(modules)
    assert any(name == "agent._launch" for _, name, _ in modules["agent._fluent"])
    assert any(name == "agent._run" for _, name, _ in modules["agent._launch"])
    assert any(name == "agent._media" for _, name, _ in modules["agent._run"])
    assert any(
        name == "agent._run" and type_checking
        for _, name, type_checking in modules["agent._media._base"]
    )


def test_it_imports_no_module_above_its_own_layer() -> None:
    assert upward_imports() == []


def test_it_never_imports_the_server() -> None:
    wrong = [
        f"{path.relative_to(AGENT.parent)}:{line} imports {name}"
        for path in _agent_files()
        for line, name, _ in _imports_of(path)[1]
        if name.split(".")[0] in SERVER
    ]
    assert wrong == []


def test_only_the_integrations_import_a_framework() -> None:
    wrong = [
        f"{path.relative_to(AGENT.parent)}:{line} imports {name}"
        for path in _agent_files()
        if "integration" not in path.relative_to(AGENT).parts
        for line, name, type_checking in _imports_of(path)[1]
        if name.split(".")[0] in FRAMEWORKS and not type_checking
    ]
    assert wrong == []
    modules = {_module_name(p): _imports_of(p)[1] for p in _agent_files()}
    assert any(name == "keras" for _, name, _ in modules["agent.integration.keras"])
    assert any(name.startswith("transformers") for _, name, _ in modules["agent.integration.transformers"])


def test_importing_agent_and_its_integration_package_imports_no_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys, agent, agent.integration;"
        f"found = sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r});"
        "assert not found, found;"
        "assert not [m for m in sys.modules if m.startswith('agent.integration.')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(AGENT.parent))
