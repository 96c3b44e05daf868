"""What each framework integration adds to a tiny model's training time, from one run.

    .venv/bin/python bench/integrations_bench.py [--rounds 5] [--compare /path/to/other/checkout]

Each framework trains the same tiny model, in one process under
``.venv-frameworks/bin/python``, alternately without tracking and with its
integration logging every step (Keras: every epoch; and every batch beside a
callback whose batch hook does nothing, since any batch hook makes Keras
stop dispatching callbacks asynchronously and convert its logs each batch) (an offline run: the training process does
what it does online, the background process writes to disk instead of the
network). Only ``fit`` is timed: the run is started before, as a script
starts it before training, and each side is timed after a pause that lets
the background processes of the run starting, and of the one before
finishing, settle (``agent.init``'s cost, which ``bench/agent_bench.py`` measures). The figure is the median tracked time over the
median untracked one. It also times ``import agent`` (median of 15 fresh
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
import agent
rounds = int(sys.argv[1])
SETTINGS = {"quiet": True, "capture_console": False}
times = {"off": [], "on": [], "off_cpu": [], "on_cpu": []}
def timed(fn):
    # Wall time, and the training process's own CPU time (threads included),
    # which other processes on a busy machine do not change.
    t0, c0 = time.perf_counter(), time.process_time(); fn()
    return time.perf_counter() - t0, time.process_time() - c0
def settle():
    # The run's background process starts with the run, and the last one's
    # ends after its finish(): let both be done before timing either side
    # (agent.init's cost is measured in bench/agent_bench.py). Its background process
    # records the environment first (the packages of a venv with torch, JAX, Keras and
    # Transformers: a few seconds of CPU on 2 cores); 1.5 s left that inside the tracked
    # side's fit, as a 2.3x "overhead" on a half-second Transformers fit.
    time.sleep(8)
def record(side, both):
    times[side].append(both[0]); times[side + "_cpu"].append(both[1])
"""

LIGHTNING = COMMON + """
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
    logger = CairnLogger(project="bench", offline=True, settings=SETTINGS)
    run = logger.experiment
    settle()
    record("on", fit(logger))
    run.finish(quiet=True)
print(json.dumps(times))
"""

KERAS = COMMON + """
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
    # Beside per-batch logging, the peer is a callback with an empty batch hook: Keras's own cost.
    settle()
    record("off", fit([] if freq == "epoch" else [Noop()]))
    run = agent.init(project="bench", mode="offline", settings=SETTINGS)
    settle()
    record("on", fit([CairnMetricsLogger(log_freq=freq if freq == "epoch" else int(freq))]))
    run.finish(quiet=True)
print(json.dumps(times))
"""

TRANSFORMERS = COMMON + """
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
    run = agent.init(project="bench", mode="offline", settings=SETTINGS)
    settle()
    record("on", fit([CairnCallback()]))
    run.finish(quiet=True)
print(json.dumps(times))
"""

IMPORT = """
import sys, time
t0 = time.perf_counter(); import agent; t = time.perf_counter() - t0
assert not [m for m in sys.modules if m.startswith("agent.integration")], "import agent imported an integration"
print(t)
"""


def _run(code: str, cwd: str, *args: str) -> dict[str, list[float]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "CAIRN_"))}
    env.update(PYTHONPATH=str(ROOT), KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", CUDA_VISIBLE_DEVICES="",
               HF_HUB_OFFLINE="1", XDG_CONFIG_HOME=os.path.join(cwd, "config"), CAIRN_DIR=cwd)
    out = subprocess.run([str(PYTHON), "-c", textwrap.dedent(code), *args], cwd=cwd, env=env, text=True,
                         capture_output=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    result: dict[str, list[float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def import_time(checkout: Path, python: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "CAIRN_"))}
    env["PYTHONPATH"] = str(checkout)
    times = []
    for _ in range(15):
        out = subprocess.run([python, "-c", IMPORT], env=env, text=True, capture_output=True, check=True,
                             cwd=tempfile.gettempdir())
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another checkout whose `import agent` to time beside")
    parser.add_argument("--only", choices=["lightning", "keras", "transformers"])
    opts = parser.parse_args()
    if not PYTHON.exists():
        raise SystemExit(f"{PYTHON} is missing: make .venv-frameworks/.ok")
    cases: list[tuple[str, str, str, tuple[str, ...]]] = [
        ("lightning", "Lightning `CairnLogger` (256 steps, a row each)", LIGHTNING, ()),
        ("keras", "Keras `CairnMetricsLogger(log_freq=\"epoch\")` (4,096 batches, JAX)", KERAS, ("epoch",)),
        ("keras", "Keras `CairnMetricsLogger(log_freq=1)` (4,096 batches, a row each), beside an empty batch hook",
         KERAS, ("1",)),
        ("transformers", "Transformers `CairnCallback` (32 steps, `logging_steps=1`)", TRANSFORMERS, ()),
    ]
    rows: list[tuple[str, float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as cwd:
        for key, label, code, args in cases:
            if opts.only and key != opts.only:
                continue
            times = _run(code, cwd, str(opts.rounds), *args)
            off, on = statistics.median(times["off"]), statistics.median(times["on"])
            off_cpu, on_cpu = statistics.median(times["off_cpu"]), statistics.median(times["on_cpu"])
            rows.append((label, off, on, off_cpu, on_cpu))
            print(f"{label}: {off:.3f} s untracked, {on:.3f} s tracked", file=sys.stderr)
    load = os.getloadavg()[0]
    print(f"\nMedian `fit` time of {opts.rounds} rounds each, untracked and tracked alternately, one process;"
          f" {os.cpu_count()} CPUs, load average {load:.1f} at the end.\n")
    print("| training | untracked (s) | tracked (s) | ratio | training process CPU, untracked / tracked (s) | CPU ratio | floor |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, off, on, off_cpu, on_cpu in rows:
        print(f"| {label} | {off:.3f} | {on:.3f} | {on / off:.3f} | {off_cpu:.3f} / {on_cpu:.3f} |"
              f" {on_cpu / off_cpu:.3f} | ≤ 1.05 |")
    ours = import_time(ROOT, str(PYTHON))
    line = f"\n`import agent`: {ours:.3f} s (median of 15, no integration imported; floor ≤ 0.1 s)"
    if opts.compare:
        theirs = import_time(opts.compare, str(PYTHON))
        line += f"; {opts.compare}: {theirs:.3f} s, ratio {ours / theirs:.2f}"
    print(line)


if __name__ == "__main__":
    main()
