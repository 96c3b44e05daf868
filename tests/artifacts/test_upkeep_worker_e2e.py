"""The artifacts' upkeep run by a real worker on its schedule (the embedded one of `make run`)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.artifacts.helpers import sha
from tests.media.servers import isolated_env
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server


def test_the_worker_collects_garbage_and_finds_a_rotten_file(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", extra_env=isolated_env(
        CAIRN_DEAD_RUN_CHECK_INTERVAL="1", CAIRN_ARTIFACT_UPKEEP_INTERVAL="1", CAIRN_ARTIFACT_GC_GRACE="2",
    ))
    server.start()
    try:
        auth = {"Authorization": f"Bearer {server.api_key}"}
        base = f"{server.url}/api/v1/projects/local/upkeep/artifacts"
        assert requests.put(f"{server.url}/api/v1/projects/local/upkeep/runs/r1", json={}, headers=auth).status_code == 201
        kept, orphan = b"kept" * 1000, b"orphan" * 1000
        for data in (kept, orphan):
            assert requests.put(f"{base}/blobs/{sha(data)}", data=data, headers=auth).status_code == 201
        commit = requests.post(f"{base}/", json={"name": "d", "type": "dataset",
                                                 "manifest": [{"path": "k", "digest": sha(kept), "size": len(kept)}]}, headers=auth)
        assert commit.status_code == 201
        stored = {p.name: p for p in (server.data_dir / "files" / "artifacts").rglob("*") if p.is_file()}
        stored[sha(kept)].write_bytes(b"rotten")  # the disk rots under the kept file

        def missing() -> list[str]:
            return requests.post(f"{base}/blobs/missing", json={"digests": [sha(kept), sha(orphan)]},
                                 headers=auth).json()["missing"]

        deadline = time.monotonic() + 60
        while sorted(missing()) != sorted([sha(kept), sha(orphan)]) and time.monotonic() < deadline:
            time.sleep(0.5)
        # The orphan was collected after its grace period, the rotten file found and asked for again.
        assert sorted(missing()) == sorted([sha(kept), sha(orphan)]), server.log_tail()
        assert not stored[sha(orphan)].exists()
        assert requests.put(f"{base}/blobs/{sha(kept)}", data=kept, headers=auth).status_code == 201
        assert requests.get(f"{base}/blobs/{sha(kept)}", headers=auth).content == kept
        assert missing() == [sha(orphan)]
    finally:
        server.cleanup()
