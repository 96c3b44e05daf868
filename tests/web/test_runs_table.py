"""The runs table in the browser, against a real server seeded through the API."""

from __future__ import annotations

import csv
import io
import statistics
import subprocess
import sys
import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ROOT, ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

XSS = "<img src=x onerror=window.pwned=1>"
# The page's own selection: a module is one instance per URL, so importing it again reaches it.
SELECTION = "import('/static/cairn/selection.js').then((m) => m.selection)"
RUNS = [
    # id, config, summary, tags, finished
    ("r-a", {"lr": 0.1, "opt": "sgd", "bs": 32}, {"acc": 0.50, "loss": 1.2, "val/acc": 0.5}, ["base"], True),
    ("r-b", {"lr": 0.01, "opt": "adam", "bs": 64}, {"acc": 0.70, "loss": 0.8, "val/acc": 0.7}, [], True),
    ("r-c", {"lr": 0.001, "opt": "adam", "bs": 32}, {"acc": 0.90, "loss": 0.3, "val/acc": 0.9}, ["base"], True),
    ("r-d", {"lr": 0.003, "opt": "adam", "bs": 128}, {"acc": 0.65, "loss": 0.9}, [], False),
    ("r-e", {"lr": 0.03, "opt": "sgd", "bs": 64}, {"acc": 0.55, "loss": 1.1}, [], True),
]


class Api:
    def __init__(self, server: ServerProcess, project: str) -> None:
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {server.api_key}"
        self.base = f"{server.url}/api/v1/projects/{server.org}/{project}"

    def __call__(self, method: str, path: str, **kw: Any) -> Any:
        r = self.s.request(method, self.base + path, **kw)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None


def project_create(server: ServerProcess, visibility: str = "private") -> tuple[str, Api]:
    slug = f"tbl-{uuid.uuid4().hex[:8]}"
    r = requests.post(f"{server.url}/api/v1/orgs/{server.org}/projects",
                      json={"slug": slug, "visibility": visibility},
                      headers={"Authorization": f"Bearer {server.api_key}"})
    assert r.status_code == 201, r.text
    return slug, Api(server, slug)


def seed(api: Api) -> None:
    for run_id, config, summary, tags, finished in RUNS:
        api("PUT", f"/runs/{run_id}", json={"name": f"name-{run_id}", "config": config, "summary": summary,
                                             "tags": tags, "system": {"host": f"host-{run_id}"}})
        if finished:
            api("POST", f"/runs/{run_id}/finish", json={"exit_code": 0})
    api("PUT", "/table/view", json={"columns": ["state", "tags", "config.lr", "config.opt", "summary.acc", "summary.loss"]})


@pytest.fixture(scope="module")
def seeded(web_server: ServerProcess) -> tuple[str, Api]:
    slug, api = project_create(web_server)
    seed(api)
    return slug, api


def signed_in(web_server: ServerProcess, new_page: Any, path: str) -> Any:
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(path)
    page.wait_for_selector("[data-testid=runs-grid]")
    return page


def shown_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("tr[data-run]", "rows => rows.map(r => r.dataset.run)"))


def settle(page: Any) -> None:
    page.wait_for_function("() => !document.getElementById('runs-table').classList.contains('loading')")


def test_filtering_and_sorting_give_the_rows_the_api_gives(web_server: ServerProcess, new_page: Any, seeded: tuple[str, Api]) -> None:
    slug, api = seeded
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    assert shown_ids(page) == [r["id"] for r in api("GET", "/runs/")["results"]]
    flt = 'config.lr < 0.05 and not tags contains "nope"'
    page.fill("[data-testid=filter]", flt)
    page.press("[data-testid=filter]", "Enter")
    settle(page)
    page.click("th[data-col='summary.acc']")  # ascending
    settle(page)
    page.click("th[data-col='summary.acc']")  # descending
    settle(page)
    want = [r["id"] for r in api("GET", "/runs/", params={"filter": flt, "order": "-summary.acc"})["results"]]
    assert want == ["r-c", "r-b", "r-d", "r-e"]
    page.wait_for_function("ids => [...document.querySelectorAll('tr[data-run]')].map(r => r.dataset.run).join() === ids",
                           arg=",".join(want))
    # The state survives a reload: it is in the URL.
    page.reload()
    assert shown_ids(page) == want
    # The API's error text, inline.
    page.fill("[data-testid=filter]", "config.lr <")
    page.press("[data-testid=filter]", "Enter")
    page.wait_for_selector("[data-testid=filter-error]:not([hidden])")
    error = api.s.get(api.base + "/runs/", params={"filter": "config.lr <"}).json()["error"]
    assert error in page.text_content("[data-testid=filter-error]")
    # The rows of the earlier filter are gone: under the error they would read as its answer.
    assert shown_ids(page) == []
    assert page.text_content(".rt-empty") == "No runs shown: the filter above has an error."
    assert page.text_content("[data-testid=run-count]") == ""
    # A good filter brings rows back; a key the agent made of nested dicts needs no backquotes.
    page.fill("[data-testid=filter]", "summary.val/acc > 0.6")
    page.press("[data-testid=filter]", "Enter")
    page.wait_for_selector("[data-testid=filter-error]", state="hidden")
    assert shown_ids(page) == [r["id"] for r in api("GET", "/runs/", params={"filter": "summary.`val/acc` > 0.6"})["results"]]
    # Opened with a refused filter in its address, the page shows no rows either.
    page.goto(f"/local/{slug}/?filter=config.lr%20%3C")
    page.wait_for_selector("[data-testid=filter-error]:not([hidden])")
    assert shown_ids(page) == []


