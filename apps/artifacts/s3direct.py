"""Large files' parts sent by the client straight to S3 (docs/artifacts.md, "Resumable uploads").

On S3 storage, `POST artifacts/blobs/uploads {sha256, size, direct: true}`
opens an S3 multipart upload at the blob's own key and answers a presigned
`PUT` URL per part (`direct.parts`, each with `done` when S3 holds it
already: asking again resumes). The bytes never pass through the web
server. `POST artifacts/blobs/uploads/<sha256>/complete` then has the server
list the parts S3 holds (their ETags come from S3, not from the client),
complete the upload, and hash the object as S3 gives it back: a file whose
SHA-256 differs is deleted (400), and only a verified file gets its `Blob`
row, so nothing reads it before then.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404

from apps.artifacts.models import Blob, BlobUpload
from apps.artifacts.services import COPY_BLOCK, blob_needs_repair, blob_storage_name, sha256_check
from apps.core.errors import BadInput
from apps.orgs.models import Organization

PART_SIZE = 64 * 1024**2  # S3 takes at most 10,000 parts: 640 GB
URL_EXPIRE = 3600


def direct_available() -> bool:
    """Whether the storage is S3 (django-storages' S3Storage): parts can go there directly."""
    return hasattr(default_storage, "bucket") and hasattr(default_storage, "_normalize_name")


def _storage() -> Any:
    """The S3 storage (django-storages' S3Storage), with its bucket and boto3 connection."""
    return default_storage


def _bucket() -> str:
    return str(_storage().bucket.name)


def _client() -> Any:
    return _storage().connection.meta.client


def _key(upload: BlobUpload) -> str:
    return str(_storage()._normalize_name(blob_storage_name(upload.organization, upload.sha256)))


def _parts_held(upload: BlobUpload) -> dict[int, int]:
    """Part number -> size, for the parts S3 holds."""
    held: dict[int, int] = {}
    kwargs = {"Bucket": _bucket(), "Key": _key(upload), "UploadId": upload.s3_upload_id}
    while True:
        page = _client().list_parts(**kwargs)
        held.update((p["PartNumber"], p["Size"]) for p in page.get("Parts", []))
        if not page.get("IsTruncated"):
            return held
        kwargs["PartNumberMarker"] = page["NextPartNumberMarker"]


def direct_open(upload: BlobUpload) -> dict[str, Any]:
    """The multipart upload of this blob (opened now or found again), with a URL per part."""
    client, bucket = _client(), _bucket()
    if not upload.s3_upload_id:
        created = client.create_multipart_upload(Bucket=bucket, Key=_key(upload), ContentType="application/octet-stream")
        BlobUpload.objects.filter(pk=upload.pk).update(s3_upload_id=created["UploadId"])
        upload.s3_upload_id = created["UploadId"]
    held = _parts_held(upload)
    count = max(1, -(-upload.size // PART_SIZE))
    parts = []
    for number in range(1, count + 1):
        size = min(PART_SIZE, upload.size - (number - 1) * PART_SIZE)
        url = client.generate_presigned_url(
            "upload_part", ExpiresIn=URL_EXPIRE,
            Params={"Bucket": bucket, "Key": _key(upload), "UploadId": upload.s3_upload_id, "PartNumber": number},
        )
        parts.append({"number": number, "size": size, "url": url, "done": held.get(number) == size})
    offset = sum(p["size"] for p in parts if p["done"])
    return {"sha256": upload.sha256, "size": upload.size, "offset": offset, "done": False,
            "direct": {"part_size": PART_SIZE, "parts": parts}}


def direct_complete(*, org: Organization, sha256: Any) -> dict[str, Any]:
    """Complete the multipart upload from the parts S3 holds, verify the object's SHA-256, record the blob."""
    sha256 = sha256_check(sha256, "sha256")
    upload = BlobUpload.objects.filter(organization=org, sha256=sha256).exclude(s3_upload_id="").first()
    if upload is None or not direct_available():
        raise Http404("No direct upload of this file is open: POST artifacts/blobs/uploads with direct: true first.")
    held = _parts_held(upload)
    count = max(1, -(-upload.size // PART_SIZE))
    wanted = {n: min(PART_SIZE, upload.size - (n - 1) * PART_SIZE) for n in range(1, count + 1)}
    missing = [n for n, size in wanted.items() if held.get(n) != size]
    if missing:
        raise BadInput(f"Parts {missing[:20]} are not on the storage (or not of their size): send them first.", "parts")
    client, bucket, key = _client(), _bucket(), _key(upload)
    listed = client.list_parts(Bucket=bucket, Key=key, UploadId=upload.s3_upload_id, MaxParts=count)["Parts"]
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload.s3_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in listed]},
    )
    h = hashlib.sha256()
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    while block := body.read(COPY_BLOCK):
        h.update(block)
    name = blob_storage_name(org, sha256)
    if h.hexdigest() != sha256:
        upload.delete()
        existing = Blob.objects.filter(organization=org, sha256=sha256).first()
        if existing is None or blob_needs_repair(existing):
            client.delete_object(Bucket=bucket, Key=key)
        raise BadInput("Content does not match its SHA-256; nothing was stored. Start the upload again.", "sha256")
    with transaction.atomic():
        existing = Blob.objects.filter(organization=org, sha256=sha256).select_related("verification").first()
        if existing is None:
            Blob.objects.get_or_create(organization=org, sha256=sha256, defaults={"size": upload.size, "storage_name": name})
        elif blob_needs_repair(existing):
            existing.verification.delete()
            Blob.objects.filter(pk=existing.pk).update(storage_name=name)
        upload.delete()
    return {"sha256": sha256, "size": upload.size, "offset": upload.size, "done": True}


def direct_abort(upload: BlobUpload) -> None:
    """Drop the parts S3 holds for an upload given up (garbage collection)."""
    if upload.s3_upload_id and direct_available():
        try:
            _client().abort_multipart_upload(Bucket=_bucket(), Key=_key(upload), UploadId=upload.s3_upload_id)
        except Exception:  # noqa: BLE001 - gone already, or the storage is down: collected again next time
            pass
