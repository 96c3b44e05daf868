"""Logging an artifact version through the API, as the agent does: missing, upload, commit."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.storage import default_storage
from rest_framework.test import APIClient


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def log_version(
    client: APIClient, project: str, name: str, files: dict[str, bytes], *, type_: str = "dataset", **extra: Any
) -> Any:
    base = f"/api/v1/projects/acme/{project}/artifacts"
    digests = [sha(b) for b in files.values()]
    missing = client.post(f"{base}/blobs/missing", {"digests": digests}, format="json")
    assert missing.status_code == 200, missing.content
    by_digest = {sha(b): b for b in files.values()}
    for d in missing.json()["missing"]:
        put = client.put(f"{base}/blobs/{d}", data=by_digest[d], content_type="application/octet-stream")
        assert put.status_code == 201, put.content
    manifest = [{"path": p, "digest": sha(b), "size": len(b)} for p, b in files.items()]
    return client.post(f"{base}/", {"name": name, "type": type_, "manifest": manifest, **extra}, format="json")


def stored_bytes(org_id: int) -> int:
    """What the organisation's artifact files take on storage."""
    total = 0
    root = f"artifacts/{org_id}"
    if not default_storage.exists(root):
        return 0
    for prefix in default_storage.listdir(root)[0]:
        for name in default_storage.listdir(f"{root}/{prefix}")[1]:
            total += default_storage.size(f"{root}/{prefix}/{name}")
    return total
