"""The media pipeline in process: references in history, uploads, the task, in either order."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from apps.runs.models import Media, MediaStatus
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db
RUN = "/api/v1/projects/acme/secret/runs/r1"


@pytest.fixture
def world(media_storage: Path) -> World:
    w = world_create()
    assert w.member.client().put(RUN, {}, format="json").status_code == 201
    return w


def png(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


def upload(w: World, path: str, body: bytes) -> Any:
    return w.member.client().put(
        f"{RUN}/files/{path}", data=body, content_type="application/octet-stream",
        HTTP_X_CAIRN_SHA256=hashlib.sha256(body).hexdigest(),
    )


def log(w: World, offset: int, step: int, data: dict[str, Any]) -> Any:
    records = [{"step": step, "time": 1.0 + step, "data": data}]
    return w.member.client().post(f"{RUN}/streams/history", {"offset": offset, "records": records}, format="json")


def ref(path: str, body: bytes, kind: str = "image", **facts: Any) -> dict[str, Any]:
    return {"_type": kind, "path": path, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body), **facts}


def test_it_processes_media_whose_history_comes_first(world: World, django_capture_on_commit_callbacks: Any) -> None:
    body = png(640, 480)
    with django_capture_on_commit_callbacks(execute=True):
        assert log(world, 0, 3, {"sample": ref("media/image/sample/3-0-a.png", body, caption="a cat")}).status_code == 200
    media = Media.objects.get()
    assert (media.key, media.step, media.kind, media.caption, media.status) == ("sample", 3, "image", "a cat", "pending")
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(world, "media/image/sample/3-0-a.png", body).status_code == 201
    media.refresh_from_db()
    assert media.status == MediaStatus.READY, media.error
    assert (media.width, media.height, media.content_type, media.size) == (640, 480, "image/png", len(body))
    assert media.attempts == 1 and media.source_sha256 == hashlib.sha256(body).hexdigest()
    with default_storage.open(media.thumbnail, "rb") as fh:
        thumb = Image.open(fh)
        assert thumb.format == "JPEG" and thumb.size == (256, 192)


def test_it_processes_media_whose_file_comes_first(world: World, django_capture_on_commit_callbacks: Any) -> None:
    body = png()
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(world, "media/image/x/0-0-b.png", body).status_code == 201
    assert not Media.objects.exists()
    gallery = {"_type": "images", "items": [ref("media/image/x/0-0-b.png", body), ref("media/image/x/0-1-c.png", body)]}
    with django_capture_on_commit_callbacks(execute=True):
        log(world, 0, 0, {"x": gallery, "loss": 0.5})
    rows = list(Media.objects.order_by("index"))
    assert [(m.index, m.status) for m in rows] == [(0, "ready"), (1, "pending")]


def test_a_task_run_again_changes_nothing(world: World, django_capture_on_commit_callbacks: Any) -> None:
    from apps.runs.tasks import media_process

    body = png()
    with django_capture_on_commit_callbacks(execute=True):
        log(world, 0, 0, {"img": ref("media/image/img/0-0-d.png", body)})
        upload(world, "media/image/img/0-0-d.png", body)
    before = Media.objects.values().get()
    assert media_process.delay(before["id"]).get() == "done already"
    assert Media.objects.values().get() == before


def test_histograms_stay_inline(world: World) -> None:
    histogram = {"_type": "histogram", "edges": [0.0, 1.0, 2.0], "counts": [3, 4]}
    assert log(world, 0, 0, {"w": histogram}).status_code == 200
    assert not Media.objects.exists()


def test_a_transparent_image_keeps_its_transparency_in_a_webp_thumbnail(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (600, 300), (10, 20, 30, 0)).save(buf, format="PNG")
    body = buf.getvalue()
    with django_capture_on_commit_callbacks(execute=True):
        log(world, 0, 0, {"t": ref("media/image/t/0-0-a.png", body)})
        upload(world, "media/image/t/0-0-a.png", body)
    media = Media.objects.get()
    with default_storage.open(media.thumbnail, "rb") as fh:
        thumb = Image.open(fh)
        assert thumb.format == "WEBP" and thumb.mode == "RGBA" and thumb.size == (256, 128)
