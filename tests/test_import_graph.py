"""The import graph points one way, and packages are entered by their front door.

Lower layers announce, higher layers listen: orgs never imports runs, runs
never reports or benchmarks, reports never benchmarks, core no app, and the
agent (which runs where training runs) never the server. Callers of a
package with a front door import its `__init__`, never its inner modules, so
its inner layout can change.

Plain `ast` over the git-tracked files: every `import` and `from ... import`
anywhere in a module, inside functions too, except under `if TYPE_CHECKING:`.
No Django, nothing imported.
"""

from __future__ import annotations

import ast
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# importer -> what it may not import (a module and everything under it), but itself
LAYERS: dict[str, tuple[str, ...]] = {
    "apps.orgs": ("apps.runs", "apps.reports", "apps.benchmarks", "apps.artifacts", "apps.alerts", "apps.sweeps"),
    "apps.runs": ("apps.reports", "apps.benchmarks", "apps.artifacts", "apps.alerts", "apps.sweeps"),
    "apps.sweeps": ("apps.benchmarks", "apps.artifacts", "apps.alerts"),
    "apps.reports": ("apps.benchmarks", "apps.alerts", "apps.sweeps"),
    "apps.benchmarks": ("apps.alerts", "apps.sweeps"),
    "apps.artifacts": ("apps.reports", "apps.benchmarks", "apps.alerts", "apps.sweeps"),
    "apps.core": ("apps",),
    "agent": ("apps", "webapp", "django"),
}
# Packages whose callers import the package, never a module inside it.
FRONT_DOORS = ("apps.runs.history", "apps.runs.query", "apps.runs.media", "apps.runs.table")


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def tracked_modules(root: Path) -> dict[str, Path]:
    """Every git-tracked module but migrations, by dotted name."""
    out = subprocess.run(["git", "ls-files", "-z", "--", "*.py"], cwd=root, capture_output=True, check=True)
    modules = {}
    for rel in out.stdout.decode().split("\0"):
        path = Path(rel)
        if not rel or "migrations" in path.parts:
            continue
        parts = path.with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = root / path
    return modules


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """`node` and everything under it, but the bodies of `if TYPE_CHECKING:`."""
    yield node
    if isinstance(node, ast.If) and is_type_checking(node.test):
        children: list[ast.AST] = [*node.orelse]
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from runtime_nodes(child)


def imports_of(module: str, path: Path, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of each module that `module` imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            # `from apps.runs.history import codec` imports the module codec.
            names = {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
            for name in sorted(names):
                yield node.lineno, name


def graph(root: Path) -> Iterator[tuple[str, str, int, str]]:
    """(importer, its file, line, imported module) over the tracked files."""
    modules = tracked_modules(root)
    for module, path in sorted(modules.items()):
        for line, name in imports_of(module, path, set(modules)):
            yield module, str(path.relative_to(root)), line, name


def layer_offences(root: Path) -> list[str]:
    return [
        f"{where}:{line}: {module} imports {name}"
        for module, where, line, name in graph(root)
        for importer, banned in LAYERS.items()
        if within(module, importer) and not within(name, importer) and any(within(name, b) for b in banned)
    ]


def front_door_offences(root: Path) -> list[str]:
    return [
        f"{where}:{line}: {module} imports {name}; import from {door}"
        for module, where, line, name in graph(root)
        for door in FRONT_DOORS
        if within(name, door) and name != door and not within(module, door)
    ]


def test_the_layers_point_one_way() -> None:
    offences = layer_offences(ROOT)
    assert not offences, "imports against the layers:\n" + "\n".join(offences)


def test_packages_are_entered_by_their_front_door() -> None:
    offences = front_door_offences(ROOT)
    assert not offences, "imports past a front door:\n" + "\n".join(offences)


def test_the_check_finds_each_kind_of_bad_import(tmp_path: Path) -> None:
    files = {
        "apps/__init__.py": "",
        "apps/core/__init__.py": "",
        "apps/core/errors.py": "from . import access\nfrom ..runs import models\n",
        "apps/core/access.py": "",
        "apps/orgs/__init__.py": "",
        "apps/orgs/api.py": """\
            from typing import TYPE_CHECKING

            from apps.core import errors

            if TYPE_CHECKING:
                from apps.runs.models import Run
            else:
                import apps.reports


            def later():
                from apps import runs
            """,
        "apps/orgs/migrations/0002_x.py": "from apps.runs.models import Run\n",
        "apps/runs/__init__.py": "",
        "apps/runs/models.py": "",
        "apps/runs/tasks.py": "import apps.benchmarks.receivers\nfrom apps.reports import panels\n",
        "apps/runs/history/__init__.py": "from .codec import decode\nfrom apps.runs.history.sampling import CAPACITY\n",
        "apps/runs/history/codec.py": "from . import sampling\n",
        "apps/runs/history/sampling.py": "",
        "apps/reports/__init__.py": "",
        "apps/reports/panels.py": "from apps.runs.history import decode, codec\nfrom ..runs.history.sampling import CAPACITY\n",
        "agent/__init__.py": "import os\nimport django.conf\n",
        "tests/test_x.py": "from apps.runs.history import decode\nimport apps.runs.history.codec\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)

    assert layer_offences(tmp_path) == [
        "agent/__init__.py:2: agent imports django.conf",
        "apps/core/errors.py:2: apps.core.errors imports apps.runs.models",
        "apps/orgs/api.py:8: apps.orgs.api imports apps.reports",
        "apps/orgs/api.py:12: apps.orgs.api imports apps.runs",
        "apps/runs/tasks.py:1: apps.runs.tasks imports apps.benchmarks.receivers",
        "apps/runs/tasks.py:2: apps.runs.tasks imports apps.reports.panels",
    ]
    assert front_door_offences(tmp_path) == [
        "apps/reports/panels.py:1: apps.reports.panels imports apps.runs.history.codec; import from apps.runs.history",
        "apps/reports/panels.py:2: apps.reports.panels imports apps.runs.history.sampling; import from apps.runs.history",
        "tests/test_x.py:2: tests.test_x imports apps.runs.history.codec; import from apps.runs.history",
    ]
