"""Benchmarks made from the browser: the form, the moderation queue, and
scores shown to the benchmark's decimal places."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.serverproc import ServerProcess
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.server, pytest.mark.browser]


def runs_submit(server: ServerProcess, slug: str, scores: list[float]) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.api_key}"
    api = f"{server.url}/api/v1"
    project = f"bf-{uuid.uuid4().hex[:6]}"
    assert s.post(f"{api}/orgs/local/projects", json={"slug": project}).ok
    for i, acc in enumerate(scores):
        run = f"{api}/projects/local/{project}/runs/r{i}"
        s.put(run, json={"name": f"entry {i}", "summary": {"val/acc": acc}}).raise_for_status()
        s.post(f"{run}/finish", json={"exit_code": 0}).raise_for_status()
        r = s.post(f"{api}/benchmarks/local/{slug}/submissions/", json={"run": f"local/{project}/r{i}", "name": f"entry {i}"})
        assert r.status_code == 201, r.text


def test_an_admin_creates_a_benchmark_by_the_form_and_moderates_its_entries(web_server: ServerProcess, new_page: Any) -> None:
    slug = f"form-{uuid.uuid4().hex[:6]}"
    page = new_page(web_server.url)
    sign_in(page, "admin", web_server.admin_password)  # type: ignore[attr-defined]
    page.goto("/benchmarks/")
    page.click("[data-testid=new-benchmark]")
    form = page.locator("[data-testid=benchmark-form]")
    form.locator("select[name=org]").select_option("local")
    form.locator("input[name=slug]").fill(slug)
    form.locator("input[name=name]").fill("Form-made CIFAR")
    form.locator("input[name=metric_name]").fill("Accuracy")
    form.locator("input[name=metric_key]").fill("val/acc")
    form.locator("input[name=precision]").fill("2")
    form.locator("textarea[name=rules]").fill("No **test-set** tuning.")
    form.locator("input[name=requires_approval]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/benchmarks/local/{slug}/")
    assert page.get_by_test_id("benchmark-name").text_content() == "Form-made CIFAR"
    assert page.get_by_test_id("rules").locator("strong").text_content() == "test-set"
    page.goto("/benchmarks/")
    assert "Form-made CIFAR" in page.get_by_test_id("benchmarks").text_content()

    runs_submit(web_server, slug, [0.91234, 0.5])
    page.goto(f"/benchmarks/local/{slug}/")
    deadline = time.monotonic() + 30
    while page.locator("[data-testid=pending]").count() < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    queue = page.locator("[data-testid=pending]")
    assert sorted(queue.locator("[data-testid=pending-score]").all_text_contents()) == ["0.50", "0.91"]
    assert page.locator("[data-testid=entry]").count() == 0  # nothing on the board before approval

    page.on("dialog", lambda d: d.accept("off-task"))
    page.locator("[data-testid=pending]", has_text="entry 0").locator("button[data-action=approve]").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=pending]').length === 1")
    page.locator("[data-testid=pending]", has_text="entry 1").locator("button[data-action=reject]").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=pending]').length === 0")
    rows = page.locator("[data-testid=entry]")
    assert rows.count() == 1 and rows.first.locator("[data-testid=score]").text_content() == "0.91"
    refused = page.locator("[data-testid=my-submission]", has_text="entry 1")
    assert refused.locator(".state").text_content() == "rejected"

    # Edited: more decimal places; the metric itself is fixed once runs are entered.
    page.click("[data-testid=edit-benchmark]")
    page.locator("[data-testid=benchmark-form] input[name=precision]").fill("3")
    page.locator("[data-testid=benchmark-form] button[type=submit]").click()
    page.wait_for_url(f"**/benchmarks/local/{slug}/")
    assert page.locator("[data-testid=entry] [data-testid=score]").text_content() == "0.912"
    page.click("[data-testid=edit-benchmark]")
    page.locator("[data-testid=benchmark-form] input[name=metric_key]").fill("val/loss")
    page.locator("[data-testid=benchmark-form] button[type=submit]").click()
    assert "cannot change once runs are submitted" in page.get_by_test_id("error").text_content()


def test_the_form_refuses_an_org_the_user_does_not_administer(web_server: ServerProcess, new_page: Any) -> None:
    name = f"plain{uuid.uuid4().hex[:6]}"
    web_server.manage("cairn_user", name, "--password", f"slate {name} harbour", "--org", "local", "--role", "member")
    page = new_page(web_server.url)
    sign_in(page, name, f"slate {name} harbour")
    page.goto("/benchmarks/new/")
    assert page.get_by_test_id("no-admin-org").count() == 1
