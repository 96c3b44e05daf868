"""Building an Artifact before it is logged: entries, digests, references (no server)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import agent


def test_it_builds_a_manifest_with_wandbs_calls(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "x.txt").write_text("x")
    (tmp_path / "d" / "sub" / "y.txt").write_text("yy")
    (tmp_path / "m.pt").write_bytes(b"weights")
    art = agent.Artifact("data", type="dataset", metadata={"n": 1})
    art.add_dir(str(tmp_path / "d"), name="raw")
    entry = art.add_file(str(tmp_path / "m.pt"))
    with art.new_file("notes/readme.md") as f:
        f.write("hello")
    assert sorted(e.path for e in art.files()) == ["m.pt", "notes/readme.md", "raw/sub/y.txt", "raw/x.txt"]
    assert entry.digest == hashlib.sha256(b"weights").hexdigest() and entry.size == 7
    assert art.get_entry("raw/sub/y.txt").size == 2
    with pytest.raises(ValueError):
        art.add_file(str(tmp_path / "m.pt"))  # the same path twice, without overwrite=True
    art.remove("raw")
    assert sorted(art.manifest.entries) == ["m.pt", "notes/readme.md"]
    # The server's digest of a manifest: SHA-256 over "path\ndigest\n", sorted by path.
    expected = hashlib.sha256(
        "".join(f"{e.path}\n{e.digest}\n" for e in sorted(art.files(), key=lambda e: e.path)).encode()
    ).hexdigest()
    assert art.digest == expected and art.state == "PENDING" and art.name == "data"


def test_a_file_reference_is_tracked_by_checksum(tmp_path: Path) -> None:
    (tmp_path / "shard.bin").write_bytes(b"shard")
    art = agent.Artifact("refs", type="dataset")
    [entry] = art.add_reference(f"file://{tmp_path}/shard.bin")
    assert entry.ref == f"file://{tmp_path}/shard.bin" and entry.digest == hashlib.sha256(b"shard").hexdigest()
    with pytest.raises(ValueError):
        art.add_reference("ftp://example.com/x")


def test_bad_names_are_refused() -> None:
    with pytest.raises(ValueError):
        agent.Artifact("no spaces", type="dataset")
    with pytest.raises(ValueError):
        agent.Artifact("ok", type="")


def test_an_alias_the_server_would_refuse_is_refused_at_once() -> None:
    run = agent.Run.disabled()
    for bad in ("v3", "a/b", "a:b", ""):
        with pytest.raises(agent.UsageError):
            run.log_artifact(agent.Artifact("m", type="model"), aliases=[bad])
    art = run.log_artifact(agent.Artifact("m", type="model"), aliases=["best"])
    assert art.aliases == ["best"] and art.state == "PENDING"  # disabled: nothing recorded
