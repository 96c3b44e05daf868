"""An MLflow server's runs (started by the test: SQLite here, PostgreSQL in CI), imported twice and stored once."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from tests.compat.conftest import ServerReader
from tests.importers.conftest import MlflowServer
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

LOG = """
import sys
import mlflow

mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("Vision Baselines")
with mlflow.start_run(run_name="resnet") as run:
    mlflow.log_params({"lr": 0.001, "optimizer": "adam", "layers": 18})
    mlflow.set_tags({"team": "vision", "mlflow.note.content": "first try"})
    for step in range(50):
        mlflow.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 50}, step=step * 10)
    open("weights.txt", "w").write("w" * 100)
    mlflow.log_artifact("weights.txt", artifact_path="model")
    print("RUN", run.info.run_id)
run = mlflow.start_run(run_name="broken")
mlflow.log_metric("loss", 9.0, step=0)
mlflow.end_run(status="FAILED")
print("RUN", run.info.run_id)
"""


def test_it_imports_experiments_runs_and_their_history_once(
    run_py: Callable[..., Any], cairn: Callable[..., Any], reader: ServerReader,
    cairn_server: ServerProcess, mlflow_server: MlflowServer, tmp_path: Path,
) -> None:
    logged = run_py(LOG, tmp_path, args=(mlflow_server.url,))
    good, bad = [line.split()[1] for line in logged.stdout.splitlines() if line.startswith("RUN ")]
    org, project = cairn_server.org, "vision-baselines"

    out = cairn("import", "mlflow", "--tracking-uri", mlflow_server.url, cwd=tmp_path)
    assert out.stdout.count("imported, synced") == 2, out.stdout
    run = reader.run(org, project, good)
    assert (run["name"], run["state"], run["notes"], run["tags"]) == ("resnet", "finished", "first try", ["team=vision"])
    assert run["config"] == {"lr": 0.001, "optimizer": "adam", "layers": 18}
    assert run["summary"]["loss"] == 1.0 / 50 and run["summary"]["acc"] == 49 / 50
    imported = run["system"]["imported"]
    assert imported["status"] == "FINISHED" and imported["start_time"] <= imported["end_time"]
    rows = reader.history(org, project, good)
    assert [r["step"] for r in rows] == [s * 10 for s in range(50)]
    assert [r["loss"] for r in rows] == [1.0 / (s + 1) for s in range(50)]
    assert all(imported["start_time"] - 1 <= r["time"] <= imported["end_time"] + 1 for r in rows)
    files = reader.get(f"projects/{org}/{project}/runs/{good}/files/").json()["results"]
    assert [(f["path"], f["size"]) for f in files] == [("artifacts/model/weights.txt", 100)]
    assert reader.run(org, project, bad)["state"] == "failed"

    again = cairn("import", "mlflow", "--tracking-uri", mlflow_server.url, "--experiment", "Vision Baselines", cwd=tmp_path)
    assert again.stdout.count("already imported") == 2, again.stdout
    listed = reader.get(f"projects/{org}/{project}/runs/").json()
    assert listed["count"] == 2
    assert reader.run(org, project, good)["streams"]["history"] == 50

    # From the database directly (MLflow's store, one query): the same history.
    direct = cairn("import", "mlflow", "--tracking-uri", mlflow_server.backend, "--project", "via-db", cwd=tmp_path)
    assert direct.stdout.count("imported, synced") == 2, direct.stdout
    assert reader.history(org, "via-db", good) == rows


def test_an_interrupted_import_continues_where_it_stopped(
    run_py: Callable[..., Any], cairn: Callable[..., Any], reader: ServerReader,
    cairn_server: ServerProcess, mlflow_server: MlflowServer, tmp_path: Path,
) -> None:
    run_py(
        """
        import sys
        import mlflow

        mlflow.set_tracking_uri(sys.argv[1])
        mlflow.set_experiment("resumable")
        with mlflow.start_run(run_id=None) as run:
            for step in range(30):
                mlflow.log_metric("loss", float(step), step=step)
            print("RUN", run.info.run_id)
        """,
        tmp_path,
        args=(mlflow_server.url,),
    )
    # The Cairn server cannot be reached: the run is read and staged, not uploaded.
    dead = cairn_server.url.rsplit(":", 1)[0] + ":9"
    staged = tmp_path / "cairn" / "imports"
    failed = cairn_fails(run_py, tmp_path, mlflow_server.url, dead, cairn_server)
    assert "not finished" in failed or "error" in failed.lower(), failed
    assert any(staged.iterdir()), "the staged run is kept for the next try"
    done = cairn("import", "mlflow", "--tracking-uri", mlflow_server.url, "--org", cairn_server.org, cwd=tmp_path)
    assert "imported, synced" in done.stdout, done.stdout
    (run,) = reader.get(f"projects/{cairn_server.org}/resumable/runs/").json()["results"]
    assert [r["loss"] for r in reader.history(cairn_server.org, "resumable", run["id"])] == [float(s) for s in range(30)]
    assert not any(staged.iterdir()), "the staged run is removed once uploaded"


def cairn_fails(run_py: Callable[..., Any], cwd: Path, uri: str, host: str, server: ServerProcess) -> str:
    code = """
    import sys
    from agent.cli import main
    code = main(sys.argv[1:])
    print("EXIT", code)
    """
    args = ("import", "mlflow", "--tracking-uri", uri, "--host", host, "--org", server.org, "--timeout", "3")
    proc = run_py(code, cwd, args=args)
    assert "EXIT 1" in proc.stdout, proc.stdout + proc.stderr
    return str(proc.stdout + proc.stderr)
