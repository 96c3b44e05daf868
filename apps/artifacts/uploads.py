"""Uploading many small blobs in one request (docs/artifacts.md, "Batch upload").

One request per file costs a round trip, an authentication and a few
queries each: 10,000 files of 100 KB took about a minute. A batch carries
many small files in one body, each a header line then its bytes:

    <hex sha256> <size>\\n<size bytes>...

Limits are applied before work: the whole body is at most
`CAIRN_MAX_BODY_SIZE` (checked on `Content-Length`), each file at most
`MAX_BATCH_BLOB` bytes, at most `MAX_DIGESTS` files. Files the organisation
holds already are read and skipped: not hashed, not stored again.

The body is read in large blocks and cut into files here: the WSGI server's
stream copies its buffer on every small read, which cost more than the
hashing. A file within one block is a view of it, not a copy. Files are stored a group (`GROUP_BYTES`) at a time: one query says
which of the group the organisation holds, then each new file is hashed and
written straight to its place (a temporary name beside it, then a rename),
in this thread: the agent keeps two batches in flight, which keeps two cores
busy, and writer threads here (tried with 1, 2 and 8) only added CPU time
(context switches) without making the upload faster. A file whose SHA-256
differs is never written; the request is then 400 naming the first one
found, and the verified files of the groups read so far are kept.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apps.artifacts.models import Blob
from apps.artifacts.services import MAX_DIGESTS, blob_needs_repair, blob_storage_name
from apps.core.errors import BadInput, TooLarge
from apps.orgs.models import Organization

MAX_BATCH_BLOB = 4 * 1024**2  # larger files go one per request (PUT artifacts/blobs/<sha256>)
READ_BLOCK = 1024**2  # read from the request body at once
GROUP_BYTES = 4 * 1024**2  # files looked up and stored together
_HEADER = re.compile(rb"([0-9a-f]{64}) (\d{1,12})\n")


def _files(body: IO[bytes], declared_size: int) -> Iterator[tuple[str, bytes | memoryview]]:
    """(claimed sha256, bytes) of each file of the body, its limits checked before its bytes are read.

    A file that lies within one block read from the body is a view of that block (not copied);
    one that runs across blocks is joined from its pieces.
    """
    block = b""  # the block being cut into files
    pos = 0  # where the next file's header starts in `block`
    left = declared_size  # not read from the body yet
    count = 0

    def more() -> bytes:
        nonlocal left
        chunk = body.read(min(READ_BLOCK, left)) if left > 0 else b""
        left = left - len(chunk) if chunk else 0
        return chunk

    while True:
        end = block.find(b"\n", pos, pos + 80)
        while end < 0 and len(block) - pos < 80:  # a header across two blocks: its start is carried over
            chunk = more()
            if not chunk:
                break
            block, pos = block[pos:] + chunk, 0
            end = block.find(b"\n", pos, pos + 80)
        if end < 0 and len(block) == pos:
            return
        match = _HEADER.fullmatch(block, pos, end + 1) if end >= 0 else None
        if match is None:
            raise BadInput(f"File {count}: expected a line '<hex sha256> <size>'.", "body")
        sha256, size = match.group(1).decode(), int(match.group(2))
        if size > MAX_BATCH_BLOB:
            raise TooLarge(f"File {sha256}: {size} bytes; a batch takes files up to {MAX_BATCH_BLOB} bytes.")
        if count >= MAX_DIGESTS:
            raise BadInput(f"At most {MAX_DIGESTS} files per batch.", "body")
        pos = end + 1
        held = len(block) - pos
        if size > held + left:
            raise BadInput("The body is shorter than its files' sizes.", "body")
        data: bytes | memoryview
        if size <= held:
            data = memoryview(block)[pos : pos + size]
            pos += size
        else:
            pieces: list[bytes | memoryview] = [memoryview(block)[pos:]]
            while held < size:
                chunk = more()
                if not chunk:
                    raise BadInput(f"File {sha256}: the body ended after {held} of {size} bytes.", "body")
                take = min(len(chunk), size - held)
                pieces.append(memoryview(chunk)[:take])
                block, pos, held = chunk, take, held + take
            data = b"".join(pieces)
        count += 1
        yield sha256, data


def _write(name: str, data: bytes | memoryview, made: set[str]) -> str:
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
        return str(default_storage.save(name, ContentFile(bytes(data))))
    folder = os.path.dirname(path)
    if folder not in made:
        os.makedirs(folder, exist_ok=True)
        made.add(folder)
    tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return name


def _store_group(org: Organization, files: dict[str, bytes | memoryview], bad: list[str], summary: dict[str, Any],
                 made: set[str]) -> None:
    """Store a group of files read together: one query says which the organisation holds (those are
    neither hashed nor written again); each new file is hashed, and written only if it matches."""
    held = {b.sha256: b for b in Blob.objects.filter(organization=org, sha256__in=list(files))
            .select_related("verification")}
    rows = []
    for sha, data in files.items():
        known = held.get(sha)
        if known is not None and not blob_needs_repair(known):
            summary["present"] += 1
            continue
        if hashlib.sha256(data).hexdigest() != sha:
            bad.append(sha)
            continue
        stored = _write(blob_storage_name(org, sha), data, made)
        summary["stored"] += 1
        summary["stored_bytes"] += len(data)
        if known is not None:  # found corrupt or gone: repaired with these verified bytes
            known.verification.delete()
            Blob.objects.filter(pk=known.pk).update(storage_name=stored)
        else:
            rows.append(Blob(organization=org, sha256=sha, size=len(data), storage_name=stored))
    # The same blob uploaded at the same time by another request: its row wins, the bytes are the same.
    Blob.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)


def blobs_store_batch(*, org: Organization, body: IO[bytes], declared_size: int | None) -> dict[str, Any]:
    """Read a batch body (above), verify each file, store the new ones; a summary of what was done."""
    limit = settings.CAIRN_MAX_BODY_SIZE
    if declared_size is None:
        raise BadInput("A batch needs a Content-Length.", "Content-Length")
    if declared_size > limit:
        raise TooLarge(f"A batch is at most {limit} bytes; this one is {declared_size}. Send fewer files per batch.")
    summary: dict[str, Any] = {"files": 0, "stored": 0, "present": 0, "stored_bytes": 0}
    bad: list[str] = []
    made: set[str] = set()
    files: dict[str, bytes | memoryview] = {}
    held = 0
    try:
        for sha256, data in _files(body, declared_size):
            summary["files"] += 1
            if sha256 in files:  # twice in one group: stored once, if the same bytes
                if data != files[sha256]:
                    bad.append(sha256)
                continue
            files[sha256] = data
            held += len(data) + 80
            if held >= GROUP_BYTES:
                group, files, held = files, {}, 0
                _store_group(org, group, bad, summary, made)
    finally:  # a body refused part way: the files read before it are verified and kept
        if files:
            _store_group(org, files, bad, summary, made)
    if bad:
        raise BadInput(f"File {bad[0]}: its content does not match its SHA-256; it was not stored.", "body")
    return summary
