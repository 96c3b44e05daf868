"""Incremental versions from real scripts: Artifact(incremental=True) and new_draft(), only new files sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agent.test_artifacts_e2e import _api, _env, _script, _stored

pytestmark = pytest.mark.server

BASE = """
import agent, os
os.makedirs("d/img", exist_ok=True)
for n in ("a", "b"):
    open(f"d/{n}.txt", "w").write(n * 1000)
for n in ("1", "2"):
    open(f"d/img/{n}.png", "w").write(n * 3000)
with agent.init(project="incr", id="base") as run:
    art = agent.Artifact("ds", type="dataset")
    art.add_dir("d")
    run.log_artifact(art)
    print("LOGGED", art.wait(60).name)
"""

INCREMENTAL = BASE.split("with")[0].split("os.makedirs")[0] + """
open("c.txt", "w").write("c" * 777)
with agent.init(project="incr", id="patch") as run:
    art = agent.Artifact("ds", type="dataset", incremental=True)
    art.add_file("c.txt"); art.remove("img"); run.log_artifact(art)
    print("LOGGED", art.wait(60).name)
"""

DRAFT = """
import agent
open("e.txt", "w").write("e" * 555)
with agent.init(project="incr", id="draft") as run:
    v1 = run.use_artifact("ds:latest")
    draft = v1.new_draft()
    draft.remove("a.txt")
    draft.add_file("e.txt")
    run.log_artifact(draft, aliases=["edited"])
    print("LOGGED", draft.wait(60).name, sorted(e.path for e in draft.files()))
"""


def test_incremental_and_drafted_versions_send_only_new_files(cairn_server: Any, tmp_path: Path) -> None:
    env = _env(cairn_server, CAIRN_CACHE_DIR=str(tmp_path / "cache"))
    assert "LOGGED ds:v0" in _script(BASE, tmp_path, env).stdout
    before = _stored(cairn_server)
    assert "LOGGED ds:v1" in _script(INCREMENTAL, tmp_path, env).stdout
    after = _stored(cairn_server)
    assert sorted(set(after) - set(before)) and [after[k] for k in set(after) - set(before)] == [777]
    api = _api(cairn_server)
    v1 = api.artifact(f"{cairn_server.org}/incr/ds:v1")
    assert sorted(e.path for e in v1.files()) == ["a.txt", "b.txt", "c.txt"]
    out = _script(DRAFT, tmp_path, env).stdout
    assert "LOGGED ds:v2 ['b.txt', 'c.txt', 'e.txt']" in out
    final = _stored(cairn_server)
    assert [final[k] for k in set(final) - set(after)] == [555]
    v2 = api.artifact(f"{cairn_server.org}/incr/ds:edited")
    assert v2.version == "v2" and sorted(e.path for e in v2.files()) == ["b.txt", "c.txt", "e.txt"]
    root = v2.download(str(tmp_path / "v2"))
    v2.verify(root)
    assert (tmp_path / "v2" / "e.txt").read_text() == "e" * 555
    # v0 is untouched.
    v0 = api.artifact(f"{cairn_server.org}/incr/ds:v0")
    assert sorted(e.path for e in v0.files()) == ["a.txt", "b.txt", "img/1.png", "img/2.png"]
