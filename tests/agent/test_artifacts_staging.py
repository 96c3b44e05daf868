"""Logged files are staged by hard link, not copied: deleting one before the upload loses nothing,
and one rewritten in place is refused by the server (never stored under a digest it does not have)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import agent
from tests.agent.test_artifacts_e2e import _api, _env, _script
from tests.tcpproxy import TcpProxy

pytestmark = pytest.mark.server


class GateProxy(TcpProxy):
    """Drops every connection until `open` is set: the server seems down until then."""

    def __init__(self, port: int) -> None:
        self.open = threading.Event()
        super().__init__(port)

    def admit(self) -> bool:
        return self.open.is_set()


SCRIPT = """
import agent, os, sys
os.makedirs("d", exist_ok=True)
for n in ("keep", "gone", "edited"):
    open(f"d/{n}.txt", "w").write(n * 100 + sys.argv[1])  # content of this test's own: not on the server yet
with agent.init(project="staging", id=sys.argv[1]) as run:
    art = agent.Artifact(sys.argv[1], type="dataset")
    art.add_dir("d")
    run.log_artifact(art)
    os.unlink("d/gone.txt")                 # deleted before the upload: its link keeps the bytes
    if sys.argv[1] == "edit":
        open("d/edited.txt", "r+").write("X")  # rewritten in place: the link sees it too
    open("staged", "w").write("1")
    try:
        art.wait(120)
        print("LOGGED", art.name)
    except Exception as exc:
        print("FAILED", exc)
"""


def _run_gated(server: Any, tmp_path: Path, run_id: str) -> str:
    proxy = GateProxy(server.port)
    work = tmp_path / run_id
    work.mkdir()
    opener = threading.Thread(target=_open_when_staged, args=(proxy, work / "staged"), daemon=True)
    opener.start()
    env = _env(server, CAIRN_CACHE_DIR=str(tmp_path / "cache"), CAIRN_BASE_URL=f"http://127.0.0.1:{proxy.port}")
    return _script(SCRIPT, work, env, run_id).stdout


def _open_when_staged(proxy: GateProxy, marker: Path) -> None:
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proxy.open.set()


def test_a_file_deleted_after_log_artifact_is_still_uploaded(cairn_server: Any, tmp_path: Path) -> None:
    out = _run_gated(cairn_server, tmp_path, "delete")
    assert "LOGGED delete:v0" in out, out
    art = _api(cairn_server).artifact(f"{cairn_server.org}/staging/delete:v0")
    root = art.download(str(tmp_path / "dl"))
    art.verify(root)
    assert (tmp_path / "dl" / "gone.txt").read_text() == "gone" * 100 + "delete"


def test_a_file_rewritten_in_place_before_the_upload_fails_the_version(cairn_server: Any, tmp_path: Path) -> None:
    out = _run_gated(cairn_server, tmp_path, "edit")
    assert "FAILED" in out and "changed after log_artifact" in out, out
    with pytest.raises(agent.NotFound):  # no version was made
        _api(cairn_server).artifact(f"{cairn_server.org}/staging/edit:latest")


HASHED_LATER = """
import agent, hashlib, os, sys
os.makedirs("d/sub", exist_ok=True)
for i in range(1201):  # more than the background process hashes before its first upload (1,000)
    same = i % 100 == 0  # the same bytes under several paths, in both thousands
    data = b"same" if same else f"{sys.argv[1]} {i}".encode()
    open(f"d/sub/{i}.txt" if i % 2 else f"d/{i}.txt", "wb").write(data)
with agent.init(project="staging", id=sys.argv[1]) as run:
    before = agent.Artifact("hashed-here", type="dataset")
    before.add_dir("d")
    expected = before.digest                    # read before logging: hashed in this process
    later = agent.Artifact("hashed-later", type="dataset")
    later.add_dir("d")
    run.log_artifact(later).wait(120)           # hashed by the background process as it uploads
    wrong = [e.path for e in later.files()
             if e.digest != hashlib.sha256(open(os.path.join("d", e.path), "rb").read()).hexdigest()]
    print("DIGEST", later.digest == expected, "WRONG", wrong, "VERSION", later.version)
"""


def test_files_hashed_by_the_background_process_get_the_digests_computed_before_logging(
        cairn_server: Any, tmp_path: Path) -> None:
    work = tmp_path / "later"
    work.mkdir()
    out = _script(HASHED_LATER, work, _env(cairn_server, CAIRN_CACHE_DIR=str(tmp_path / "cache")), "later").stdout
    assert "DIGEST True WRONG [] VERSION v0" in out, out
    version = _api(cairn_server).artifact(f"{cairn_server.org}/staging/hashed-later:v0")
    assert len(version.files()) == 1201
    root = version.download(str(tmp_path / "dl"))
    version.verify(root)  # every file the server holds is what its digest says
    assert (tmp_path / "dl" / "sub" / "1101.txt").read_bytes() == b"later 1101"
    assert (tmp_path / "dl" / "1100.txt").read_bytes() == b"same"
