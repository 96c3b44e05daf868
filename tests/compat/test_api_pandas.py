"""``run.history()`` gives a pandas DataFrame when pandas is installed, as W&B's does.

The agent's venvs have no pandas, so this runs a W&B user's script under the
compat interpreter (``.venv-compat/bin/python``: pandas, numpy, torch...): it
logs a run, reads it back with ``wandb.Api`` (``import agent as wandb``) and
writes what it got; the test compares that with what was logged.
"""

from __future__ import annotations

import json
from typing import Callable

import pytest

from tests.compat.conftest import CompatRun

pytestmark = pytest.mark.server

SCRIPT = """
import json, sys
import pandas as pd
import agent as wandb

run = wandb.init(project="api-pandas", id="frame-1", config={"lr": 0.1})
for step in range(20):
    row = {"loss": 1.0 / (step + 1), "epoch": step // 5}
    if step % 4 == 0:
        row["val/acc"] = step / 100
    wandb.log(row)
wandb.finish()

api = wandb.Api()
run = api.run("api-pandas/frame-1")
df = run.history()
some = run.history(keys=["loss", "val/acc"])
rows = run.history(pandas=False)
system = run.history(stream="system")
scanned = pd.DataFrame(run.scan_history(keys=["loss"]))
both = api.runs("api-pandas", filters={"name": "frame-1"}).histories(keys=["val/acc"], format="pandas")
json.dump({
    "dataframes": [isinstance(x, pd.DataFrame) for x in (df, some, system, both)],
    "histories": both[["run_id", "_step"]].values.tolist(),
    "columns": sorted(df.columns),
    "steps": df["_step"].tolist(),
    "loss": df["loss"].tolist(),
    "epoch": df["epoch"].tolist(),
    "acc": df["val/acc"].dropna().tolist(),
    "acc_steps": df.loc[df["val/acc"].notna(), "_step"].tolist(),
    "some_steps": some["_step"].tolist(),
    "some_columns": sorted(some.columns),
    "rows_type": type(rows).__name__,
    "scanned_loss": scanned["loss"].tolist(),
    "scanned_columns": sorted(scanned.columns),
}, open("out.json", "w"))
"""


def test_history_is_a_dataframe_of_the_logged_values(run_compat_script: Callable[..., CompatRun]) -> None:
    result = run_compat_script(SCRIPT)
    got = json.loads((result.cwd / "out.json").read_text())

    assert got["dataframes"] == [True, True, True, True]
    assert got["histories"] == [["frame-1", s] for s in (0, 4, 8, 12, 16)]
    assert got["columns"] == ["_step", "epoch", "loss", "val/acc"]
    assert got["steps"] == list(range(20))
    assert got["loss"] == [1.0 / (s + 1) for s in range(20)]
    assert got["epoch"] == [s // 5 for s in range(20)]
    assert got["acc_steps"] == [0, 4, 8, 12, 16] and got["acc"] == [s / 100 for s in (0, 4, 8, 12, 16)]
    # With keys, the rows holding all of them, as W&B.
    assert got["some_steps"] == [0, 4, 8, 12, 16] and got["some_columns"] == ["_step", "loss", "val/acc"]
    assert got["rows_type"] == "list"
    assert got["scanned_loss"] == got["loss"]
    assert got["scanned_columns"] == ["_runtime", "_step", "_timestamp", "loss"]
