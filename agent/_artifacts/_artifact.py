"""``Artifact``: W&B's ``wandb.Artifact``, built locally, then logged or fetched (docs/artifacts.md)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
import urllib.parse

from .._errors import UsageError
from .._state import read_json
from ._cache import ArtifactError, fetch
from ._manifest import (
    ArtifactManifest,
    ArtifactManifestEntry,
    file_sha256,
    hash_pending,
    link_or_copy,
    manifest_digest,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO, Any, Optional

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
POLICIES = ("mutable", "immutable")


def _entry_path(name: str) -> str:
    path = name.replace(os.sep, "/").strip("/")
    if not path or any(p in ("", ".", "..") for p in path.split("/")):
        raise ValueError(f"{name!r}: a path in an artifact is relative, without '.' or '..'")
    return path


class Artifact:
    """A versioned folder of files (a dataset, a model), as W&B's ``wandb.Artifact``.

    >>> art = Artifact("mnist", type="dataset", metadata={"rows": 70000})
    >>> with art.new_file("labels.txt") as f:
    ...     _ = f.write("0 1 2 3 4 5 6 7 8 9")
    >>> art.get_entry("labels.txt").size, art.state
    (19, 'PENDING')

    Log it with ``run.log_artifact(art)``; fetch one with ``run.use_artifact("mnist:latest")``.
    """

    def __init__(
        self,
        name: str,
        type: str,
        description: Optional[str] = None,
        metadata: Optional[dict[str, Any]] = None,
        incremental: bool = False,
        use_as: Optional[str] = None,
    ) -> None:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"artifact name {name!r}: use 1-64 of letters, digits, '_', '.', '-', starting with a letter or digit")
        if not isinstance(type, str) or not _NAME.fullmatch(type):
            raise ValueError(f"artifact type {type!r}: use 1-64 of letters, digits, '_', '.', '-'")
        if metadata is not None and not isinstance(metadata, dict):
            raise ValueError("metadata must be a dict")
        self._base = name
        self.type = type
        self.description = description
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.incremental = incremental
        self._entries: dict[str, ArtifactManifestEntry] = {}
        self._removed: list[str] = []  # incremental: paths taken out of the latest version
        self._tmpdir: Optional[str] = None
        self._version: Optional[str] = None
        self._aliases: list[str] = []
        self._id: Optional[str] = None
        self._state = "PENDING"
        self._server_digest: Optional[str] = None
        self._org: Optional[str] = None
        self._project: Optional[str] = None
        self._logged_by: Optional[dict[str, Any]] = None
        self._api: Any = None
        self._result_path: Optional[str] = None  # where the background process writes the commit
        self._frozen = False

    # -- what it is --------------------------------------------------------------

    @property
    def name(self) -> str:
        """``name:vN`` once logged, else the name given."""
        return f"{self._base}:{self._version}" if self._version else self._base

    @property
    def source_name(self) -> str:
        return self.name

    @property
    def version(self) -> Optional[str]:
        return self._version

    @property
    def aliases(self) -> list[str]:
        return list(self._aliases)

    @aliases.setter
    def aliases(self, value: list[str]) -> None:
        self._aliases = list(value)

    @property
    def id(self) -> Optional[str]:
        return self._id

    @property
    def state(self) -> str:
        return self._state

    @property
    def digest(self) -> str:
        """The manifest's digest: SHA-256 over each path and file digest (the server computes the same)."""
        if self._server_digest:
            return self._server_digest
        hash_pending(self._entries.values())
        return manifest_digest(self._entries.values())

    @property
    def size(self) -> int:
        return sum(e.size for e in self._entries.values())

    @property
    def entity(self) -> Optional[str]:
        return self._org

    @property
    def project(self) -> Optional[str]:
        return self._project

    @property
    def qualified_name(self) -> str:
        return f"{self._org}/{self._project}/{self.name}"

    @property
    def manifest(self) -> ArtifactManifest:
        return ArtifactManifest(dict(self._entries))

    def files(self) -> list[ArtifactManifestEntry]:
        """The entries, by path."""
        return [self._entries[p] for p in sorted(self._entries)]

    # -- building ----------------------------------------------------------------

    def _check_mutable(self) -> None:
        if self._frozen:
            raise UsageError("this artifact version is logged or fetched: it cannot change; make a new Artifact")

    def _add(self, entry: ArtifactManifestEntry, overwrite: bool) -> ArtifactManifestEntry:
        self._check_mutable()
        if entry.path in self._entries and not overwrite:
            raise ValueError(f"{entry.path!r} is in the artifact already (overwrite=True replaces it)")
        self._entries[entry.path] = entry
        return entry

    def add_file(
        self,
        local_path: str,
        name: Optional[str] = None,
        is_tmp: Optional[bool] = False,
        skip_cache: Optional[bool] = False,
        policy: Optional[str] = "mutable",
        overwrite: bool = False,
    ) -> ArtifactManifestEntry:
        """Add one file, as ``name`` (default: its file name). ``policy="mutable"`` (the default)
        copies it when logged; ``"immutable"`` reads it in place: it must not change until uploaded."""
        if policy not in POLICIES:
            raise ValueError(f"policy must be 'mutable' or 'immutable', not {policy!r}")
        local_path = os.fspath(local_path)
        if not os.path.isfile(local_path):
            raise ValueError(f"{local_path}: not a file")
        return self._add_local(local_path, name, policy, overwrite)

    def _add_local(self, local_path: str, name: Optional[str], policy: Optional[str],
                   overwrite: bool) -> ArtifactManifestEntry:
        """An entry whose digest is computed when first needed: read, or uploaded once logged."""
        st = os.stat(local_path)
        entry = ArtifactManifestEntry(
            _entry_path(name or os.path.basename(local_path)), None, st.st_size, local_path=os.path.abspath(local_path)
        )
        entry._policy = policy  # type: ignore[attr-defined]
        entry._stat = (st.st_mtime_ns, st.st_size)  # unchanged when logged: staged as it is
        return self._add(entry, overwrite)

    def add_dir(self, local_path: str, name: Optional[str] = None, skip_cache: Optional[bool] = False,
                policy: Optional[str] = "mutable", merge: bool = False) -> None:
        """Add every file under ``local_path``, under ``name/`` (default: at the top)."""
        local_path = os.fspath(local_path)
        if not os.path.isdir(local_path):
            raise ValueError(f"{local_path}: not a folder")
        if policy not in POLICIES:
            raise ValueError(f"policy must be 'mutable' or 'immutable', not {policy!r}")
        found: list[tuple[str, str]] = []
        for folder, _dirs, files in os.walk(local_path):
            for f in sorted(files):
                full = os.path.join(folder, f)
                rel = os.path.relpath(full, local_path).replace(os.sep, "/")
                found.append((full, f"{name.strip('/')}/{rel}" if name else rel))
        # Not hashed here: logged, the files are hashed by the background process while it
        # uploads them; an entry's digest read before that is computed then.
        for full, entry_name in found:
            self._add_local(full, entry_name, policy, merge)

    def add_reference(self, uri: str, name: Optional[str] = None, checksum: bool = True,
                      max_objects: Optional[int] = None) -> list[ArtifactManifestEntry]:
        """Track a file or folder that stays where it is: ``file://`` (by SHA-256) or ``s3://``
        (by ETag; needs boto3). Not uploaded: ``download`` reads it from there again."""
        parsed = urllib.parse.urlparse(uri)
        limit = max_objects or 10_000_000
        if parsed.scheme == "file":
            return self._add_file_reference(uri, urllib.parse.unquote(parsed.path), name, checksum, limit)
        if parsed.scheme == "s3":
            return self._add_s3_reference(parsed.netloc, parsed.path.lstrip("/"), name, limit)
        raise ValueError(f"{uri!r}: references are file:// or s3:// URIs")

    def _add_file_reference(self, uri: str, path: str, name: Optional[str], checksum: bool, limit: int) -> list[ArtifactManifestEntry]:
        found = []
        if os.path.isdir(path):
            for folder, _dirs, files in os.walk(path):
                found += [os.path.join(folder, f) for f in sorted(files)]
            pairs = [(p, os.path.relpath(p, path).replace(os.sep, "/")) for p in found]
            pairs = [(p, f"{name.strip('/')}/{rel}" if name else rel) for p, rel in pairs]
        elif os.path.isfile(path):
            pairs = [(path, name or os.path.basename(path))]
        else:
            raise ValueError(f"{uri}: no such file or folder")
        out = []
        for local, rel in pairs[:limit]:
            if checksum:
                digest, size = file_sha256(local)
            else:  # W&B: the path stands for the content
                digest, size = __import__("hashlib").sha256(local.encode()).hexdigest(), os.path.getsize(local)
            ref = "file://" + urllib.parse.quote(os.path.abspath(local))
            out.append(self._add(ArtifactManifestEntry(_entry_path(rel), digest, size, ref=ref), False))
        return out

    def _add_s3_reference(self, bucket: str, key: str, name: Optional[str], limit: int) -> list[ArtifactManifestEntry]:
        try:
            import boto3  # only when an s3:// reference is added: not a dependency of the agent
        except ImportError as exc:
            raise UsageError("s3:// references need boto3: pip install boto3") from exc
        s3 = boto3.client("s3")
        out = []
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=key):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(key):].lstrip("/") or os.path.basename(obj["Key"])
                path = f"{name.strip('/')}/{rel}" if name else rel
                ref = f"s3://{bucket}/{obj['Key']}"
                out.append(self._add(ArtifactManifestEntry(_entry_path(path), obj["ETag"].strip('"'), obj["Size"], ref=ref), False))
                if len(out) >= limit:
                    return out
        return out

    @contextlib.contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: Optional[str] = None) -> Iterator[IO[Any]]:
        """A new file in the artifact, written through the file object this yields."""
        self._check_mutable()
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="cairn-artifact-")
        path = os.path.join(self._tmpdir, *_entry_path(name).split("/"))
        if name in self._entries or os.path.exists(path):
            raise ValueError(f"{name!r} is in the artifact already")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        binary = "b" in mode
        with open(path, mode, encoding=None if binary else (encoding or "utf-8")) as fh:
            yield fh
        self.add_file(path, name=name)

    def get_entry(self, name: str) -> ArtifactManifestEntry:
        try:
            return self._entries[_entry_path(name)]
        except KeyError:
            raise KeyError(f"{name!r} is not in artifact {self.name!r}") from None

    get_path = get_entry  # W&B's older name

    def remove(self, item: Any) -> None:
        """Take a file (by path or entry) or a folder (every path under it) out.

        Of an ``incremental`` artifact, the path is also taken out of the version it
        is logged on top of (the artifact's ``latest``), which is not known here."""
        self._check_mutable()
        path = _entry_path(item.path if isinstance(item, ArtifactManifestEntry) else str(item))
        gone = [p for p in self._entries if p == path or p.startswith(path + "/")]
        if self.incremental:
            self._removed.append(path)
        elif not gone:
            raise FileNotFoundError(f"{path!r} is not in the artifact")
        for p in gone:
            del self._entries[p]

    def new_draft(self) -> Artifact:
        """A new, unlogged ``Artifact`` holding this version's files, name, type, description
        and metadata, to change and log as the artifact's next version (W&B's ``new_draft``).
        Only the files added to it are uploaded: the others are on the server already.

        >>> # v1 = run.use_artifact("mnist:latest"); draft = v1.new_draft()
        >>> # draft.remove("old.csv"); draft.add_file("new.csv"); run.log_artifact(draft)
        """
        if self._state != "COMMITTED":
            raise UsageError("new_draft() needs a logged version: wait() for it, or fetch one with use_artifact")
        if not self._entries and self._id is not None:
            self._load_manifest()
        draft = Artifact(self._base, self.type, description=self.description, metadata=dict(self.metadata))
        for e in self._entries.values():  # no local file: the server holds its bytes
            draft._entries[e.path] = ArtifactManifestEntry(e.path, e.digest, e.size, ref=e.ref)
        return draft

    # -- once logged or fetched --------------------------------------------------

    def _apply(self, payload: dict[str, Any], api: Any = None, entries: Optional[list[dict[str, Any]]] = None) -> None:
        org, project, _ = payload["qualified_name"].split("/", 2)
        self._base = payload["artifact"]
        self.type = payload["type"]
        self._version = payload["version"]
        self._aliases = list(payload.get("aliases") or [])
        self._id = str(payload["id"])
        self._state = payload.get("state") or "COMMITTED"
        self._server_digest = payload["digest"]
        self._org, self._project = org, project
        self._logged_by = payload.get("logged_by")
        self.metadata = dict(payload.get("metadata") or {})
        self.description = payload.get("description") or None
        if api is not None:
            self._api = api
        if entries is not None:
            self._entries = {}
            for e in entries:
                entry = ArtifactManifestEntry(e["path"], e["digest"], int(e["size"]), ref=e.get("ref"))
                entry._artifact = self
                self._entries[entry.path] = entry
        self._frozen = True

    def wait(self, timeout: Optional[float] = None) -> Artifact:
        """Block until the background process has committed the logged version (``version`` is then set)."""
        if self._state == "COMMITTED":
            return self
        if self._result_path is None:
            raise UsageError("this artifact is not logged: run.log_artifact(artifact) first")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            result = read_json(self._result_path)
            if result is not None:
                if result.get("error"):
                    raise ArtifactError(f"artifact {self._base!r} was not logged: {result['error']}")
                for path, digest in (result.get("hashed") or {}).items():  # computed by the background process
                    if path in self._entries and not self._entries[path].hashed:
                        self._entries[path].digest = digest
                self._apply(result)
                return self
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"artifact {self._base!r} not committed within {timeout} s")
            time.sleep(0.1)

    def _need_api(self) -> Any:
        if self._state != "COMMITTED":
            self.wait()
        if self._api is None:
            from .._api import Api

            self._api = Api(overrides={"entity": self._org, "project": self._project})
        return self._api

    def _default_root(self) -> str:
        base = os.environ.get("CAIRN_ARTIFACT_DIR") or os.path.join(".", "artifacts")  # W&B's WANDB_ARTIFACT_DIR
        return os.path.join(base, self.name.replace(":", "-") if os.name == "nt" else self.name)

    def _download_entry(self, entry: ArtifactManifestEntry, root: Optional[str]) -> str:
        api = self._need_api()
        dst = os.path.join(root or self._default_root(), *entry.path.split("/"))
        if entry.ref:
            _fetch_reference(entry, dst)
            return dst
        url = f"projects/{self._org}/{self._project}/artifacts/blobs/{entry.digest}"
        link_or_copy(fetch(api, url, entry.digest, entry.size), dst)
        return dst

    def download(self, root: Optional[str] = None, allow_missing_references: bool = False,
                 skip_cache: Optional[bool] = None, path_prefix: Optional[str] = None) -> str:
        """Every file into ``root`` (default ``./artifacts/<name>:<vN>``), through the machine's
        cache (``CAIRN_CACHE_DIR``): each file is fetched once, its SHA-256 checked. Returns the folder."""
        root = root or self._default_root()
        if not self._entries and self._id is not None:
            self._load_manifest()
        for entry in self.files():
            if path_prefix and not entry.path.startswith(path_prefix):
                continue
            try:
                self._download_entry(entry, root)
            except FileNotFoundError:
                if not allow_missing_references:
                    raise
        return root

    def checkout(self, root: Optional[str] = None) -> str:
        """``download`` into ``root``, then remove files there that the artifact does not have."""
        root = self.download(root)
        keep = {os.path.join(root, *p.split("/")) for p in self._entries}
        for folder, _dirs, files in os.walk(root):
            for f in files:
                full = os.path.join(folder, f)
                if full not in keep:
                    os.unlink(full)
        return root

    def verify(self, root: Optional[str] = None) -> None:
        """Check that ``root`` holds exactly the artifact's files; ``ValueError`` names the first that differs."""
        root = root or self._default_root()
        seen = set()
        for folder, _dirs, files in os.walk(root):
            for f in files:
                rel = os.path.relpath(os.path.join(folder, f), root).replace(os.sep, "/")
                entry = self._entries.get(rel)
                if entry is None:
                    raise ValueError(f"{rel}: not in the artifact")
                if not entry.ref or len(entry.digest) == 64:
                    digest, _size = file_sha256(os.path.join(folder, f))
                    if digest != entry.digest:
                        raise ValueError(f"{rel}: its SHA-256 differs from the artifact's")
                seen.add(rel)
        missing = sorted(set(self._entries) - seen)
        if missing:
            raise ValueError(f"{missing[0]}: missing from {root}")

    def _load_manifest(self) -> None:
        api = self._need_api()
        data = api._json(f"projects/{self._org}/{self._project}/artifacts/{self._base}/{self._version}")
        self._apply(data, entries=data["manifest"])

    def logged_by(self) -> Any:
        """The run that logged this version (an ``ApiRun``), or None."""
        api = self._need_api()
        if self._logged_by is None:
            return None
        return api.run(self._logged_by["path"])

    def used_by(self) -> list[Any]:
        """The runs that used this version (``ApiRun``s)."""
        api = self._need_api()
        data = api._json(f"projects/{self._org}/{self._project}/artifacts/{self._base}/{self._version}")
        return [api.run(r["path"]) for r in data.get("used_by") or []]

    def diff(self, other: Any) -> dict[str, Any]:
        """What changed from ``other`` (a version of the same artifact: an
        ``Artifact``, or ``"v0"``/an alias) to this version. A Cairn addition:
        W&B has no diff.

        Returns the server's answer: ``files`` (``added``, ``removed``,
        ``changed`` with old and new digests and sizes, ``unchanged``),
        ``size_change``, ``file_count_change`` and ``metadata`` (``added``,
        ``removed``, ``changed`` top-level keys)::

            new = agent.Api().artifact("acme/cifar/cifar10:latest")
            d = new.diff("v0")
            print([f["path"] for f in d["files"]["added"]])
        """
        api = self._need_api()
        base = other._version if isinstance(other, Artifact) else str(other)
        if isinstance(other, Artifact) and (other._org, other._project, other._base) != (self._org, self._project, self._base):
            raise ValueError("diff() compares two versions of the same artifact")
        path = f"projects/{self._org}/{self._project}/artifacts/{self._base}/{self._version}/diff"
        return dict(api._json(path, {"base": base}))

    def __repr__(self) -> str:
        return f"<Artifact {self.qualified_name if self._org else self.name} type={self.type} files={len(self._entries)}>"


def _fetch_reference(entry: ArtifactManifestEntry, dst: str) -> None:
    assert entry.ref is not None
    parsed = urllib.parse.urlparse(entry.ref)
    if parsed.scheme == "file":
        src = urllib.parse.unquote(parsed.path)
        if not os.path.isfile(src):
            raise FileNotFoundError(f"{entry.ref}: the referenced file is gone")
        link_or_copy(src, dst)
        digest, _ = file_sha256(dst)
        if len(entry.digest) == 64 and digest != entry.digest:
            os.unlink(dst)
            raise ArtifactError(f"{entry.ref}: changed since it was logged (SHA-256 differs)")
        return
    if parsed.scheme == "s3":
        try:
            import boto3
        except ImportError as exc:
            raise UsageError("s3:// references need boto3: pip install boto3") from exc
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        boto3.client("s3").download_file(parsed.netloc, parsed.path.lstrip("/"), dst)
        return
    raise ArtifactError(f"{entry.ref}: cannot fetch this kind of reference")


