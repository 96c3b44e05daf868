"""Source code as run files under ``code/``: ``init(save_code=True)`` and ``run.log_code()``.

The files are copied into the run folder now (the code may change while the
run trains) and recorded like media files: the background process uploads
them as they are.
"""

from __future__ import annotations

import hashlib
import os
import sys

from . import _spool

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Optional

    from ._run import Run

# Folders never worth saving: environments, caches, and the runs themselves.
_SKIP_DIRS = frozenset(
    (".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "env", "node_modules", "cairn", "wandb")
)
MAX_FILES = 1000


def _default_include(path: str, root: str = "") -> bool:
    return path.endswith(".py")


def _default_exclude(path: str, root: str = "") -> bool:
    rel = os.path.relpath(path, root) if root else path
    return any(part in _SKIP_DIRS or part.startswith(".venv") for part in rel.split(os.sep)[:-1])


def _call(fn: Callable[..., bool], path: str, root: str) -> bool:
    # W&B's include_fn/exclude_fn take (path, root); older ones take (path).
    try:
        return bool(fn(path, root))
    except TypeError:
        return bool(fn(path))


def save_file(run: Run, src: str, rel: str) -> bool:
    """Copy ``src`` into the run's files as ``rel``; False when it cannot be read."""
    if run.dir is None or run._off:
        return False
    try:
        with open(src, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    dst = os.path.join(run.dir, "files", *rel.split("/"))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "wb") as fh:
        fh.write(data)
    run._record(_spool.MEDIA, (rel, hashlib.sha256(data).hexdigest(), len(data)))
    return True


def save_main(run: Run) -> Optional[str]:
    """``save_code=True``: the script being run, as ``code/<its path from the working directory>``."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv else "")
    if not path or not os.path.isfile(path):
        run._warn("save_code", "save_code: no script file to save (an interactive session?)")
        return None
    rel = os.path.relpath(os.path.abspath(path), os.getcwd())
    if rel.startswith(os.pardir):
        rel = os.path.basename(path)
    rel = "code/" + rel.replace(os.sep, "/")
    return rel if save_file(run, path, rel) else None


def log_code(
    run: Run,
    root: Optional[str],
    *,
    include_fn: Optional[Callable[..., bool]] = None,
    exclude_fn: Optional[Callable[..., bool]] = None,
) -> list[str]:
    """Save the files under ``root`` that ``include_fn`` takes and ``exclude_fn`` leaves."""
    root = os.path.abspath(root or ".")
    include = include_fn or _default_include
    exclude = exclude_fn or _default_exclude
    saved: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".venv"))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if not _call(include, path, root) or _call(exclude, path, root):
                continue
            if len(saved) >= MAX_FILES:
                run._warn("log_code", f"log_code: more than {MAX_FILES} files; the rest are not saved")
                return saved
            rel = "code/" + os.path.relpath(path, root).replace(os.sep, "/")
            if save_file(run, path, rel):
                saved.append(rel)
    return saved
