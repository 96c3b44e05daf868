"""The experiment fingerprint: "has this run already happened?" (docs/artifacts.md).

Four parts, each a hex SHA-256: ``code`` (the git commit and the hash of
``git diff HEAD``, or without git the main script and the ``.py`` files
under its folder), ``config`` (canonical JSON, keys the user marks
irrelevant left out), ``env`` (the Python version and the installed
packages) and ``data`` (the digests of the artifact versions the run uses:
the server computes it from the run's inputs, as ``use_artifact`` comes
after ``init``). Computed at ``init`` in a few milliseconds: the commit is
read from ``.git`` directly, the packages from the ``*.dist-info`` folder
names on ``sys.path`` (no metadata file is opened).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from ._code import _SKIP_DIRS, MAX_FILES
from ._errors import AlreadyDone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Optional

PARTS = ("code", "config", "data", "env")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# -- code ----------------------------------------------------------------------------


def _git_dir(start: str) -> Optional[str]:
    """The ``.git`` folder of the repository holding ``start`` (a worktree's ``gitdir:`` file followed)."""
    folder = os.path.abspath(start)
    while True:
        dot = os.path.join(folder, ".git")
        if os.path.isdir(dot):
            return dot
        if os.path.isfile(dot):
            try:
                with open(dot, encoding="utf-8") as fh:
                    line = fh.read().strip()
            except OSError:
                return None
            if line.startswith("gitdir:"):
                return os.path.normpath(os.path.join(folder, line[7:].strip()))
            return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def git_head(git_dir: str) -> Optional[str]:
    """HEAD's commit, read from the files (no subprocess): a loose ref, then ``packed-refs``."""
    head = (_read(os.path.join(git_dir, "HEAD")) or "").strip()
    if not head.startswith("ref:"):
        return head or None
    ref = head[4:].strip()
    # A linked worktree keeps HEAD of its own and its refs in the common folder.
    common = (_read(os.path.join(git_dir, "commondir")) or "").strip()
    roots = [git_dir] + ([os.path.normpath(os.path.join(git_dir, common))] if common else [])
    for root in roots:
        value = (_read(os.path.join(root, *ref.split("/"))) or "").strip()
        if value:
            return value
    for root in roots:
        for line in (_read(os.path.join(root, "packed-refs")) or "").splitlines():
            if line.endswith(" " + ref) and not line.startswith(("#", "^")):
                return line.split(" ", 1)[0]
    return None


def _diff_sha(cwd: str) -> Optional[str]:
    """SHA-256 of ``git diff HEAD`` (staged and not; untracked files are not in it), as the run's diff.patch."""
    try:
        out = subprocess.run(
            ["git", "diff", "HEAD", "--no-color", "--no-ext-diff"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=20.0,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return hashlib.sha256(out).hexdigest()


def _script_files(script: str) -> list[str]:
    """The main script and the ``.py`` files under its folder (at most ``MAX_FILES``)."""
    root = os.path.dirname(os.path.abspath(script))
    found = [os.path.abspath(script)]
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                found.append(os.path.join(folder, name))
                if len(found) > MAX_FILES:
                    return sorted(set(found))
    return sorted(set(found))


def _stat_cache_path() -> str:
    root = os.environ.get("CAIRN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "cairn")
    return os.path.join(root, "fingerprint", "files.json")


def _hash_files(root: str, paths: list[str]) -> dict[str, str]:
    """relative path -> SHA-256 of each file; one whose size and mtime are unchanged is not read again.

    As git's index does: a stat is ~50 times cheaper than reading and hashing
    a file, and init must stay fast. The cache is one JSON file, per machine.
    """
    cache_path = _stat_cache_path()
    try:
        with open(cache_path, encoding="utf-8") as fh:
            cache = json.load(fh)
        if not isinstance(cache, dict):
            cache = {}
    except (OSError, ValueError):
        cache = {}
    fresh: dict[str, list[Any]] = {}
    out: dict[str, str] = {}
    prefix = os.path.join(root, "")  # relpath() costs more than the stat
    for path in paths:
        try:
            st = os.stat(path)
            known = cache.get(path)
            if isinstance(known, list) and len(known) == 3 and known[:2] == [st.st_size, st.st_mtime_ns]:
                digest = str(known[2])
            else:
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            continue
        fresh[path] = [st.st_size, st.st_mtime_ns, digest]
        rel = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, root)
        out[rel.replace(os.sep, "/")] = digest
    if any(cache.get(p) != v for p, v in fresh.items()):
        try:
            os.makedirs(os.path.dirname(cache_path), exist_ok=True)
            # Only this script's files: the cache never grows past one project's.
            tmp = f"{cache_path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(fresh, fh)
            os.replace(tmp, cache_path)
        except OSError:
            pass
    return out


def code_part(cwd: str, script: Optional[str]) -> tuple[str, dict[str, Any]]:
    """The code's hash, and what it is made of (shown when two runs are compared)."""
    git_dir = _git_dir(cwd)
    commit = git_head(git_dir) if git_dir else None
    if commit:
        diff = _diff_sha(cwd) or ""
        return _sha(f"git\n{commit}\n{diff}"), {"commit": commit, "diff": diff}
    files: dict[str, str] = {}
    if script and os.path.isfile(script):
        root = os.path.dirname(os.path.abspath(script))
        files = _hash_files(root, _script_files(script))
    text = "".join(f"{p}\n{d}\n" for p, d in sorted(files.items()))
    return _sha("files\n" + text), {"files": files}


# -- config --------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, floats as ``repr`` (``json`` writes them so)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def config_part(config: dict[str, Any], exclude: Iterable[str] = ()) -> tuple[str, dict[str, Any]]:
    """The config's hash, and each top-level key's (to name the keys that differ)."""
    from ._values import jsonable

    drop = {exclude} if isinstance(exclude, str) else {str(k) for k in exclude}  # one key as a string too
    kept = {str(k): v for k, v in jsonable(config).items() if str(k) not in drop}
    keys = {k: _sha(canonical(v))[:16] for k, v in kept.items()}
    return _sha(canonical(kept)), {"keys": keys, "excluded": sorted(drop)}


# -- environment ---------------------------------------------------------------------


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def packages(paths: Optional[Iterable[str]] = None) -> dict[str, str]:
    """Installed distributions by name -> version, from the metadata folders' names on ``sys.path``.

    ``name-version.dist-info`` (and ``name-version[-pyX.Y].egg-info``); the
    first found on the path wins, as ``importlib.metadata`` has it.
    """
    found: dict[str, str] = {}
    for entry in sys.path if paths is None else paths:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".dist-info"):
                stem = folder[: -len(".dist-info")]
            elif folder.endswith(".egg-info"):
                stem = folder[: -len(".egg-info")]
                head, _, tag = stem.rpartition("-")
                if tag.startswith("py") and head:
                    stem = head
            else:
                continue
            name, sep, version = stem.rpartition("-")
            if sep and name:
                found.setdefault(_normal(name), version)
    return found


def env_part() -> tuple[str, dict[str, Any]]:
    v = sys.version_info
    python = f"{sys.implementation.name} {v[0]}.{v[1]}.{v[2]}"
    installed = packages()
    text = python + "\n" + "".join(f"{n}=={v}\n" for n, v in sorted(installed.items()))
    return _sha(text), {"python": python, "packages": installed}


# -- the whole -----------------------------------------------------------------------


def compute(
    config: dict[str, Any], *, exclude: Iterable[str] = (), cwd: Optional[str] = None, script: Optional[str] = None
) -> dict[str, Any]:
    """The parts known at ``init`` (code, config, env), their details and ``base``: the three together.

    >>> fp = compute({"lr": 0.1, "seed": 1}, exclude=["seed"])
    >>> fp["config"] == compute({"lr": 0.1, "seed": 2}, exclude=["seed"])["config"]
    True
    """
    if script is None:
        main = sys.modules.get("__main__")
        script = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv else None)
    code, code_details = code_part(cwd or os.getcwd(), script)
    conf, conf_details = config_part(config, exclude)
    env, env_details = env_part()
    return {
        "code": code,
        "config": conf,
        "env": env,
        "base": base_of(code, conf, env),
        "details": {"code": code_details, "config": conf_details, "env": env_details},
    }


def base_of(code: str, config: str, env: str) -> str:
    """What ``skip_if_done`` matches at ``init``: code, config and environment (the server computes it so too)."""
    return _sha(f"{code}\n{config}\n{env}\n")


# -- at init -------------------------------------------------------------------------


def at_init(
    settings: Any,
    project: str,
    config: dict[str, Any],
    exclude: Optional[Iterable[str]],
    skip_if_done: bool,
    script: Optional[str] = None,
) -> Optional[dict[str, Any]]:
    """The fingerprint for the run's spec; with ``skip_if_done``, ask the server first (one request).

    Never stops a run by mistake: if it cannot be computed or the server
    cannot be asked, the run goes on (with a warning when the user asked).
    """
    try:
        fp = compute(config, exclude=exclude or (), script=script)
    except Exception as exc:  # a fingerprint is never worth a failed init
        _warn(f"fingerprint: not computed ({exc!r})")
        return None
    if skip_if_done:
        found = _ask(settings, project, fp["base"])
        if found is not None:
            url = found.get("url")
            summary = {k: v for k, v in (found.get("summary") or {}).items() if not str(k).startswith("_")}
            print(
                f"cairn: skip_if_done: this experiment already ran (same code, config, data and "
                f"environment): {url}\ncairn: its summary: {canonical(summary)[:2000]}",
                file=sys.stderr,
            )
            raise AlreadyDone(url, found)
    return fp


def _warn(message: str) -> None:
    import warnings

    from ._errors import AgentWarning, user_stacklevel

    warnings.warn(f"cairn: {message}", AgentWarning, stacklevel=user_stacklevel())


def _ask(settings: Any, project: str, base: str) -> Optional[dict[str, Any]]:
    if settings.mode != "online":
        _warn(f"skip_if_done: not checked in {settings.mode} mode (the server is not asked)")
        return None
    from . import _http
    from ._errors import AgentError

    try:
        s = _http.session(settings.api_key)
        org = settings.org
        if not org:
            org = _http.request(s, "GET", f"{settings.base_url}/api/v1/viewer", timeout=10.0).json().get("default_org")
            if not org:
                return None
        url = f"{settings.base_url}/api/v1/projects/{org}/{project}/fingerprints/{base}"
        answer = _http.request(s, "GET", url, timeout=10.0, ok=(200, 404)).json()
    except (AgentError, ValueError) as exc:
        _warn(f"skip_if_done: could not ask the server ({exc}); the run goes on")
        return None
    match = answer.get("match") if isinstance(answer, dict) else None
    return match if isinstance(match, dict) else None
