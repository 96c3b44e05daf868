"""Artifact.diff(): two versions logged by a real script, compared through the agent's Api."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agent
from tests.agent.conftest import run_script

pytestmark = pytest.mark.server

LOG = """
import agent, os, sys
os.makedirs("data", exist_ok=True)
for v, files in enumerate([{"a.txt": "one", "b.txt": "same"}, {"a.txt": "two!", "c.txt": "new", "b.txt": "same"}]):
    for old in os.listdir("data"):
        os.remove("data/" + old)
    for name, text in files.items():
        open("data/" + name, "w").write(text)
    with agent.init(project="diffs", id=f"log{v}") as run:
        art = agent.Artifact("ds", type="dataset", metadata={"rows": v + 1, **({"old": 1} if v == 0 else {})})
        art.add_dir("data")
        run.log_artifact(art)
        art.wait(60)
"""


def test_diff_lists_what_changed_between_two_versions(cairn_server: Any, tmp_path: Path) -> None:
    env = {"CAIRN_BASE_URL": cairn_server.url, "CAIRN_API_KEY": cairn_server.api_key, "CAIRN_ORG": cairn_server.org}
    run_script(LOG, tmp_path, env=env)
    api = agent.Api(base_url=cairn_server.url, api_key=cairn_server.api_key)
    new = api.artifact(f"{cairn_server.org}/diffs/ds:latest")
    old = api.artifact(f"{cairn_server.org}/diffs/ds:v0")
    d = new.diff(old)
    assert [f["path"] for f in d["files"]["added"]] == ["c.txt"]
    assert d["files"]["removed"] == []
    assert [(f["path"], f["old_size"], f["new_size"]) for f in d["files"]["changed"]] == [("a.txt", 3, 4)]
    assert d["files"]["unchanged"] == 1
    assert d["size_change"] == 4
    assert d["metadata"] == {"added": {}, "removed": {"old": 1}, "changed": {"rows": {"old": 1, "new": 2}}}
    assert new.diff("v1")["files"]["changed"] == []
    with pytest.raises(agent.ApiError):
        new.diff("v9")
