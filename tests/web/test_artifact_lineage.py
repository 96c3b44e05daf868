"""The lineage graph and the version diff in the browser, over a chain dataset -> train -> model -> eval."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

# Users' names land in SVG text: a quote and a script tag must stay text.
EVIL_RUN = 'a"<script>__xss=1</script>'
EVIL_ALIAS = '"><img src=x onerror=__xss=2>'


def chain(server: ServerProcess) -> str:
    """prep -logged-> data:v0 -used-> train -logged-> model:v0 -used-> eval; data:v1 logged by no run."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    project = f"lin-{uuid.uuid4().hex[:6]}"
    api = f"{server.url}/api/v1/projects/local/{project}"
    assert s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": project}).ok
    for run_id, name in (("prep", "prep run"), ("train", EVIL_RUN), ("eval", "eval run")):
        s.put(f"{api}/runs/{run_id}", json={"name": name}).raise_for_status()

    def log(name: str, files: dict[str, bytes], run_id: str | None, **extra: Any) -> None:
        for body in files.values():
            s.put(f"{api}/artifacts/blobs/{hashlib.sha256(body).hexdigest()}", data=body).raise_for_status()
        manifest = [{"path": p, "digest": hashlib.sha256(b).hexdigest(), "size": len(b)} for p, b in files.items()]
        s.post(f"{api}/artifacts/", json={"name": name, "type": extra.pop("type", "dataset"), "run_id": run_id,
                                          "manifest": manifest, **extra}).raise_for_status()

    log("data", {"train.csv": b"a,b\n", "old.txt": b"old", "same.txt": b"same"}, "prep",
        metadata={"rows": 1, "gone": True})
    s.post(f"{api}/runs/train/artifacts/used", json={"artifact": f"local/{project}/data:v0"}).raise_for_status()
    log("model", {"w.pt": b"weights"}, "train", type="model", aliases=[EVIL_ALIAS])
    s.post(f"{api}/runs/eval/artifacts/used", json={"artifact": f"local/{project}/model:v0"}).raise_for_status()
    log("data", {"train.csv": b"a,b\n1,2\n", "new.bin": b"12345", "same.txt": b"same"}, None,
        metadata={"rows": 2, "split": "train"})
    return project


def graph(page: Any) -> tuple[set[str], set[tuple[str, str, str]]]:
    nodes = set(page.locator("[data-testid=lineage-node]").evaluate_all("ns => ns.map(n => n.dataset.id)"))
    edges = page.locator("[data-testid=lineage-edge]").evaluate_all(
        "es => es.map(e => [e.dataset.source, e.dataset.target, e.dataset.kind])")
    return nodes, {tuple(e) for e in edges}


def test_the_graph_shows_the_chain_both_ways_and_its_nodes_navigate(web_server: ServerProcess, new_page: Any) -> None:
    project = chain(web_server)
    p = f"local/{project}"
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/{p}/artifacts/model/v0")
    page.wait_for_selector("[data-testid=lineage-node]")
    nodes, edges = graph(page)
    assert nodes == {f"run:{p}/prep", f"artifact:{p}/data:v0", f"run:{p}/train", f"artifact:{p}/model:v0",
                     f"run:{p}/eval"}
    assert edges == {
        (f"run:{p}/prep", f"artifact:{p}/data:v0", "logged"),
        (f"artifact:{p}/data:v0", f"run:{p}/train", "used"),
        (f"run:{p}/train", f"artifact:{p}/model:v0", "logged"),
        (f"artifact:{p}/model:v0", f"run:{p}/eval", "used"),
    }
    # Left to right, in the order of the chain.
    xs = [page.locator(f"[data-testid=lineage-node][data-id='{i}']").bounding_box()["x"] for i in
          (f"run:{p}/prep", f"artifact:{p}/data:v0", f"run:{p}/train", f"artifact:{p}/model:v0", f"run:{p}/eval")]
    assert xs == sorted(xs) and len(set(xs)) == 5
    # Names stay text.
    train = page.locator(f"[data-testid=lineage-node][data-id='run:{p}/train'] .lineage-label")
    assert train.text_content() == EVIL_RUN
    model = page.locator(f"[data-testid=lineage-node][data-id='artifact:{p}/model:v0'] .lineage-sub")
    assert EVIL_ALIAS[:15] in model.text_content()
    assert page.evaluate("window.__xss") is None
    assert page.locator("svg.lineage script, svg.lineage img").count() == 0

    # Depth 1: only the model's neighbours.
    page.select_option("[data-testid=lineage-depth]", "1")
    expect(page.locator("[data-testid=lineage-node]")).to_have_count(3)
    assert graph(page)[0] == {f"run:{p}/train", f"artifact:{p}/model:v0", f"run:{p}/eval"}

    # A node is a link to its page: the dataset, then its producer.
    page.locator(f"[data-testid=lineage-node][data-id='run:{p}/train']").click()
    page.wait_for_url(f"**/{p}/runs/train")
    page.click("[data-testid=tab-artifacts]")  # the run page's graph is in its Artifacts tab
    page.wait_for_selector("[data-testid=lineage-node]")
    nodes, edges = graph(page)  # the run page's graph, two edges each way
    assert nodes == {f"run:{p}/prep", f"artifact:{p}/data:v0", f"run:{p}/train", f"artifact:{p}/model:v0",
                     f"run:{p}/eval"}
    assert (f"artifact:{p}/data:v0", f"run:{p}/train", "used") in edges
    page.locator(f"[data-testid=lineage-node][data-id='artifact:{p}/data:v0']").click()
    page.wait_for_url(f"**/{p}/artifacts/data/v0")
    page.wait_for_selector("[data-testid=artifact-files]")
    assert page.evaluate("window.__xss") is None


