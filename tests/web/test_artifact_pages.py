"""Artifacts in the browser: a run's inputs and outputs on its page, and a version's page."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

XSS = '<img src=x onerror="window.__xss=1">'


def seeded(server: ServerProcess) -> str:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    project = f"ap-{uuid.uuid4().hex[:6]}"
    api = f"{server.url}/api/v1/projects/local/{project}"
    assert s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": project}).ok
    for run_id in ("prep", "train"):
        s.put(f"{api}/runs/{run_id}", json={"name": f"{run_id} run"}).raise_for_status()

    def log(name: str, type_: str, files: dict[str, bytes], run_id: str, **extra: Any) -> None:
        for body in files.values():
            s.put(f"{api}/artifacts/blobs/{hashlib.sha256(body).hexdigest()}", data=body).raise_for_status()
        manifest = [{"path": p, "digest": hashlib.sha256(b).hexdigest(), "size": len(b)} for p, b in files.items()]
        s.post(f"{api}/artifacts/", json={"name": name, "type": type_, "run_id": run_id, "manifest": manifest,
                                          **extra}).raise_for_status()

    log("data", "dataset", {"train.csv": b"a,b\n1,2\n", "sub/labels.txt": b"cat"}, "prep",
        aliases=["golden"], metadata={"rows": 1, "note": XSS})
    s.post(f"{api}/runs/train/artifacts/used", json={"artifact": f"local/{project}/data:golden"}).raise_for_status()
    log("model", "model", {"w.pt": b"weights"}, "train")
    return project


def test_a_run_page_links_its_artifacts_to_their_version_pages(web_server: ServerProcess, new_page: Any) -> None:
    project = seeded(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/train#artifacts")
    page.wait_for_selector("[data-testid=artifact-inputs] a")
    assert page.locator("[data-testid=artifact-inputs] a").all_text_contents() == ["data:v0"]
    assert page.locator("[data-testid=artifact-outputs] a").all_text_contents() == ["model:v0"]
    page.locator("[data-testid=artifact-inputs] a").click()
    page.wait_for_selector("[data-testid=artifact-files]")
    assert page.url.endswith(f"/local/{project}/artifacts/data/v0")
    assert sorted(page.locator("[data-testid=artifact-aliases] .tag").all_text_contents()) == ["golden", "latest"]
    assert page.locator("[data-testid=artifact-files] tbody td:first-child").all_text_contents() == ["sub/labels.txt", "train.csv"]
    assert page.locator("[data-testid=artifact-producer]").text_content().strip() == "prep run"
    assert "train run" in page.locator("[data-testid=artifact-consumers]").text_content()
    assert json.loads(page.locator("[data-testid=artifact-metadata]").text_content())["note"] == XSS
    assert page.evaluate("window.__xss") is None
    # A file downloads by its digest.
    with page.expect_download() as download:
        page.locator("[data-testid=artifact-files] a", has_text="train.csv").click()
    assert open(download.value.path(), "rb").read() == b"a,b\n1,2\n"
    # The artifact's page lists its versions.
    page.goto(f"/local/{project}/artifacts/model/")
    assert page.locator("[data-testid=artifact-versions] tbody td:first-child").all_text_contents() == ["v0"]


def test_a_private_version_page_is_404_to_outsiders(web_server: ServerProcess) -> None:
    project = seeded(web_server)
    for url in (f"/local/{project}/artifacts/data/v0", f"/local/{project}/artifacts/data/"):
        assert requests.get(web_server.url + url, allow_redirects=False).status_code == 404
