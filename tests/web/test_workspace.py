"""The project workspace as a reader sees it: sections by key prefix, whole titles,
a legend per panel, one menu per panel, panels of several keys, groups drawn as a
mean and band, colours that stay with their runs, and panels across runs."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest

from tests.serverproc import ServerProcess
from tests.web.test_charts import wait_chart
from tests.web.test_runs_table import Api, project_create, signed_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

KEYS = ["epoch", "train/loss", "train/acc", "val/loss", "val/acc"]
LONG = "a-run-with-a-name-far-too-long-for-a-legend-of-a-small-panel"
RUNS = {  # id: (name, config, offset of its values)
    "w-a": ("short", {"opt": "adam", "lr": 0.1}, 0.0),
    "w-b": (LONG, {"opt": "adam", "lr": 0.01}, 1.0),
    "w-c": ("third", {"opt": "sgd", "lr": 0.001}, 2.0),
    "w-d": ("fourth", {"opt": "sgd", "lr": 0.003}, 4.0),
}
STEPS = 20


def value(key: str, step: int, offset: float) -> float:
    return KEYS.index(key) * 10 + step + offset


def seed(server: ServerProcess) -> tuple[str, Api]:
    slug, api = project_create(server)
    for run_id, (name, config, offset) in RUNS.items():
        api("PUT", f"/runs/{run_id}", json={"name": name, "config": config, "summary": {"loss": offset, "acc": 1 - offset / 10}})
        api("POST", f"/runs/{run_id}/streams/history", json={"offset": 0, "records": [
            {"step": s, "time": 1_700_000_000.0 + s, "data": {k: value(k, s, offset) for k in KEYS}} for s in range(STEPS)]})
    return slug, api


@pytest.fixture(scope="module")
def project(web_server: ServerProcess) -> tuple[str, Api]:
    return seed(web_server)


def saved_layout(api: Api, until: Any, timeout: float = 10.0) -> Any:
    """The saved workspace once `until(layout)` holds (the page saves 400 ms after a change)."""
    deadline = time.monotonic() + timeout
    while True:
        layout = api("GET", "/workspace")
        if until(layout) or time.monotonic() > deadline:
            return layout
        time.sleep(0.2)


def sections(page: Any) -> list[list[Any]]:
    return page.eval_on_selector_all(
        "[data-testid=section]", "ss => ss.map(s => [s.dataset.section, !s.classList.contains('closed')])")


def charted(page: Any) -> list[str]:
    return sorted(page.evaluate("(window.cairnCharts || []).map(c => c.key)"))


def open_section(page: Any, name: str) -> None:
    page.click(f"[data-testid=section][data-section='{name}'] [data-testid=section-toggle]")


def test_sections_by_prefix_only_the_first_drawn_and_opened_ones_remembered(
    web_server: ServerProcess, new_page: Any
) -> None:
    slug, api = seed(web_server)  # its own: the saved layout changes
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    wait_chart(page, "epoch")
    assert sections(page) == [["", True], ["train", False], ["val", False]]
    assert page.text_content("[data-section=''] .ws-section-name") == "Charts"
    assert charted(page) == ["epoch"]  # the closed sections' panels are not even made
    open_section(page, "train")
    wait_chart(page, "train/loss")
    assert charted(page) == ["epoch", "train/acc", "train/loss"]
    # Their titles can be told apart: whole, and whole on hover too.
    titles = page.eval_on_selector_all(
        "[data-section=train] [data-testid=panel-title]", "ts => ts.map(t => [t.textContent, t.title, t.scrollWidth <= t.clientWidth + 1])")
    assert sorted(titles) == [["train/acc", "train/acc", True], ["train/loss", "train/loss", True]]
    open_section(page, "")
    page.wait_for_function("() => !(window.cairnCharts || []).some(c => c.key === 'epoch')")
    assert saved_layout(api, lambda w: w["sections"] == {"train": True, "": False})["sections"] == {"train": True, "": False}
    # Another browser: the saved layout. This one: the same after a reload.
    page.reload()
    wait_chart(page, "train/loss")
    assert sections(page) == [["", False], ["train", True], ["val", False]]


def test_each_panel_has_a_legend_and_one_menu(web_server: ServerProcess, new_page: Any, project: tuple[str, Api]) -> None:
    slug, _ = project
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    wait_chart(page, "epoch")
    panel = page.locator("[data-testid=panel][data-key=epoch]")
    legend = panel.locator("[data-testid=chart-legend] .chart-legend-item")
    page.wait_for_function("() => document.querySelectorAll('[data-key=epoch] .chart-legend-item').length === 4")
    names = legend.evaluate_all("items => items.map(i => [i.textContent, i.title])")
    assert sorted(n for n, _ in names) == sorted(name for name, _, _ in RUNS.values())
    long = panel.locator(f".chart-legend-item[title='{LONG}'] .chart-legend-name")
    assert long.evaluate("n => n.scrollWidth > n.clientWidth")  # cut short, whole on hover
    # The legend's colours are the runs' own (the table's eyes show the same).
    swatches = dict(legend.evaluate_all("items => items.map(i => [i.dataset.run, i.firstChild.style.backgroundColor])"))
    assert swatches == {run_id: rgb(c) for run_id, c in colours(page).items()}
    # The head holds the title and one menu button; the options are in the menu.
    assert panel.locator(".panel-head select:visible, .panel-head input:visible").count() == 0
    assert not panel.locator("[data-testid=panel-x]").is_visible()
    panel.locator("[data-testid=panel-menu]").click()
    for testid in ("panel-x", "panel-smoothing", "panel-log", "panel-keys-input", "panel-remove"):
        assert panel.locator(f"[data-testid={testid}]").is_visible(), testid
    page.keyboard.press("Escape")
    assert not panel.locator("[data-testid=panel-x]").is_visible()


def rgb(hex_colour: str) -> str:
    n = int(hex_colour[1:], 16)
    return f"rgb({n >> 16}, {(n >> 8) & 255}, {n & 255})"


def series_names(page: Any, key: str) -> list[str]:
    return page.evaluate(
        "key => { const c = window.cairnCharts.find(c => c.key === key); return c.u.series.slice(1).filter((s, i) => i % 3 === 0).map(s => s.label); }", key)


def test_a_panel_of_several_keys_or_a_regex(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = seed(web_server)
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    wait_chart(page, "epoch")
    pid = page.get_attribute("[data-testid=panel][data-key=epoch]", "data-panel-id")
    panel = page.locator(f"[data-panel-id='{pid}']")
    panel.locator("[data-testid=panel-menu]").click()
    panel.locator("[data-testid=panel-keys-input]").fill("/loss$/")
    panel.locator("[data-testid=panel-keys-apply]").click()
    assert panel.locator("[data-testid=panel-title]").text_content() == "/loss$/"
    # It draws in the section of its prefix (none here), every run's line of each matching key.
    page.wait_for_function("() => window.cairnCharts.some(c => c.key === '/loss$/' && c.u && c.u.series.length === 1 + 3 * 8)")
    assert sorted(series_names(page, "/loss$/")) == sorted(f"{n} · {k}" for n, _, _ in RUNS.values() for k in ("train/loss", "val/loss"))
    # A list of keys, and the drawn values are each key's.
    panel.locator("[data-testid=panel-keys-input]").fill("train/acc, val/acc")
    panel.locator("[data-testid=panel-keys-apply]").click()
    # Now in the "train" section, opened to show it.
    page.wait_for_function("() => window.cairnCharts.some(c => c.key === 'train/acc' && c.u && c.u.series.length === 1 + 3 * 8)")
    assert page.get_attribute(f"[data-section=train] [data-panel-id='{pid}']", "data-key") == "train/acc"
    assert panel.locator("[data-testid=panel-title]").text_content() == "train/acc, val/acc"
    if not panel.locator("[data-testid=panel-keys-input]").is_visible():
        panel.locator("[data-testid=panel-menu]").click()
    # A bad regex is said, not saved.
    panel.locator("[data-testid=panel-keys-input]").fill("/(/")
    panel.locator("[data-testid=panel-keys-apply]").click()
    assert "Not a regular expression" in panel.locator("[data-testid=panel-keys-error]").text_content()
    layout = saved_layout(api, lambda w: any(p.get("keys") for p in w["panels"]))
    assert [(p["key"], p["keys"]) for p in layout["panels"] if p.get("keys")] == [("train/acc", ["train/acc", "val/acc"])]
    assert layout["hidden"] == ["epoch"]  # its own panel is gone: no automatic one comes back


def test_grouped_runs_are_drawn_as_a_mean_and_band(web_server: ServerProcess, new_page: Any, project: tuple[str, Api]) -> None:
    slug, _ = project
    page = signed_in(web_server, new_page, f"/local/{slug}/?group=config.opt")
    page.wait_for_selector("tr.rt-group")
    page.wait_for_function(
        "() => window.cairnCharts.some(c => c.key === 'epoch' && c.u && c.u.series.slice(1).filter((s, i) => i % 3 === 0).map(s => s.label).join() === 'adam,sgd')")
    data = page.evaluate("() => { const c = window.cairnCharts.find(c => c.key === 'epoch'); return c.u.data; }")
    xs = data[0]
    for i, opt in enumerate(("adam", "sgd")):
        offsets = [o for _, c, o in RUNS.values() if c["opt"] == opt]
        mean, lo, hi = data[1 + 3 * i], data[2 + 3 * i], data[3 + 3 * i]
        for j in (0, 7, STEPS - 1):
            assert xs[j] == j
            assert mean[j] == pytest.approx(statistics.mean(value("epoch", j, o) for o in offsets))
            assert (lo[j], hi[j]) == (pytest.approx(value("epoch", j, min(offsets))), pytest.approx(value("epoch", j, max(offsets))))
    assert "2 groups shown" in page.text_content("[data-testid=workspace]")
    legend = page.locator("[data-key=epoch] .chart-legend-name").all_text_contents()
    assert legend == ["adam", "sgd"]


def colours(page: Any) -> dict[str, str]:
    return {r["id"]: r["color"] for r in page.evaluate(
        "import('/static/cairn/selection.js').then((m) => m.selection.get())")}


def test_a_run_keeps_its_colour_whatever_the_order(web_server: ServerProcess, new_page: Any, project: tuple[str, Api]) -> None:
    slug, _ = project
    page = signed_in(web_server, new_page, f"/local/{slug}/?order=name")
    page.wait_for_function("() => import('/static/cairn/selection.js').then((m) => m.selection.get().length === 4)")
    by_name = colours(page)
    assert len(set(by_name.values())) == 4
    page.goto(f"/local/{slug}/?order=-name")
    page.wait_for_selector("[data-testid=runs-grid]")
    page.wait_for_function("() => import('/static/cairn/selection.js').then((m) => m.selection.get().length === 4)")
    assert colours(page) == by_name
    # The chart draws each run in its colour.
    wait_chart(page, "epoch")
    strokes = page.evaluate(
        "() => { const c = window.cairnCharts.find(c => c.key === 'epoch'); return c.chart.runs.map(r => [r.id, r.color]); }")
    assert dict(strokes) == by_name


def test_scatter_parallel_and_importance_panels(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = seed(web_server)
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    wait_chart(page, "epoch")
    page.select_option("[data-testid=add-panel-type]", "line")
    offered = page.locator("[data-testid=add-panel-key] option").all_text_contents()
    assert "config.lr" not in offered and "epoch" in offered
    page.select_option("[data-testid=add-panel-type]", "scatter")
    page.wait_for_selector("[data-testid=add-panel-key] option[value='config.lr']", state="attached")
    page.select_option("[data-testid=add-panel-key]", "config.lr")
    page.select_option("[data-testid=add-panel-key2]", "summary.loss")
    page.click("[data-testid=add-panel]")
    dots = page.locator("[data-testid=panel][data-type=scatter] svg circle[data-run]")
    dots.first.wait_for()
    assert sorted(dots.evaluate_all("cs => cs.map(c => c.dataset.run)")) == sorted(RUNS)
    page.select_option("[data-testid=add-panel-type]", "parallel")
    page.wait_for_selector("[data-testid=add-panel-key] option[value='config.opt']", state="attached")
    page.select_option("[data-testid=add-panel-key]", ["config.lr", "config.opt", "summary.loss"])
    page.click("[data-testid=add-panel]")
    lines = page.locator("[data-testid=panel][data-type=parallel] polyline[data-run]")
    lines.first.wait_for()
    assert lines.count() == len(RUNS)
    page.select_option("[data-testid=add-panel-type]", "importance")
    page.wait_for_selector("[data-testid=add-panel-key] option[value='summary.loss']", state="attached")
    page.select_option("[data-testid=add-panel-key]", "summary.loss")
    page.click("[data-testid=add-panel]")
    row = page.locator("[data-testid=panel-importance] tr[data-param=lr]")
    row.wait_for()
    # lr falls as the runs' loss rises: a negative correlation.
    assert float(row.locator("td").nth(1).text_content().split()[-1]) < 0
    layout = saved_layout(api, lambda w: len([p for p in w["panels"] if p.get("type")]) == 3)
    types = [p.get("type") for p in layout["panels"] if p.get("type")]
    assert types == ["scatter", "parallel", "importance"]


def test_a_panel_dragged_by_its_title_onto_another_takes_its_place(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = seed(web_server)  # its own: the saved layout changes
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    open_section(page, "train")
    wait_chart(page, "train/loss")
    order = "ps => ps.map(p => p.dataset.key)"
    before = page.eval_on_selector_all("[data-section=train] [data-testid=panel]", order)
    assert sorted(before) == ["train/acc", "train/loss"]
    first, second = before
    # The browser's own drag events, as a mouse drag makes them (one DataTransfer throughout).
    page.evaluate("""([from, to]) => {
        const head = document.querySelector(`[data-testid=panel][data-key='${from}'] .panel-head`);
        const target = document.querySelector(`[data-testid=panel][data-key='${to}']`);
        const dt = new DataTransfer();
        const fire = (el, type) => el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
        fire(head, "dragstart"); fire(target, "dragover"); fire(target, "drop"); fire(head, "dragend");
    }""", [second, first])
    page.wait_for_function(
        f"() => [...document.querySelectorAll('[data-section=train] [data-testid=panel]')].map(p => p.dataset.key)[0] === '{second}'")
    saved = saved_layout(api, lambda w: [p["key"] for p in w["panels"] if p["key"].startswith("train/")] == [second, first])
    assert [p["key"] for p in saved["panels"] if p["key"].startswith("train/")] == [second, first]
