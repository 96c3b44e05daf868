"""What each framework integration adds to a tiny model's training time, from one run.

    .venv/bin/python bench/integrations_bench.py [--rounds 5] [--compare /path/to/other/checkout]

Each framework trains the same tiny model, in one process under
``.venv-frameworks/bin/python``, alternately without tracking (no callback,
no logger) and with its integration logging every step (Keras: every epoch;
and every batch, where an untracked fit with an empty batch hook is timed
too, since any other batch hook makes Keras stop dispatching callbacks
asynchronously and convert its logs each batch). An offline run: the
training process does what it does online, the background process writes to
disk instead of the network. Only ``fit`` is timed: the run is started
before, as a script starts it before training, and each side is timed after
a pause that lets the background processes of the run starting, and of the
one before finishing, settle. ``agent.init`` and ``finish``, paid once a run
and outside training, are timed apart. The figure is the median tracked time
over the median untracked one; beside it, the training process's CPU time,
the time spent inside the integration's hooks during the tracked fit (timed
in the fit itself: the timer's cost counts against the tracked side) and the
background process's CPU during it, which a loaded machine does not change
the way it changes wall time. It also times ``import agent`` (median of 15 fresh
interpreters) and checks that it imports no integration; ``--compare`` times
another checkout's beside it (main, say).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv-frameworks" / "bin" / "python"

COMMON = """
import json, os, sys, time, statistics
import psutil
import agent
rounds = int(sys.argv[1])
SETTINGS = {"quiet": True, "capture_console": False}
times = {"off": [], "on": [], "off_cpu": [], "on_cpu": [], "off_bg": [], "on_bg": [], "hooks": [],
         "init": [], "finish": []}
if sys.argv[2:] not in ([], ["epoch"]):
    times.update(hook=[], hook_cpu=[], hook_bg=[])  # Keras per batch: an empty batch hook, untracked
HOOKS = []  # seconds spent in each call of the integration's hooks during the current fit
def instrument(obj, names):
    # Time each hook the integration runs, inside the timed fit itself: the
    # wrapper's own cost (about 0.1 us a call) counts against the tracked side.
    for name in names:
        fn = getattr(obj, name)
        def hook(*args, _fn=fn, **kwargs):
            t0 = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                HOOKS.append(time.perf_counter() - t0)  # atomic: Keras may call hooks in its threads
        setattr(obj, name, hook)
    return obj
def background_cpu():
    # CPU of each background process (children of this one), which run beside training:
    # by pid, since the last run's may exit during the fit (its CPU is not this fit's).
    out = {}
    for child in psutil.Process().children(recursive=True):
        try:
            cpu = child.cpu_times(); out[child.pid] = cpu.user + cpu.system
        except psutil.Error:
            pass
    return out
def spent(before, after):
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
def timed(fn):
    # Wall time, and the training process's own CPU time (threads included),
    # which other processes on a busy machine do not change.
    HOOKS.clear()
    b0 = background_cpu()
    t0, c0 = time.perf_counter(), time.process_time(); fn()
    return time.perf_counter() - t0, time.process_time() - c0, spent(b0, background_cpu()), sum(HOOKS)
def fixed(side, fn):
    # init and finish: paid once a run, outside training (bench/agent_bench.py measures them too).
    t0 = time.perf_counter(); out = fn(); times[side].append(time.perf_counter() - t0); return out
def settle():
    # The run's background process starts with the run, and the last one's
    # ends after its finish(): let both be done before timing either side
    # (agent.init's cost is measured in bench/agent_bench.py). Its background process
    # records the environment first (the packages of a venv with torch, JAX, Keras and
    # Transformers: a few seconds of CPU on 2 cores); 1.5 s left that inside the tracked
    # side's fit, as a 2.3x "overhead" on a half-second Transformers fit.
    time.sleep(8)
def record(side, measured):
    times[side].append(measured[0]); times[side + "_cpu"].append(measured[1]); times[side + "_bg"].append(measured[2])
    if side == "on":
        times["hooks"].append(measured[3])
"""

LIGHTNING = (
    COMMON
    + """
import torch, lightning.pytorch as pl, logging
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
from torch.utils.data import DataLoader, TensorDataset
from agent.integration.lightning import CairnLogger

