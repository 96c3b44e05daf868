"""Media panels in Chromium: image grid with a step slider, boxes, masks and failures;
histograms over time; players; tables; Plotly; sandboxed HTML; the workspace side by side."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in
from tests.web.media_seed import (
    log_histograms,
    mask_png,
    media_rows_create,
    png,
    project_create,
    run_url,
    upload,
    wav,
    webm,
)

pytestmark = [pytest.mark.server, pytest.mark.browser]

XSS = '<img src=x onerror="window.__xss=1">'
COLORS = [(220, 40, 40), (40, 160, 60), (40, 80, 220)]


def seed_images(server: ServerProcess, project: str, s: requests.Session, run: str = "r1", steps: tuple[int, ...] = (0, 10, 20)) -> None:
    url = run_url(server, project, run)
    s.put(url, json={"name": f"run {run}"}).raise_for_status()
    upload(s, url, "media/mask.png", mask_png(40, 30))
    rows = []
    for step in steps:
        for i in range(3):
            path = f"media/samples/{step}_{i}.png"
            upload(s, url, path, png(40, 30, COLORS[i]))
            meta: dict[str, Any] = {"boxes": [{"box": [4, 4, 20, 15], "label": f"cat {XSS}", "score": 0.9}]}  # the agent's form
            if i == 1:
                meta = {"boxes": {"predictions": {"box_data": [{"position": {"minX": 0.5, "maxX": 0.9, "minY": 0.1, "maxY": 0.6},
                                                                "class_id": 2}], "class_labels": {"2": "dog"}}},
                        "masks": {"seg": {"path": "media/mask.png"}}}
            rows.append({"key": "samples", "step": step, "index": i, "kind": "image", "path": path,
                         "caption": f"step {step} #{i} {XSS}", "meta": meta, "status": "ready", "width": 40, "height": 30,
                         "content_type": "image/png", "thumb": COLORS[i]})
    rows[-1].update(status="failed", error="Refused: the bytes are an SVG document, not a PNG", thumb=None)
    media_rows_create(server, project, run, rows)


def signed_in(web_server: ServerProcess, new_page: Any) -> Any:
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    return page


def test_the_image_grid_steps_through_captions_boxes_masks_and_failures(web_server: ServerProcess, new_page: Any) -> None:
    project, s = project_create(web_server)
    seed_images(web_server, project, s)
    page = signed_in(web_server, new_page)
    page.goto(f"/local/{project}/runs/r1#charts")
    panel = page.locator("[data-testid=media-panel][data-key=samples]")
    panel.locator("[data-testid=media-item] >> nth=2").wait_for()
    assert panel.get_attribute("data-step") == "20"
    assert panel.locator("[data-testid=media-step]").text_content() == "step 20"
    captions = panel.locator("[data-testid=media-caption]").all_text_contents()
    assert captions == [f"step 20 #0 {XSS}", f"step 20 #1 {XSS}", f"step 20 #2 {XSS}"]
    # The failed one says why, as text.
    assert "Refused: the bytes are an SVG document" in panel.locator("[data-testid=media-failed]").text_content()
    # Thumbnails load; boxes are drawn over them, labels as text; the mask is coloured in.
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=media-panel] img.media-img')]
        .every((i) => i.complete && i.naturalWidth === 64)""")
    assert panel.locator("[data-testid=media-boxes] rect").count() == 2
    assert panel.locator(".media-box-label").all_text_contents() == [f"cat {XSS} 0.9", "dog"]
    dog = panel.locator("[data-testid=media-boxes] rect").nth(1)
    assert [dog.get_attribute(a) for a in ("x", "y", "width", "height")] == ["50", "10", "40", "50"]
    page.wait_for_selector("[data-testid=media-mask][data-drawn='1']")
    painted = page.evaluate("""() => { const c = document.querySelector('[data-testid=media-mask]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return [d[3], d[(c.height - 1) * c.width * 4 + (c.width - 1) * 4 + 3]]; }""")
    assert painted[0] > 0 and painted[1] == 0  # class 1 coloured, class 0 clear

    # The slider pages through steps: Home goes to the first.
    panel.locator("[data-testid=media-slider]").press("Home")
    page.wait_for_selector("[data-testid=media-panel][data-key=samples][data-step='0']")
    assert panel.locator("[data-testid=media-caption]").first.text_content() == f"step 0 #0 {XSS}"
    assert panel.locator("[data-testid=media-failed]").count() == 0
    panel.locator("[data-testid=media-slider]").press("ArrowRight")
    page.wait_for_selector("[data-testid=media-panel][data-key=samples][data-step='10']")

    # No HTML from the run was parsed, and Plotly is not loaded without a Plotly panel.
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("typeof window.Plotly") == "undefined"
    assert page.locator("img[src=x]").count() == 0


