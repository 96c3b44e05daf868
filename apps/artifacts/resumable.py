"""Resumable uploads of large blobs (docs/artifacts.md, "Resumable uploads").

`POST artifacts/uploads {sha256, size}` opens (or finds again) the upload of
one blob and says how many bytes the server holds (`offset`); each
`PUT artifacts/uploads/<sha256>?offset=N` appends a part at exactly that
offset. Bytes are kept as they arrive: a connection dropped mid-part leaves
the offset at what was received, and the client goes on from there. When all
`size` bytes are in, the file is hashed, checked against its SHA-256 and
moved to storage (S3: boto3's managed transfer, multipart for large files).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from apps.artifacts import s3direct
from apps.artifacts.models import Blob, BlobUpload
from apps.artifacts.services import COPY_BLOCK, blob_needs_repair, blob_storage_name, sha256_check
from apps.core.errors import BadInput, Conflict, TooLarge
from apps.orgs.models import Organization


def _staging(upload: BlobUpload) -> Path:
    return Path(settings.CAIRN_UPLOAD_DIR) / str(upload.organization_id) / upload.sha256


def _held(org: Organization, sha256: str) -> bool:
    blob = Blob.objects.filter(organization=org, sha256=sha256).select_related("verification").first()
    return blob is not None and not blob_needs_repair(blob)


def upload_open(*, org: Organization, sha256: Any, size: Any, direct: Any = False) -> dict[str, Any]:
    """The upload of this blob, new or resumed: {sha256, size, offset, done}; with `direct` on S3
    storage, a presigned URL per part too (apps/artifacts/s3direct.py)."""
    sha256 = sha256_check(sha256, "sha256")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BadInput("Must be an integer >= 0.", "size")
    if size > settings.CAIRN_MAX_FILE_SIZE:
        raise TooLarge(f"File is {size} bytes; the limit is {settings.CAIRN_MAX_FILE_SIZE}.")
    if not isinstance(direct, bool):
        raise BadInput("Must be true or false.", "direct")
    if _held(org, sha256):
        return {"sha256": sha256, "size": size, "offset": size, "done": True}
    try:
        with transaction.atomic():
            upload, _ = BlobUpload.objects.get_or_create(organization=org, sha256=sha256, defaults={"size": size})
    except IntegrityError:  # opened at the same time by another request
        upload = BlobUpload.objects.get(organization=org, sha256=sha256)
    if upload.size != size:
        raise Conflict(f"An upload of this file is open with size {upload.size}.", field="size")
    if direct is True and s3direct.direct_available():
        return s3direct.direct_open(upload)
    staged = _staging(upload)
    held = staged.stat().st_size if staged.exists() else 0
    if held != upload.offset:  # a part cut short after the offset was saved, or the file lost
        upload.offset = min(held, upload.offset)
        upload.save(update_fields=["offset", "updated_at"])
    return {"sha256": sha256, "size": size, "offset": upload.offset, "done": False}


def upload_part(*, org: Organization, sha256: Any, offset: int, body: IO[bytes], declared_size: int | None) -> dict[str, Any]:
    """Append a part at `offset`; when the file is complete, verify and store it."""
    sha256 = sha256_check(sha256, "sha256")
    upload = BlobUpload.objects.filter(organization=org, sha256=sha256).first()
    if upload is None:
        if _held(org, sha256):
            return {"sha256": sha256, "offset": offset, "done": True}
        raise Http404("No upload of this file is open: POST artifacts/blobs/uploads first.")
    if offset != upload.offset:
        raise Conflict(f"The server holds {upload.offset} bytes: send from there.", offset=upload.offset)
    if declared_size is not None and offset + declared_size > upload.size:
        raise BadInput(f"This part ends past the file's size ({upload.size}).", "Content-Length")
    staged = _staging(upload)
    staged.parent.mkdir(parents=True, exist_ok=True)
    written = offset
    try:
        with open(staged, "r+b" if staged.exists() else "wb") as fh:
            fh.seek(offset)
            fh.truncate()
            while written < upload.size:
                block = body.read(min(COPY_BLOCK, upload.size - written))
                if not block:
                    break
                fh.write(block)
                written += len(block)
            if body.read(1):
                raise BadInput(f"This part ends past the file's size ({upload.size}).", "body")
    finally:  # a dropped connection keeps what arrived: the client resumes from there
        BlobUpload.objects.filter(pk=upload.pk).update(offset=written, updated_at=timezone.now())
    if written < upload.size:
        return {"sha256": sha256, "offset": written, "done": False}
    return _complete(upload, staged)


def _complete(upload: BlobUpload, staged: Path) -> dict[str, Any]:
    h = hashlib.sha256()
    with open(staged, "rb") as fh:
        while block := fh.read(COPY_BLOCK):
            h.update(block)
    if h.hexdigest() != upload.sha256:
        upload.delete()
        staged.unlink(missing_ok=True)
        raise BadInput("Content does not match its SHA-256; nothing was stored. Start the upload again.", "sha256")
    org = upload.organization
    name = blob_storage_name(org, upload.sha256)
    if default_storage.exists(name):
        default_storage.delete(name)
    with open(staged, "rb") as fh:
        stored = default_storage.save(name, File(fh))
    with transaction.atomic():
        existing = Blob.objects.filter(organization=org, sha256=upload.sha256).select_related("verification").first()
        if existing is None:
            Blob.objects.get_or_create(organization=org, sha256=upload.sha256,
                                       defaults={"size": upload.size, "storage_name": stored})
        elif blob_needs_repair(existing):
            existing.verification.delete()
            Blob.objects.filter(pk=existing.pk).update(storage_name=stored)
        upload.delete()
    staged.unlink(missing_ok=True)
    return {"sha256": upload.sha256, "offset": upload.size, "done": True}
