"""A file and a folder of one name cannot both be in a run: the second is a 409
that names the clash, and the first stays whole."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from apps.runs.models import RunFile
from tests.factories import World, world_create

pytestmark = pytest.mark.django_db
RUN = "/api/v1/projects/acme/secret/runs/r1"


@pytest.fixture
def world() -> World:
    w = world_create()
    w.member.client().put(RUN, {}, format="json")
    return w


def put_file(w: World, path: str, body: bytes = b"x") -> Any:
    return w.member.client().put(
        f"{RUN}/files/{path}", data=body, content_type="application/octet-stream",
        HTTP_X_CAIRN_SHA256=hashlib.sha256(body).hexdigest(),
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [("conf", "conf/x"), ("conf", "conf/a/b"), ("dir/x", "dir"), ("a/b/c", "a/b"), ("a/b/c", "a")],
)
def test_a_file_and_a_folder_of_one_name_is_a_409(world: World, first: str, second: str) -> None:
    assert put_file(world, first).status_code == 201
    response = put_file(world, second, b"other")
    assert response.status_code == 409, response.content
    assert response.json()["field"] == "path" and repr(first if len(first) < len(second) else second) in response.json()["error"]
    assert list(RunFile.objects.values_list("path", flat=True)) == [first]
    # The first one is whole.
    assert b"".join(world.member.client().get(f"{RUN}/files/{first}").streaming_content) == b"x"


def test_names_that_only_share_a_prefix_do_not_clash(world: World) -> None:
    for path in ("conf", "conf.d/x", "config/x", "Conf/x", "dir/x", "dir2", "di"):
        assert put_file(world, path).status_code == 201, path
