"""Large files' parts straight to S3 (moto in server mode): the web server never carries them, and verifies the file."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import requests

from tests.artifacts.test_s3_e2e import CREDENTIALS, Api, bucket_bytes, s3_endpoint  # noqa: F401 - a fixture
from tests.media.servers import isolated_env
from tests.serverproc import ROOT, ServerProcess
from tests.tcpproxy import CountingProxy

pytestmark = pytest.mark.server
MB = 1024 * 1024
BUCKET = "cairn-direct"  # moto's buckets outlive its server in this process: one of this test's own


LOG = """
import agent
with agent.init(project="direct") as run:
    art = agent.Artifact("weights", type="model")
    art.add_file("big.bin"); run.log_artifact(art)
    print("LOGGED", art.wait(300).version)
"""


def test_an_agent_sends_a_large_file_straight_to_s3(s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS).create_bucket(Bucket=BUCKET)
    server = ServerProcess(tmp_path / "server", extra_env=isolated_env(
        CAIRN_STORAGE="s3", CAIRN_S3_BUCKET=BUCKET, CAIRN_S3_ENDPOINT_URL=s3_endpoint, CAIRN_S3_REGION="us-east-1",
        CAIRN_S3_ACCESS_KEY_ID="testing", CAIRN_S3_SECRET_ACCESS_KEY="testing",
    ))
    server.start()
    try:
        big = os.urandom(70 * MB)  # over the agent's 64 MiB: two parts
        (tmp_path / "big.bin").write_bytes(big)
        proxy = CountingProxy(server.port)
        (tmp_path / "s.py").write_text(LOG)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
        env.update(PYTHONPATH=str(ROOT), CAIRN_BASE_URL=f"http://127.0.0.1:{proxy.port}", CAIRN_API_KEY=server.api_key,
                   CAIRN_ORG="local", CAIRN_CACHE_DIR=str(tmp_path / "cache"), CAIRN_QUIET="true")
        out = subprocess.run([sys.executable, "s.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert "LOGGED v0" in out.stdout, out.stdout + out.stderr
        assert proxy.sent < 5 * MB  # the 70 MB went to S3, not through the web server
        assert bucket_bytes(s3_endpoint, BUCKET) == len(big)
        s = Api(server.api_key)
        base = f"{server.url}/api/v1/projects/local/direct/artifacts"
        link = s.get(f"{base}/blobs/{hashlib.sha256(big).hexdigest()}", allow_redirects=False).headers["Location"]
        assert hashlib.sha256(requests.get(link, timeout=60).content).digest() == hashlib.sha256(big).digest()

        # Bytes that are not what the digest says: refused at completion, nothing kept.
        claimed = hashlib.sha256(b"something else").hexdigest()
        opened = s.post(f"{base}/blobs/uploads", json={"sha256": claimed, "size": 6 * MB, "direct": True}).json()
        [part] = opened["direct"]["parts"]
        assert part["done"] is False and part["size"] == 6 * MB
        early = s.post(f"{base}/blobs/uploads/{claimed}/complete")
        assert early.status_code == 400 and "Parts [1]" in early.json()["error"]
        assert requests.put(part["url"], data=os.urandom(6 * MB), timeout=60).status_code == 200
        again = s.post(f"{base}/blobs/uploads", json={"sha256": claimed, "size": 6 * MB, "direct": True}).json()
        assert again["direct"]["parts"][0]["done"] is True and again["offset"] == 6 * MB  # resumable: S3 holds it
        assert s.post(f"{base}/blobs/uploads/{claimed}/complete").status_code == 400
        assert bucket_bytes(s3_endpoint, BUCKET) == len(big)
        assert s.post(f"{base}/blobs/uploads/{claimed}/complete").status_code == 404  # the upload is gone
        listed = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS).list_multipart_uploads(Bucket=BUCKET)
        assert not listed.get("Uploads")
    finally:
        server.cleanup()
