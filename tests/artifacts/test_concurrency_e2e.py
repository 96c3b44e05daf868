"""Against a real server (gunicorn threads, a real database): concurrent commits to one artifact."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.artifacts.helpers import sha
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server


def test_concurrent_commits_to_one_artifact_all_succeed(cairn_server: ServerProcess) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {cairn_server.api_key}"
    base = f"{cairn_server.url}/api/v1/projects/local/artrace/artifacts"
    assert s.put(f"{cairn_server.url}/api/v1/projects/local/artrace/runs/r1", json={}).status_code == 201
    contents = [f"file {i}".encode() for i in range(8)]
    body = b"".join(f"{sha(c)} {len(c)}\n".encode() + c for c in contents)
    assert s.post(f"{base}/blobs/batch", data=body, headers={"Content-Type": "application/octet-stream"}).ok
    # 8 different manifests, and the first one 4 more times: all at once, to an artifact that does not exist yet.
    manifests = [[{"path": "f.txt", "digest": sha(c), "size": len(c)}] for c in contents]
    manifests += [manifests[0]] * 4
    barrier = threading.Barrier(len(manifests))
    answers: list[tuple[int, str, str]] = []

    def commit(manifest: list[dict[str, object]]) -> None:
        barrier.wait()
        r = requests.post(f"{base}/", json={"name": "raced", "type": "dataset", "manifest": manifest,
                                            "aliases": ["mine"]}, headers=s.headers, timeout=60)
        answers.append((r.status_code, r.json().get("version", r.text), r.json().get("digest", "")))

    threads = [threading.Thread(target=commit, args=(m,)) for m in manifests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _, _ in answers) == [200] * 4 + [201] * 8, answers
    versions = s.get(f"{base}/raced").json()["versions"]
    assert sorted(v["version"] for v in versions) == [f"v{i}" for i in range(8)]
    assert len({v["digest"] for v in versions}) == 8
    # One version per content: the five commits of the first manifest got the same one.
    by_digest: dict[str, set[str]] = {}
    for _, version, digest in answers:
        by_digest.setdefault(digest, set()).add(version)
    assert len(by_digest) == 8 and all(len(v) == 1 for v in by_digest.values())
    aliases = [a for v in versions for a in v["aliases"]]
    assert aliases.count("latest") == 1 and aliases.count("mine") == 1
