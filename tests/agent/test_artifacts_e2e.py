"""Artifacts end to end: real training scripts log and use versions against a real server."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import agent
from tests.agent.conftest import ROOT, run_script

pytestmark = pytest.mark.server


def _env(server: Any, **extra: str) -> dict[str, str]:
    return {"CAIRN_BASE_URL": server.url, "CAIRN_API_KEY": server.api_key, "CAIRN_ORG": server.org, **extra}


def _api(server: Any) -> agent.Api:
    return agent.Api(base_url=server.url, api_key=server.api_key)


def _stored(server: Any) -> dict[str, int]:
    """The server's artifact files on storage: name -> size."""
    root = server.data_dir / "files" / "artifacts"
    return {p.name: p.stat().st_size for p in root.rglob("*") if p.is_file()} if root.exists() else {}


LOG = """
import agent, os, sys
os.makedirs("data/sub", exist_ok=True)
open("data/a.txt", "w").write(sys.argv[2])
open("data/sub/b.bin", "wb").write(bytes(range(256)) * 400)
with agent.init(project="art", id=sys.argv[1]) as run:
    art = agent.Artifact("ds", type="dataset", metadata={"rows": 2})
    art.add_dir("data")
    run.log_artifact(art, aliases=["first"] if sys.argv[1] == "prep" else None)
    art.wait(60)
    print("LOGGED", art.name, art.qualified_name)
"""

USE = """
import agent, sys
with agent.init(project="art", id=sys.argv[1]) as run:
    art = run.use_artifact("ds:v0", type="dataset")
    path = art.download(root="dl-" + sys.argv[1])
    art.verify(path)
    print("READ", open(path + "/a.txt").read(), art.qualified_name)
    model = agent.Artifact("net", type="model")
    with model.new_file("w.txt") as f:
        f.write("weights of " + sys.argv[1])
    run.log_artifact(model)
"""


def _script(code: str, cwd: Path, env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    (cwd / "s.py").write_text(code)
    full = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    full.update(env, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "s.py", *args], cwd=str(cwd), env=full, text=True, capture_output=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_versions_dedupe_and_lineage_through_a_shared_cache(cairn_server: Any, tmp_path: Path) -> None:
    # The logging machine and the training machine: each its own cache.
    env = _env(cairn_server, CAIRN_CACHE_DIR=str(tmp_path / "log-cache"))
    before = _stored(cairn_server)
    assert "LOGGED ds:v0" in _script(LOG, tmp_path, env, "prep", "alpha").stdout
    after_v0 = _stored(cairn_server)
    assert len(after_v0) - len(before) == 2
    # The same content from another run: the same version, nothing stored.
    assert "LOGGED ds:v0" in _script(LOG, tmp_path, env, "prep-again", "alpha").stdout
    assert _stored(cairn_server) == after_v0
    # One file changed: v1, and only that file is new on storage.
    assert "LOGGED ds:v1" in _script(LOG, tmp_path, env, "prep-2", "beta").stdout
    assert len(_stored(cairn_server)) == len(after_v0) + 1
    api = _api(cairn_server)
    latest = api.artifact(f"{cairn_server.org}/art/ds:latest")
    assert latest.version == "v1" and latest.aliases == ["latest"]
    v0 = api.artifact(f"{cairn_server.org}/art/ds:first")
    assert v0.version == "v0" and v0.metadata == {"rows": 2}
    assert sorted(e.path for e in v0.files()) == ["a.txt", "sub/b.bin"]
    assert v0.logged_by().id == "prep"

    # A training run uses v0: fetched once into the machine's cache.
    env = _env(cairn_server, CAIRN_CACHE_DIR=str(tmp_path / "cache"))
    assert "READ alpha" in _script(USE, tmp_path, env, "train").stdout
    cached = {p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()}
    assert hashlib.sha256(b"alpha").hexdigest() in cached
    # The server's copy of a.txt goes bad; a second run on this machine never
    # asks for it (the cache has it), so it still reads the right bytes...
    blob = next(p for p in (cairn_server.data_dir / "files" / "artifacts").rglob("*") if p.is_file() and p.read_bytes() == b"alpha")
    blob.write_bytes(b"alphX")
    assert "READ alpha" in _script(USE, tmp_path, env, "train-2").stdout
    # ...while a machine without it downloads the bad bytes and refuses them.
    fresh = _env(cairn_server, CAIRN_CACHE_DIR=str(tmp_path / "other-cache"))
    bad = _script(USE, tmp_path, fresh, "train-3", check=False)
    assert bad.returncode != 0 and "ArtifactError" in bad.stderr and "does not match its SHA-256" in bad.stderr
    assert not list((tmp_path / "other-cache").rglob("*.tmp"))
    blob.write_bytes(b"alpha")

    # Lineage, both ways.
    v0 = api.artifact(f"{cairn_server.org}/art/ds:v0")
    assert sorted(r.id for r in v0.used_by()) == ["train", "train-2", "train-3"]
    train = api._json(f"projects/{cairn_server.org}/art/runs/train/artifacts")
    assert [v["name"] for v in train["inputs"]] == ["ds:v0"]
    assert [v["name"] for v in train["outputs"]] == ["net:v0"]
    graph = api._json(f"projects/{cairn_server.org}/art/artifacts/ds/v0/lineage", {"depth": 2})
    ids = {n["id"] for n in graph["nodes"]}
    assert f"run:{cairn_server.org}/art/prep" in ids and f"artifact:{cairn_server.org}/art/net:v0" in ids
    net = api.artifact(f"{cairn_server.org}/art/net:v0")
    assert net.logged_by().id == "train"
    # train-3 stopped at the refused download, before logging its model.
    assert [a.version for a in api.artifacts("model", f"{cairn_server.org}/art/net")] == ["v1", "v0"]


def test_an_offline_artifact_uploads_with_cairn_sync(cairn_server: Any, tmp_path: Path) -> None:
    run_script(
        """
        import agent
        open("model.pt", "wb").write(b"offline weights")
        run = agent.init(project="art-off", id="off-1", mode="offline")
        art = run.log_model("model.pt", name="offline-net", aliases=["candidate"])
        assert art.state == "PENDING"
        run.finish()
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    api = _api(cairn_server)
    with pytest.raises(agent.NotFound):
        api.artifact(f"{cairn_server.org}/art-off/offline-net:latest")
    env = dict(os.environ, PYTHONPATH=str(ROOT), **_env(cairn_server))
    sync = subprocess.run([sys.executable, "-m", "agent.cli", "sync", "--all"], cwd=str(tmp_path), env=env,
                          text=True, capture_output=True, timeout=120)
    assert sync.returncode == 0, sync.stderr
    art = api.artifact(f"{cairn_server.org}/art-off/offline-net:candidate", type="model")
    assert art.version == "v0" and art.logged_by().id == "off-1"
    path = art.download(root=str(tmp_path / "dl"))
    assert (Path(path) / "model.pt").read_bytes() == b"offline weights"
