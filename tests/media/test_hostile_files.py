"""Hostile uploads are refused with a reason a user can read, and the run goes on."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from apps.runs.models import Media, Run
from tests.factories import World, world_create
from tests.media.test_pipeline import RUN, log, png, ref, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(media_storage: Path) -> World:
    w = world_create()
    assert w.member.client().put(RUN, {}, format="json").status_code == 201
    return w


def png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few hundred bytes whose header claims width × height pixels."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(b"IEND", b"")


def submit(w: World, capture: Any, step: int, kind: str, path: str, body: bytes) -> Media:
    """Log a reference and upload the file, as the agent would; the row after processing."""
    with capture(execute=True):
        assert log(w, step, step, {"m": ref(path, body, kind)}).status_code == 200
        assert upload(w, path, body).status_code == 201
    return Media.objects.get(path=path)


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<html><body><script>fetch('/api/v1/keys')</script></body></html>"


@pytest.mark.parametrize(
    ("kind", "body", "reason"),
    [
        ("image", png()[:60] + b"garbage" * 20 + png()[-20:], "image"),
        ("image", png_claiming(50_000, 50_000), "50000×50000 pixels is over the limit"),
        ("image", SVG, "SVG or HTML markup"),
        ("image", HTML, "SVG or HTML markup"),
        ("video", png(), "Not a video"),
        ("video", b"\0\0\0\x18ftypmp42" + b"\x17" * 4000, "Not a playable MP4"),
        ("audio", b"RIFF\x10\0\0\0WAVEjunkjunkjunk", "Not playable audio"),
        ("table", b'{"columns": ["a"], "data": [[1, 2]]}', "row 0"),
        ("plotly", b"<script>", "Not a JSON"),
        ("chart", b"<script>", "Not a JSON"),
        ("chart", b'{"columns": ["a"], "data": [[{"_type": "image", "path": "media/x.png"}]]}', "values only"),
        ("object3d", b'{"points": [[1, 2]]}', "points are [x, y, z]"),
        ("object3d", SVG, "not markup"),
        ("molecule", HTML, "not markup"),
    ],
    ids=["corrupt-png", "bomb", "svg-script", "html-script", "png-as-video", "broken-mp4", "broken-wav", "bad-table", "bad-plotly",
         "bad-chart", "chart-with-image", "bad-point-cloud", "svg-as-3d-model", "html-as-molecule"],
)
def test_it_refuses_a_hostile_file_and_keeps_it(
    world: World, django_capture_on_commit_callbacks: Any, kind: str, body: bytes, reason: str
) -> None:
    path = f"media/{kind}/m/0-0-{hashlib.sha256(body).hexdigest()[:8]}.bin"
    media = submit(world, django_capture_on_commit_callbacks, 0, kind, path, body)
    assert media.status == "failed" and reason in media.error, media.error
    assert media.thumbnail == ""
    # The upload is kept, and served as an inert attachment.
    got = world.member.client().get(f"{RUN}/files/{path}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == body
    assert got["Content-Disposition"].startswith("attachment") and got["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got["Content-Security-Policy"]
    # The run goes on.
    assert log(world, 1, 1, {"loss": 0.5}).status_code == 200
    assert Run.objects.get().state == "running"


def test_it_refuses_paths_out_of_the_run(world: World, django_capture_on_commit_callbacks: Any) -> None:
    body = png()
    assert upload(world, "media/../../../etc/passwd.png", body).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert log(world, 0, 0, {"a": ref("media/../../x.png", body), "b": ref("config.json", body), "loss": 1.0}).status_code == 200
    errors = dict(Media.objects.values_list("path", "error"))
    assert "'..' segments" in errors["media/../../x.png"] and "not under media/" in errors["config.json"]
    assert set(Media.objects.values_list("status", flat=True)) == {"failed"}


def test_it_refuses_media_over_the_size_limit(world: World, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.CAIRN_MEDIA_MAX_BYTES = 1000
    body = png(400, 400, (1, 2, 3)) + b"\0" * 2000
    path = "media/image/big/0-0-a.png"
    with django_capture_on_commit_callbacks(execute=True):
        log(world, 0, 0, {"big": ref(path, body)})
        assert upload(world, path, body).status_code == 413
    media = Media.objects.get()
    assert media.status == "failed" and "Upload refused" in media.error and "limit" in media.error
    # A small one still goes through.
    ok = submit(world, django_capture_on_commit_callbacks, 1, "image", "media/image/big/1-0-b.png", png(8, 8))
    assert ok.status == "ready"


def test_it_refuses_an_image_over_the_pixel_limit(world: World, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.CAIRN_MEDIA_MAX_PIXELS = 10_000
    media = submit(world, django_capture_on_commit_callbacks, 0, "image", "media/image/a/0-0-a.png", png(101, 100))
    assert media.status == "failed" and "101×100 pixels is over the limit" in media.error