def test_histograms_over_time_draw_on_a_canvas(web_server: ServerProcess, new_page: Any) -> None:
    project, s = project_create(web_server)
    url = run_url(web_server, project, "r1")
    s.put(url, json={}).raise_for_status()
    log_histograms(s, url, "weights", 1000)
    page = signed_in(web_server, new_page)
    page.goto(f"/local/{project}/runs/r1#charts")
    view = page.locator("[data-testid=histogram-panel][data-key=weights] .hist-view[data-drawn-at]")
    view.wait_for()
    assert view.get_attribute("data-steps") == "1000" and view.get_attribute("data-bins") == "64"
    assert float(view.get_attribute("data-draw-ms") or "1e9") < 500
    coloured = page.evaluate("""() => { const c = document.querySelector('[data-testid=histogram-canvas]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !(d[i] > 240 && d[i + 1] > 240 && d[i + 2] > 240) && d[i + 2] > d[i + 1] - 60) n++;
        return n / (c.width * c.height); }""")
    assert coloured > 0.05
    # The value axis reads round numbers at round steps (it read the edges' quarters: 0.5426).
    ticks = page.get_attribute("[data-testid=histogram-canvas]", "data-y-ticks").split()
    steps = {round(float(b) - float(a), 9) for a, b in zip(ticks, ticks[1:])}
    assert len(ticks) >= 3 and len(steps) == 1, ticks
    assert re.fullmatch(r"[125]0*(\.0+)?|0\.0*[125]", f"{steps.pop():g}".rstrip("0").rstrip(".") or "0"), ticks
    assert all(len(t.split(".")[-1]) <= 2 or "e" in t for t in ticks), ticks
    # Hovering names the cell as text.
    page.locator("[data-testid=histogram-canvas]").scroll_into_view_if_needed()
    box = page.locator("[data-testid=histogram-canvas]").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.locator(".hist-tip").text_content().startswith("step ")


TABLE = {"columns": ["name", "score", "picture"], "data": [
    ["bravo", 2.5, {"_type": "image", "path": "media/cells/0.png"}],
    ["alpha", 10, {"_type": "image", "path": "media/cells/1.png"}],
    [XSS, -1, {"_type": "image", "path": "../../../../secret/files/x.png"}],  # not a file of the run: text
]}
FIGURE = {"data": [{"type": "scatter", "x": [1, 2, 3], "y": [3, 1, 2], "name": "trace"}], "layout": {"title": {"text": "figure"}}}
HOSTILE_HTML = b"""<!doctype html><html><body><div id="x">waiting</div><script>
document.getElementById("x").textContent = "script ran";
let blocked = [];
try { parent.document.body.setAttribute("data-pwned", "1"); } catch (e) { blocked.push("dom"); }
try { document.cookie; } catch (e) { blocked.push("cookie"); }
try { localStorage.length; } catch (e) { blocked.push("storage"); }
document.body.append(" blocked: " + blocked.join(","));
</script></body></html>"""


