"""Downloads from object storage: SigV4 URLs for the browser's endpoint, with the safe headers of a local download."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.media.servers import Client, isolated_env
from tests.serverproc import ServerProcess, free_port

pytestmark = pytest.mark.server
BUCKET = "cairn-files"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture
def s3_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, int]]:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    internal = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=internal, **CREDENTIALS).create_bucket(Bucket=BUCKET)
    server = ServerProcess(tmp_path / "server", extra_env=isolated_env(
        CAIRN_STORAGE="s3", CAIRN_S3_BUCKET=BUCKET, CAIRN_S3_ENDPOINT_URL=internal, CAIRN_S3_REGION="us-east-1",
        CAIRN_S3_ACCESS_KEY_ID="testing", CAIRN_S3_SECRET_ACCESS_KEY="testing",
        # The browser's way to the same store: another name for it.
        CAIRN_S3_PUBLIC_ENDPOINT_URL=f"http://localhost:{port}", CAIRN_S3_ADDRESSING_STYLE="path",
    ))
    server.start()
    yield server, port
    server.cleanup()
    moto.stop()


def test_an_uploaded_page_downloads_from_the_bucket_as_inert_bytes(s3_server: tuple[ServerProcess, int]) -> None:
    server, port = s3_server
    client = Client(server, "s3files", "r1")
    page = b"<html><script>alert(document.cookie)</script></html>"
    assert client.upload("report.html", page).status_code == 201
    r = client.session.get(f"{client.url}/files/report.html", allow_redirects=False, timeout=10)
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert location.netloc == f"localhost:{port}"  # signed for the public endpoint, not the internal one
    query = parse_qs(location.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]  # SigV4
    download = requests.get(r.headers["Location"], timeout=10)
    assert download.status_code == 200 and download.content == page
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "report.html" in download.headers["Content-Disposition"]


def test_a_plain_file_keeps_its_type_and_is_still_an_attachment(s3_server: tuple[ServerProcess, int]) -> None:
    server, _ = s3_server
    client = Client(server, "s3files", "r2")
    assert client.upload("metrics.csv", b"step,loss\n0,1.5\n").status_code == 201
    r = client.session.get(f"{client.url}/files/metrics.csv", timeout=10)  # follows the redirect
    assert r.status_code == 200 and r.content == b"step,loss\n0,1.5\n"
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Content-Disposition"].startswith("attachment")
