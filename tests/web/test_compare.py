"""The compare page: runs side by side, differences highlighted, the diff of their code patches."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in
from tests.web.test_runs_table import XSS, Api, project_create

pytestmark = [pytest.mark.server, pytest.mark.browser]

PATCH_A = """diff --git a/train.py b/train.py
--- a/train.py
+++ b/train.py
@@ -1,3 +1,3 @@
 import torch
-lr = 0.1
+lr = 0.01
 model = Net()
"""
PATCH_B = PATCH_A.replace("+lr = 0.01", "+lr = 0.001") + f"+# {XSS}\n"


def upload(api: Api, run_id: str, path: str, body: bytes) -> None:
    api("PUT", f"/runs/{run_id}/files/{path}", data=body,
        headers={"X-Cairn-Sha256": hashlib.sha256(body).hexdigest(), "Content-Type": "application/octet-stream"})


def test_runs_side_by_side_with_differences_and_patch_diff(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    api("PUT", "/runs/a", json={"name": "first", "config": {"lr": 0.01, "bs": 32, "model": {"layers": 4}},
                                "summary": {"acc": 0.9}, "system": {"host": "gpu1", "git": {"commit": "abc1234", "branch": "main"}}})
    api("PUT", "/runs/b", json={"name": "second", "config": {"lr": 0.001, "bs": 32, "model": {"layers": 8}},
                                "summary": {"acc": 0.8}, "system": {"host": "gpu1", "git": {"commit": "def5678", "branch": "exp"}}})
    upload(api, "a", "code/diff.patch", PATCH_A.encode())
    upload(api, "b", "code/diff.patch", PATCH_B.encode())
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{slug}/compare/?runs=a,b")
    table = "[data-testid=compare-table]"
    assert page.get_attribute(f"{table} tbody[data-section=config] tr[data-key=lr]", "class") == "differ"
    assert page.get_attribute(f"{table} tbody[data-section=config] tr[data-key='model.layers']", "class") == "differ"
    assert page.get_attribute(f"{table} tbody[data-section=config] tr[data-key=bs]", "class") == "same"
    assert page.eval_on_selector(f"{table} tbody[data-section=config] tr[data-key=lr]",
                                 "tr => [...tr.cells].slice(1).map(c => c.textContent)") == ["0.01", "0.001"]
    assert page.is_visible(f"{table} tr[data-key=bs]")
    page.check("[data-testid=only-diff]")
    assert not page.is_visible(f"{table} tr[data-key=bs]")
    assert page.is_visible(f"{table} tr[data-key=lr]")
    commits = page.text_content("[data-testid=commits]")
    assert "abc1234" in commits and "def5678" in commits
    diff = page.locator("[data-testid=patch-diff] pre.diff")
    assert diff.locator(".d-del", has_text="+lr = 0.01").count() == 1
    assert diff.locator(".d-add", has_text="+lr = 0.001").count() == 1
    assert diff.locator(".d-add", has_text=XSS).count() == 1  # escaped, shown as text
    assert page.locator("img").count() == 0
    assert page.evaluate("typeof window.pwned") == "undefined"
    page.screenshot(path=str(web_server.data_dir / "compare.png"), full_page=True)


def test_a_run_without_a_patch_and_unknown_runs(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    api("PUT", "/runs/a", json={"config": {"lr": 1}})
    api("PUT", "/runs/b", json={"config": {"lr": 1}})
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{slug}/compare/?runs=a,b")
    assert "Neither run has a code patch" in page.text_content("[data-testid=patch-diff]")
    assert page.goto(f"/local/{slug}/compare/?runs=a,nope").status == 404
    page.goto(f"/local/{slug}/compare/?runs=a")
    assert page.is_visible("[data-testid=compare-empty]")


def test_the_compare_page_keeps_the_address_it_was_opened_with(web_server: ServerProcess, new_page: Any) -> None:
    # Its script rewrote "?runs=a,b" to "?runs=a%2Cb" as it loaded: a test waiting
    # for the address it had clicked to (test_runs_table) waited forever when the
    # page loaded before it looked. The address changes only when a choice does.
    slug, api = project_create(web_server)
    for run_id in ("a", "b"):
        api("PUT", f"/runs/{run_id}", json={"config": {"lr": 0.1 if run_id == "a" else 0.2}})
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{slug}/compare/?runs=a,b")
    page.wait_for_load_state("load")
    assert page.evaluate("location.search") == "?runs=a,b"
    page.wait_for_url("**/compare/?runs=a,b", timeout=2000)
    page.check("[data-testid=only-diff]")
    assert page.evaluate("location.search") == "?runs=a,b&diff=1"
    page.uncheck("[data-testid=only-diff]")
    assert page.evaluate("location.search") == "?runs=a,b"


def test_media_cells_are_thumbnails_the_page_fits_and_shared_metrics_are_overlaid(
    web_server: ServerProcess, new_page: Any
) -> None:
    from tests.web.media_seed import histogram, png

    slug, api = project_create(web_server)
    long_list = list(range(2000))  # printed whole, it made the page thousands of pixels wide
    for i, run_id in enumerate(("m1", "m2")):
        image = png(64, 48, (200, 40 * i, 10))
        path = f"media/image/best/0-0-{run_id}.png"
        api("PUT", f"/runs/{run_id}", json={"name": f"media-{run_id}", "config": {"widths": long_list, "lr": 0.1 * (i + 1)},
                                             "summary": {"best": {"_type": "image", "path": path, "width": 64, "height": 48,
                                                                  "sha256": hashlib.sha256(image).hexdigest(), "size": len(image)},
                                                         "weights": histogram(3, 32)}})
        upload(api, run_id, path, image)
        api("POST", f"/runs/{run_id}/streams/history", json={"offset": 0, "records": [
            {"step": s, "time": 1_700_000_000.0 + s, "data": {"loss": 1.0 / (s + 1 + i), "only_" + run_id: 1.0}} for s in range(30)]})
    for width in (1440, 390):
        page = new_page(web_server.url)
        page.set_viewport_size({"width": width, "height": 900})
        sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
        page.goto(f"/local/{slug}/compare/?runs=m1,m2")
        table = "[data-testid=compare-table]"
        best = page.locator(f"{table} tbody[data-section=summary] tr[data-key=best] td").nth(1)
        assert best.text_content().strip() == "image 64×48"
        thumb = best.locator("img.cmp-thumb")
        page.wait_for_function("(img) => img.complete && img.naturalWidth === 64", arg=thumb.element_handle())
        weights = page.locator(f"{table} tbody[data-section=summary] tr[data-key=weights] td").nth(1)
        assert weights.text_content().strip() == "histogram, 32 bins"
        widths = page.locator(f"{table} tbody[data-section=config] tr[data-key=widths] td").nth(1)
        assert len(widths.text_content()) <= 80 and widths.get_attribute("title").startswith("[0, 1, 2")
        page.wait_for_selector("[data-testid=compare-chart][data-key=loss] .u-over")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # The metric both logged, overlaid, one line a run; those only one logged are not charted.
        assert page.eval_on_selector_all("[data-testid=compare-chart]", "cs => cs.map(c => c.dataset.key)") == ["loss"]
        assert sorted(page.locator("[data-testid=compare-chart] .chart-legend-name").all_text_contents()) == ["media-m1", "media-m2"]
        series = page.evaluate("() => window.cairnCharts.find(c => c.key === 'loss').u.data.length")
        assert series == 1 + 3 * 2


def test_ten_runs_of_a_thousand_config_keys_side_by_side(web_server: ServerProcess, new_page: Any) -> None:
    # The floor (<= 500 ms) is measured by bench/workspace_bench.py; here, that the page holds them all.
    slug, api = project_create(web_server)
    ids = [f"k{i}" for i in range(10)]
    for i, run_id in enumerate(ids):
        api("PUT", f"/runs/{run_id}", json={"config": {f"param_{j:04d}": (j * i) % 7 for j in range(1000)}})
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{slug}/compare/?runs={','.join(ids)}")
    rows = page.locator("[data-testid=compare-table] tbody[data-section=config] tr[data-key]")
    assert rows.count() == 1000
    assert rows.nth(3).evaluate("tr => [...tr.cells].map(c => c.textContent)") == ["param_0003"] + [str((3 * i) % 7) for i in range(10)]
    assert page.get_attribute("[data-testid=compare-table] tr[data-key=param_0000]", "class") == "same"
    assert page.get_attribute("[data-testid=compare-table] tr[data-key=param_0001]", "class") == "differ"
    # Rows are laid out only as they near the screen (content-visibility): one far down, scrolled to,
    # has its cells under its runs' column headers.
    last = page.locator("[data-testid=compare-table] tr[data-key=param_0999]")
    last.scroll_into_view_if_needed()
    cells = last.evaluate("tr => [...tr.cells].map(c => Math.round(c.getBoundingClientRect().left))")
    heads = page.eval_on_selector("[data-testid=compare-table] thead tr", "tr => [...tr.cells].map(c => Math.round(c.getBoundingClientRect().left))")
    assert cells == heads and len(set(cells)) == 11
    assert last.evaluate("tr => tr.getBoundingClientRect().height") > 10
