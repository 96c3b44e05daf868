"""A run of acme's private project entered in lab's public benchmark: the
public sees the entry and its shared view, and nothing else of the project."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from apps.runs.models import Run, RunState
from tests.benchmarks.conftest import Lab, benchmark_create, leaderboard, submit

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_REMOTE = "git@git.acme.internal:secret/models.git"


@pytest.fixture
def entered(lab: Lab) -> tuple[Lab, int]:
    benchmark = benchmark_create(lab, config_columns=["lr"])
    c = lab.member.client()
    base = "/api/v1/projects/acme/secret/runs"
    for run_id in ("r1", "r2"):
        assert c.put(f"{base}/{run_id}", {
            "name": f"resnet {run_id}", "config": {"lr": 0.1}, "group": "ddp-secret",
            "notes": "internal notes", "tags": ["internal-tag"],
            "system": {"host": "gpu-secret-01", "git": {"commit": "abc123", "dirty": True, "remote": SECRET_REMOTE}},
        }, format="json").status_code == 201
        records = [{"step": i, "time": 1.0 + i, "data": {"loss": 1.0 / (i + 1), "img": {"_type": "image", "path": "media/x.png"}}}
                   for i in range(10)]
        assert c.post(f"{base}/{run_id}/streams/history", {"offset": 0, "records": records}, format="json").status_code == 200
        assert c.post(f"{base}/{run_id}/streams/system", {"offset": 0, "records": [{"time": 1.0, "data": {"cpu": 5.0}}]},
                      format="json").status_code == 200
        assert c.post(f"{base}/{run_id}/streams/console", {"offset": 0, "records": [{"time": 1.0, "stream": "stdout", "line": "password=hunter2"}]},
                      format="json").status_code == 200
        body = b"weights"
        assert c.generic("PUT", f"{base}/{run_id}/files/model.pt", body, content_type="application/octet-stream",
                         HTTP_X_CAIRN_SHA256=hashlib.sha256(body).hexdigest()).status_code == 201
        assert c.patch(f"{base}/{run_id}", {"summary": {"acc": 0.9, "note": "ok"}}, format="json").status_code == 200
        assert c.post(f"{base}/{run_id}/finish", {"exit_code": 0}, format="json").status_code == 200
    entry = submit(lab.member, benchmark, Run.objects.get(run_id="r1")).json()
    assert entry["status"] == "accepted"
    return lab, entry["id"]


def test_an_anonymous_visitor_sees_the_entry_and_its_shared_view(entered: tuple[Lab, int]) -> None:
    lab, entry_id = entered
    board = leaderboard(lab.anonymous, lab.lab.benchmarks.get())
    assert [(e["id"], e["org"], e["score"], e["config"]) for e in board["results"]] == [(entry_id, "acme", 0.9, {"lr": 0.1})]
    browser = Client()
    page = browser.get("/benchmarks/lab/imagenet/")
    assert page.status_code == 200 and f"/benchmarks/lab/imagenet/entries/{entry_id}/".encode() in page.content
    shared = browser.get(f"/benchmarks/lab/imagenet/entries/{entry_id}/")
    assert shared.status_code == 200
    assert b"abc123" in shared.content and b"0.9" in shared.content
    api = lab.anonymous.client()
    detail = api.get(f"/api/v1/benchmarks/lab/imagenet/submissions/{entry_id}").json()
    assert detail["summary"] == {"acc": 0.9, "loss": 0.1, "note": "ok"}  # the media value stays out
    assert detail["config"] == {"lr": 0.1}
    assert detail["code"] == {"commit": "abc123", "dirty": True}
    history = api.get(f"/api/v1/benchmarks/lab/imagenet/submissions/{entry_id}/history").json()
    assert list(history["series"]) == ["loss"] and history["series"]["loss"]["count"] == 10
    # Nothing else of the project rides along: no host, remote, notes, tags, console, files, run path.
    for body in (shared.content, page.content, str(detail).encode(), str(board).encode()):
        for leak in (b"gpu-secret-01", SECRET_REMOTE.encode(), b"internal notes", b"internal-tag",
                     b"hunter2", b"model.pt", b"/acme/secret", b"projects/acme"):
            assert leak not in body, leak


PROJECT_URLS = [
    "/acme/secret/",
    "/acme/secret/runs/r1",
    "/acme/secret/runs/r2",
    "/acme/secret/compare/?runs=r1,r2",
    "/acme/secret/groups/ddp-secret/",
    "/api/v1/projects/acme/secret",
    "/api/v1/projects/acme/secret/runs/",
    "/api/v1/projects/acme/secret/runs/r1",
    "/api/v1/projects/acme/secret/runs/r2",
    "/api/v1/projects/acme/secret/runs/r1/history",
    "/api/v1/projects/acme/secret/runs/r1/history?stream=system",
    "/api/v1/projects/acme/secret/runs/r1/history/export",
    "/api/v1/projects/acme/secret/runs/r1/console",
    "/api/v1/projects/acme/secret/runs/r1/files/",
    "/api/v1/projects/acme/secret/runs/r1/files/model.pt",
    "/api/v1/projects/acme/secret/keys",
    "/api/v1/projects/acme/secret/history?runs=r1,r2",
    "/api/v1/projects/acme/secret/groups/ddp-secret/history",
    "/api/v1/projects/acme/secret/workspace",
    "/api/v1/projects/acme/secret/table/rows",
    "/api/v1/projects/acme/secret/table/export.csv",
]


def test_everything_else_of_the_project_is_404_for_the_public(entered: tuple[Lab, int]) -> None:
    lab, _ = entered
    # Signed in elsewhere, or owning the benchmark, gives no more than being anonymous.
    for who in (lab.anonymous, lab.outsider, lab.olivia):
        for url in PROJECT_URLS:
            assert who.client().get(url).status_code == 404, (who.name, url)
    # The project's page is not shown in the organisation's public listing either.
    assert "secret" not in str(lab.anonymous.client().get("/api/v1/orgs/acme/projects").json())


def test_guessed_submission_urls_show_nothing_more(entered: tuple[Lab, int]) -> None:
    lab, entry_id = entered
    api = lab.anonymous.client()
    base = "/api/v1/benchmarks/lab/imagenet/submissions"
    # The media key and the system stream are not shared, whatever is asked.
    assert api.get(f"{base}/{entry_id}/history?keys=img,loss,_time").json()["series"].keys() == {"loss"}
    assert api.get(f"{base}/{entry_id}/history?stream=system").json()["series"].keys() == {"loss"}
    for path in ("/files/", "/files/model.pt", "/console", "/history/export", "/run"):
        assert api.get(f"{base}/{entry_id}{path}").status_code == 404, path
    # r2 was never submitted: no id reaches it, and a refused entry is not public either.
    r2 = Run.objects.get(run_id="r2")
    r2.state = RunState.FAILED
    r2.save()
    refused = submit(lab.member, lab.lab.benchmarks.get(), r2).json()
    assert refused["status"] == "refused"
    for who in (lab.anonymous, lab.outsider, lab.oscar):
        assert who.client().get(f"{base}/{refused['id']}").status_code == 404
        assert who.client().get(f"{base}/{refused['id']}/history").status_code == 404
        assert Client().get(f"/benchmarks/lab/imagenet/entries/{refused['id']}/").status_code == 404
    assert lab.olivia.client().get(f"{base}/{refused['id']}").status_code == 200  # the owner's admin moderates
    assert api.get(f"{base}/").json()["results"] == []  # the submissions list is the submitter's, not the public's


def test_a_limited_benchmark_is_seen_and_entered_only_by_invited_organisations(lab: Lab) -> None:
    benchmark_create(lab, slug="closed", visibility="limited")
    base = "/api/v1/benchmarks/lab/closed"
    for who in (lab.anonymous, lab.member, lab.outsider):
        assert who.client().get(f"{base}/leaderboard").status_code == 404
        assert who.client().get(f"{base}/badge.svg").status_code == 404
    assert "closed" not in str(lab.member.client().get("/api/v1/benchmarks/").json())
    assert Client().get("/benchmarks/lab/closed/").status_code == 404
    assert lab.oscar.client().get(f"{base}/leaderboard").status_code == 200  # the owner's member
    assert lab.oscar.client().put(f"{base}/invites/acme").status_code == 403
    assert lab.olivia.client().put(f"{base}/invites/acme").status_code == 204
    assert lab.member.client().get(f"{base}/leaderboard").status_code == 200
    run = Run.objects.create(project=lab.private, run_id="x", state=RunState.FINISHED, summary={"acc": 0.5})
    assert submit(lab.member, lab.lab.benchmarks.get(slug="closed"), run).status_code == 201
    # Mallory's organisation is not invited: it does not exist for her.
    assert lab.outsider.client().post(f"{base}/submissions/", {"run": "evil/p/x"}, format="json").status_code == 404
    assert lab.olivia.client().delete(f"{base}/invites/acme").status_code == 204
    assert lab.member.client().get(f"{base}/leaderboard").status_code == 404