def test_the_diff_lists_files_and_metadata_that_changed(web_server: ServerProcess, new_page: Any) -> None:
    project = chain(web_server)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/artifacts/data/v1")
    page.wait_for_selector("[data-testid=diff-files] tbody tr[data-change]")
    assert page.locator("[data-testid=diff-base]").input_value() == "v0"
    rows = page.locator("[data-testid=diff-files] tbody tr").evaluate_all(
        "rs => rs.map(r => [r.dataset.change, r.children[1].textContent])")
    assert rows == [["added", "new.bin"], ["removed", "old.txt"], ["changed", "train.csv"]]
    changed = page.locator("[data-testid=diff-files] tr[data-change=changed] td").nth(2).text_content()
    assert changed == "4 B → 8 B"
    meta = page.locator("[data-testid=diff-metadata] tbody tr").evaluate_all(
        "rs => rs.map(r => [...r.children].map(c => c.textContent))")
    assert meta == [["added", "split", "", '"train"'], ["removed", "gone", "true", ""], ["changed", "rows", "1", "2"]]
    assert "1 added, 1 removed, 1 changed, 1 unchanged" in page.locator("[data-testid=diff-summary]").text_content()
    # From v0's page, the other way round.
    page.goto(f"/local/{project}/artifacts/data/v0")
    page.wait_for_selector("[data-testid=diff-files] tbody tr[data-change]")
    assert page.locator("[data-testid=diff-base]").input_value() == "v1"
    rows = page.locator("[data-testid=diff-files] tbody tr").evaluate_all("rs => rs.map(r => r.dataset.change)")
    assert rows == ["added", "removed", "changed"]
    assert page.locator("[data-testid=diff-files] tr[data-change=added] td").nth(1).text_content() == "old.txt"


def test_a_version_linked_into_the_registry_shows_the_registered_model(web_server: ServerProcess, new_page: Any) -> None:
    project = chain(web_server)
    p = f"local/{project}"
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {web_server.api_key}"
    name = f"reg-{project}"
    s.post(f"{web_server.url}/api/v1/orgs/local/registry/{name}",
           json={"artifact": f"{p}/model:v0", "aliases": ["production"]}).raise_for_status()
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/{p}/artifacts/model/v0")
    node_id = f"registry:local/registry/{name}:v0"
    node = page.locator(f"[data-testid=lineage-node][data-id='{node_id}']")
    node.wait_for()
    assert node.get_attribute("data-kind") == "registry"
    assert (f"artifact:{p}/model:v0", node_id, "linked") in graph(page)[1]
    assert node.locator(".lineage-sub").text_content() == "registry · production"
    model = page.locator(f"[data-testid=lineage-node][data-id='artifact:{p}/model:v0']")
    assert node.bounding_box()["x"] > model.bounding_box()["x"]  # drawn after the version it links
    node.click()
    page.wait_for_url(f"**/local/-/registry/{name}/")
