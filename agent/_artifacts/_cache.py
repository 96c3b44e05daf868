"""The download cache shared by every run on the machine: files by SHA-256, verified.

``CAIRN_CACHE_DIR`` (default ``~/.cache/cairn``)/``artifacts/sha256/ab/abcd...``. A
file is written under a temporary name while hashed and renamed into place
only when its digest matches, so the cache never holds a wrong file and two
processes fetching the same file at once both end with the right one.
"""

from __future__ import annotations

import hashlib
import os

from .._errors import AgentError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BLOCK = 1 << 20


class ArtifactError(AgentError):
    """An artifact's file could not be had as its manifest says (corrupted, missing)."""


def cache_dir() -> str:
    root = os.environ.get("CAIRN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "cairn")
    return os.path.join(root, "artifacts", "sha256")


def cached_path(digest: str) -> str:
    return os.path.join(cache_dir(), digest[:2], digest)


def fetch(api: Any, url: str, digest: str, size: int) -> str:
    """The cached file of ``digest``, downloaded from ``url`` first when the cache lacks it."""
    path = cached_path(digest)
    try:
        if os.path.getsize(path) == size:
            return path
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    h = hashlib.sha256()
    response = api._get(url, stream=True)
    try:
        with open(tmp, "wb") as fh:
            for block in response.iter_content(BLOCK):
                h.update(block)
                fh.write(block)
    finally:
        response.close()
    if h.hexdigest() != digest:
        os.unlink(tmp)
        raise ArtifactError(f"downloaded file does not match its SHA-256 {digest}: refused (corrupted on the way or on the server)")
    os.replace(tmp, path)
    return path
