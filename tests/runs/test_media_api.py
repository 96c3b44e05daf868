"""The media read API: keys, items by step, thumbnails, HTML panels, histograms over time; who may read them."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from apps.runs.api.media import HTML_CSP
from apps.runs.models import Media, Project, Run
from tests.factories import Person, World, world_create

pytestmark = pytest.mark.django_db
PRIVATE = "/api/v1/projects/acme/secret"
PUBLIC = "/api/v1/projects/acme/open"
XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> World:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    cache.clear()  # histograms are cached by run id, which a rolled-back test may hand out again
    return world_create()


def png(w: int = 8, h: int = 6, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def upload(p: Person, base: str, run_id: str, path: str, data: bytes) -> None:
    r = p.client().put(f"{base}/runs/{run_id}/files/{path}", data=data, content_type="application/octet-stream",
                       HTTP_X_CAIRN_SHA256=hashlib.sha256(data).hexdigest())
    assert r.status_code == 201, r.content


def media(run: Run, key: str, step: int, index: int = 0, kind: str = "image", thumb: bool = True, **fields: Any) -> Media:
    """A media row as the pipeline leaves it, with a thumbnail made here."""
    path = fields.pop("path", f"media/{key}/{step}_{index}.png")
    thumbnail = ""
    if thumb:
        thumbnail = default_storage.save(f"thumbs/{run.pk}/{step}_{index}.png", ContentFile(png(4, 3)))
    defaults = {"key": key, "step": step, "index": index, "kind": kind, "status": "ready", "thumbnail": thumbnail,
                "width": 8, "height": 6, **fields}
    m, _ = Media.objects.update_or_create(run=run, path=path, defaults=defaults)
    return m


def run_with_images(world: World, project: Project, base: str, run_id: str = "r1", steps: int = 3, per_step: int = 2) -> Run:
    c = world.member.client()
    assert c.put(f"{base}/runs/{run_id}", {}, format="json").status_code == 201  # a new run
    run = Run.objects.get(project=project, run_id=run_id)
    for s in range(steps):
        for i in range(per_step):
            upload(world.member, base, run_id, f"media/samples/{s}_{i}.png", png())
            media(run, "samples", s * 10, i, path=f"media/samples/{s}_{i}.png", caption=f"step {s} #{i} {XSS}", meta={"boxes": [{"x0": 1, "y0": 1, "x1": 4, "y1": 3}]})
    return run


def histogram(lo: float, hi: float, bins: int, total: float) -> dict[str, Any]:
    return {"_type": "histogram", "edges": np.linspace(lo, hi, bins + 1).tolist(), "counts": [total / bins] * bins}


def test_it_lists_a_runs_media_keys_with_kinds_and_step_ranges(world: World) -> None:
    run = run_with_images(world, world.private, PRIVATE)
    media(run, "clip", 5, kind="video", thumb=False, path="media/clip.mp4")
    c = world.member.client()
    records = [{"step": s, "time": 1.0 + s, "data": {"weights": histogram(0, 1, 4, 10), "loss": 1.0}} for s in range(3)]
    assert c.post(f"{PRIVATE}/runs/r1/streams/history", {"offset": 0, "records": records}, format="json").status_code == 200
    keys = world.viewer.client().get(f"{PRIVATE}/runs/r1/media/keys").json()["keys"]
    assert keys == [
        {"key": "clip", "kind": "video", "count": 1, "steps": 1, "min_step": 5, "max_step": 5},
        {"key": "samples", "kind": "image", "count": 6, "steps": 3, "min_step": 0, "max_step": 20},
        {"key": "weights", "kind": "histogram", "count": 3, "steps": None, "min_step": None, "max_step": None},
    ]
    steps = world.viewer.client().get(f"{PRIVATE}/runs/r1/media/steps", {"key": "samples"}).json()
    assert steps == {"steps": [0, 10, 20], "count": 3, "sampled": False}


def test_it_lists_one_step_newest_by_default_paginated_with_urls(world: World) -> None:
    run_with_images(world, world.private, PRIVATE, steps=3, per_step=5)
    c = world.viewer.client()
    newest = c.get(f"{PRIVATE}/runs/r1/media", {"key": "samples"}).json()
    assert newest["step"] == 20 and newest["count"] == 5
    assert [m["index"] for m in newest["results"]] == [0, 1, 2, 3, 4]
    first = newest["results"][0]
    assert first["caption"] == f"step 2 #0 {XSS}"
    assert first["file_url"] == f"{PRIVATE}/runs/r1/files/media/samples/2_0.png"
    assert first["thumbnail_url"] == f"{PRIVATE}/runs/r1/media/{first['id']}/thumbnail"
    assert first["meta"]["boxes"][0]["x1"] == 4
    page = c.get(f"{PRIVATE}/runs/r1/media", {"key": "samples", "step": 10, "limit": 2, "offset": 2}).json()
    assert [m["index"] for m in page["results"]] == [2, 3] and page["next_offset"] == 4
    ranged = c.get(f"{PRIVATE}/runs/r1/media", {"key": "samples", "min_step": 5, "max_step": 20, "limit": 500}).json()
    assert ranged["count"] == 10 and {m["step"] for m in ranged["results"]} == {10, 20}
    assert c.get(f"{PRIVATE}/runs/r1/media").status_code == 400  # no key
    assert c.get(f"{PRIVATE}/runs/r1/media", {"key": "samples", "limit": 501}).status_code == 400
    # The file URL it gives downloads the bytes.
    assert c.get(first["file_url"]).status_code == 200


def test_it_shows_failed_media_with_its_reason(world: World) -> None:
    run = run_with_images(world, world.private, PRIVATE, steps=1, per_step=1)
    media(run, "samples", 0, 1, thumb=False, status="failed", error="Not a PNG: the bytes are an SVG document")
    items = world.viewer.client().get(f"{PRIVATE}/runs/r1/media", {"key": "samples"}).json()["results"]
    assert items[1]["status"] == "failed" and items[1]["thumbnail_url"] is None
    assert items[1]["error"] == "Not a PNG: the bytes are an SVG document"


def test_it_serves_thumbnails_with_nosniff_and_404s_those_it_lacks(world: World) -> None:
    run = run_with_images(world, world.private, PRIVATE, steps=1, per_step=1)
    bare = media(run, "samples", 0, 1, thumb=False)
    item = world.viewer.client().get(f"{PRIVATE}/runs/r1/media", {"key": "samples"}).json()["results"][0]
    r = world.viewer.client().get(item["thumbnail_url"])
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(b"".join(r.streaming_content))).size == (4, 3)
    assert world.viewer.client().get(f"{PRIVATE}/runs/r1/media/{bare.pk}/thumbnail").status_code == 404
    assert world.viewer.client().get(f"{PRIVATE}/runs/r1/media/999999/thumbnail").status_code == 404


def test_it_serves_html_panels_only_with_a_sandboxing_csp(world: World) -> None:
    c = world.member.client()
    assert c.put(f"{PRIVATE}/runs/r1", {}, format="json").status_code == 201
    run = Run.objects.get(project=world.private, run_id="r1")
    doc = b"<html><body><script>parent.document.body.innerHTML='pwned'</script>hi</body></html>"
    upload(world.member, PRIVATE, "r1", "media/panel.html", doc)
    m = media(run, "panel", 0, kind="html", thumb=False, path="media/panel.html")
    image = media(run, "samples", 0, thumb=False)
    r = world.viewer.client().get(f"{PRIVATE}/runs/r1/media/{m.pk}/html")
    assert r.status_code == 200 and b"".join(r.streaming_content) == doc
    assert r["Content-Security-Policy"] == HTML_CSP
    assert r["Content-Security-Policy"].startswith("sandbox allow-scripts;") and "allow-same-origin" not in HTML_CSP
    assert r["X-Frame-Options"] == "SAMEORIGIN" and r["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in r.get("Content-Disposition", "")
    assert world.viewer.client().get(f"{PRIVATE}/runs/r1/media/{image.pk}/html").status_code == 404  # not HTML


def test_it_builds_histograms_over_time_on_common_edges(world: World) -> None:
    c = world.member.client()
    assert c.put(f"{PRIVATE}/runs/r1", {}, format="json").status_code == 201
    records = [{"step": s, "time": 1.0 + s, "data": {"w": histogram(-1 - s, 1 + s, 8, 100)}} for s in range(50)]
    records[7]["data"]["w"] = {"_type": "histogram", "edges": [0, 1], "counts": [1, 2]}  # malformed: skipped
    assert c.post(f"{PRIVATE}/runs/r1/streams/history", {"offset": 0, "records": records}, format="json").status_code == 200
    body = world.viewer.client().get(f"{PRIVATE}/runs/r1/histograms", {"key": "w"}).json()
    assert body["count"] == 50 and body["skipped"] == 1 and len(body["steps"]) == 49
    assert body["edges"][0] == -50 and body["edges"][-1] == 50 and len(body["edges"]) == 9
    assert all(len(row) == 8 for row in body["counts"])
    assert all(abs(sum(row) - 100) < 0.05 for row in body["counts"])  # rebinning keeps the total
    assert body["counts"][0][3] == 50 and body["counts"][0][4] == 50  # step 0 lies in [-1, 1]: the middle bins
    sampled = world.viewer.client().get(f"{PRIVATE}/runs/r1/histograms", {"key": "w", "steps": 10, "bins": 64}).json()
    assert len(sampled["steps"]) <= 10 and sampled["sampled"] and len(sampled["edges"]) == 65
    assert sampled["steps"][0] == 0 and sampled["steps"][-1] == 49
    # Logging more is seen at once, though answers are cached.
    more = [{"step": 50, "time": 51.0, "data": {"w": histogram(-1, 1, 8, 100)}}]
    assert c.post(f"{PRIVATE}/runs/r1/streams/history", {"offset": 50, "records": more}, format="json").status_code == 200
    assert world.viewer.client().get(f"{PRIVATE}/runs/r1/histograms", {"key": "w"}).json()["count"] == 51


def test_the_workspace_gets_one_key_across_runs_at_a_step(world: World) -> None:
    a = run_with_images(world, world.private, PRIVATE, "a", steps=3, per_step=2)  # steps 0, 10, 20
    c = world.member.client()
    assert c.put(f"{PRIVATE}/runs/b", {}, format="json").status_code == 201
    b = Run.objects.get(project=world.private, run_id="b")
    for s in (5, 15):
        media(b, "samples", s, path=f"media/b{s}.png")
    body = world.viewer.client().get(f"{PRIVATE}/media", {"key": "samples", "runs": "a,b,ghost", "step": 12}).json()
    assert body["steps"] == [0, 5, 10, 15, 20]
    assert set(body["runs"]) == {"a", "b"}
    assert body["runs"]["a"]["step"] == 10 and len(body["runs"]["a"]["items"]) == 2
    assert body["runs"]["b"]["step"] == 5 and body["runs"]["b"]["items"][0]["run"] == "b"
    newest = world.viewer.client().get(f"{PRIVATE}/media", {"key": "samples", "runs": "a,b", "limit": 1}).json()
    assert newest["runs"]["a"]["step"] == 20 and len(newest["runs"]["a"]["items"]) == 1
    keys = world.viewer.client().get(f"{PRIVATE}/media/keys", {"runs": "a,b"}).json()["keys"]
    assert keys == [{"key": "samples", "kind": "image", "count": 8, "steps": 5, "min_step": 0, "max_step": 20}]
    assert a.pk != b.pk
    assert world.viewer.client().get(f"{PRIVATE}/media", {"key": "samples"}).status_code == 400


def test_outsiders_get_404_on_private_media_and_anyone_reads_public(world: World) -> None:
    run = run_with_images(world, world.private, PRIVATE, steps=1, per_step=1)
    m = Media.objects.get(run=run)
    pub = run_with_images(world, world.public, PUBLIC, steps=1, per_step=1)
    pm = Media.objects.get(run=pub)
    private_urls = [
        f"{PRIVATE}/runs/r1/media?key=samples", f"{PRIVATE}/runs/r1/media/keys", f"{PRIVATE}/runs/r1/media/steps?key=samples",
        f"{PRIVATE}/runs/r1/media/{m.pk}/thumbnail", f"{PRIVATE}/runs/r1/media/{m.pk}/html",
        f"{PRIVATE}/runs/r1/histograms?key=w", f"{PRIVATE}/media?key=samples&runs=r1", f"{PRIVATE}/media/keys?runs=r1",
    ]
    for url in private_urls:
        for who in (world.outsider, world.anonymous):
            assert who.client().get(url).status_code == 404, (who.name, url)
    assert world.viewer.client().get(private_urls[0]).status_code == 200
    # A media id of another run is not found through this run, in another project or the same one.
    assert world.owner.client().get(f"{PUBLIC}/runs/r1/media/{m.pk}/thumbnail").status_code == 404
    assert world.member.client().put(f"{PRIVATE}/runs/r2", {}, format="json").status_code == 201
    assert world.owner.client().get(f"{PRIVATE}/runs/r2/media/{m.pk}/thumbnail").status_code == 404
    assert world.owner.client().get(f"{PRIVATE}/runs/nope/media/{m.pk}/thumbnail").status_code == 404
    for who in (world.outsider, world.anonymous):
        c = who.client()
        assert c.get(f"{PUBLIC}/runs/r1/media", {"key": "samples"}).json()["count"] == 1
        assert c.get(f"{PUBLIC}/runs/r1/media/{pm.pk}/thumbnail").status_code == 200
        assert c.get(f"{PUBLIC}/media", {"key": "samples", "runs": "r1"}).status_code == 200
