"""The run page of a shared run (docs/protocol.md, Writers): its writers in the
overview, a system group per writer drawn when opened, console tabs per writer."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]

SYSTEM_KEYS = ["cpu.percent", "memory.percent", "gpu.0.util"]
DRAWN = "(prefix) => (window.cairnCharts || []).filter((c) => c.u && c.el.dataset.drawnAt && c.key.startsWith(prefix)).length"


def new_run(server: ServerProcess) -> tuple[str, str, requests.Session]:
    """A new project's name, the API URL of its run r1 (not made yet), and a session that may write."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    project = f"sr-{uuid.uuid4().hex[:6]}"
    assert s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": project}).ok
    return project, f"{server.url}/api/v1/projects/local/{project}/runs/r1", s


def rank_join(s: requests.Session, run: str, rank: int) -> None:
    """Rank `rank` joins the shared run on host gpu<rank> and sends its system metrics and two console lines."""
    label = f"rank-{rank}"
    s.put(run, json={"name": "ddp", "writer": {
        "id": label, "label": label, "host": f"gpu{rank:02d}", "pid": 100 + rank, "shared": True, "primary": rank == 0,
    }}).raise_for_status()
    s.post(f"{run}/streams/system", json={"offset": 0, "writer": label, "records": [
        {"time": 1_700_000_000 + 10 * i, "data": {k: 10.0 * rank + i for k in SYSTEM_KEYS}} for i in range(10)
    ]}).raise_for_status()
    s.post(f"{run}/streams/console", json={"offset": 0, "writer": label, "records": [
        {"time": 1_700_000_000 + i, "stream": "stdout", "line": f"hello {i} from {label}"} for i in range(2)
    ]}).raise_for_status()


def shared_run(server: ServerProcess, writers: int) -> tuple[str, str, requests.Session]:
    """A run of `writers` ranks on hosts gpu00.., each with system metrics and console lines; rank-1 has finished."""
    project, run, s = new_run(server)
    for rank in range(writers):
        rank_join(s, run, rank)
    s.post(f"{run}/streams/history", json={"offset": 0, "writer": "rank-0", "records": [
        {"step": i, "time": 1_700_000_000 + i, "data": {"loss": 1 / (i + 1)}} for i in range(20)
    ]}).raise_for_status()
    s.post(f"{run}/finish", json={"exit_code": 0, "writer": "rank-1"}).raise_for_status()
    return project, run, s


def test_a_shared_run_shows_each_writer_apart(web_server: ServerProcess, new_page: Any) -> None:
    project, run, s = shared_run(web_server, 3)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1")

    # The overview lists the writers, the primary marked.
    rows = page.locator("[data-testid=writer-row]")
    rows.nth(2).wait_for()
    assert page.text_content("[data-testid=writers-count]") == "3 writers, 2 running"
    assert [r.get_attribute("data-writer") for r in rows.all()] == ["rank-0", "rank-1", "rank-2"]
    first = [c.text_content() for c in rows.nth(0).locator("td").all()]
    assert first == ["rank-0 primary", "gpu00", "100", "running"]
    assert rows.nth(1).locator("td").nth(3).text_content() == "finished"

    # A group per writer, only the first open, its charts titled without the prefix, in the usual order.
    page.click("[data-testid=tab-system]")
    page.wait_for_function(f"() => ({DRAWN})('rank-0/') === 3")
    groups = page.locator("[data-testid=system-group]")
    assert groups.count() == 3
    assert [g.get_attribute("data-writer") for g in groups.all()] == ["rank-0", "rank-1", "rank-2"]
    assert [g.evaluate("(d) => d.open") for g in groups.all()] == [True, False, False]
    assert groups.nth(1).locator("summary").text_content() == "rank-1 · gpu01 3 charts"
    titles = groups.nth(0).locator(".panel-title").all_text_contents()
    assert titles == ["cpu.percent", "memory.percent", "gpu.0.util"]
    assert page.evaluate(f"({DRAWN})('')") == 4  # loss, and rank-0's three: the closed groups have no charts
    page.wait_for_timeout(300)
    assert page.evaluate(f"({DRAWN})('rank-1/')") == 0

    # Opening a group draws its charts, with its own data.
    groups.nth(1).locator("summary").click()
    page.wait_for_function(f"() => ({DRAWN})('rank-1/') === 3")
    cpu = page.evaluate("Array.from(window.cairnCharts.find((c) => c.key === 'rank-1/cpu.percent').u.data[1])")
    assert cpu == [10.0 + i for i in range(10)]

    # The console: every writer's lines, each marked; a tab reads one writer's.
    page.click("[data-testid=tab-logs]")
    console = page.locator("[data-testid=console] .line")
    console.nth(5).wait_for()
    assert console.count() == 6
    assert console.nth(0).locator(".console-writer").text_content() == "rank-0"
    tabs = page.locator("[data-testid=console-tab]")
    assert tabs.all_text_contents() == ["All", "rank-0", "rank-1", "rank-2"]
    tabs.nth(2).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=console] .line')].map((l) => l.textContent).join('|')"
        " === 'hello 0 from rank-1|hello 1 from rank-1'"
    )
    assert tabs.nth(2).get_attribute("aria-selected") == "true"
    tabs.nth(0).click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=console] .line').length === 6")

    # The run is live: a rank that joins later gets its row, its group (closed) and its tab at the next refresh.
    rank_join(s, run, 10)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=console] .line').length === 8")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=system-group]').length === 4")
    page.wait_for_selector("[data-testid=writers-count]:text-is('4 writers, 3 running')", state="attached")
    assert [g.get_attribute("data-writer") for g in groups.all()] == ["rank-0", "rank-1", "rank-2", "rank-10"]
    assert groups.nth(3).evaluate("(d) => d.open") is False
    assert tabs.all_text_contents() == ["All", "rank-0", "rank-1", "rank-2", "rank-10"]
    assert page.evaluate(f"({DRAWN})('rank-10/')") == 0


