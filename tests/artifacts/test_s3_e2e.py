"""Artifacts on production storage: a real server on S3-compatible storage (moto in server mode)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.artifacts.helpers import sha
from tests.media.servers import isolated_env
from tests.serverproc import ServerProcess, free_port

pytestmark = pytest.mark.server
BUCKET = "cairn-artifacts"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(Bucket=BUCKET)
    yield endpoint
    moto.stop()


class Api:
    """A request per call, with the key: no kept-alive connection the server may have closed meanwhile."""

    def __init__(self, key: str) -> None:
        self.headers = {"Authorization": f"Bearer {key}"}

    def __getattr__(self, method: str):  # type: ignore[no-untyped-def]
        return lambda url, **kw: requests.request(method.upper(), url, headers={**self.headers, **kw.pop("headers", {})},
                                                  timeout=60, **kw)


def bucket_bytes(endpoint: str, bucket: str = BUCKET) -> int:
    listing = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).list_objects_v2(Bucket=bucket, Prefix="artifacts/")
    return sum(o["Size"] for o in listing.get("Contents", []))


def test_artifacts_on_s3_are_stored_once_verified_and_downloaded_by_signed_url(s3_endpoint: str, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", extra_env=isolated_env(
        CAIRN_STORAGE="s3", CAIRN_S3_BUCKET=BUCKET, CAIRN_S3_ENDPOINT_URL=s3_endpoint, CAIRN_S3_REGION="us-east-1",
        CAIRN_S3_ACCESS_KEY_ID="testing", CAIRN_S3_SECRET_ACCESS_KEY="testing",
    ))
    server.start()
    try:
        s = Api(server.api_key)
        base = f"{server.url}/api/v1/projects/local/s3art/artifacts"
        assert s.put(f"{server.url}/api/v1/projects/local/s3art/runs/r1", json={}).status_code == 201
        small, other, large = b"s" * 1000, b"o" * 3000, bytes(range(256)) * 20_000  # large: one PUT
        # A corrupted upload, single or in a batch, is refused and leaves nothing on the bucket.
        assert s.put(f"{base}/blobs/{sha(b'claimed')}", data=large).status_code == 400
        bad = f"{sha(b'claimed')} {len(small)}\n".encode() + small
        assert s.post(f"{base}/blobs/batch", data=bad, headers={"Content-Type": "application/octet-stream"}).status_code == 400
        assert bucket_bytes(s3_endpoint) == 0
        batch = b"".join(f"{sha(c)} {len(c)}\n".encode() + c for c in (small, other, small))
        assert s.post(f"{base}/blobs/batch", data=batch, headers={"Content-Type": "application/octet-stream"}).ok
        assert s.put(f"{base}/blobs/{sha(large)}", data=large).status_code == 201
        assert s.put(f"{base}/blobs/{sha(large)}", data=large).status_code == 200  # held already: not stored again
        entry = lambda p, c: {"path": p, "digest": sha(c), "size": len(c)}  # noqa: E731
        for name, files in (("data", {"a": small, "big": large}), ("data", {"a": small, "b": other, "big": large}),
                            ("copy", {"same": other})):
            r = s.post(f"{base}/", json={"name": name, "type": "dataset", "manifest": [entry(p, c) for p, c in files.items()]})
            assert r.status_code == 201, r.text
        # Three versions over four distinct files: each stored once.
        assert bucket_bytes(s3_endpoint) == len(small) + len(other) + len(large)
        r = s.get(f"{base}/blobs/{sha(large)}", allow_redirects=False)
        assert r.status_code == 302 and r.headers["Location"].startswith(s3_endpoint)
        assert requests.get(r.headers["Location"], timeout=10).content == large
    finally:
        server.cleanup()
