"""A media panel shows one key of its run set's runs, and its report serves only those items."""

from __future__ import annotations

import io
from typing import Any

import pytest
import rest_framework.views  # noqa: F401  (first: DRF settings import apps.core.rendering, which needs it)
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from apps.runs import services as run_services
from apps.runs.models import Media, Run, Stream
from tests.factories import World, world_create
from tests.reports.helpers import browser, no_weasyprint, report_make, runs_seed

pytestmark = pytest.mark.django_db


def png(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(buf, "PNG")
    return buf.getvalue()


def media_seed(run: Run, key: str, step: int, n: int = 2) -> list[Media]:
    out = []
    for i in range(n):
        path = f"media/image/{key}/{step}-{i}.png"
        thumb = default_storage.save(f"thumbnails/test/{run.pk}/{key}-{step}-{i}.png", ContentFile(png((10 * i, 200, 0))))
        out.append(Media.objects.create(run=run, key=key, step=step, index=i, kind="image", path=path,
                                        caption=f"{run.run_id} {key} {step}/{i}", status="ready",
                                        content_type="image/png", width=8, height=6, thumbnail=thumb))
    return out


@pytest.fixture
def world() -> World:
    w = world_create()
    runs = runs_seed(w.private, steps=5)
    for run in runs:
        media_seed(run, "samples", 2)
        media_seed(run, "samples", 4)
        media_seed(run, "private_key", 4)
    hist = [{"step": 5 + s, "time": 1_700_000_100.0, "data": {"weights": {
        "_type": "histogram", "edges": [0.0, 1.0, 2.0, 3.0], "counts": [s, 2, 1]}}} for s in range(6)]
    run_services.stream_append(run=runs[0], stream=Stream.HISTORY, offset=5, records=hist)
    return w


def media_block(block_id: str = "m1", key: str = "samples", step: int | None = None, runs: list[str] | None = None) -> dict[str, Any]:
    return {"id": block_id, "type": "panel", "panel": {"kind": "media", "title": "Samples", "key": key, "step": step,
                                                       "runset": {"runs": runs or ["run0", "run1"]}}}


def item_ids(data: dict[str, Any]) -> list[int]:
    return [i["id"] for r in data["runs"] for i in r["items"]]


def test_a_public_media_panel_serves_only_its_run_sets_items_of_its_key(world: World) -> None:
    key = report_make(world, publish="public", blocks=[media_block(step=3), media_block("h1", key="weights", runs=["run0"])])["id"]
    anon = world.anonymous.client()
    data = anon.get(f"/api/v1/reports/{key}/panels/m1/data").json()
    assert [(r["id"], r["step"]) for r in data["runs"]] == [("run0", 2), ("run1", 2)]
    shown = item_ids(data)
    assert len(shown) == 4 and all("/api/v1/projects" not in str(i) for r in data["runs"] for i in r["items"])
    for media_id in shown:
        r = anon.get(f"/api/v1/reports/{key}/panels/m1/media/{media_id}/thumbnail")
        assert r.status_code == 200 and r["Content-Type"] == "image/png"
        assert b"".join(r.streaming_content)[:4] == b"\x89PNG"
    page = browser(world.anonymous).get(f"/r/{key}/").content.decode()
    assert f"/api/v1/reports/{key}/panels/m1/media/{shown[0]}/thumbnail" in page
    assert "/api/v1/projects/" not in page
    assert "<svg" in page  # the histograms over time, drawn on the server

    hist = anon.get(f"/api/v1/reports/{key}/panels/h1/data").json()
    assert hist["runs"][0]["histogram"]["steps"] == [5, 6, 7, 8, 9, 10]

    # Another run's item, another key's, an item through another panel, the project's own endpoints: 404.
    other_run = Media.objects.get(run__run_id="run2", key="samples", step=2, index=0).pk
    other_key = Media.objects.get(run__run_id="run0", key="private_key", index=0).pk
    mine = Media.objects.get(run__run_id="run0", key="samples", step=2, index=0)
    for media_id in (other_run, other_key):
        for what in ("thumbnail", "file"):
            assert anon.get(f"/api/v1/reports/{key}/panels/m1/media/{media_id}/{what}").status_code == 404
    assert anon.get(f"/api/v1/reports/{key}/panels/h1/media/{mine.pk}/thumbnail").status_code == 404
    assert anon.get(f"/api/v1/reports/{key}/panels/nope/media/{mine.pk}/thumbnail").status_code == 404
    base = "/api/v1/projects/acme/secret/runs/run0"
    for url in (f"{base}/media/{mine.pk}/thumbnail", f"{base}/media?key=samples", f"{base}/files/{mine.path}",
                "/api/v1/projects/acme/secret/media?key=private_key&runs=run0",
                f"/api/v1/reports/{key}/panels/m1/media/{other_key}/thumbnail?draft=1"):
        assert anon.get(url).status_code == 404, url


def test_a_frozen_media_panel_keeps_its_pictures_after_the_run_is_deleted(world: World) -> None:
    key = report_make(world, publish="public", frozen=True, blocks=[media_block()])["id"]
    anon = world.anonymous.client()
    before = anon.get(f"/api/v1/reports/{key}/panels/m1/data").json()
    shown = item_ids(before)
    assert [(r["id"], r["step"]) for r in before["runs"]] == [("run0", 4), ("run1", 4)]
    export_before = anon.get(f"/api/v1/reports/{key}/export.html").content.decode()
    assert export_before.count('src="data:image/png;base64,') == 4
    assert "/api/v1/" not in export_before
    pdf = anon.get(f"/api/v1/reports/{key}/export.pdf")
    pdf_drawn = pdf.status_code != 503  # 503: no Pango here; said last, so the rest is still checked
    if pdf_drawn:
        assert pdf.status_code == 200 and (b"/Subtype /Image" in pdf.content or b"/Subtype/Image" in pdf.content)

    run_services.run_delete(run=Run.objects.get(run_id="run0"))
    for name in Media.objects.filter(run__run_id="run1").values_list("thumbnail", flat=True):
        default_storage.delete(name)  # as the deletion task does for a deleted run's files
    Run.objects.filter(run_id="run1").delete()
    assert anon.get(f"/api/v1/reports/{key}/panels/m1/data").json() == before
    for media_id in shown:
        r = anon.get(f"/api/v1/reports/{key}/panels/m1/media/{media_id}/thumbnail")
        assert r.status_code == 200
        assert b"".join(r.streaming_content)[:4] == b"\x89PNG"
    assert anon.get(f"/api/v1/reports/{key}/export.html").content.decode().count('src="data:image/png;base64,') == 4

    # Deleting the report deletes its copies.
    names = [i["frozen_thumbnail"] for r in before["runs"] for i in r["items"]]
    assert all(n.startswith(f"reports/{key}/v1/m1/") and default_storage.exists(n) for n in names)
    assert world.owner.client().delete(f"/api/v1/reports/{key}").status_code == 204
    assert not any(default_storage.exists(n) for n in names)
    if not pdf_drawn:
        no_weasyprint()


def test_a_media_panel_is_checked_when_saved(world: World) -> None:
    key = report_make(world, blocks=[])["id"]
    bad = media_block(step=-1)
    r = world.owner.client().patch(f"/api/v1/reports/{key}", {"blocks": [bad]}, format="json")
    assert r.json()["draft"]["blocks"][0]["error"]["field"] == "blocks[0].panel.step"
    r = world.owner.client().post(f"/api/v1/reports/{key}/publish", {"visibility": "org"}, format="json")
    assert r.status_code == 400