def test_players_tables_plotly_and_sandboxed_html(web_server: ServerProcess, new_page: Any) -> None:
    project, s = project_create(web_server)
    url = run_url(web_server, project, "r1")
    s.put(url, json={}).raise_for_status()
    files = {"media/clip.webm": webm(), "media/tone.wav": wav(), "media/table.json": json.dumps(TABLE).encode(),
             "media/fig.json": json.dumps(FIGURE).encode(), "media/panel.html": HOSTILE_HTML,
             "media/cells/0.png": png(20, 20, COLORS[0]), "media/cells/1.png": png(20, 20, COLORS[1])}
    for path, data in files.items():
        upload(s, url, path, data)
    common = {"step": 3, "index": 0, "status": "ready"}
    media_rows_create(web_server, project, "r1", [
        {**common, "key": "rollout", "kind": "video", "path": "media/clip.webm", "caption": "a clip", "meta": {"fps": 10}},
        {**common, "key": "speech", "kind": "audio", "path": "media/tone.wav", "meta": {"sample_rate": 8000}},
        {**common, "key": "preds", "kind": "table", "path": "media/table.json"},
        {**common, "key": "plot", "kind": "plotly", "path": "media/fig.json"},
        {**common, "key": "custom", "kind": "html", "path": "media/panel.html"},
    ])
    media_rows_create(web_server, project, "r1", [  # the table's image cells, as the worker leaves them
        {**common, "key": "preds", "kind": "image", "path": "media/cells/0.png", "table_path": "media/table.json",
         "thumb": COLORS[0], "meta": {"row": 0, "col": 2}},
        {**common, "key": "preds", "kind": "image", "path": "media/cells/1.png", "table_path": "media/table.json",
         "status": "failed", "error": "Refused: <b>SVG</b> or HTML markup", "meta": {"row": 1, "col": 2}},
    ])
    page = signed_in(web_server, new_page)
    page.goto(f"/local/{project}/runs/r1#charts")
    page.locator("[data-testid=media-panel][data-key=custom] [data-testid=media-html]").wait_for()

    # Players load their files.
    for kind in ("video", "audio"):
        page.wait_for_function(f"() => {{ const m = document.querySelector('[data-testid=media-{kind}]'); return m && m.readyState >= 1 && m.duration > 0; }}")
    assert page.locator("[data-testid=media-video]").get_attribute("src").endswith("/files/media/clip.webm")

    # The table sorts, filters, shows image cells and shows HTML as text.
    table = page.locator("[data-testid=media-panel][data-key=preds]")
    table.locator("[data-testid=media-table] tbody tr >> nth=2").wait_for()
    first_names = lambda: table.locator("tbody tr td:first-child").all_text_contents()  # noqa: E731
    assert first_names() == ["bravo", "alpha", XSS]
    table.locator("th[data-col='1']").click()  # score, ascending
    assert first_names() == [XSS, "bravo", "alpha"]
    table.locator("th[data-col='1']").click()
    assert first_names() == ["alpha", "bravo", XSS]
    table.locator("[data-testid=media-table-filter]").fill("alp")
    assert first_names() == ["alpha"]
    assert table.locator("[data-testid=media-table-count]").text_content() == "1 of 3 rows"
    table.locator("[data-testid=media-table-filter]").fill("")
    # A cell shows its thumbnail (64 px wide, the file is 20); a refused cell its reason, as text.
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=media-cell-img]')]
        .filter((i) => i.complete && i.naturalWidth === 64).length === 1""")
    assert table.locator("[data-testid=media-cell-img]").count() == 1
    assert re.search(r"/runs/r1/media/\d+/thumbnail$", table.locator("[data-testid=media-cell-img]").get_attribute("src") or "")
    assert table.locator("[data-testid=media-cell-error]").text_content() == "Refused: <b>SVG</b> or HTML markup"
    assert "[image] ../../../../secret/files/x.png" in table.locator("tbody").text_content()

    # Plotly is fetched once a Plotly panel exists, and draws the trace.
    page.wait_for_selector("[data-testid=media-plotly][data-drawn='1'] .main-svg .scatterlayer .trace")
    assert page.evaluate("typeof window.Plotly") == "object"

    # The HTML panel runs its script in a sandbox that cannot touch this page.
    frame = page.locator("[data-testid=media-html]")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    inner = page.frame_locator("[data-testid=media-html]")
    assert inner.locator("#x").text_content() == "script ran"
    assert "blocked: dom,cookie,storage" in inner.locator("body").text_content()
    assert page.evaluate("document.body.dataset.pwned") is None


def test_the_workspace_shows_a_key_side_by_side_and_histograms_per_run(web_server: ServerProcess, new_page: Any) -> None:
    project, s = project_create(web_server)
    seed_images(web_server, project, s, "a", (0, 10, 20))
    seed_images(web_server, project, s, "b", (5, 15))
    log_histograms(s, run_url(web_server, project, "a"), "weights", 50)
    log_histograms(s, run_url(web_server, project, "b"), "weights", 80)
    page = signed_in(web_server, new_page)
    page.goto(f"/local/{project}/")
    cols = page.locator("[data-testid=ws-media-col]")
    cols.nth(1).locator("[data-testid=media-item] >> nth=0").wait_for()
    steps = {c.get_attribute("data-run"): c.get_attribute("data-step") for c in cols.all()}
    assert steps == {"a": "20", "b": "15"}
    # One toggle per box and mask group over both runs' images: switching one off hides it in every column.
    toggles = page.locator("#workspace-media [data-testid=overlay-toggle]")
    assert [t.get_attribute("data-overlay") for t in toggles.all()] == ["box:", "box:predictions", "mask:seg"]
    assert page.locator("#workspace-media [data-testid=media-class]").all_text_contents() == ["dog"]
    dogs = page.locator("#workspace-media rect[data-overlay='box:predictions']")
    assert dogs.count() == 2
    page.locator("#workspace-media [data-testid=overlay-toggle][data-overlay='box:predictions']").uncheck()
    assert dogs.evaluate_all("rs => rs.map((r) => getComputedStyle(r).display)") == ["none", "none"]
    assert page.locator("#workspace-media rect[data-overlay='box:']").first.evaluate("(r) => getComputedStyle(r).display") != "none"
    page.locator("#workspace-media [data-testid=media-slider]").press("Home")
    page.wait_for_selector("[data-testid=ws-media-col][data-run=a][data-step='0']")
    assert page.locator("[data-testid=ws-media-col][data-run=b] [data-testid=media-item]").count() == 0  # nothing before step 5
    page.locator("#workspace-media [data-testid=media-slider]").press("ArrowRight")  # step 5
    page.wait_for_selector("[data-testid=ws-media-col][data-run=b][data-step='5']")
    page.select_option("[data-testid=ws-media-key]", "weights")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=ws-histogram-col] .hist-view[data-drawn-at]').length === 2")
    assert sorted(page.locator("[data-testid=ws-histogram-col] .hist-view").evaluate_all("vs => vs.map(v => v.dataset.steps)")) == ["50", "80"]


def test_public_media_is_readable_anonymously_and_private_media_is_not(web_server: ServerProcess, new_page: Any) -> None:
    public, s = project_create(web_server, "public")
    seed_images(web_server, public, s)
    page = new_page(web_server.url)
    page.goto(f"/local/{public}/runs/r1#charts")
    page.locator("[data-testid=media-panel] [data-testid=media-item] >> nth=2").wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('img.media-img')].every((i) => i.complete && i.naturalWidth > 0)")

    private, s2 = project_create(web_server, "private")
    seed_images(web_server, private, s2)
    items = s2.get(f"{run_url(web_server, private, 'r1')}/media", params={"key": "samples"}).json()["results"]
    for path in (items[0]["thumbnail_url"], items[0]["file_url"], f"/api/v1/projects/local/{private}/runs/r1/media?key=samples"):
        assert requests.get(web_server.url + path).status_code == 404
    assert page.goto(f"/local/{private}/runs/r1").status == 404
