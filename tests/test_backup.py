"""A backup restored into a fresh database and storage reads every run back."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.serverproc import ROOT, ServerProcess

pytestmark = pytest.mark.server
CAIRN_SERVER = str(ROOT / ".venv" / "bin" / "cairn-server")


def _cairn_server(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CAIRN_SERVER, *args], env=server.env, capture_output=True, text=True, timeout=300)


def test_a_backup_restores_into_a_fresh_database_and_storage(tmp_path: Path) -> None:
    source = ServerProcess(tmp_path / "source")
    source.start()
    target = ServerProcess(tmp_path / "target")
    try:
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {source.api_key}"
        run = f"{source.url}/api/v1/projects/{source.org}/kept/runs/b1"
        assert api.put(run, json={"config": {"lr": 0.01}}, timeout=10).status_code == 201
        records = [{"step": i, "time": 1.0 + i, "data": {"loss": 1.0 / (i + 1)}} for i in range(500)]
        assert api.post(f"{run}/streams/history", json={"offset": 0, "records": records}, timeout=10).status_code == 200
        model = b"weights" * 10_000
        put = api.put(f"{run}/files/model.pt", data=model, timeout=10,
                      headers={"X-Cairn-Sha256": hashlib.sha256(model).hexdigest()})
        assert put.status_code == 201
        assert api.post(f"{run}/finish", json={"exit_code": 0}, timeout=10).status_code == 200
        time.sleep(1)

        backup = tmp_path / "backup"
        made = _cairn_server(source, "backup", str(backup))
        assert made.returncode == 0, made.stderr
        assert _cairn_server(source, "backup", str(backup)).returncode != 0  # never over an existing folder
        source.stop()

        target.data_dir.mkdir(parents=True)
        refused = _cairn_server(target, "restore", str(tmp_path / "nothing-here"))
        assert refused.returncode != 0 and "not a Cairn backup" in refused.stderr
        restored = _cairn_server(target, "restore", str(backup))
        assert restored.returncode == 0, restored.stderr
        again = _cairn_server(target, "restore", str(backup))
        assert again.returncode != 0 and "not empty" in again.stderr  # never over data
        for name in ("api-key", "admin-password"):  # the same account: its key is in the restored database
            shutil.copy(source.data_dir / name, target.data_dir / name)
        target.start()

        back = requests.Session()
        back.headers["Authorization"] = f"Bearer {source.api_key}"
        moved = f"{target.url}/api/v1/projects/{target.org}/kept/runs/b1"
        got = back.get(moved, timeout=10).json()
        assert got["state"] == "finished" and got["config"]["lr"] == 0.01
        assert got["summary"]["loss"] == pytest.approx(1 / 500)
        export = back.get(f"{moved}/history/export", params={"keys": "loss"}, timeout=10)
        assert export.status_code == 200, export.text
        rows = [json.loads(line) for line in export.text.splitlines()]
        assert [(r["step"], r["loss"]) for r in rows] == [(i, 1.0 / (i + 1)) for i in range(500)]
        assert back.get(f"{moved}/files/model.pt", timeout=10).content == model
    finally:
        source.cleanup()
        target.cleanup()
