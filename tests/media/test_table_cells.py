"""Image cells of a table are checked and thumbnailed like any image, and listed only inside their table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apps.runs.models import Media, MediaStatus
from tests.factories import World, world_create
from tests.media.test_hostile_files import SVG
from tests.media.test_pipeline import RUN, log, png, ref, upload

pytestmark = pytest.mark.django_db

TABLE = "media/table/preds/2-0-aaaa.table.json"
GOOD = "media/image/preds/2-1001-bbbb.png"
BAD = "media/image/preds/2-1002-cccc.png"


@pytest.fixture
def world(media_storage: Path) -> World:
    w = world_create()
    assert w.member.client().put(RUN, {}, format="json").status_code == 201
    return w


def table_body() -> bytes:
    rows = [
        ["cat", ref(GOOD, png(400, 200))],
        ["dog", ref(BAD, SVG)],
        ["escape", {"_type": "image", "path": "../config.json"}],  # not a media file: no row, shown as text
    ]
    return json.dumps({"columns": ["label", "image"], "data": rows}).encode()


def test_it_checks_and_thumbnails_a_tables_image_cells(world: World, django_capture_on_commit_callbacks: Any) -> None:
    body = table_body()
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(world, GOOD, png(400, 200)).status_code == 201  # a cell before its table
        assert log(world, 0, 2, {"preds": ref(TABLE, body, "table", ncols=2, nrows=3)}).status_code == 200
        assert upload(world, TABLE, body).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(world, BAD, SVG).status_code == 201  # a cell after its table

    table = Media.objects.get(path=TABLE)
    assert table.status == MediaStatus.READY, table.error
    cells = {m.path: m for m in Media.objects.filter(table=table)}
    assert set(cells) == {GOOD, BAD}
    good, bad = cells[GOOD], cells[BAD]
    assert (good.kind, good.key, good.step, good.meta) == ("image", "preds", 2, {"row": 0, "col": 1})
    assert good.status == MediaStatus.READY and good.thumbnail and (good.width, good.height) == (400, 200)
    assert bad.status == MediaStatus.FAILED and "SVG or HTML markup" in bad.error

    client = world.member.client()
    keys = client.get(f"{RUN}/media/keys?first=5").json()["keys"]
    assert [(k["key"], k["kind"], k["count"]) for k in keys] == [("preds", "table", 1)]
    [item] = keys[0]["first"]["results"]
    assert item["path"] == TABLE
    assert item["cells"][GOOD] == {"thumbnail_url": f"{RUN}/media/{good.pk}/thumbnail", "status": "ready", "error": ""}
    assert item["cells"][BAD]["status"] == "failed" and item["cells"][BAD]["thumbnail_url"] is None
    listed = client.get(f"{RUN}/media?key=preds").json()
    assert [m["path"] for m in listed["results"]] == [TABLE]
    thumb = client.get(item["cells"][GOOD]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    across = client.get("/api/v1/projects/acme/secret/media?key=preds&runs=r1").json()
    assert across["runs"]["r1"]["items"][0]["cells"][BAD]["error"] == bad.error


def test_processing_a_table_again_adds_no_cells(world: World, django_capture_on_commit_callbacks: Any) -> None:
    from apps.runs.media import media_table_cells

    body = table_body()
    with django_capture_on_commit_callbacks(execute=True):
        log(world, 0, 2, {"preds": ref(TABLE, body, "table")})
        upload(world, TABLE, body)
    table = Media.objects.get(path=TABLE)
    assert Media.objects.filter(table=table).count() == 2
    assert media_table_cells(table_pk=table.pk, run_pk=table.run_id, cells=[(0, 1, GOOD), (1, 1, BAD)]) == 0
    assert Media.objects.filter(table=table).count() == 2
