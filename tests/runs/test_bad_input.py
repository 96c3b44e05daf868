"""Bad input gets a clear error, stores nothing half-way, harms nothing."""

from __future__ import annotations

import gzip
import hashlib
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

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


# --- Text no database can store: refused before anything is stored ------------------

SURROGATE = b'"\\ud800"'  # JSON for a lone UTF-16 surrogate: no character at all
NUL = b'"a\\u0000b"'  # PostgreSQL holds no NUL in text or jsonb


def send_raw(client: Any, method: str, path: str, body: bytes) -> Any:
    return client.generic(method, path, body, content_type="application/json")


@pytest.mark.parametrize("text", [SURROGATE, NUL], ids=["lone-surrogate", "nul"])
@pytest.mark.parametrize(
    ("method", "path", "template", "field"),
    [
        ("PATCH", RUN, b'{"tags": ["ok", %s]}', "tags[1]"),
        ("PATCH", RUN, b'{"config": {"lr": 0.1, "opt": {"name": %s}}}', "config.opt.name"),
        ("PATCH", RUN, b'{"notes": %s, "summary": {"x": NaN}}', "notes"),  # NaN: the stdlib's parse
        ("PUT", "/api/v1/projects/acme/secret/runs/r2", b'{"name": %s}', "name"),
        ("POST", f"{RUN}/streams/history", b'{"offset": 0, "records": [{"step": 0, "time": 1.0, "data": {"k": %s}}]}',
         "records[0].data.k"),
        ("POST", f"{RUN}/streams/console", b'{"offset": 0, "records": [{"time": 1.0, "stream": "stdout", "line": %s}]}',
         "records[0].line"),
        ("POST", "/api/v1/projects/acme/secret/reports", b'{"title": %s}', "title"),
        ("POST", "/api/v1/keys", b'{"name": %s}', "name"),
        ("POST", "/api/v1/orgs", b'{"slug": "zz", "name": %s}', "name"),
        ("PUT", "/api/v1/projects/acme/secret/workspace", b'{"panels": [], "hidden": [%s]}', "hidden[0]"),
    ],
)
def test_text_that_cannot_be_stored_is_a_400_naming_its_field(
    world: World, text: bytes, method: str, path: str, template: bytes, field: str
) -> None:
    c = world.member.client()
    before = c.get(RUN).json()
    writer = c
    if path == "/api/v1/keys":  # keys are made with a password or a session, never with a key
        writer = APIClient()
        writer.force_login(world.member.user)
    response = send_raw(writer, method, path, template % text)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert ("surrogate" if text == SURROGATE else "NUL") in response.json()["error"]
    # Nothing was stored, and every read still works for everyone.
    assert c.get(RUN).json() == before
    assert c.get("/api/v1/projects/acme/secret/runs/").status_code == 200
    assert HistoryChunk.objects.count() == 0


def test_a_lone_surrogate_in_a_key_is_refused_and_named(world: World) -> None:
    response = send_raw(world.member.client(), "PATCH", RUN, b'{"config": {"a\\udc00b": 1, "c": NaN}}')
    assert response.status_code == 400
    assert response.json()["field"] == "config.a\\udc00b"


def test_valid_surrogate_pairs_and_escaped_backslashes_are_text(world: World) -> None:
    c = world.member.client()
    # A pair is one character (U+1F600); "\\ud800" is a backslash and five letters.
    body = b'{"tags": ["\\ud83d\\ude00", "\\\\ud800"], "config": {"x": NaN}}'
    assert send_raw(c, "PATCH", RUN, body).status_code == 200
    assert c.get(RUN).json()["tags"] == ["\U0001f600", "\\ud800"]


def test_a_body_that_is_not_utf8_is_a_400(world: World) -> None:
    response = send_raw(world.member.client(), "PATCH", RUN, b'{"notes": "\xed\xa0\x80", "x": NaN}')
    assert response.status_code == 400 and "UTF-8" in response.json()["error"]


def test_a_nul_in_the_url_or_a_query_parameter_is_a_400(world: World) -> None:
    c = world.member.client()
    assert c.put("/api/v1/projects/acme/sec%00ret/runs/r9", {}, format="json").json()["field"] == "project"
    assert c.get(f"{RUN}/history", {"keys": "a\x00"}).json()["field"] == "keys"
    assert c.get("/api/v1/projects/acme/secret/runs/", {"filter": 'name = "\x00"'}).json()["field"] == "filter"


# --- Ids and integers ---------------------------------------------------------------


@pytest.mark.parametrize("run_id", ["abc%0A", "abc%0D", "%0Aabc", "a%20b", "x" * 65])
def test_a_run_id_outside_the_rule_is_refused_whole(world: World, run_id: str) -> None:
    response = world.member.client().put(f"/api/v1/projects/acme/secret/runs/{run_id}", {}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "run_id"


def test_a_project_slug_with_a_trailing_newline_is_refused(world: World) -> None:
    response = world.member.client().put("/api/v1/projects/acme/mnist%0A/runs/r1", {}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "slug"


def test_a_run_stored_with_a_newline_in_its_id_still_exports(world: World) -> None:
    # Older versions accepted "abc\n" (re.match with `$`); its export answered 500.
    from tests.factories import run_create

    run_create(world.private, "abc\n")
    response = world.member.client().get("/api/v1/projects/acme/secret/runs/abc%0A/history/export", {"format": "csv"})
    assert response.status_code == 200
    assert "\n" not in response["Content-Disposition"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/acme/secret/runs/",
        f"{RUN}/console",
        f"{RUN}/media",
        "/api/v1/projects/acme/secret/table/rows",
    ],
)
@pytest.mark.parametrize("offset", ["99999999999999999999999", "9223372036854775808", "-1", "1e3", "٣", ""])
def test_an_offset_past_what_a_database_holds_is_a_400(world: World, path: str, offset: str) -> None:
    response = world.member.client().get(path, {"offset": offset})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "offset"


def test_the_largest_offset_and_steps_answer_empty(world: World) -> None:
    c = world.member.client()
    top = str(2**63 - 1)
    listed = c.get("/api/v1/projects/acme/secret/runs/", {"offset": top})
    assert listed.status_code == 200 and listed.json()["results"] == []
    assert c.get(f"{RUN}/history", {"min_step": top, "max_step": top}).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("offset", 2**70), ("offset", -1)],
)
def test_a_stream_offset_out_of_range_is_a_400(world: World, field: str, value: int) -> None:
    body = {"offset": value, "records": [{"step": 0, "time": 1.0, "data": {"a": 1}}]}
    response = world.member.client().post(f"{RUN}/streams/history", body, format="json")
    assert response.status_code == 400 and response.json()["field"] == field
    assert HistoryChunk.objects.count() == 0


@pytest.mark.parametrize("body", [b"[1]", b"5", b'"x"', b"null"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v1/projects/acme/secret/table/view"),
        ("POST", "/api/v1/projects/acme/secret/table/bulk"),
        ("PUT", "/api/v1/projects/acme/secret/workspace"),
        ("PATCH", RUN),
        ("POST", f"{RUN}/finish"),
        ("POST", "/api/v1/projects/acme/secret/reports"),
    ],
)
def test_a_body_that_is_not_an_object_is_a_400(world: World, method: str, path: str, body: bytes) -> None:
    response = send_raw(world.member.client(), method, path, body)
    assert response.status_code == 400
    assert response.json() == {"error": "The body must be a JSON object."}
