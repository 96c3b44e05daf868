"""Manifest entries, the manifest's digest, and SHA-256 of files (docs/artifacts.md)."""

from __future__ import annotations

import hashlib
import os
import shutil

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

BLOCK = 1 << 20


class ArtifactManifestEntry:
    """One file of an artifact: its ``path`` in the artifact, ``digest`` (hex SHA-256, or a
    reference's checksum), ``size`` and, for a reference, ``ref`` (its URI).

    A local file's digest may be left to compute (``digest=None``): it is hashed when first
    read here, or, once the artifact is logged, by the background process as it uploads
    the file (agent/_artifacts/_upload.py), so that hashing overlaps the upload.
    """

    def __init__(
        self,
        path: str,
        digest: Optional[str],
        size: int,
        ref: Optional[str] = None,
        local_path: Optional[str] = None,
    ) -> None:
        self.path = path
        self._digest = digest
        self.size = size
        self.ref = ref
        self.local_path = local_path
        self._artifact: Any = None
        self._stat: Optional[tuple[int, int]] = None  # (mtime in ns, size) of local_path when hashed or added

    @property
    def digest(self) -> str:
        if self._digest is None:
            if self.local_path is None:
                raise ValueError(f"{self.path}: no digest and no local file to hash")
            st = os.stat(self.local_path)
            self._stat = (st.st_mtime_ns, st.st_size)
            self._digest, self.size = file_sha256(self.local_path)
        return self._digest

    @digest.setter
    def digest(self, value: str) -> None:
        self._digest = value

    @property
    def hashed(self) -> bool:
        return self._digest is not None

    def download(self, root: Optional[str] = None) -> str:
        """This file alone, into ``root`` (the artifact's default folder); returns its path."""
        if self._artifact is None:
            raise ValueError("this entry belongs to no logged artifact")
        return str(self._artifact._download_entry(self, root))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "digest": self.digest, "size": self.size}
        if self.ref:
            out["ref"] = self.ref
        return out

    def __repr__(self) -> str:
        return f"ArtifactManifestEntry(path={self.path!r}, digest={self.digest[:12]!r}, size={self.size})"


class ArtifactManifest:
    """W&B's ``artifact.manifest``: ``entries`` by path."""

    def __init__(self, entries: dict[str, ArtifactManifestEntry]) -> None:
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)


def hash_pending(entries: Any) -> None:
    """Compute the digests not computed yet, several files at once (reads and hashlib let go of the GIL)."""
    pending = [e for e in entries if not e.hashed and e.local_path is not None]
    if len(pending) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(4, os.cpu_count() or 1)) as pool:
            for start in range(0, len(pending), 1000):  # not a future per file at once
                for _ in pool.map(lambda e: e.digest, pending[start : start + 1000]):
                    pass
    elif pending:
        pending[0].digest  # noqa: B018  # computed as it is read


def manifest_digest(entries: Any) -> str:
    """SHA-256 of ``path\\ndigest\\n`` for each entry, sorted by path (the server's apps/artifacts/services.py)."""
    h = hashlib.sha256()
    for path, digest in sorted((e.path, e.digest) for e in entries):
        h.update(f"{path}\n{digest}\n".encode())
    return h.hexdigest()


def file_sha256(path: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(BLOCK)
            if not block:
                break
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def copy_hashing(src: str, path_for: Callable[[str], str], tmp_dir: str) -> tuple[str, int, str]:
    """Copy ``src`` to ``path_for(its SHA-256)``; (digest, size, the copy's path).

    Hashed while copied (to a temporary name in ``tmp_dir``, then renamed), so
    the copy is exactly what the digest says even if ``src`` changes meanwhile.
    """
    os.makedirs(tmp_dir, exist_ok=True)
    tmp = os.path.join(tmp_dir, f".tmp-{os.getpid()}-{os.path.basename(src)[:40]}")
    h = hashlib.sha256()
    size = 0
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        while True:
            block = fin.read(BLOCK)
            if not block:
                break
            h.update(block)
            fout.write(block)
            size += len(block)
    digest = h.hexdigest()
    dst = path_for(digest)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    os.replace(tmp, dst)
    return digest, size, dst


def link_or_copy(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    tmp = f"{dst}.cairn-tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
