"""W&B's MongoDB-style filters and orders, written in the server's filter language.

The translations run against a real server in test_api_wandb.py; here, what
each operator becomes, and what has no translation says so.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from agent import UsageError
from agent._api import mongo_filter, mongo_order


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ({}, ""),
        ({"state": "finished"}, 'state = "finished"'),
        ({"display_name": 'say "hi"\\'}, 'name = "say \\"hi\\"\\\\"'),
        ({"name": "abc123"}, 'id = "abc123"'),  # W&B's `name` is the run's id
        ({"config.lr": 0.1}, "config.lr = 0.1"),
        ({"config.lr.value": {"$lt": 0.01}}, "config.lr < 0.01"),
        ({"config.model.layers": {"$gte": 4, "$lte": 8}}, "(config.model.layers >= 4 and config.model.layers <= 8)"),
        ({"summary_metrics.val/loss": {"$gt": 1}}, "summary.`val/loss` > 1"),
        ({"summary_metrics.a`b": None}, "summary.`a``b` = null"),
        ({"summary_metrics.acc": {"$ne": 0.5}}, "not summary.acc = 0.5"),
        ({"config.opt": {"$in": ["adam", "sgd"]}}, 'config.opt in ("adam", "sgd")'),
        ({"config.opt": {"$nin": ["adam"]}}, 'not config.opt in ("adam")'),
        ({"config.flag": True}, "config.flag = true"),
        ({"summary_metrics.x": math.inf}, "summary.x = Infinity"),
        ({"display_name": {"$regex": "^bert-"}}, 'name ~ "^bert-"'),
        ({"display_name": {"$regex": "^Bert", "$options": "i"}}, 'name ~ "(?i)^Bert"'),
        ({"summary_metrics.acc": {"$exists": True}}, "summary.acc exists"),
        ({"config.lr": {"$exists": False}}, "config.lr not exists"),
        ({"tags": "a"}, 'tags contains "a"'),
        ({"sweep": "abc123"}, 'sweep = "abc123"'),
        ({"sweepName": {"$in": ["a", "b"]}}, 'sweep in ("a", "b")'),
        ({"tags": {"$in": ["a", "b"]}}, 'tags in ("a", "b")'),
        ({"tags": {"$nin": ["a"]}}, 'tags not in ("a")'),
        ({"tags": {"$ne": "a"}}, 'tags not contains "a"'),
        ({"createdAt": {"$gt": "2026-11-01T00:00:00"}}, 'created_at > "2026-11-01T00:00:00"'),
        ({"jobType": "train", "group": "g"}, '(job_type = "train" and group = "g")'),
        ({"username": "admin"}, 'user = "admin"'),
        ({"config.lr": {"$not": {"$gt": 0.1}}}, "not (config.lr > 0.1)"),
        ({"$or": [{"state": "crashed"}, {"tags": "best"}]}, '(state = "crashed" or tags contains "best")'),
        ({"$nor": [{"state": "crashed"}, {"state": "failed"}]}, 'not (state = "crashed" or state = "failed")'),
        (
            {"$and": [{"$or": [{"config.a": 1}, {"config.b": 2}]}, {"state": "finished"}]},
            '((config.a = 1 or config.b = 2) and state = "finished")',
        ),
    ],
)
def test_it_writes_each_operator_in_the_filter_language(query: dict[str, Any], text: str) -> None:
    assert mongo_filter(query) == text


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"system_metrics": 1}, "'system_metrics' is not supported"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"config.lr": {"$mod": [2, 0]}}, "operator $mod on 'config.lr' is not supported"),
        ({"$where": "x"}, "operator $where is not supported at the top level"),
        ({"tags": {"$regex": "^a"}}, "tags take a value, $eq, $ne, $in or $nin, not $regex"),
        ({"state": {"$exists": True}}, "$exists applies to config and summary_metrics keys, not 'state'"),
        ({"config.lr": {"$in": []}}, "$in on 'config.lr' takes a non-empty list"),
        ({"config.lr": [1, 2]}, "compares with a single value or an operator dict"),
        ({"config": 1}, "expected a key after 'config'"),
        ({"$or": {"state": "x"}}, "$or takes a non-empty list of dicts"),
        ({"name": {"$regex": "x", "$options": "x"}}, "only i, m and s are supported"),
        ({"config.x": object()}, "takes a string, number, boolean or None"),
    ],
)
def test_what_has_no_translation_is_a_usage_error_naming_it(query: dict[str, Any], named: str) -> None:
    with pytest.raises(UsageError) as caught:
        mongo_filter(query)
    assert named in str(caught.value)


@pytest.mark.parametrize(
    ("order", "text"),
    [
        ("-summary_metrics.acc", "-summary.acc"),
        ("+config.lr", "config.lr"),
        ("config.lr.value", "config.lr"),
        ("created_at", "created_at"),
        ("-createdAt", "-created_at"),
        ("+heartbeatAt,-summary_metrics.val/acc", "heartbeat_at,-summary.`val/acc`"),
    ],
)
def test_it_writes_w_and_b_orders_in_the_language(order: str, text: str) -> None:
    assert mongo_order(order) == text


def test_an_order_of_an_unknown_field_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown field 'colour'"):
        mongo_order("-colour")

