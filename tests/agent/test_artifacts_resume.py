"""A training script's large file upload, cut mid-file by a dropped connection, resumes where the server stopped."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.agent.conftest import ROOT
from tests.tcpproxy import TcpProxy

pytestmark = pytest.mark.server
CUT_AFTER = 40 * 1024 * 1024


class CuttingProxy(TcpProxy):
    """Drops the first connection to carry more than CUT_AFTER bytes upstream."""

    def __init__(self, port: int) -> None:
        self.sent = 0
        self.cut = False
        self.lock = threading.Lock()
        super().__init__(port)

    def carry(self, data: bytes, upstream: bool, carried: int) -> bool:
        if not upstream:
            return True
        with self.lock:
            self.sent += len(data)
            cut = not self.cut and carried > CUT_AFTER
            self.cut = self.cut or cut
        return not cut


LOG = """
import agent, os
with agent.init(project="resume-agent") as run:
    art = agent.Artifact("weights", type="model")
    art.add_file("big.bin")
    run.log_artifact(art)
    art.wait(300)
    print("LOGGED", art.version, art.digest)
"""


def test_a_cut_upload_resumes_and_the_version_commits(cairn_server: Any, tmp_path: Path) -> None:
    big = os.urandom(1 << 20) * 80  # 80 MiB: sent in parts (RESUMABLE_MIN is 64 MiB)
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "s.py").write_text(LOG)
    proxy = CuttingProxy(cairn_server.port)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAIRN_", "WANDB_"))}
    env.update(PYTHONPATH=str(ROOT), CAIRN_BASE_URL=f"http://127.0.0.1:{proxy.port}", CAIRN_API_KEY=cairn_server.api_key,
               CAIRN_ORG=cairn_server.org, CAIRN_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "s.py"], cwd=str(tmp_path), env=env, text=True, capture_output=True, timeout=300)
    assert result.returncode == 0 and "LOGGED v0" in result.stdout, result.stdout + result.stderr
    assert proxy.cut
    # Resumed, not sent again from the start: what went upstream is the file once and a little more.
    assert proxy.sent < len(big) + 16 * 1024 * 1024, proxy.sent
    stored = cairn_server.data_dir / "files" / "artifacts"
    digest = hashlib.sha256(big).hexdigest()
    files = [p for p in stored.rglob(digest)]
    assert len(files) == 1 and hashlib.sha256(files[0].read_bytes()).hexdigest() == digest