class Tiny(pl.LightningModule):
    def __init__(self, lr=0.05):
        super().__init__(); self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    def training_step(self, batch, i):
        x, y = batch; loss = torch.nn.functional.mse_loss(self.net(x), y); self.log("train/loss", loss); return loss
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

torch.manual_seed(0)
data = DataLoader(TensorDataset(torch.randn(4096, 32), torch.randn(4096, 1)), batch_size=16)
def fit(logger):
    trainer = pl.Trainer(max_epochs=1, logger=logger, log_every_n_steps=1, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, accelerator="cpu")
    return timed(lambda: trainer.fit(Tiny(), data))
fit(False)  # warm up
for _ in range(rounds):
    settle()
    record("off", fit(False))
    logger = instrument(CairnLogger(project="bench", offline=True, settings=SETTINGS),
                        ["log_metrics", "log_hyperparams", "log_graph", "save", "finalize"])
    run = fixed("init", lambda: logger.experiment)
    settle()
    record("on", fit(logger))
    fixed("finish", lambda: run.finish(quiet=True))
print(json.dumps(times))
"""
)

KERAS = (
    COMMON
    + """
import numpy as np, keras
from agent.integration.keras import CairnMetricsLogger
freq = sys.argv[2]
rng = np.random.default_rng(0)
x = rng.normal(size=(4096, 32)).astype("float32"); y = rng.normal(size=(4096, 1)).astype("float32")
model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
class Noop(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass
def fit(callbacks):
    return timed(lambda: model.fit(x, y, epochs=16, batch_size=16, verbose=0, callbacks=callbacks))
fit([])  # warm up: compiles
for _ in range(rounds):
    # Untracked is the same fit without callbacks. Beside per-batch logging, a callback
    # with an empty batch hook is timed too: what any batch hook costs in Keras (it
    # dispatches callbacks synchronously then, and converts each batch's logs).
    settle()
    record("off", fit([]))
    if freq != "epoch":
        record("hook", fit([Noop()]))
    run = fixed("init", lambda: agent.init(project="bench", mode="offline", settings=SETTINGS))
    settle()
    logger = CairnMetricsLogger(log_freq=freq if freq == "epoch" else int(freq))
    # Only the hooks it overrides: timing an empty batch hook would make Keras dispatch synchronously.
    instrument(logger, ["on_epoch_begin", "on_epoch_end"]
               + ([] if freq == "epoch" else ["on_train_begin", "on_train_end", "on_train_batch_begin",
                                              "on_train_batch_end"]))
    record("on", fit([logger]))
    fixed("finish", lambda: run.finish(quiet=True))
print(json.dumps(times))
"""
)

TRANSFORMERS = (
    COMMON
    + """
import torch, transformers
transformers.logging.set_verbosity_error()
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments
from agent.integration.transformers import CairnCallback
torch.manual_seed(0)
class Tokens(torch.utils.data.Dataset):
    def __init__(self, n):
        self.x, self.y = torch.randint(0, 50, (n, 8)), torch.randint(0, 2, (n,))
    def __len__(self): return len(self.y)
    def __getitem__(self, i):
        return {"input_ids": self.x[i], "attention_mask": torch.ones(8, dtype=torch.long), "labels": self.y[i]}
config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=16)
data = Tokens(256)
def fit(callbacks):
    args = TrainingArguments("out", per_device_train_batch_size=8, num_train_epochs=1, logging_steps=1,
                             save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True)
    trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=data, callbacks=callbacks)
    return timed(trainer.train)
fit([])  # warm up
for _ in range(rounds):
    settle()
    record("off", fit([]))
    run = fixed("init", lambda: agent.init(project="bench", mode="offline", settings=SETTINGS))
    settle()
    record("on", fit([instrument(CairnCallback(), ["on_train_begin", "on_log", "on_save", "on_train_end"])]))
    fixed("finish", lambda: run.finish(quiet=True))
