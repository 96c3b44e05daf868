"""The run filter and order languages, against the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from apps.orgs.models import Organization
from apps.runs.models import Project, Run
from apps.runs.query import (
    And,
    Comparison,
    Field,
    FilterError,
    Not,
    Or,
    filter_runs,
    order_runs,
    parse_filter,
)

UTC = dt.timezone.utc


@pytest.fixture
def project(db: Any) -> Project:
    org = Organization.objects.create(slug="acme", name="Acme")
    return Project.objects.create(organization=org, slug="vision")


def make(project: Project, run_id: str, **fields: Any) -> Run:
    created_at = fields.pop("created_at", None)
    run = Run.objects.create(project=project, run_id=run_id, **fields)
    if created_at is not None:
        Run.objects.filter(pk=run.pk).update(created_at=created_at)
    return run


def ids(project: Project, text: str) -> set[str]:
    return set(
        filter_runs(Run.objects.filter(project=project), text).values_list("run_id", flat=True)
    )


def ordered(project: Project, text: str) -> list[str]:
    return list(
        order_runs(Run.objects.filter(project=project), text).values_list("run_id", flat=True)
    )


@pytest.fixture
def runs(project: Project) -> Project:
    """Four runs with the mix of values a real project has."""
    make(
        project,
        "a",
        name="bert-a",
        state="finished",
        tags=["baseline", "bert"],
        config={
            "lr": 0.001,
            "optimizer": "adam",
            "batch": 32,
            "flag": True,
            "model": {"layers": 12, "name": "bert-base"},
        },
        summary={"acc": 0.95, "loss": 0.1, "val/loss": 0.2},
    )
    make(
        project,
        "b",
        name="bert-b",
        state="crashed",
        tags=["bert"],
        config={
            "lr": 0.01,
            "optimizer": "sgd",
            "batch": "32",
            "flag": False,
            "model": {"layers": 6},
        },
        summary={"acc": 0.85, "loss": math.nan},
    )
    make(
        project,
        "c",
        name="gpt-c",
        state="running",
        tags=[],
        config={"lr": 0.1, "optimizer": None, "x": "5"},
        summary={"acc": 0.5, "loss": math.inf},
    )
    make(
        project,
        "d",
        name="GPT-d",
        state="failed",
        tags=["Baseline"],
        config={},
        summary={"loss": -math.inf, "acc": "n/a"},
    )
    return project


# --- Comparisons -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config.lr = 0.01", {"b"}),
        ("config.lr != 0.01", {"a", "c"}),
        ("config.lr < 0.01", {"a"}),
        ("config.lr <= 0.01", {"a", "b"}),
        ("config.lr > 0.01", {"c"}),
        ("config.lr >= 0.01", {"b", "c"}),
        ("config.lr < 1e-2", {"a"}),
        ("config.lr in (0.001, 0.1, 7)", {"a", "c"}),
        ("config.lr not in (0.001, 0.1)", {"b"}),
        ("config.model.layers > 8", {"a"}),
        ("config.model.layers = 6", {"b"}),
        ("summary.acc >= 0.85", {"a", "b"}),
    ],
)
def test_it_compares_numbers(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('config.optimizer = "adam"', {"a"}),
        ("config.optimizer = 'adam'", {"a"}),
        # Typed: a JSON null and a missing key are neither equal nor unequal to a string.
        ('config.optimizer != "adam"', {"b"}),
        ('config.optimizer < "b"', {"a"}),
        ('config.optimizer >= "b"', {"b"}),
        ('config.optimizer in ("adam", "sgd", "rmsprop")', {"a", "b"}),
        ('config.optimizer not in ("sgd")', {"a"}),
        ('config.model.name = "bert-base"', {"a"}),
        ('summary.acc = "n/a"', {"d"}),
    ],
)
def test_it_compares_strings(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config.batch = 32", {"a"}),
        ('config.batch = "32"', {"b"}),
        ("config.batch > 1", {"a"}),
        ('config.batch in (32, "32")', {"a", "b"}),
        ("config.x = 5", set()),
        ('config.x = "5"', {"c"}),
        ("config.model = 12", set()),  # an object is not a number
        ("config.flag = 1", set()),  # nor is a boolean
        ('config.lr = "0.001"', set()),
        ('config.batch not in (31, "31")', {"a", "b"}),
        ('config.batch not in (32, "31")', {"b"}),
    ],
)
def test_it_keeps_numbers_and_strings_apart(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config.flag = true", {"a"}),
        ("config.flag = false", {"b"}),
        ("config.flag != true", {"b"}),
        ("config.flag in (true, false)", {"a", "b"}),
        ("config.flag = TRUE", {"a"}),
        ('config.flag = "true"', set()),
    ],
)
def test_it_compares_booleans(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config.optimizer = null", {"c", "d"}),  # JSON null, or missing
        ("config.optimizer != null", {"a", "b"}),
        ("config.optimizer not in (null)", {"a", "b"}),
        ('config.optimizer in (null, "sgd")', {"b", "c", "d"}),
        ("config.optimizer exists", {"a", "b", "c"}),  # present, even as null
        ("config.optimizer not exists", {"d"}),
        ("config.model.layers exists", {"a", "b"}),
        ("config.model.layers.deeper exists", set()),
        ("summary.loss exists", {"a", "b", "c", "d"}),
        ("not config.optimizer exists", {"d"}),
    ],
)
def test_it_finds_null_and_missing_keys(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("summary.loss = NaN", {"b"}),
        ("summary.loss = nan", {"b"}),
        ("summary.loss = Infinity", {"c"}),
        ("summary.loss = -Infinity", {"d"}),
        ("summary.loss = -infinity", {"d"}),
        # Ordered comparisons skip NaN but place the infinities where they belong.
        ("summary.loss < 1", {"a", "d"}),
        ("summary.loss > 1", {"c"}),
        ("summary.loss < Infinity", {"a", "d"}),
        ("summary.loss <= Infinity", {"a", "c", "d"}),
        ("summary.loss > -1e308", {"a", "c"}),
        ("summary.loss < NaN", set()),
        ("summary.loss >= NaN", set()),
        # NaN is a number that equals nothing listed.
        ("summary.loss != 0.1", {"b", "c", "d"}),
        ("summary.loss != NaN", {"a", "c", "d"}),
        ("summary.loss in (NaN, Infinity)", {"b", "c"}),
        ("summary.loss not in (NaN, Infinity)", {"a", "d"}),
        ("not summary.loss = NaN", {"a", "c", "d"}),
    ],
)
def test_it_handles_non_finite_values(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


def test_it_does_not_take_a_string_for_a_tagged_float(project: Project) -> None:
    make(project, "tagged", summary={"loss": math.nan})
    make(project, "text", summary={"loss": '{"$float":"NaN"}', "big": '{"$float":"Infinity"}'})
    assert ids(project, "summary.loss = NaN") == {"tagged"}
    assert ids(project, "summary.big > 0") == set()


def test_it_compares_huge_integers(project: Project) -> None:
    make(project, "huge", config={"seed": 10**30})
    make(project, "small", config={"seed": 7})
    assert ids(project, "config.seed > 1e20") == {"huge"}
    assert ids(project, "config.seed < 100") == {"small"}


# --- Combining ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # and binds tighter than or.
        ('config.optimizer = "adam" or config.lr = 0.01 and summary.acc > 0.9', {"a"}),
        ('(config.optimizer = "adam" or config.lr = 0.01) and summary.acc > 0.8', {"a", "b"}),
        ('summary.acc > 0.9 and config.lr = 0.001 or state = "running"', {"a", "c"}),
        ('summary.acc > 0.9 and (config.lr = 0.001 or state = "running")', {"a"}),
        # not binds tighter than and; it is the complement, missing keys included.
        ('not config.optimizer = "sgd"', {"a", "c", "d"}),
        ('not config.optimizer = "sgd" and state != "failed"', {"a", "c"}),
        ('not (config.optimizer = "sgd" or state = "failed")', {"a", "c"}),
        ("not not summary.acc > 0.9", {"a"}),
        ("not config.lr < 0.05", {"c", "d"}),
        ("((((summary.acc > 0.6))))", {"a", "b"}),
        # Keywords ignore case.
        (
            'config.lr < 0.05 AND Config.optimizer In ("sgd") OR NOT state = "running" aNd name CONTAINS "gpt"',
            {"b", "d"},
        ),
        ("Summary.loss = NAN or summary.loss = INFINITY", {"b", "c"}),
        ("config.optimizer = NULL", {"c", "d"}),
        ("config.optimizer EXISTS and config.optimizer NOT EXISTS", set()),
    ],
)
def test_it_combines_with_and_or_not(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


def test_it_parses_and_tighter_than_or() -> None:
    lr = Comparison(Field("config", ("lr",), 0), "<", (1,), 0)
    node = parse_filter("config.lr < 1 or name = 'x' and not state = 'y'")
    assert isinstance(node, Or)
    assert node.children[0] == lr
    second = node.children[1]
    assert isinstance(second, And)
    assert isinstance(second.children[1], Not)


def test_it_returns_every_run_for_a_blank_filter(runs: Project) -> None:
    assert ids(runs, "") == ids(runs, "   ") == {"a", "b", "c", "d"}


# --- Keys --------------------------------------------------------------------------

STRANGE_KEYS = [
    "val/loss",
    "a.b",
    "it's",
    'say "hi"',
    'dot."quoted"',
    "$float",
    "$",
    "back\\slash",
    "λ-rate",
    "tick`key",
    "'); DROP TABLE runs_run; --",
    '"]}; DROP TABLE runs_run; --',
    "a[0]",
    "with space",
    "",
]


def _backticked(key: str) -> str:
    return "`" + key.replace("`", "``") + "`"


@pytest.mark.parametrize("key", STRANGE_KEYS)
def test_it_reads_keys_with_any_characters(project: Project, key: str) -> None:
    make(project, "hit", config={key: 1, "nested": {key: "v"}}, summary={key: "x"})
    make(project, "miss", config={"other": 1, "nested": {"other": "v"}}, summary={"other": "x"})
    k = _backticked(key)
    assert ids(project, f"config.{k} = 1") == {"hit"}
    assert ids(project, f"config.{k} exists") == {"hit"}
    assert ids(project, f"config.{k} not exists") == {"miss"}
    assert ids(project, f"config.nested.{k} = 'v'") == {"hit"}
    assert ids(project, f"summary.{k} ~ '^x$'") == {"hit"}
    assert Run.objects.count() == 2  # nothing was dropped
    assert ordered(project, f"-config.{k}") == ["hit", "miss"]


def test_it_finds_non_finite_values_under_strange_keys(project: Project) -> None:
    make(project, "hit", summary={'say "hi"': math.nan, "λ": math.inf})
    make(project, "miss", summary={'say "hi"': 1.0, "λ": 1.0})
    assert ids(project, 'summary.`say "hi"` = NaN') == {"hit"}
    assert ids(project, "summary.λ > 1e300") == {"hit"}
    assert ids(project, "summary.λ = Infinity") == {"hit"}


def test_it_matches_keys_case_sensitively(runs: Project) -> None:
    assert ids(runs, "config.LR = 0.01") == set()
    assert ids(runs, "CONFIG.lr = 0.01") == {"b"}


def test_it_tells_dotted_keys_from_nested_ones(project: Project) -> None:
    make(project, "flat", config={"a.b": 1})
    make(project, "nested", config={"a": {"b": 1}})
    assert ids(project, "config.`a.b` = 1") == {"flat"}
    assert ids(project, "config.a.b = 1") == {"nested"}


def test_it_reads_plain_keys_with_dashes_digits_and_dollars(project: Project) -> None:
    make(project, "r", config={"learning-rate": 0.1, "0": {"$x": 2}, "2d": True})
    assert ids(project, "config.learning-rate = 0.1") == {"r"}
    assert ids(project, "config.0.$x = 2") == {"r"}
    assert ids(project, "config.2d = true") == {"r"}


def test_it_reads_keys_the_agent_made_of_nested_dicts_without_backquotes(project: Project) -> None:
    # agent.log({"test": {"acc": ...}}) stores "test/acc": `/` means nothing else in the language.
    make(project, "hit", summary={"test/acc": 0.95, "val": {"top/1": 3}})
    make(project, "miss", summary={"test/acc": 0.5, "test": {"acc": 0.99}})
    assert ids(project, "summary.test/acc > 0.9") == {"hit"}
    assert ids(project, "summary.test/acc > 0.9") == ids(project, "summary.`test/acc` > 0.9")
    assert ids(project, "summary.val.top/1 = 3") == {"hit"}
    assert ids(project, "summary.test.acc > 0.9") == {"miss"}  # a dot is still a nested key
    assert ordered(project, "-summary.test/acc") == ["hit", "miss"]


def test_it_does_not_index_arrays(project: Project) -> None:
    make(project, "r", config={"layers": [64, 128], "named": {"0": 64}})
    assert ids(project, "config.layers.0 = 64") == set()
    assert ids(project, "config.named.0 = 64") == {"r"}


def test_it_keeps_values_out_of_the_sql(runs: Project) -> None:
    assert ids(runs, 'name = "\'); DROP TABLE runs_run; --"') == set()
    assert ids(runs, "config.optimizer = '\\' OR 1=1 --'") == set()
    assert ids(runs, 'tags contains "x\'] OR 1=1"') == set()
    assert Run.objects.count() == 4


# --- Text, tags, users ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('state = "finished"', {"a"}),
        ('state in ("finished", "crashed")', {"a", "b"}),
        ('state not in ("finished", "crashed")', {"c", "d"}),
        ('state != "running"', {"a", "b", "d"}),
        ('name ~ "^bert-"', {"a", "b"}),
        ('name !~ "^bert-"', {"c", "d"}),
        ('name ~ "^gpt"', {"c"}),  # case-sensitive
        ('name ~ "(?i)^gpt"', {"c", "d"}),
        ('name ~ "-[a-c]$"', {"a", "b", "c"}),
        (r'name ~ "\\w+-d"', {"d"}),
        ('name contains "GPT"', {"c", "d"}),  # ignores case
        ('name not contains "gpt"', {"a", "b"}),
        ('id < "c"', {"a", "b"}),  # lowercase: upper case sorts by the database's collation
        ('id = "c"', {"c"}),
        ('id in ("a", "d", "zz")', {"a", "d"}),
        ('config.model.name ~ "base$"', {"a"}),
        ('config.model.name !~ "base$"', set()),
        ('config.optimizer !~ "^a"', {"b"}),
        ('config.optimizer contains "DA"', {"a"}),
        ('config.optimizer not contains "DA"', {"b"}),
    ],
)
def test_it_matches_text(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


def test_it_matches_contains_literally(project: Project) -> None:
    make(project, "pct", name="100%_done", notes="50% off")
    make(project, "plain", name="1000 done", notes="half")
    assert ids(project, 'name contains "%"') == {"pct"}
    assert ids(project, 'name contains "%_d"') == {"pct"}
    assert ids(project, 'notes contains "% OFF"') == {"pct"}


def test_it_reads_escaped_quotes_in_strings(project: Project) -> None:
    make(project, "q", name='say "hi"', notes="it's \\ here")
    assert ids(project, 'name = "say \\"hi\\""') == {"q"}
    assert ids(project, "notes = 'it\\'s \\\\ here'") == {"q"}
    assert ids(project, "name = 'say \"hi\"'") == {"q"}


def test_it_matches_empty_text_columns_as_null(project: Project) -> None:
    make(project, "grouped", group="sweep-1", job_type="train")
    make(project, "loose")
    assert ids(project, "group = null") == {"loose"}
    assert ids(project, "group != null") == {"grouped"}
    assert ids(project, 'job_type = "train"') == {"grouped"}
    assert ids(project, 'group in ("sweep-1", null)') == {"grouped", "loose"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('tags contains "baseline"', {"a"}),  # exact and case-sensitive
        ('tags contains "Baseline"', {"d"}),
        ('tags contains "bert"', {"a", "b"}),
        ('tags contains "ber"', set()),
        ('tags not contains "bert"', {"c", "d"}),
        ('not tags contains "bert"', {"c", "d"}),
        ('tags in ("baseline", "Baseline")', {"a", "d"}),
        ('tags not in ("bert", "Baseline")', {"c"}),
        ('tags contains "baseline" or tags contains "Baseline"', {"a", "d"}),
        ('tags contains "bert" and not tags contains "baseline"', {"b"}),
    ],
)
def test_it_matches_tags(runs: Project, text: str, expected: set[str]) -> None:
    assert ids(runs, text) == expected


def test_it_matches_tags_only_as_strings(project: Project) -> None:
    make(project, "num", tags=[5])
    make(project, "str", tags=["5"])
    assert ids(project, 'tags contains "5"') == {"str"}


def test_it_matches_users_by_username(project: Project) -> None:
    users = get_user_model().objects
    make(project, "alices", user=users.create_user(username="alice"))
    make(project, "bobs", user=users.create_user(username="bob"))
    make(project, "nobodys")
    assert ids(project, 'user = "alice"') == {"alices"}
    assert ids(project, 'user != "alice"') == {"bobs"}
    assert ids(project, 'not user = "alice"') == {"bobs", "nobodys"}
    assert ids(project, "user = null") == {"nobodys"}
    assert ids(project, "user != null") == {"alices", "bobs"}
    assert ids(project, 'user in ("bob", null)') == {"bobs", "nobodys"}
    assert ids(project, 'user ~ "^a"') == {"alices"}
    assert ids(project, 'user contains "O"') == {"bobs"}


def test_it_compares_runtime(project: Project) -> None:
    make(project, "short", runtime=30.0)
    make(project, "long", runtime=7200.5)
    assert ids(project, "runtime > 3600") == {"long"}
    assert ids(project, "runtime <= 30") == {"short"}
    assert ids(project, "runtime < Infinity") == {"short", "long"}
    assert ids(project, "runtime in (30, 1)") == {"short"}
    assert ids(project, "runtime != 30") == {"long"}
    assert ids(project, "runtime = NaN") == set()
    assert ids(project, "runtime != NaN") == {"short", "long"}
    assert ids(project, "not runtime != NaN") == set()


# --- Times -------------------------------------------------------------------------


@pytest.fixture
def dated(project: Project) -> Project:
    make(project, "oct31", created_at=dt.datetime(2026, 10, 31, 23, 0, tzinfo=UTC))
    make(
        project,
        "nov1",
        created_at=dt.datetime(2026, 11, 1, 10, 0, tzinfo=UTC),
        finished_at=dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
    )
    make(project, "nov2", created_at=dt.datetime(2026, 11, 2, 0, 0, tzinfo=UTC))
    return project


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A date is the whole UTC day.
        ('created_at = "2026-11-01"', {"nov1"}),
        ('created_at != "2026-11-01"', {"oct31", "nov2"}),
        ('created_at > "2026-11-01"', {"nov2"}),
        ('created_at >= "2026-11-01"', {"nov1", "nov2"}),
        ('created_at < "2026-11-01"', {"oct31"}),
        ('created_at <= "2026-11-01"', {"oct31", "nov1"}),
        ('created_at in ("2026-10-31", "2026-11-02")', {"oct31", "nov2"}),
        # A date-time is an instant; without an offset it is UTC.
        ('created_at > "2026-11-01T09:00:00Z"', {"nov1", "nov2"}),
        ('created_at > "2026-11-01T09:00"', {"nov1", "nov2"}),
        ('created_at > "2026-11-01 11:00:00"', {"nov2"}),
        ('created_at < "2026-11-01T01:30:00+02:00"', {"oct31"}),
        ('created_at = "2026-11-02T00:00:00Z"', {"nov2"}),
        ('created_at >= "2026-11-01T10:00:00.000000Z"', {"nov1", "nov2"}),
        ("finished_at = null", {"oct31", "nov2"}),
        ("finished_at != null", {"nov1"}),
        ('finished_at < "2026-12-01"', {"nov1"}),
        ('not finished_at < "2026-12-01"', {"oct31", "nov2"}),
        ('finished_at != "2026-11-02"', {"nov1"}),
    ],
)
def test_it_compares_times(dated: Project, text: str, expected: set[str]) -> None:
    assert ids(dated, text) == expected


# --- Ordering ------------------------------------------------------------------------


@pytest.fixture
def ranked(project: Project) -> Project:
    day = dt.datetime(2026, 11, 1, tzinfo=UTC)
    values: dict[str, Any] = {
        "low": 0.1,
        "high": 0.9,
        "int": 1,
        "inf": math.inf,
        "ninf": -math.inf,
        "nan": math.nan,
        "text": "beta",
        "text2": "alpha",
        "null": None,
        "bool": True,
    }
    for i, (run_id, value) in enumerate(values.items()):
        make(
            project,
            run_id,
            summary={"acc": value},
            name=f"n{i:02}",
            created_at=day + dt.timedelta(hours=i),
        )
    make(project, "missing", summary={}, name="", created_at=day + dt.timedelta(hours=20))
    make(project, "missing-older", summary={}, name="", created_at=day - dt.timedelta(hours=1))
    return project


def test_it_sorts_numbers_then_text_then_missing(ranked: Project) -> None:
    numbers = ["ninf", "low", "high", "int", "inf"]
    no_value = ["missing", "bool", "null", "nan", "missing-older"]  # newest first
    assert ordered(ranked, "summary.acc") == numbers + ["text2", "text"] + no_value
    assert ordered(ranked, "-summary.acc") == numbers[::-1] + ["text", "text2"] + no_value


def test_it_sorts_by_columns_with_ties_newest_first(ranked: Project) -> None:
    assert ordered(ranked, "name")[:3] == ["missing", "missing-older", "low"]
    assert ordered(ranked, "-name")[:2] == ["bool", "null"]
    assert ordered(ranked, "-name")[-2:] == ["missing", "missing-older"]  # "" is a value
    assert ordered(ranked, "") == ordered(ranked, "-created_at")
    assert ordered(ranked, "created_at")[0] == "missing-older"


def test_it_sorts_by_several_keys(project: Project) -> None:
    make(project, "a1", config={"opt": "adam"}, summary={"acc": 0.5})
    make(project, "a2", config={"opt": "adam"}, summary={"acc": 0.7})
    make(project, "s1", config={"opt": "sgd"}, summary={"acc": 0.9})
    make(project, "none", summary={"acc": 0.99})
    assert ordered(project, "config.opt, -summary.acc") == ["a2", "a1", "s1", "none"]
    assert ordered(project, " -config.opt , summary.acc ") == ["s1", "a1", "a2", "none"]


def test_it_sorts_missing_times_and_users_last(project: Project) -> None:
    users = get_user_model().objects
    make(
        project,
        "zed",
        user=users.create_user(username="zed"),
        finished_at=dt.datetime(2026, 1, 2, tzinfo=UTC),
    )
    make(
        project,
        "amy",
        user=users.create_user(username="amy"),
        finished_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
    )
    make(project, "anon")
    assert ordered(project, "user") == ["amy", "zed", "anon"]
    assert ordered(project, "-user") == ["zed", "amy", "anon"]
    assert ordered(project, "-finished_at") == ["zed", "amy", "anon"]
    assert ordered(project, "finished_at") == ["amy", "zed", "anon"]


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("loss", "unknown field 'loss'", 1),
        ("summary.acc, -bogus", "unknown field 'bogus'", 15),
        ("tags", "cannot sort by tags", 1),
        ("name,", "expected a field to sort by, found the end of the filter", 6),
        ("name -created_at", "expected ',' between sort keys, found '-'", 6),
        ("config", "expected '.' and a key after 'config'", 7),
        ("--name", "expected a field to sort by, found '-'", 2),
    ],
)
def test_it_refuses_bad_orders(db: Any, text: str, message: str, column: int) -> None:
    with pytest.raises(FilterError) as e:
        order_runs(Run.objects.all(), text)
    assert message in str(e.value)
    assert e.value.position == column - 1
    assert str(e.value).endswith(f"at column {column}")


# --- Errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("config.lr > ", "expected a value after '>', found the end of the filter", 13),
        ("summary.acc >= 0.9 and config.lr >", "expected a value after '>'", 35),
        (
            "config.lr 5",
            "expected an operator (=, !=, <, <=, >, >=, ~, !~, in, contains, exists) after 'config.lr', found '5'",
            11,
        ),
        ("loss < 1", "unknown field 'loss' (expected config.<key>, summary.<key>, name, state", 1),
        ("config < 1", "expected '.' and a key after 'config'", 7),
        ("name.x = 'a'", "'name' has no keys", 5),
        ("config. = 1", "expected a key after '.'", 8),
        ("config.`a = 1", "unterminated `quoted key` starting", 8),
        ("name = 'abc", "unterminated string starting", 8),
        (
            "(state = 'x'",
            "expected ')' to close the '(' at column 1, found the end of the filter",
            13,
        ),
        ("state = 'x')", "expected 'and', 'or' or the end of the filter, found ')'", 12),
        (
            "state = 'x' and",
            "expected a field such as config.lr or name, found the end of the filter",
            16,
        ),
        ("and state = 'x'", "expected a field such as config.lr or name, found 'and'", 1),
        ("state = 'x' && name = 'y'", "unexpected '&' (use 'and')", 13),
        ("state == 'x'", "unexpected '=' (use '=' to compare)", 7),
        ("state = 'x' || true", "unexpected '|' (use 'or')", 13),
        ("state = x", "expected a value after '=', found 'x'", 9),
        ("state = 5", "expected a string after '=' for 'state', found a number", 9),
        ("runtime = 'long'", "expected a number after '=' for 'runtime', found a string", 11),
        (
            "config.lr < true",
            "expected a number or a string after '<' for 'config.lr', found true or false",
            13,
        ),
        ("config.lr ~ 5", "expected a string after '~' for 'config.lr', found a number", 13),
        ("config.lr ~ '('", "invalid regular expression", 13),
        ("state in 'x'", "expected '(' after 'in', found", 10),
        ("state in ()", "expected a value after 'in', found ')'", 11),
        ("state in ('a' 'b')", "expected ',' or ')' in the list, found", 15),
        ("state in ('a',)", "expected a value after ',', found ')'", 15),
        ("state not = 'a'", "expected 'in', 'contains' or 'exists' after 'not', found '='", 11),
        ("name exists", "'exists' applies to config and summary keys, not 'name'", 6),
        ("tags = 'a'", "tags take 'contains', 'not contains', 'in' or 'not in'", 6),
        ("created_at ~ '2026'", "'~' applies to text, not 'created_at'", 12),
        ("created_at > '2026-13-01'", 'expected a date like "2026-11-01"', 14),
        ("created_at > 'yesterday'", 'expected a date like "2026-11-01"', 14),
        (
            "created_at > 20261101",
            "expected a date string after '>' for 'created_at', found a number",
            14,
        ),
        ("created_at = null", "expected a date string after '=' for 'created_at', found null", 14),
        ("config.lr = 5x", "unexpected 'x'", 14),
        ("config.lr = -nan", "expected a value after '=', found '-'", 13),
        ("config.lr = -Infinityx", "unexpected 'x'", 22),
        ("config.lr = " + "9" * 101, "number longer than 100 characters", 13),
        ("name = 'a' # note", "unexpected character '#'", 12),
        ("`config`.x = 1", "backticks quote a key", 1),
        ("train/loss < 1", "a key such as train/... goes after 'summary.' or 'config.' (summary.train/...)", 6),
    ],
)
def test_it_explains_parse_errors(text: str, message: str, column: int) -> None:
    with pytest.raises(FilterError) as e:
        parse_filter(text)
    assert message in str(e.value)
    assert e.value.position == column - 1
    assert str(e.value).endswith(f"at column {column}")


def test_it_limits_length_depth_and_size() -> None:
    with pytest.raises(FilterError, match="longer than 10000 characters"):
        parse_filter("name = '" + "x" * 10_000 + "'")
    assert parse_filter("(" * 49 + "name = 'x'" + ")" * 49)
    with pytest.raises(FilterError, match="nested deeper than 50 levels") as e:
        parse_filter("(" * 51 + "name = 'x'" + ")" * 51)
    assert e.value.position == 50
    with pytest.raises(FilterError, match="nested deeper than 50 levels"):
        parse_filter("not " * 60 + "name = 'x'")
    assert parse_filter(" or ".join(["name = 'x'"] * 200))
    with pytest.raises(FilterError, match="more than 200 comparisons") as e:
        parse_filter(" or ".join(["name = 'x'"] * 201))
    assert e.value.position == 200 * len("name = 'x' or ")
    with pytest.raises(FilterError, match="more than 200 comparisons"):
        parse_filter("id in (" + ", ".join(f"'r{i}'" for i in range(201)) + ")")


def test_it_raises_a_value_error(db: Any) -> None:
    with pytest.raises(ValueError, match="at column 1$"):
        filter_runs(Run.objects.all(), ")")
