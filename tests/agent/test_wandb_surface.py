"""W&B scripts run unchanged with ``import agent as wandb``: each call means what it means in W&B.

Every test runs a real training script against a real server and checks
what a user would look at afterwards: the run as the server has it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agent
from tests.agent.conftest import run_script

pytestmark = pytest.mark.server


def _env(server: Any) -> dict[str, str]:
    return {"CAIRN_BASE_URL": server.url, "CAIRN_API_KEY": server.api_key, "CAIRN_ORG": server.org}


def _run(server: Any, project: str, run_id: str) -> Any:
    return agent.Api(base_url=server.url, api_key=server.api_key).run(f"{server.org}/{project}/{run_id}")


def test_config_notes_tags_and_metrics_reach_the_server_as_in_w_and_b(cairn_server: Any, tmp_path: Path) -> None:
    result = run_script(
        """
        import argparse, warnings
        import agent as wandb

        args = argparse.Namespace(lr=0.1, batch=32, secret="s3")
        run = wandb.init(project="surface", id="meta-1", config=args, config_exclude_keys=["secret"],
                         entity=None, reinit=True, anonymous="allow", save_code=True)
        wandb.config.update({"lr": 0.2, "epochs": 3}, allow_val_change=True)
        wandb.config.setdefaults({"epochs": 99, "seed": 7})
        wandb.config.persist()
        run.notes = "tried a lower lr"
        run.tags = run.tags + ("baseline", "v2")
        run.group = "sweep-a"
        wandb.define_metric("acc", summary="max")
        wandb.define_metric("loss", summary="best", goal="minimize")
        wandb.define_metric("val", summary="min,max")
        for i, (loss, acc) in enumerate([(3.0, 0.1), (1.0, 0.9), (2.0, 0.5)]):
            wandb.log({"loss": loss, "acc": acc, "val": 10 - i}, commit=False)
            wandb.log()  # commits the open row
        print("PATH", run.path, run.entity, run.project_name(), run.offline, run.disabled, run.step)
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    assert f"PATH {cairn_server.org}/surface/meta-1 {cairn_server.org} surface False False 3" in result.stdout
    run = _run(cairn_server, "surface", "meta-1")
    assert run.config == {"lr": 0.2, "batch": 32, "epochs": 3, "seed": 7}  # no "allow_val_change", no "secret"
    assert run.notes == "tried a lower lr"
    assert run.tags == ["baseline", "v2"] and run.group == "sweep-a"
    rows = list(run.scan_history())
    assert [r["loss"] for r in rows] == [3.0, 1.0, 2.0]  # one row per log(): nothing lost, nothing merged
    assert run.summary["acc"] == 0.9 and run.summary["loss"] == 1.0
    assert run.summary["val"] == 8 and run.summary["val/max"] == 10
    assert "code/train.py" in {f.path for f in run.files()}  # save_code=True


