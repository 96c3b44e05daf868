"""Bad input gets a clear error, stores nothing half-way, harms nothing."""

from __future__ import annotations

import gzip
import hashlib
from typing import Any

import pytest
from django.test import override_settings

from apps.runs.models import HistoryChunk, RunFile
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db
RUN = "/api/v1/projects/acme/secret/runs/r1"


@pytest.fixture
def world() -> World:
    w = world_create()
    w.member.client().put(RUN, {}, format="json")
    return w


def post_raw(w: World, path: str, body: bytes, **headers: Any) -> Any:
    return w.member.client().generic("POST", path, body, content_type="application/json", **headers)


def test_malformed_json_is_a_400(world: World) -> None:
    response = post_raw(world, f"{RUN}/streams/history", b'{"offset": 0, "records": [')
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["error"]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"step": "one", "time": 1.0, "data": {}}, "records[1].step"),
        ({"step": -1, "time": 1.0, "data": {}}, "records[1].step"),
        ({"step": 1, "time": 1.0, "data": {"x": {"deep": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}}}, "records[1].data.x"),
        ({"step": 1, "time": 1.0, "data": []}, "records[1].data"),
        ({"step": 1, "time": "noon", "data": {}}, "records[1].time"),
    ],
)
def test_a_bad_record_names_its_field_and_nothing_is_stored(world: World, record: Any, field: str) -> None:
    good = {"step": 0, "time": 1.0, "data": {"loss": 1.0}}
    response = world.member.client().post(
        f"{RUN}/streams/history", {"offset": 0, "records": [good, record]}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert HistoryChunk.objects.count() == 0
    assert world.member.client().get(RUN).json()["streams"]["history"] == 0


def test_wrong_types_at_the_top_are_400s(world: World) -> None:
    c = world.member.client()
    assert c.post(f"{RUN}/streams/history", {"offset": "0", "records": []}, format="json").json()["field"] == "offset"
    assert c.post(f"{RUN}/streams/history", {"offset": 0, "records": {}}, format="json").json()["field"] == "records"
    assert c.post(f"{RUN}/streams/nope", {"offset": 0, "records": []}, format="json").json()["field"] == "stream"
    assert c.patch(RUN, {"tags": "x"}, format="json").json()["field"] == "tags"
    assert c.patch(RUN, {"config": [1]}, format="json").json()["field"] == "config"
    assert c.put("/api/v1/projects/acme/secret/runs/bad%20id", {}, format="json").json()["field"] == "run_id"


@override_settings(CAIRN_MAX_BODY_SIZE=1000)
def test_a_body_over_the_limit_is_a_413(world: World) -> None:
    body = b'{"offset": 0, "records": [' + b" " * 2000 + b"]}"
    assert post_raw(world, f"{RUN}/streams/history", body).status_code == 413


@override_settings(CAIRN_MAX_BODY_SIZE=1024 * 1024)
def test_a_gzip_bomb_is_a_413_and_the_server_carries_on(world: World) -> None:
    bomb = gzip.compress(b"[" + b" " * (50 * 1024 * 1024) + b"]", compresslevel=9)
    assert len(bomb) < 100_000
    response = post_raw(world, f"{RUN}/streams/history", bomb, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    ok = post_raw(
        world,
        f"{RUN}/streams/history",
        gzip.compress(b'{"offset": 0, "records": [{"step": 0, "time": 1.0, "data": {"a": 1}}]}'),
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert ok.status_code == 200 and ok.json()["stored"] == 1


def test_garbage_claiming_to_be_gzip_is_a_400(world: World) -> None:
    assert post_raw(world, f"{RUN}/streams/history", b"not gzip", HTTP_CONTENT_ENCODING="gzip").status_code == 400


@pytest.mark.parametrize("path", ["../escape.txt", "a/../../b", "/etc/passwd", "a//b", "a\\b", "C:/x", "a/./b"])
def test_a_file_path_leaving_the_run_is_refused(world: World, path: str) -> None:
    body = b"x"
    response = world.member.client().put(
        f"{RUN}/files/{path}", data=body, content_type="application/octet-stream",
        HTTP_X_CAIRN_SHA256=hashlib.sha256(body).hexdigest(),
    )
    assert response.status_code == 400
    assert response.json()["field"] == "path"
    assert RunFile.objects.count() == 0


def test_a_file_whose_digest_does_not_match_is_not_kept(world: World) -> None:
    response = world.member.client().put(
        f"{RUN}/files/model.pt", data=b"abc", content_type="application/octet-stream",
        HTTP_X_CAIRN_SHA256=hashlib.sha256(b"abd").hexdigest(),
    )
    assert response.status_code == 400 and response.json()["field"] == "X-Cairn-Sha256"
    assert RunFile.objects.count() == 0


@override_settings(CAIRN_MAX_FILE_SIZE=10)
def test_a_file_over_the_limit_is_a_413(world: World) -> None:
    body = b"x" * 11
    response = world.member.client().put(
        f"{RUN}/files/big.bin", data=body, content_type="application/octet-stream",
        HTTP_X_CAIRN_SHA256=hashlib.sha256(body).hexdigest(),
    )
    assert response.status_code == 413
    assert RunFile.objects.count() == 0


def test_unknown_run_and_project_are_404s(world: World) -> None:
    c = world.member.client()
    assert c.post("/api/v1/projects/acme/secret/runs/ghost/streams/history", {"offset": 0, "records": []}, format="json").status_code == 404
    assert c.get("/api/v1/projects/acme/nothing/runs/").status_code == 404
    assert c.get("/api/v1/projects/nobody/nothing/runs/").status_code == 404


def test_files_upload_list_and_download(world: World) -> None:
    body = b"weights" * 1000
    digest = hashlib.sha256(body).hexdigest()
    c = world.member.client()
    put = c.put(f"{RUN}/files/ckpt/model.pt", data=body, content_type="application/octet-stream", HTTP_X_CAIRN_SHA256=digest)
    assert put.status_code == 201 and put.json()["size"] == len(body)
    listed = c.get(f"{RUN}/files/").json()["results"]
    assert [(f["path"], f["sha256"]) for f in listed] == [("ckpt/model.pt", digest)]
    got = c.get(f"{RUN}/files/ckpt/model.pt")
    assert b"".join(got.streaming_content) == body
