"""W&B users' real call patterns, run to the end; the server holds what they logged.

One test per file of tests/compat/scripts/ (each names the public script whose
usage it reproduces; each is our own rewrite, not a copy). A script passes when it exits 0 and, for every run it made, the
server's history, config and summary equal what the observer saw it log
(scalars exactly, NaN as NaN; media: the key is there at its step), and the
run is finished. Scripts that read the server back (the Api ones) are also
checked on what they wrote.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from tests.compat.conftest import (
    COMPAT,
    CompatRun,
    ServerReader,
    lookup,
    row_step,
    run_in_compat,
    same,
)
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

SCRIPTS = COMPAT / "scripts"


@dataclass
class Expected:
    """One run as the observer saw it: rows by step, its final config and summary."""

    org: Optional[str]
    project: Optional[str]
    run_id: str
    mode: Optional[str] = None
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    media: dict[int, set[str]] = field(default_factory=dict)
    config: Optional[dict[str, Any]] = None
    summary: Optional[dict[str, Any]] = None
    finished: bool = False


def expected_runs(records: list[dict[str, Any]]) -> dict[str, Expected]:
    """Replay the log calls with W&B's step rules: what each run's history must hold.

    A call without ``step`` goes to the current step and, unless
    ``commit=False``, ends it; ``step=N`` above the current step ends the row
    pending and moves to N; a step below is dropped (W&B warns). Each Run
    object (per process) is replayed from the step it reported before its
    first call, so a resumed run continues where the server left it.
    """
    runs: dict[str, Expected] = {}
    cursors: dict[tuple[int, int], list[Any]] = {}  # (pid, object) -> [step, pending]

    def get(event: dict[str, Any]) -> Expected:
        rid = str(event.get("run"))
        if rid not in runs:
            runs[rid] = Expected(event.get("org"), event.get("project"), rid)
        found = runs[rid]
        found.mode = event.get("mode") or found.mode
        return found

    def flush(run: Expected, step: int, pending: dict[str, Any]) -> None:
        scalars = {k: v for k, v in pending.items() if not k.startswith("\0")}
        media = {k[1:] for k in pending if k.startswith("\0")}
        if scalars:
            run.rows.setdefault(step, {}).update(scalars)
        if media:
            run.media.setdefault(step, set()).update(media)

    for event in records:
        if event.get("ev") == "observer-error":
            raise AssertionError(f"the observer failed: {event}")
        run = get(event)
        if event["ev"] == "finish":
            run.config, run.summary, run.finished = event["config"], event["summary"], True
            key = (event["pid"], event["object"])
            if key in cursors and cursors[key][1]:
                flush(run, cursors[key][0], cursors[key][1])
                cursors[key][1] = {}
            continue
        key = (event["pid"], event["object"])
        if key not in cursors:
            cursors[key] = [int(event.get("before") or 0), {}]
        cursor = cursors[key]
        step = event.get("step")
        if step is not None:
            if step < cursor[0]:
                continue
            if step > cursor[0]:
                if cursor[1]:
                    flush(run, cursor[0], cursor[1])
                cursor[0], cursor[1] = step, {}
        cursor[1].update(event["scalars"])
        cursor[1].update({"\0" + k: True for k in event["media"]})
        commit = event.get("commit")
        if commit is None or commit:
            flush(run, cursor[0], cursor[1])
            cursor[0], cursor[1] = cursor[0] + 1, {}
    for (pid, obj), (step, pending) in cursors.items():
        if pending:  # a row left pending is written when the run ends
            owner = next(e for e in records if e.get("pid") == pid and e.get("object") == obj)
            flush(runs[str(owner["run"])], step, pending)
    return runs


def check_run(reader: ServerReader, default_org: str, run: Expected) -> list[str]:
    """What differs between the server and what the script logged to this run."""
    org, project = run.org or default_org, run.project
    assert project, f"run {run.run_id}: the observer saw no project"
    data = reader.run(org, project, run.run_id)
    problems: list[str] = []
    if run.finished and data.get("state") != "finished":
        problems.append(f"state is {data.get('state')!r}, not 'finished'")
    history = reader.history(org, project, run.run_id)
    by_step: dict[Any, dict[str, Any]] = {}
    for row in history:
        by_step.setdefault(row_step(row), {}).update(row)
    for step, values in sorted(run.rows.items()):
        row = by_step.get(step)
        if row is None:
            problems.append(f"history: no row at step {step} (logged {values})")
            continue
        for key, value in values.items():
            found, got = lookup(row, key)
            if not found:
                problems.append(f"history step {step}: {key!r} missing (logged {value!r})")
            elif not same(value, got):
                problems.append(f"history step {step}: {key!r} is {got!r}, logged {value!r}")
    for step, keys in sorted(run.media.items()):
        row = by_step.get(step, {})
        for key in sorted(keys):
            found, got = lookup(row, key)
            if not found or got is None:
                problems.append(f"history step {step}: media {key!r} missing")
    logged_keys = {k for values in run.rows.values() for k in values}
    extra = sorted(
        step
        for step, row in by_step.items()
        if step not in run.rows and any(lookup(row, k)[0] for k in logged_keys)
    )
    if extra:
        problems.append(f"history: rows at steps {extra[:10]} that were never logged")
    if run.config is not None:
        config = data.get("config") or {}
        for key, value in run.config.items():
            if key.startswith("_"):
                continue
            if key not in config:
                problems.append(f"config: {key!r} missing (set to {value!r})")
            elif not same(value, _config_value(config[key])):
                problems.append(f"config: {key!r} is {config[key]!r}, set to {value!r}")
    if run.summary is not None:
        summary = data.get("summary") or {}
        for key, value in run.summary.items():
            found, got = lookup(summary, key)
            if not found:
                problems.append(f"summary: {key!r} missing (client has {value!r})")
            elif isinstance(value, dict) and "_compat_type" in value:
                continue  # a media object: being there is enough
            elif not _is_media_ref(got) and not same(value, got):
                problems.append(f"summary: {key!r} is {got!r}, client has {value!r}")
    return problems


def _config_value(value: Any) -> Any:
    # W&B's own API wraps each config value as {"value": ..., "desc": ...}; take the value if so.
    if isinstance(value, dict) and set(value) <= {"value", "desc"} and "value" in value:
        return value["value"]
    return value


def _is_media_ref(value: Any) -> bool:
    return isinstance(value, dict) and "_type" in value


def sync_offline(result: CompatRun, python: str, server: ServerProcess) -> None:
    """`cairn sync` the offline runs of the script's folder, as a W&B user runs `wandb sync`."""
    env = dict(result.env, CAIRN_BASE_URL=server.url)
    env.pop("CAIRN_COMPAT_RECORD", None)
    proc = subprocess.run(
        [python, "-m", "agent.cli", "sync"],
        cwd=str(result.cwd),
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"cairn sync failed:\n{proc.stdout}\n{proc.stderr}"


# -- scripts that need something before, or check something after ------------

_SEED = """
import agent as wandb

for lr in (0.1, 0.01):
    run = wandb.init(project="review-sentiment", name=f"lr-{lr}", config={"lr": lr, "model": "bert"})
    for epoch in range(4):
        run.log({"loss": lr / (epoch + 1), "val_acc": 1 - lr / (epoch + 1)})
    run.summary["best_val_acc"] = 1 - lr / 4
    run.finish()
"""


def _seed_export(python: str, server: ServerProcess, cwd: Path) -> list[CompatRun]:
    ServerReader(server).create_org("nlp-lab")
    seed_dir = cwd / "seed"
    seed_dir.mkdir()
    (seed_dir / "seed.py").write_text(textwrap.dedent(_SEED))
    seeded = run_in_compat(
        python, server, seed_dir / "seed.py", seed_dir, "review-sentiment", env={"CAIRN_ORG": "nlp-lab"}
    )
    assert seeded.proc.returncode == 0, f"seeding failed:\n{seeded.failure}"
    return [seeded]


def _check_export(result: CompatRun, seeded: list[CompatRun], org: str) -> None:
    runs = [r for s in seeded for r in expected_runs(s.records).values()]
    out = result.cwd / "exports" / "runs_review-sentiment.csv"
    assert out.exists(), "the export script wrote no CSV"
    with out.open() as f:
        rows = {row["name"]: row for row in csv.DictReader(f)}
    assert len(rows) == len(runs), f"{len(rows)} rows exported for {len(runs)} runs"
    for run in runs:
        assert run.config is not None and run.summary is not None
        row = rows[f"lr-{run.config['lr']}"]
        assert row["state"] == "finished"
        for key, value in {**run.config, **run.summary}.items():
            got = row.get(key)
            ok = got == value if isinstance(value, str) else got is not None and float(got) == value
            assert ok, f"run {run.run_id}: exported {key}={got!r}, logged {value!r}"


def _check_cleanrl(result: CompatRun, seeded: list[CompatRun], org: str) -> None:
    """The run is named as CleanRL names it, and keeps its arguments as config."""
    (run,) = expected_runs(result.records).values()
    assert str(run.project).lower() == "cleanrl", run.project
    data = result.reader.run(run.org or org, str(run.project), run.run_id)
    assert str(data.get("name")).startswith("TwoArmedBandit-v0__ppo_bandit__1__"), data.get("name")
    assert (data.get("config") or {}).get("total_timesteps") in (200, {"value": 200}), data.get("config")


@dataclass
class Spec:
    args: Sequence[str] = ()
    env: dict[str, str] = field(default_factory=dict)
    prepare: Optional[Callable[[str, ServerProcess, Path], list[CompatRun]]] = None
    check: Optional[Callable[[CompatRun, list[CompatRun], str], None]] = None
    # A difference from W&B that Cairn has on purpose (docs/migrating.md): the
    # test checks the difference is what the docs say, and the script does not
    # count as passing in tests/compat/README.md.
    differs: Optional[Callable[[CompatRun, dict[str, Expected], str], None]] = None


def _forked_children_are_not_recorded(result: CompatRun, runs: dict[str, Expected], org: str) -> None:
    """W&B's service lets forked children log to the parent's run; Cairn's children warn instead
    (docs/distributed.md: each process logs with init(id=..., shared=True))."""
    assert result.proc.stderr.count("this is a forked process") == 2, result.proc.stderr[-2000:]
    assert "shared=True" in result.proc.stderr
    (run,) = runs.values()
    data = result.reader.run(org, run.project or "", run.run_id)
    assert data["state"] == "finished"
    assert not result.reader.history(org, run.project or "", run.run_id)  # no child's row


SPECS: dict[str, Spec] = {
    "ft_torch_train_mnist": Spec(
        args=["--use-wandb", "--use-wandb-define-metric", "--epochs", "2", "--log-interval", "2"]
    ),
    # As W&B's test: no network while the run is recorded; synced afterwards.
    "ft_offline_no_network": Spec(env={"CAIRN_BASE_URL": "https://does.not-resolve/"}),
    "clarin_export_wandb_logs": Spec(prepare=_seed_export, check=_check_export),
    "cleanrl_ppo_track": Spec(check=_check_cleanrl),
    "ft_mp_log_image_sequence": Spec(differs=_forked_children_are_not_recorded),
}


@pytest.mark.parametrize("name", sorted(p.stem for p in SCRIPTS.glob("*.py")))
def test_script(name: str, compat_python: str, cairn_server: ServerProcess, tmp_path: Path) -> None:
    spec = SPECS.get(name, Spec())
    script = tmp_path / f"{name}.py"
    shutil.copy(SCRIPTS / f"{name}.py", script)
    seeded = spec.prepare(compat_python, cairn_server, tmp_path) if spec.prepare else []
    result = run_in_compat(
        compat_python, cairn_server, script, tmp_path, f"compat-{name}", spec.env, spec.args, timeout=180
    )
    if result.proc.returncode != 0:
        pytest.fail(f"{name} exited {result.proc.returncode}:\n{result.failure}", pytrace=False)
    runs = expected_runs(result.records)
    if spec.differs:
        spec.differs(result, runs, cairn_server.org)
        return
    if any(r.mode == "offline" for r in runs.values()):
        sync_offline(result, compat_python, cairn_server)
    problems: dict[str, list[str]] = defaultdict(list)
    for run in runs.values():
        if run.mode == "disabled":
            continue
        problems[run.run_id] += check_run(result.reader, cairn_server.org, run)
    found = {rid: p for rid, p in problems.items() if p}
    if found:
        pytest.fail(
            f"{name}: the server differs from what was logged:\n"
            + "\n".join(f"run {rid}: " + "\n  ".join(p[:12]) for rid, p in found.items()),
            pytrace=False,
        )
    if spec.check:
        spec.check(result, seeded, cairn_server.org)
