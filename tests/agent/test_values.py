from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import agent
from agent import _spool
from agent._values import coerce_scalar, flatten
from tests.agent.conftest import run_dirs, spool_records
from tests.ci import unavailable


def test_it_flattens_nested_dicts_to_slash_keys() -> None:
    out: dict = {}
    flatten({"a": {"b": {"c": 1}}, "d": 2.5, 3: "x"}, out, [])
    assert out == {"a/b/c": 1, "d": 2.5, "3": "x"}


def test_it_keeps_media_references_whole() -> None:
    out: dict = {}
    flatten({"img": {"_type": "image", "path": "media/x.png"}}, out, [])
    assert out == {"img": {"_type": "image", "path": "media/x.png"}}


def test_it_takes_numbers_it_does_not_know_by_type() -> None:
    assert coerce_scalar(Fraction(1, 2)) == (True, 0.5)
    assert coerce_scalar(True) == (True, True)
    assert coerce_scalar(None) == (True, None)


def test_it_takes_numpy_scalars_and_one_element_arrays() -> None:
    try:
        import numpy as np
    except ImportError as e:  # every agent venv of the Makefile has numpy
        unavailable(f"could not import 'numpy': {e}")
    assert coerce_scalar(np.float32(0.5)) == (True, 0.5)
    assert coerce_scalar(np.int64(3)) == (True, 3)
    assert coerce_scalar(np.bool_(True)) == (True, True)
    assert coerce_scalar(np.array([2.0])) == (True, 2.0)
    ok, why = coerce_scalar(np.zeros(3))
    assert not ok and "3 values" in why


def test_a_value_that_cannot_be_logged_warns_naming_its_key_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    run = agent.init(project="p", mode="offline", dir=str(tmp_path), settings={"quiet": True})
    with pytest.warns(agent.AgentWarning) as caught:
        run.log({"bad": [1, 2], "good": 1.5, "nested": {"worse": object(), "fine": 2}})
    messages = " ".join(str(w.message) for w in caught)
    assert "'bad'" in messages and "'nested/worse'" in messages
    run.finish(quiet=True)
    rows = spool_records(run_dirs(tmp_path)[0], kind=_spool.HISTORY)
    assert [r[2] for r in rows] == [{"good": 1.5, "nested/fine": 2}]


def test_strict_mode_raises_instead(tmp_path: Path) -> None:
    run = agent.init(
        project="p", mode="offline", dir=str(tmp_path), settings={"quiet": True, "strict": True}
    )
    with pytest.raises(agent.UsageError, match="'bad'"):
        run.log({"bad": [1, 2]})
    run.finish(quiet=True)


def test_log_never_raises_on_nonsense(tmp_path: Path) -> None:
    run = agent.init(project="p", mode="offline", dir=str(tmp_path), settings={"quiet": True})
    with pytest.warns(agent.AgentWarning):
        run.log("not a dict")  # type: ignore[arg-type]
        run.log({"x": 1}, step="seven")  # type: ignore[arg-type]
    run.finish(quiet=True)