def test_the_charts_selection_follows_the_table_until_a_run_is_toggled(web_server: ServerProcess, new_page: Any, seeded: tuple[str, Api]) -> None:
    slug, api = seeded
    page = signed_in(web_server, new_page, f"/local/{slug}/?order=name")
    sel = page.evaluate(f"{SELECTION}.then((s) => s.get())")
    assert [s["id"] for s in sel] == ["r-a", "r-b", "r-c", "r-d", "r-e"]
    assert len({s["color"] for s in sel}) == 5 and sel[0]["name"] == "name-r-a"
    page.evaluate(f"{SELECTION}.then((s) => {{ window.changes = 0; s.addEventListener('change', () => window.changes++); }})")
    page.click("tr[data-run='r-b'] [data-testid=show-in-charts]")
    assert page.evaluate("window.changes") == 1
    assert [s["id"] for s in page.evaluate(f"{SELECTION}.then((s) => s.get())")] == ["r-a", "r-c", "r-d", "r-e"]
    # Checked runs compare.
    page.check("tr[data-run='r-a'] .rt-box")
    page.check("tr[data-run='r-c'] .rt-box")
    page.click("[data-testid=compare-button]")
    page.wait_for_url("**/compare/?runs=r-a,r-c")


def test_picked_columns_persist_for_everyone(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    seed(api)
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    page.click("[data-testid=columns-button]")
    page.fill("[data-testid=columns-search]", "bs")
    page.click("[data-testid=columns-available] button[data-col='config.bs']")
    page.wait_for_selector("th[data-col='config.bs']")
    page.click("[data-testid=columns-current] li[data-col='config.opt'] [data-testid=remove-column]")
    page.wait_for_selector("th[data-col='config.opt']", state="detached")
    page.reload()
    page.wait_for_selector("th[data-col='config.bs']")
    assert page.locator("th[data-col='config.opt']").count() == 0
    assert api("GET", "/table/view")["columns"] == ["state", "tags", "config.lr", "summary.acc", "summary.loss", "config.bs"]


def test_bulk_tag_and_delete(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    seed(api)
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    page.check("tr[data-run='r-a'] .rt-box")
    page.check("tr[data-run='r-b'] .rt-box")
    page.fill("[data-testid=bulk-tag-input]", "best")
    page.click("[data-testid=bulk-tag]")
    page.wait_for_selector("tr[data-run='r-b'] .rt-tag:text('best')")
    assert api("GET", "/runs/r-a")["tags"] == ["base", "best"]
    assert api("GET", "/runs/r-b")["tags"] == ["best"]
    page.once("dialog", lambda d: d.accept())
    page.click("[data-testid=bulk-delete]")
    page.wait_for_selector("tr[data-run='r-a']", state="detached")
    assert sorted(r["id"] for r in api("GET", "/runs/")["results"]) == ["r-c", "r-d", "r-e"]


def test_group_by_shows_mean_min_max_per_group(web_server: ServerProcess, new_page: Any, seeded: tuple[str, Api]) -> None:
    slug, _ = seeded
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    page.wait_for_selector("[data-testid=group-by] option[value='config.opt']", state="attached")
    page.select_option("[data-testid=group-by]", "config.opt")
    page.wait_for_selector("tr.rt-group")
    for opt in ("adam", "sgd"):
        accs = [s["acc"] for _, c, s, _, _ in RUNS if c["opt"] == opt]
        cell = page.locator(f"tr.rt-group[data-group='{opt}'] td[data-metric='summary.acc']")
        assert float(cell.get_attribute("data-mean")) == pytest.approx(statistics.mean(accs))
        assert float(cell.get_attribute("data-min")) == min(accs)
        assert float(cell.get_attribute("data-max")) == max(accs)
        assert page.text_content(f"tr.rt-group[data-group='{opt}'] [data-testid=group-count]") == str(len(accs))
    page.click("tr.rt-group[data-group='sgd']")
    page.wait_for_selector("tr.rt-inner")
    assert sorted(shown_ids(page)) == ["r-a", "r-e"]


def test_csv_export_is_the_filtered_table(web_server: ServerProcess, new_page: Any, seeded: tuple[str, Api]) -> None:
    slug, _ = seeded
    page = signed_in(web_server, new_page, f"/local/{slug}/?order=summary.acc")
    page.fill("[data-testid=filter]", 'config.opt = "adam"')
    page.press("[data-testid=filter]", "Enter")
    settle(page)
    with page.expect_download() as info:
        page.click("[data-testid=export-csv]")
    rows = list(csv.reader(io.StringIO(open(info.value.path()).read())))
    assert rows[0] == ["id", "name", "state", "tags", "config.lr", "config.opt", "summary.acc", "summary.loss"]
    want = sorted((r for r in RUNS if r[1]["opt"] == "adam"), key=lambda r: r[2]["acc"])
    assert rows[1:] == [
        [rid, f"name-{rid}", "finished" if done else "running", ";".join(tags), repr(c["lr"]), c["opt"],
         repr(s["acc"]), repr(s["loss"])]
        for rid, c, s, tags, done in want
    ]


def test_a_run_that_finishes_shows_it_without_a_reload(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    api("PUT", "/runs/live", json={"name": "live", "summary": {"acc": 0.1}})
    api("PUT", "/table/view", json={"columns": ["state", "summary.acc"]})
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    page.wait_for_selector("tr[data-run='live'] .state.running")
    page.evaluate("window.sameTable = document.querySelector('[data-testid=runs-grid] tbody')")
    api("PATCH", "/runs/live", json={"summary": {"acc": 0.75}})
    api("POST", "/runs/live/finish", json={"exit_code": 1})
    page.wait_for_selector("tr[data-run='live'] .state.failed", timeout=10_000)
    page.wait_for_selector("tr[data-run='live'] td:text('0.75')")
    assert page.evaluate("window.sameTable === document.querySelector('[data-testid=runs-grid] tbody')")


def test_a_run_started_after_the_page_loaded_joins_the_table(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    api("PUT", "/runs/old", json={"name": "old"})
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    page.wait_for_selector("tr[data-run='old']")
    api("PUT", "/runs/new", json={"name": "new"})
    page.wait_for_selector("tr[data-run='new']", timeout=10_000)
    assert shown_ids(page) == ["new", "old"]  # newest first, as the API orders them
    assert "2 runs" in page.inner_text("#runs-table")


def test_html_in_runs_is_shown_as_text(web_server: ServerProcess, new_page: Any) -> None:
    slug, api = project_create(web_server)
    api("PUT", "/runs/x1", json={"name": XSS, "tags": [XSS], "notes": XSS, "config": {"evil": XSS, XSS: 1},
                                 "summary": {"s": XSS}, "system": {"host": XSS}})
    api("PUT", "/runs/x2", json={"name": "plain", "config": {"evil": "ok"}})
    api("PUT", "/table/view", json={"columns": ["state", "tags", "notes", "host", "config.evil", "summary.s"]})
    page = signed_in(web_server, new_page, f"/local/{slug}/")
    assert page.text_content("tr[data-run='x1'] .rt-name") == XSS
    cells = page.eval_on_selector_all("tr[data-run='x1'] td", "tds => tds.map(t => t.textContent)")
    assert cells.count(XSS) == 6  # name, tags, notes, host, config.evil, summary.s
    page.click("[data-testid=columns-button]")
    page.wait_for_selector("[data-testid=columns-available] button")
    page.select_option("[data-testid=group-by]", "config.evil")
    page.wait_for_selector("tr.rt-group")
    page.goto(f"/local/{slug}/compare/?runs=x1,x2")
    assert XSS in page.text_content("[data-testid=compare-table]")
    assert page.locator("img").count() == 0
    assert page.evaluate("typeof window.pwned") == "undefined"


def cairn_user(server: ServerProcess, *args: str) -> str:
    out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "cairn_user", *args], env=server.env,
                         cwd=str(ROOT), capture_output=True, text=True, check=True)
    return out.stdout


def test_outsiders_get_404_and_anonymous_visitors_read_only(web_server: ServerProcess, new_page: Any, seeded: tuple[str, Api]) -> None:
    private, _ = seeded
    name = f"mallory{uuid.uuid4().hex[:6]}"
    cairn_user(web_server, name, "--password", "pw-mallory-1", "--org", f"evil-{name}")
    page = new_page(web_server.url)
    sign_in(page, name, "pw-mallory-1")
    assert page.goto(f"/local/{private}/").status == 404
    assert page.goto(f"/local/{private}/compare/?runs=r-a,r-b").status == 404

    public, api = project_create(web_server, "public")
    seed(api)
    anon = new_page(web_server.url)
    assert anon.goto(f"/local/{public}/").status == 200
    anon.wait_for_selector("tr[data-run='r-a']")
    anon.check("tr[data-run='r-a'] .rt-box")
    assert anon.is_visible("[data-testid=compare-button]")
    for action in ("bulk-tag", "bulk-untag", "bulk-delete"):
        assert anon.locator(f"[data-testid={action}]").count() == 0
    status = anon.evaluate(f"""async () => {{
        const put = await fetch('/api/v1/projects/local/{public}/table/view', {{method: 'PUT',
            headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify({{columns: ['state']}})}});
        const bulk = await fetch('/api/v1/projects/local/{public}/table/bulk', {{method: 'POST',
            headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify({{action: 'delete', runs: ['r-a']}})}});
        return [put.status, bulk.status];
    }}""")
    assert status == [401, 401]
    assert len(api("GET", "/runs/")["results"]) == 5
