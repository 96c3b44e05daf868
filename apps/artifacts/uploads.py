"""Uploading many small blobs in one request (docs/artifacts.md, "Batch upload").

One request per file costs a round trip, an authentication and a few
queries each: 10,000 files of 100 KB took about a minute. A batch carries
many small files in one body, each a header line then its bytes:

    <hex sha256> <size>\\n<size bytes>...

Limits are applied before work: the whole body is at most
`CAIRN_MAX_BODY_SIZE` (checked on `Content-Length`), each file at most
`MAX_BATCH_BLOB` bytes, at most `MAX_DIGESTS` files. Each file is hashed as
it is read; the first whose SHA-256 differs stops the request (400) and is
not kept; those before it were verified and are kept. Files the organisation
holds already are read and skipped, not stored again.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apps.artifacts.models import Blob
from apps.artifacts.services import MAX_DIGESTS, blob_needs_repair, blob_storage_name
from apps.core.errors import BadInput, TooLarge
from apps.orgs.models import Organization

MAX_BATCH_BLOB = 4 * 1024**2  # larger files go one per request (PUT artifacts/blobs/<sha256>)
FLUSH_BYTES = 8 * 1024**2  # held in memory before being written out
WRITERS = 8  # threads creating files at once, on local storage
_HEADER = re.compile(rb"([0-9a-f]{64}) (\d{1,12})\n")


def _read_exactly(body: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    left = size
    while left:
        block = body.read(left)
        if not block:
            break
        parts.append(block)
        left -= len(block)
    return b"".join(parts)


def _local() -> bool:
    try:
        default_storage.path("x")
    except NotImplementedError:
        return False
    return True


def _write(name: str, data: bytes, made: set[str]) -> str:
    """Store verified bytes under `name`, replacing whatever a failed or racing upload left there.

    On local files, straight to their place (a temporary name in the same folder,
    then a rename: a reader never sees half a file), without the storage API's
    look-ups and name checks, which cost more than the write for small files.
    """
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # object storage (S3)
        if default_storage.exists(name):
            default_storage.delete(name)
        return str(default_storage.save(name, ContentFile(data)))
    folder = os.path.dirname(path)
    if folder not in made:
        os.makedirs(folder, exist_ok=True)
        made.add(folder)
    tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return name


def _flush(org: Organization, pending: dict[str, bytes], summary: dict[str, Any]) -> None:
    """Store the verified files the organisation lacks, and their rows."""
    if not pending:
        return
    held = {b.sha256: b for b in Blob.objects.filter(organization=org, sha256__in=list(pending)).select_related("verification")}
    have = {sha for sha, b in held.items() if not blob_needs_repair(b)}
    rows = []
    made: set[str] = set()
    new = [sha256 for sha256 in pending if sha256 not in have]
    summary["present"] += len(pending) - len(new)
    # Creating a file costs more than writing 100 KB into it, and creates in several folders
    # go on at once: a few threads on local storage (the GIL is released while the file
    # system works). Object storage's client is not shared between threads: one at a time.
    def write(sha: str) -> str:
        return _write(blob_storage_name(org, sha), pending[sha], made)

    if _local() and len(new) > 1:
        with ThreadPoolExecutor(WRITERS) as pool:
            names = dict(zip(new, pool.map(write, new)))
    else:
        names = {sha: write(sha) for sha in new}
    for sha256 in new:
        data = pending[sha256]
        stored = names[sha256]
        if sha256 in held:  # found corrupt or gone: repaired with these verified bytes
            held[sha256].verification.delete()
            Blob.objects.filter(pk=held[sha256].pk).update(storage_name=stored)
            summary["stored"] += 1
            summary["stored_bytes"] += len(data)
            continue
        rows.append(Blob(organization=org, sha256=sha256, size=len(data), storage_name=stored))
    # The same blob uploaded at the same time by another request: its row wins, the bytes are the same.
    created = Blob.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    summary["stored"] += len(created)
    summary["stored_bytes"] += sum(r.size for r in rows)
    pending.clear()


def blobs_store_batch(*, org: Organization, body: IO[bytes], declared_size: int | None) -> dict[str, Any]:
    """Read a batch body (above), verify each file, store the new ones; a summary of what was done."""
    limit = settings.CAIRN_MAX_BODY_SIZE
    if declared_size is None:
        raise BadInput("A batch needs a Content-Length.", "Content-Length")
    if declared_size > limit:
        raise TooLarge(f"A batch is at most {limit} bytes; this one is {declared_size}. Send fewer files per batch.")
    summary: dict[str, Any] = {"files": 0, "stored": 0, "present": 0, "stored_bytes": 0}
    pending: dict[str, bytes] = {}
    held = 0
    received = 0
    while True:
        line = body.readline(80)
        if not line:
            break
        received += len(line)
        match = _HEADER.fullmatch(line)
        if match is None:
            raise BadInput(f"File {summary['files']}: expected a line '<hex sha256> <size>'.", "body")
        sha256, size = match.group(1).decode(), int(match.group(2))
        if size > MAX_BATCH_BLOB:
            raise TooLarge(f"File {sha256}: {size} bytes; a batch takes files up to {MAX_BATCH_BLOB} bytes.")
        if summary["files"] >= MAX_DIGESTS:
            raise BadInput(f"At most {MAX_DIGESTS} files per batch.", "body")
        if received + size > declared_size:
            raise BadInput("The body is shorter than its files' sizes.", "body")
        data = _read_exactly(body, size)
        received += len(data)
        if len(data) != size:
            raise BadInput(f"File {sha256}: the body ended after {len(data)} of {size} bytes.", "body")
        if hashlib.sha256(data).hexdigest() != sha256:
            _flush(org, pending, summary)  # the verified ones before it are kept
            raise BadInput(f"File {sha256}: its content does not match its SHA-256; it was not stored.", "body")
        summary["files"] += 1
        if sha256 not in pending:
            pending[sha256] = data
            held += size
        if held >= FLUSH_BYTES:
            _flush(org, pending, summary)
            held = 0
    _flush(org, pending, summary)
    return summary