def test_a_run_that_is_not_shared_keeps_one_system_grid_and_one_console(web_server: ServerProcess, new_page: Any) -> None:
    project, run, s = new_run(web_server)
    # One writer, not shared: its keys are its own, unprefixed.
    s.put(run, json={"writer": {"id": "w1", "host": "gpu01"}}).raise_for_status()
    s.post(f"{run}/streams/system", json={"offset": 0, "writer": "w1", "records": [
        {"time": 1_700_000_000 + i, "data": {"cpu.percent": 1.0 * i, "memory.percent": 2.0}} for i in range(5)
    ]}).raise_for_status()
    s.post(f"{run}/streams/console", json={"offset": 0, "writer": "w1", "records": [
        {"time": 1_700_000_000, "stream": "stdout", "line": "only line"}
    ]}).raise_for_status()
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1#logs")
    page.wait_for_function(f"() => ({DRAWN})('') === 2")
    page.locator("[data-testid=console] .line").first.wait_for()
    assert page.locator("[data-testid=system-charts] [data-testid=panel]").count() == 2
    assert page.locator("[data-testid=system-group]").count() == 0
    assert page.locator("[data-testid=console-tab]").count() == 0
    assert page.locator("[data-testid=writers-count]").is_hidden()
    assert page.locator("[data-testid=console] .line").all_text_contents() == ["only line"]


def test_a_writers_tab_shows_its_last_lines_and_earlier_ones_on_request(web_server: ServerProcess, new_page: Any) -> None:
    project, run, s = new_run(web_server)
    for rank in (0, 1):
        s.put(run, json={"writer": {"id": f"rank-{rank}", "label": f"rank-{rank}", "shared": True}}).raise_for_status()

    def lines(rank: int, start: int, n: int) -> None:
        s.post(f"{run}/streams/console", json={"offset": start, "writer": f"rank-{rank}", "records": [
            {"time": 1_700_000_000, "stream": "stdout", "line": f"r{rank} {i}"} for i in range(start, start + n)
        ]}).raise_for_status()

    # rank-1's 5,100 lines in two batches, rank-0's before and between them: where its last 5,000
    # begin is neither 5,000 before the run's end nor 100 lines into the run.
    lines(0, 0, 300)
    lines(1, 0, 2_600)
    lines(0, 300, 100)
    lines(1, 2_600, 2_500)
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto(f"/local/{project}/runs/r1#logs")
    page.click("[data-testid=console-tab][data-writer=rank-1]")
    shown = page.locator("[data-testid=console] .line")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=console] .line').length === 5000")
    assert (shown.first.text_content(), shown.last.text_content()) == ("r1 100", "r1 5099")
    page.click("[data-testid=console-earlier]")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=console] .line').length === 5100")
    assert shown.first.text_content() == "r1 0"
    assert page.locator("[data-testid=console-earlier]").is_hidden()