print(json.dumps(times))
"""
)

IMPORT = """
import sys, time
t0 = time.perf_counter(); import agent; t = time.perf_counter() - t0
assert not [m for m in sys.modules if m.startswith("agent.integration")], "import agent imported an integration"
print(t)
"""


def _run(code: str, cwd: str, *args: str) -> dict[str, list[float]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "CAIRN_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        KERAS_BACKEND="jax",
        JAX_PLATFORMS="cpu",
        CUDA_VISIBLE_DEVICES="",
        HF_HUB_OFFLINE="1",
        XDG_CONFIG_HOME=os.path.join(cwd, "config"),
        CAIRN_DIR=cwd,
    )
    out = subprocess.run(
        [str(PYTHON), "-c", textwrap.dedent(code), *args],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=1800,
    )
    if out.returncode != 0:
        raise SystemExit(f"failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    result: dict[str, list[float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def import_time(checkout: Path, python: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "CAIRN_"))}
    env["PYTHONPATH"] = str(checkout)
    times = []
    for _ in range(15):
        out = subprocess.run(
            [python, "-c", IMPORT],
            env=env,
            text=True,
            capture_output=True,
            check=True,
            cwd=tempfile.gettempdir(),
        )
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--compare", type=Path, help="another checkout whose `import agent` to time beside"
    )
    parser.add_argument("--only", choices=["lightning", "keras", "transformers"])
    opts = parser.parse_args()
    if not PYTHON.exists():
        raise SystemExit(f"{PYTHON} is missing: make .venv-frameworks/.ok")
    cases: list[tuple[str, str, str, tuple[str, ...]]] = [
        ("lightning", "Lightning `CairnLogger` (256 steps, a row each)", LIGHTNING, ()),
        (
            "keras",
            'Keras `CairnMetricsLogger(log_freq="epoch")` (4,096 batches, JAX)',
            KERAS,
            ("epoch",),
        ),
        (
            "keras",
            "Keras `CairnMetricsLogger(log_freq=1)` (4,096 batches, a row each)",
            KERAS,
            ("1",),
        ),
        (
            "transformers",
            "Transformers `CairnCallback` (32 steps, `logging_steps=1`)",
            TRANSFORMERS,
            (),
        ),
    ]
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as cwd:
        for key, label, code, args in cases:
            if opts.only and key != opts.only:
                continue
            times = _run(code, cwd, str(opts.rounds), *args)
            rows.append(
                (label, {name: statistics.median(values) for name, values in times.items()})
            )
            print(
                f"{label}: {rows[-1][1]['off']:.3f} s untracked, {rows[-1][1]['on']:.3f} s tracked",
                file=sys.stderr,
            )
    load = os.getloadavg()[0]
    print(
        f"\nMedian `fit` time of {opts.rounds} rounds each, untracked and tracked alternately, one process;"
        f" {os.cpu_count()} CPUs, load average {load:.1f} at the end.\n"
    )
    print(
        "| training | untracked (s) | tracked (s) | ratio | training process CPU, untracked / tracked (s) | CPU ratio"
        " | in the integration's hooks (ms, share of untracked fit) | background process CPU during fit (ms) | floor |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, m in rows:
        print(
            f"| {label} | {m['off']:.3f} | {m['on']:.3f} | {m['on'] / m['off']:.3f} |"
            f" {m['off_cpu']:.3f} / {m['on_cpu']:.3f} | {m['on_cpu'] / m['off_cpu']:.3f} |"
            f" {m['hooks'] * 1e3:.1f} ({m['hooks'] / m['off']:.2%}) | {m['on_bg'] * 1e3:.0f} | ≤ 1.05 |"
        )
    for label, m in rows:
        if "hook" in m:
            print(
                f"\n{label.split(' (')[0]}: untracked with an empty batch hook {m['hook']:.3f} s"
                f" (ratio {m['hook'] / m['off']:.3f}), CPU {m['hook_cpu']:.3f} s."
            )
    # Paid once a run, whatever its length, and outside training: listed apart from the fit.
    print(
        "\nOnce a run, outside `fit` (medians, s): "
        + "; ".join(
            f"{label.split(' (')[0]}: init {m['init']:.3f}, finish {m['finish']:.3f}"
            for label, m in rows
        )
    )
    ours = import_time(ROOT, str(PYTHON))
    line = f"\n`import agent`: {ours:.3f} s (median of 15, no integration imported; floor ≤ 0.1 s)"
    if opts.compare:
        theirs = import_time(opts.compare, str(PYTHON))
        line += f"; {opts.compare}: {theirs:.3f} s, ratio {ours / theirs:.2f}"
    print(line)


if __name__ == "__main__":
    main()
