"""``Run.log_artifact`` / ``use_artifact`` / ``log_model`` / ``use_model`` (docs/artifacts.md).

Logging stages the files in the run folder here, in the training process
(hard links, disk only; see ``_stage``), then writes one ARTIFACT record to
the spool; the background process hashes what is not hashed yet and uploads
it (_upload.py), or ``cairn sync`` for an offline run. Using asks the server
now, as W&B does, and records the input edge through the spool, so it
reaches the server after the run exists.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time

from .. import _spool
from .._errors import UsageError
from .._state import write_json
from ._artifact import Artifact
from ._cache import cache_dir, cached_path
from ._manifest import copy_hashing, hash_pending

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

STAGED = os.path.join("artifacts", "staged")
BLOBS = os.path.join("artifacts", "blobs")


def _aliases(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    for a in value:
        # The server's rule (apps/artifacts/services.py), checked here so that the
        # background process is not the one to find out.
        if not isinstance(a, str) or not 0 < len(a) <= 128 or "/" in a or ":" in a or re.fullmatch(r"v\d+", a):
            raise UsageError(f"alias {a!r}: 1-128 characters, no '/' or ':', and not a version (vN)")
    return list(dict.fromkeys(value))


def _from_path(run: Any, path: str, name: Optional[str], type: Optional[str]) -> Artifact:
    path = os.fspath(path)
    base = os.path.basename(os.path.normpath(path))
    art = Artifact(name or f"run-{run.id}-{base}", type or "unspecified")
    if os.path.isdir(path):
        art.add_dir(path)
    elif os.path.isfile(path):
        art.add_file(path)
    else:
        art.add_reference(path)
    return art


def _stat(path: str) -> tuple[int, int]:
    """(mtime in ns, size), or (-1, -1) when there is no such file."""
    try:
        st = os.stat(path)
    except OSError:
        return -1, -1
    return st.st_mtime_ns, st.st_size


def _stage(run: Any, art: Artifact, local_id: str) -> tuple[dict[str, str], list[list[Any]]]:
    """Where the background process reads each file's bytes: (digest -> path for the files
    hashed already, [entry path, path, size, mtime in ns] for those it hashes as it uploads).

    A mutable file (the default) is staged as a hard link in the run folder, not a copy:
    nothing is read or written, and the staged bytes outlive the file being deleted or
    replaced (renamed over) before the upload. A file not hashed yet is hashed by the
    background process as it uploads it, from its link, so that hashing overlaps the
    upload; a file rewritten in place after this changes its link too, and the background
    process, which finds its size or time changed, fails the version (``wait()`` says
    which file) rather than upload bytes that are not what was logged (the server, which
    hashes every file it receives, refuses one whose digest was computed before the
    change). A file already in the download cache is read from there; where no link can
    be made (another filesystem), and for a hashed file changed since, it is copied into
    the cache, hashed again while copied. Offline, every file is hashed here and copied
    into the run folder, so that ``cairn sync`` has them whatever happens to the cache or
    the files.
    """
    offline = run.settings.mode == "offline"
    blobs = os.path.join(run.dir, BLOBS)
    if offline:
        path_for, tmp_dir = (lambda d: os.path.join(blobs, d)), blobs
        hash_pending(art._entries.values())
    else:
        path_for, tmp_dir = cached_path, cache_dir()
    files: dict[str, str] = {}
    lazy: list[list[Any]] = []
    made: set[str] = set()

    def link(src: str, name: str) -> Optional[str]:
        if blobs not in made:
            os.makedirs(blobs, exist_ok=True)
            made.add(blobs)
        dst = os.path.join(blobs, name)
        try:
            if not os.path.exists(dst):
                os.link(src, dst)
            return dst
        except OSError:
            return None  # another filesystem, or links refused: a copy

    for entry in art._entries.values():
        if entry.ref or entry.local_path is None:  # a reference, or a draft's file the server holds
            continue
        immutable = getattr(entry, "_policy", "mutable") == "immutable"
        if not entry.hashed:
            mtime, size = _stat(entry.local_path)
            staged = entry.local_path if immutable else link(entry.local_path, f"{local_id}-{len(lazy)}")
            if staged is not None and size >= 0:
                lazy.append([entry.path, staged, size, mtime])
                entry.size = size
                continue
        if immutable:
            files[entry.digest] = entry.local_path
            continue
        unchanged = _stat(entry.local_path) == entry._stat
        if unchanged and entry.digest in files:
            continue
        known = path_for(entry.digest)
        if unchanged and _stat(known)[1] == entry.size:
            files[entry.digest] = known
            continue
        if unchanged and not offline:
            staged = link(entry.local_path, entry.digest)
            if staged is not None:
                files[entry.digest] = staged
                continue
        entry.digest, entry.size, files[entry.digest] = copy_hashing(entry.local_path, path_for, tmp_dir)
    return files, lazy


def _entry_dict(entry: Any) -> dict[str, Any]:
    """A manifest entry as staged: a file the background process hashes has no digest yet."""
    if entry.hashed:
        return entry.to_dict()
    return {"path": entry.path, "digest": None, "size": entry.size}


def log_artifact(
    run: Any,
    artifact_or_path: Any,
    name: Optional[str] = None,
    type: Optional[str] = None,
    aliases: Optional[list[str]] = None,
    tags: Optional[list[str]] = None,
) -> Artifact:
    if isinstance(artifact_or_path, Artifact):
        art = artifact_or_path
    else:
        art = _from_path(run, artifact_or_path, name, type)
    if art._frozen:
        raise UsageError(f"artifact {art.name!r} is logged or fetched already; log a new Artifact")
    art._aliases = _aliases(aliases)
    if run._off or not run.dir:
        return art  # disabled or finished: nothing is recorded, as for log()
    local_id = f"{time.time_ns():x}-{secrets.token_hex(4)}"
    files, lazy = _stage(run, art, local_id)
    staged = {
        "name": art._base,
        "type": art.type,
        "description": art.description or "",
        "metadata": json.loads(json.dumps(art.metadata)),  # a TypeError here, not in the background
        "aliases": art._aliases,
        "tags": list(tags or []),
        "manifest": [_entry_dict(e) for e in art.files()],
        "files": files,
    }
    if lazy:
        staged["lazy"] = lazy
    if art.incremental:
        staged.update(incremental=True, removed=list(dict.fromkeys(art._removed)))
    folder = os.path.join(run.dir, STAGED)
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, f"{local_id}.json"), staged)
    art._result_path = os.path.join(folder, f"{local_id}.result.json")
    art._frozen = True
    run._record(_spool.ARTIFACT, local_id)
    return art


def _parse(run: Any, name: str) -> tuple[Optional[str], str, str, str]:
    path, _, ref = name.rpartition(":") if ":" in name else (name, "", "latest")
    parts = path.split("/")
    if len(parts) == 1:
        return run.org, run.project, parts[0], ref or "latest"
    if len(parts) == 2:
        return run.org, parts[0], parts[1], ref or "latest"
    if len(parts) == 3:
        return parts[0], parts[1], parts[2], ref or "latest"
    raise UsageError(f'{name!r}: expected "name:alias", "project/name:alias" or "org/project/name:alias"')


# "<org>/registry/<name>:<alias>" names a registered model's version (_registry.py; W&B's names too).
_REGISTRY_PROJECTS = ("registry", "wandb-registry-model", "model-registry")


def fetch_version(api: Any, org: str, project: str, name: str, ref: str) -> Artifact:
    if project in _REGISTRY_PROJECTS:  # the artifact version the registry's version links
        data = api._json(f"orgs/{org}/registry/{name}/{ref}")["artifact"]
    else:
        data = api._json(f"projects/{org}/{project}/artifacts/{name}/{ref}")
    art = Artifact(data["artifact"], data["type"])
    art._apply(data, api, entries=data["manifest"])
    return art


def use_artifact(
    run: Any,
    artifact_or_name: Any,
    type: Optional[str] = None,
    aliases: Optional[list[str]] = None,
    use_as: Optional[str] = None,
) -> Artifact:
    if run.settings.mode == "offline":
        raise UsageError("use_artifact needs the server: not available offline")
    from .._api import Api

    if isinstance(artifact_or_name, Artifact):
        if artifact_or_name._state != "COMMITTED":
            artifact_or_name.wait()
        org, project = artifact_or_name._org, artifact_or_name._project
        name, ref = artifact_or_name._base, artifact_or_name.version or "latest"
    else:
        org, project, name, ref = _parse(run, str(artifact_or_name))
    api = Api(overrides={"entity": org, "project": project}, base_url=run.settings.base_url, api_key=run.settings.api_key)
    org = org or api.default_entity
    if not org:
        raise UsageError("no organisation: pass org= to init or set CAIRN_ORG")
    art = fetch_version(api, org, str(project), name, ref)
    if type is not None and art.type != type:
        raise ValueError(f"{art.name!r} is of type {art.type!r}, not {type!r}")
    run._record(_spool.USE, art.qualified_name)
    return art


def log_model(run: Any, path: str, name: Optional[str] = None, aliases: Optional[list[str]] = None) -> Artifact:
    base = os.path.basename(os.path.normpath(os.fspath(path)))
    return log_artifact(run, path, name=name or f"run-{run.id}-{base}", type="model", aliases=aliases)


def use_model(run: Any, name: str) -> str:
    art = use_artifact(run, name)
    if art.type != "model":
        raise ValueError(f"{art.name!r} is of type {art.type!r}, not 'model'")
    return art.download()
