"""Production storage: a real server on S3-compatible storage (moto in server mode).

Upload, processing by the worker (which reads the upload from the bucket and
writes the thumbnail there) and download by redirect to a signed URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.media.servers import Client, isolated_env, png, wait_media
from tests.serverproc import ServerProcess, free_port

pytestmark = pytest.mark.server
BUCKET = "cairn-media"
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


def test_media_on_s3_is_processed_and_downloaded_by_signed_url(s3_endpoint: str, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", extra_env=isolated_env(
        CAIRN_STORAGE="s3", CAIRN_S3_BUCKET=BUCKET, CAIRN_S3_ENDPOINT_URL=s3_endpoint, CAIRN_S3_REGION="us-east-1",
        CAIRN_S3_ACCESS_KEY_ID="testing", CAIRN_S3_SECRET_ACCESS_KEY="testing",
    ))
    server.start()
    try:
        client = Client(server, "s3", "s1")
        image = png(320, 240, seed=3)
        assert client.media(0, "img", "image", "media/image/img/0-0-a.png", image).status_code == 201
        broken = image[:100]
        assert client.media(1, "img", "image", "media/image/img/1-0-b.png", broken).status_code == 201
        ok, failed = wait_media(server, "s1", 2)
        assert ok["status"] == "ready" and (ok["width"], ok["height"]) == (320, 240), ok
        assert failed["status"] == "failed" and "image" in failed["error"]
        bucket = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
        thumbnail = bucket.get_object(Bucket=BUCKET, Key=ok["thumbnail"])["Body"].read()
        assert thumbnail[:3] == b"\xff\xd8\xff"  # a JPEG: the image is opaque
        # The thumbnail too comes from the bucket, with the type and caching a local one has.
        r = client.session.get(f"{client.url}/media/{ok['id']}/thumbnail", allow_redirects=False, timeout=10)
        assert r.status_code == 302 and r.headers["Location"].startswith(s3_endpoint)
        served = requests.get(r.headers["Location"], timeout=10)
        assert served.content == thumbnail and served.headers["Content-Type"] == "image/jpeg"
        assert served.headers["Cache-Control"].startswith("private")
        # Downloads never pass through the web server: a redirect to a signed, expiring URL.
        for path, body in (("media/image/img/0-0-a.png", image), ("media/image/img/1-0-b.png", broken)):
            r = client.session.get(f"{client.url}/files/{path}", allow_redirects=False, timeout=10)
            assert r.status_code == 302 and r.headers["Location"].startswith(s3_endpoint)
            assert "Signature" in r.headers["Location"]
            assert requests.get(r.headers["Location"], timeout=10).content == body
    finally:
        server.cleanup()
