"""The runs table API: lean rows, keys, the saved layout, groups, CSV and bulk edits."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest

from apps.runs.models import Run
from tests.factories import World, run_create, world_create

pytestmark = pytest.mark.django_db

READ, WRITE = "read", "write"
OK = 200  # every endpoint here answers 200 when allowed

# (name, method, path under the project, body, level)
ENDPOINTS: list[tuple[str, str, str, Any, str]] = [
    ("rows", "get", "/table/rows", None, READ),
    ("rows by id", "get", "/table/rows?ids=r1", None, READ),
    ("keys", "get", "/table/keys", None, READ),
    ("view", "get", "/table/view", None, READ),
    ("groups", "get", "/table/groups?by=group", None, READ),
    ("export", "get", "/table/export.csv", None, READ),
    ("view save", "put", "/table/view", {"columns": ["state", "config.lr"]}, WRITE),
    ("bulk tag", "post", "/table/bulk", {"action": "tag", "runs": ["r1"], "tags": ["x"]}, WRITE),
    ("bulk delete", "post", "/table/bulk", {"action": "delete", "runs": ["r1"]}, WRITE),
]


def expected(person: str, public: bool, level: str) -> int:
    rank = {"alice": 3, "bob": 2, "carol": 1}.get(person, 0)
    need = {READ: 1, WRITE: 2}[level]
    if rank >= need:
        return OK
    if rank == 0 and not public:
        return 404
    if level == READ:
        return OK
    return 401 if person == "anonymous" else 403


@pytest.fixture
def world() -> World:
    return world_create()


def url(world: World, path: str, project: str = "secret") -> str:
    return f"/api/v1/projects/acme/{project}{path}"


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_it_enforces_the_matrix(world: World, endpoint: tuple[str, str, str, Any, str], public: bool) -> None:
    _, method, path, body, level = endpoint
    project = world.public if public else world.private
    for person in world.everyone():
        if not Run.objects.filter(project=project, run_id="r1").exists():
            run_create(project, "r1", user=world.owner.user)
        client = person.client()
        kwargs: dict[str, Any] = {"format": "json"} if body is not None else {}
        response = getattr(client, method)(url(world, path, project.slug), body, **kwargs) if body is not None else getattr(client, method)(url(world, path, project.slug))
        assert response.status_code == expected(person.name, public, level), (person.name, response.status_code)


def seed(world: World) -> None:
    p = world.private
    run_create(p, "a", name="alpha", config={"lr": 0.1, "opt": "sgd", "model": {"layers": 2}},
               summary={"acc": 0.5, "val/loss": 1.0}, system={"host": "gpu2"}, group="g1", tags=["x"])
    run_create(p, "b", name="beta", config={"lr": 0.01, "opt": "adam", "model": {"layers": 4}},
               summary={"acc": 0.7, "val/loss": 0.5}, system={"host": "gpu1"}, group="g1")
    run_create(p, "c", name="gamma", config={"lr": 0.001, "opt": "adam", "model": {"layers": 4}},
               summary={"acc": 0.9, "val/loss": math.nan}, system={"host": "gpu3"}, group="g2")
    run_create(p, "d", name="=cmd()", config={"opt": "adam"}, summary={"acc": "n/a"})


def test_it_pages_rows_in_the_api_order_with_only_the_asked_columns(world: World) -> None:
    seed(world)
    c = world.viewer.client()
    api = c.get(url(world, "/runs/"), {"filter": "config.lr > 0.0001", "order": "-summary.acc"}).json()
    got = c.get(url(world, "/table/rows"), {"filter": "config.lr > 0.0001", "order": "-summary.acc",
                                           "columns": "summary.acc,summary.`val/loss`,host"}).json()
    assert [r["id"] for r in got["results"]] == [r["id"] for r in api["results"]] == ["c", "b", "a"]
    assert got["count"] == 3
    assert got["results"][1]["values"] == {"summary.acc": 0.7, "summary.`val/loss`": 0.5, "host": "gpu1"}
    assert "config" not in got["results"][0]


def test_it_sorts_by_host_which_the_filter_language_lacks(world: World) -> None:
    seed(world)
    got = world.viewer.client().get(url(world, "/table/rows"), {"order": "host", "columns": "host"}).json()
    assert [r["values"]["host"] for r in got["results"]] == ["gpu1", "gpu2", "gpu3", None]


def test_it_says_what_is_wrong_with_a_filter(world: World) -> None:
    r = world.viewer.client().get(url(world, "/table/rows"), {"filter": "config.lr <"})
    assert r.status_code == 400
    assert r.json()["field"] == "filter" and "column" in r.json()["error"]
    r = world.viewer.client().get(url(world, "/table/rows"), {"columns": "system.host"})
    assert r.status_code == 400 and r.json()["field"] == "columns"


def test_it_gives_current_values_of_given_runs(world: World) -> None:
    seed(world)
    got = world.viewer.client().get(url(world, "/table/rows"), {"ids": "a,c,zz", "columns": "state"}).json()
    assert sorted(r["id"] for r in got["results"]) == ["a", "c"]


def test_it_saves_the_layout_for_everyone(world: World) -> None:
    r = world.member.client().put(url(world, "/table/view"),
                                  {"columns": ["state", "config.model.layers", "summary.`val/loss`", "state"]},
                                  format="json")
    assert r.status_code == 200
    assert r.json()["columns"] == ["state", "config.model.layers", "summary.`val/loss`"]
    assert world.viewer.client().get(url(world, "/table/view")).json()["columns"] == r.json()["columns"]
    bad = world.member.client().put(url(world, "/table/view"), {"columns": ["config"]}, format="json")
    assert bad.status_code == 400


def test_it_lists_keys_as_column_ids(world: World) -> None:
    seed(world)
    keys = world.viewer.client().get(url(world, "/table/keys")).json()
    assert [k["id"] for k in keys["config"]] == ["config.lr", "config.model.layers", "config.opt"]
    assert [k["id"] for k in keys["summary"]] == ["summary.acc", "summary.`val/loss`"]
    assert keys["summary"][1]["label"] == "val/loss"


def test_it_groups_with_mean_min_max_of_finite_numbers(world: World) -> None:
    seed(world)
    got = world.viewer.client().get(url(world, "/table/groups"),
                                    {"by": "config.opt", "metrics": "summary.acc,summary.`val/loss`"}).json()
    groups = {g["value"]: g for g in got["groups"]}
    adam = groups["adam"]
    assert adam["count"] == 3
    assert adam["metrics"]["summary.acc"] == {"n": 2, "mean": pytest.approx(0.8), "min": 0.7, "max": 0.9}
    assert adam["metrics"]["summary.`val/loss`"] == {"n": 1, "mean": 0.5, "min": 0.5, "max": 0.5}
    assert groups["sgd"]["count"] == 1
    # Each group's filter selects exactly its runs.
    c = world.viewer.client()
    ids = [r["id"] for r in c.get(url(world, "/runs/"), {"filter": adam["filter"]}).json()["results"]]
    assert sorted(ids) == ["b", "c", "d"]
    by_group = c.get(url(world, "/table/groups"), {"by": "group", "metrics": "summary.acc"}).json()
    counts = {g["value"]: g["count"] for g in by_group["groups"]}
    assert counts == {"g1": 2, "g2": 1, None: 1}
    none = next(g for g in by_group["groups"] if g["value"] is None)
    assert [r["id"] for r in c.get(url(world, "/runs/"), {"filter": none["filter"]}).json()["results"]] == ["d"]


def test_it_exports_the_filtered_table_as_csv(world: World) -> None:
    seed(world)
    r = world.viewer.client().get(url(world, "/table/export.csv"),
                                  {"filter": 'config.opt = "adam"', "order": "name", "columns": "state,tags,summary.acc,config.lr"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0] == ["id", "name", "state", "tags", "summary.acc", "config.lr"]
    # A cell a spreadsheet would run as a formula is defused.
    assert rows[1:] == [["d", "'=cmd()", "running", "", "n/a", ""],
                        ["b", "beta", "running", "", "0.7", "0.01"],
                        ["c", "gamma", "running", "", "0.9", "0.001"]]


def test_it_tags_untags_and_deletes_in_bulk(world: World) -> None:
    seed(world)
    c = world.member.client()
    r = c.post(url(world, "/table/bulk"), {"action": "tag", "runs": ["a", "b"], "tags": ["best", "x"]}, format="json")
    assert r.json() == {"updated": 2}
    assert Run.objects.get(run_id="a").tags == ["x", "best"]
    assert Run.objects.get(run_id="b").tags == ["best", "x"]
    c.post(url(world, "/table/bulk"), {"action": "untag", "runs": ["a"], "tags": ["x"]}, format="json")
    assert Run.objects.get(run_id="a").tags == ["best"]
    r = c.post(url(world, "/table/bulk"), {"action": "delete", "runs": ["a", "c"]}, format="json")
    assert r.json() == {"deleted": 2}
    assert sorted(Run.objects.values_list("run_id", flat=True)) == ["b", "d"]
    assert c.post(url(world, "/table/bulk"), {"action": "nuke", "runs": ["b"]}, format="json").status_code == 400


def test_column_ids_round_trip() -> None:
    # Imported here: importing apps.core.errors before DRF's settings is circular.
    from apps.core.csv import csv_cell
    from apps.runs.table import column_parse, columns_parse, field_expr

    assert field_expr("summary", ["val/loss"]) == "summary.`val/loss`"
    assert column_parse("config.`a.b`.c").path == ("a.b", "c")
    assert column_parse("config.`we``ird`").path == ("we`ird",)
    assert [c.id for c in columns_parse("state, summary.`a,b`,config.x")] == ["state", "summary.`a,b`", "config.x"]
    assert csv_cell(math.inf) == "Infinity" and csv_cell(["a", "b"]) == "a;b" and csv_cell(-1.5) == "-1.5"


def test_the_project_page_embeds_the_first_page(world: World, client: Any) -> None:
    seed(world)
    world.member.client().put(url(world, "/table/view"), {"columns": ["summary.`val/loss`"]}, format="json")
    client.force_login(world.viewer.user)
    r = client.get("/acme/secret/?order=name")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="runs-table-data"' in html and '"NaN"' in html  # non-finite values as strings
    assert html.index('"id": "d"') < html.index('"id": "a"')  # "=cmd()" sorts before "alpha"
    client.force_login(world.outsider.user)
    assert client.get("/acme/secret/").status_code == 404