def test_a_second_init_follows_w_and_b_reinit_rules(cairn_server: Any, tmp_path: Path) -> None:
    result = run_script(
        """
        import agent as wandb

        first = wandb.init(project="surface", id="reinit-1")
        wandb.log({"a": 1})
        same = wandb.init(project="surface", id="ignored", reinit="return_previous")
        print("RETURNED", same is first)
        second = wandb.init(project="surface", id="reinit-2")  # default: finishes the first
        print("FIRST_OFF", first._finished, wandb.run is second)
        side = wandb.init(project="surface", id="reinit-3", reinit="create_new")
        side.log({"b": 2})
        wandb.log({"c": 3})  # still the current run's
        print("CURRENT", wandb.run.id)
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    assert "RETURNED True" in result.stdout
    assert "FIRST_OFF True True" in result.stdout and "CURRENT reinit-2" in result.stdout
    states = {rid: _run(cairn_server, "surface", rid) for rid in ("reinit-1", "reinit-2", "reinit-3")}
    assert all(r.state == "finished" for r in states.values())  # create_new's run finished at exit too
    assert [row["c"] for row in states["reinit-2"].scan_history()] == [3]
    assert [row["b"] for row in states["reinit-3"].scan_history()] == [2]
    with pytest.raises(agent.NotFound):
        _run(cairn_server, "surface", "ignored")


def test_unknown_settings_and_arguments_warn_once_and_the_run_works(cairn_server: Any, tmp_path: Path) -> None:
    result = run_script(
        """
        import warnings
        warnings.simplefilter("always")
        import agent as wandb

        settings = wandb.Settings(start_method="thread", _disable_stats=True, x_some_future_setting=1)
        run = wandb.init(project="surface", id="settings-1", settings=settings, sync_tensorboard=True,
                         mode="run", future_arg=2)
        wandb.log({"x": 1})
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    warned = [line for line in result.stderr.splitlines() if "AgentWarning" in line]
    assert len([w for w in warned if "x_some_future_setting" in w]) == 1
    assert not any("start_method" in w or "_disable_stats" in w for w in warned)
    assert len([w for w in warned if "future_arg" in w]) == 1
    assert not any("TensorBoard" in w for w in warned)  # sync_tensorboard is supported: no event files, nothing logged
    run = _run(cairn_server, "surface", "settings-1")
    assert run.state == "finished" and [r["x"] for r in run.scan_history()] == [1]


def test_resume_auto_picks_up_the_run_that_crashed_here(cairn_server: Any, tmp_path: Path) -> None:
    script = """
        import sys
        import agent as wandb

        run = wandb.init(project="surface", resume={resume})
        print("RUN", run.id, run.resumed, run.starting_step)
        wandb.log({{"epoch": run.starting_step}})
        if not run.resumed:
            sys.exit(3)  # crashed: the next start resumes it
        """
    first = run_script(script.format(resume='"auto"'), tmp_path, env=_env(cairn_server), check=False)
    assert first.returncode == 3
    run_id = first.stdout.split()[1]
    second = run_script(script.format(resume="True"), tmp_path, env=_env(cairn_server))
    assert f"RUN {run_id} True 1" in second.stdout
    assert [r["epoch"] for r in _run(cairn_server, "surface", run_id).scan_history()] == [0, 1]
    third = run_script(script.format(resume='"auto"'), tmp_path, env=_env(cairn_server), check=False)
    assert run_id not in third.stdout  # it finished: a new run starts


def test_restore_downloads_a_saved_file_of_another_run(cairn_server: Any, tmp_path: Path) -> None:
    run_script(
        """
        import agent as wandb
        with wandb.init(project="surface", id="restore-src") as run:
            open("model.txt", "w").write("weights v1")
            wandb.save("model.txt", policy="now")
        """,
        tmp_path,
        env=_env(cairn_server),
    )
    out = tmp_path / "other"
    out.mkdir()
    result = run_script(
        f"""
        import agent as wandb
        run = wandb.init(project="surface", id="restore-dst")
        fh = wandb.restore("model.txt", run_path="{cairn_server.org}/surface/restore-src", root="dl")
        print("GOT", fh.read(), fh.name)
        print("MISSING", wandb.restore("nope.txt", run_path="{cairn_server.org}/surface/restore-src", root="dl"))
        print("ID", len(wandb.util.generate_id()), len(wandb.util.generate_id(12)))
        """,
        out,
        env=_env(cairn_server),
    )
    assert "GOT weights v1 dl/model.txt" in result.stdout
    assert "MISSING None" in result.stdout and "ID 8 12" in result.stdout
    assert (out / "dl" / "model.txt").read_text() == "weights v1"
    assert json.loads(json.dumps(_run(cairn_server, "surface", "restore-dst").state)) == "finished"


def test_login_stores_the_key_and_log_code_saves_the_sources(cairn_server: Any, tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("X = 1\n")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "site.py").write_text("# not the user's code\n")
    (tmp_path / "notes.txt").write_text("not python\n")
    result = run_script(
        f"""
        import agent as wandb
        print("LOGIN", wandb.login(key="{cairn_server.api_key}", host="{cairn_server.url}", verify=True))
        run = wandb.init(project="surface", id="login-1", entity="{cairn_server.org}")
        print("MODE", run.mode)
        run.log_code(".")
        """,
        tmp_path,
        env={"XDG_CONFIG_HOME": str(tmp_path / "config")},  # no key in the environment
    )
    assert "LOGIN True" in result.stdout and "MODE online" in result.stdout
    stored = json.loads((tmp_path / "config" / "cairn" / "settings.json").read_text())
    assert stored["api_key"] == cairn_server.api_key and stored["base_url"] == cairn_server.url
    files = {f.path for f in _run(cairn_server, "surface", "login-1").files()}
    assert {"code/train.py", "code/helper.py"} <= files
    assert not any(p.startswith("code/.venv") or p == "code/notes.txt" for p in files)
    # A wrong key with verify=True is refused, and nothing is stored over the good one.
    bad = run_script(
        f"""
        import agent as wandb
        try:
            wandb.login(key="wrong", host="{cairn_server.url}", verify=True)
        except wandb.Error as exc:
            print("REFUSED", type(exc).__name__)
        """,
        tmp_path,
        env={"XDG_CONFIG_HOME": str(tmp_path / "config")},
    )
    assert "REFUSED AuthError" in bad.stdout
    assert json.loads((tmp_path / "config" / "cairn" / "settings.json").read_text())["api_key"] == cairn_server.api_key


def test_a_job_script_s_wandb_variables_name_the_run(cairn_server: Any, tmp_path: Path) -> None:
    # A launcher that sets W&B's variables: they fill in what init was not given;
    # CAIRN_PROJECT would win over WANDB_PROJECT, an argument over both.
    env = {
        **_env(cairn_server),
        "WANDB_PROJECT": "from-env",
        "WANDB_RUN_ID": "env-run-1",
        "WANDB_NAME": "named by env",
        "WANDB_NOTES": "notes by env",
        "WANDB_TAGS": "a, b",
        "WANDB_RUN_GROUP": "g1",
        "WANDB_JOB_TYPE": "train",
        "WANDB_SILENT": "true",
        "WANDB_API_KEY": "a-wandb-cloud-key-never-sent",
    }
    result = run_script(
        """
        import agent as wandb

        run = wandb.init(job_type="eval")
        wandb.log({"x": 1})
        print("RUN", run.project, run.id, run.name, run.job_type)
        """,
        tmp_path,
        env=env,
    )
    assert "RUN from-env env-run-1 named by env eval" in result.stdout
    assert "cairn: run env-run-1" not in result.stderr  # WANDB_SILENT: no banner
    run = _run(cairn_server, "from-env", "env-run-1")
    assert (run.name, run.notes, run.tags, run.group, run.job_type) == ("named by env", "notes by env", ["a", "b"], "g1", "eval")


def test_wandb_disabled_turns_every_call_into_a_no_op(tmp_path: Path) -> None:
    result = run_script(
        """
        import agent as wandb

        run = wandb.init(project="p")
        wandb.log({"x": 1})
        print("MODE", run.disabled, run.mode)
        """,
        tmp_path,
        env={"WANDB_DISABLED": "true", "WANDB_MODE": "online"},
    )
    assert "MODE True disabled" in result.stdout


def test_arrays_log_as_histograms_and_w_and_b_s_legacy_calls_run(cairn_server: Any, tmp_path: Path) -> None:
    result = run_script(
        """
        import numpy as np
        import agent as wandb

        wandb.require("service")
        run = wandb.init(project="surface", id="arrays-1", config={"lr": 0.1})
        wandb.log({"weights": np.linspace(0.0, 1.0, 100), "one": np.array([2.5]), "loss": 1.0})
        assert run.history._step == 1 and run.config_static.lr == 0.1
        assert run.save() is True  # W&B's old no-argument save: nothing to do
        assert wandb.Table().columns == ["Input", "Output", "Expected"]
        print("PATH", run.path, run.url)
        """,
        tmp_path,
        env={"CAIRN_BASE_URL": cairn_server.url, "CAIRN_API_KEY": cairn_server.api_key},  # no CAIRN_ORG
    )
    # No org given: the run asks the server for the key's default one when a W&B attribute needs it.
    org = cairn_server.org
    assert f"PATH {org}/surface/arrays-1 {cairn_server.url}/{org}/surface/runs/arrays-1" in result.stdout
    run = _run(cairn_server, "surface", "arrays-1")
    (row,) = list(run.scan_history())
    assert row["one"] == 2.5 and row["loss"] == 1.0
    assert row["weights"]["_type"] == "histogram"
    assert sum(row["weights"]["counts"]) == 100 and len(row["weights"]["edges"]) == 33
