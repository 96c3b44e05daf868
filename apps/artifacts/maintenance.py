"""Artifacts' upkeep, run by Celery (apps/artifacts/tasks.py): garbage, digests, references' drift.

Each function is idempotent and bounded (`limit` per call): running it twice,
or two workers at once, does no harm; the periodic schedule (webapp/celery.py)
comes back for the rest.
"""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.artifacts.models import Blob, BlobCheck, BlobUpload, ManifestEntry, ReferenceCheck
from apps.artifacts.s3direct import direct_abort

log = logging.getLogger(__name__)
READ_BLOCK = 1 << 20


def blobs_collect(*, grace_seconds: float | None = None, limit: int = 10_000) -> int:
    """Delete blobs no version refers to, uploaded more than the grace period ago; how many.

    The grace period covers a version being logged: its files are uploaded
    before its manifest is committed.
    """
    grace = settings.CAIRN_ARTIFACT_GC_GRACE if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    candidates = list(
        Blob.objects.filter(created_at__lt=cutoff, entries__isnull=True).values_list("pk", flat=True)[:limit]
    )
    deleted = 0
    for pk in candidates:
        with transaction.atomic():
            # Locked, then checked again: a commit may have referred to it since (its insert
            # holds a key-share lock on the blob's row, so this waits for it and then sees it).
            blob = Blob.objects.select_for_update().filter(pk=pk).first()
            if blob is None or ManifestEntry.objects.filter(blob=blob).exists():
                continue
            name = blob.storage_name
            blob.delete()
            transaction.on_commit(lambda name=name: default_storage.delete(name))  # type: ignore[misc]
        deleted += 1
    # Resumable uploads left unfinished as long: their parts go too.
    for upload in BlobUpload.objects.filter(updated_at__lt=cutoff)[:limit]:
        direct_abort(upload)
        upload.delete()
        (Path(settings.CAIRN_UPLOAD_DIR) / str(upload.organization_id) / upload.sha256).unlink(missing_ok=True)
    return deleted


def _sha256_of(name: str) -> str:
    h = hashlib.sha256()
    with default_storage.open(name, "rb") as fh:
        while True:
            block = fh.read(READ_BLOCK)
            if not block:
                return h.hexdigest()
            h.update(block)


def blobs_verify(*, limit: int = 1000) -> dict[str, int]:
    """Hash stored blobs again, never-checked then least recently checked first; record each result."""
    blobs = Blob.objects.order_by(F("verification__checked_at").asc(nulls_first=True), "pk")[:limit]
    counts = {"ok": 0, "corrupt": 0, "missing": 0}
    for blob in blobs:
        try:
            digest = _sha256_of(blob.storage_name)
        except FileNotFoundError:
            ok, detail = False, "missing from storage"
        except OSError as exc:
            if "NoSuchKey" not in repr(exc) and "Not Found" not in repr(exc):
                raise  # storage unreachable: retried, nothing recorded
            ok, detail = False, "missing from storage"
        else:
            ok, detail = digest == blob.sha256, "" if digest == blob.sha256 else f"content hashes to {digest}"
        counts["ok" if ok else ("missing" if detail.startswith("missing") else "corrupt")] += 1
        if not ok:
            log.warning("artifact blob %s of organisation %s: %s", blob.sha256, blob.organization_id, detail)
        BlobCheck.objects.update_or_create(blob=blob, defaults={"checked_at": timezone.now(), "ok": ok, "detail": detail})
    return counts


def _file_checksum(ref: str) -> str | None:
    """A file:// reference's SHA-256 now ("" when gone); None when not under CAIRN_ARTIFACT_REF_FILE_ROOTS."""
    path = os.path.realpath(urllib.parse.unquote(urllib.parse.urlsplit(ref).path))
    roots = [os.path.realpath(r) for r in settings.CAIRN_ARTIFACT_REF_FILE_ROOTS]
    if not any(os.path.commonpath([path, r]) == r for r in roots):
        return None
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while True:
                block = fh.read(READ_BLOCK)
                if not block:
                    return h.hexdigest()
                h.update(block)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ""


def _s3_checksum(ref: str) -> str | None:
    """An s3:// reference's ETag now ("" when gone); None when its bucket is not in CAIRN_ARTIFACT_REF_S3_BUCKETS."""
    parts = urllib.parse.urlsplit(ref)
    if parts.netloc not in settings.CAIRN_ARTIFACT_REF_S3_BUCKETS:
        return None
    import boto3  # only on servers that check S3 references
    from botocore.exceptions import ClientError

    options = settings.STORAGES["default"].get("OPTIONS", {})
    client = boto3.client("s3", endpoint_url=options.get("endpoint_url") or None,
                          region_name=options.get("region_name") or None)
    try:
        head = client.head_object(Bucket=parts.netloc, Key=urllib.parse.unquote(parts.path.lstrip("/")))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return ""
        raise
    return str(head["ETag"]).strip('"')


def references_check(*, limit: int = 1000) -> dict[str, int]:
    """Compare references' checksums now with the ones their versions recorded; mark drifted entries."""
    entries = (
        ManifestEntry.objects.exclude(ref="")
        .order_by(F("ref_check__checked_at").asc(nulls_first=True), "pk")[:limit]
    )
    seen: dict[str, str | None] = {}
    counts = {"ok": 0, "drifted": 0, "skipped": 0}
    for entry in entries:
        if entry.ref not in seen:
            scheme = entry.ref.split("://", 1)[0].lower()
            checker: Any = {"file": _file_checksum, "s3": _s3_checksum}.get(scheme)
            seen[entry.ref] = None if checker is None else checker(entry.ref)
        current = seen[entry.ref]
        if current is None:
            counts["skipped"] += 1
            continue
        drifted = current != entry.digest
        counts["drifted" if drifted else "ok"] += 1
        ReferenceCheck.objects.update_or_create(entry=entry, defaults={
            "checked_at": timezone.now(), "drifted": drifted, "current": current,
            "detail": "" if not drifted else ("gone" if not current else "changed"),
        })
    return counts
