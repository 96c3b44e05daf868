"""The experiment fingerprint's cost at init, beside W&B's own init-time code capture.

    .venv/bin/python bench/fingerprint_bench.py [--tries 30] [--files 1000] [--packages 300]

Builds, in a temporary folder, a git repository of --files ``.py`` files
(committed, with one file changed since: a dirty tree, so the diff is hashed)
and a site-packages folder of --packages fake distributions (``*.dist-info``),
put on the path before the interpreter's own. Then, each in a fresh
interpreter, the median of --tries after one untimed call:

- Cairn: ``agent._fingerprint.compute`` as ``init`` calls it (code: HEAD read
  from ``.git`` and ``git diff HEAD`` hashed; config; environment: the packages
  from the ``*.dist-info`` names on ``sys.path``), in the repository;
- Cairn without git: the script's folder of --files ``.py`` files hashed (a
  file whose size and mtime are unchanged is not read again: the first call,
  printed apart, reads them all);
- the peer, W&B (bench/.venv-peers, wandb 0.31): what ``wandb.init`` runs in
  the training process for the code, ``Run._populate_git_info``: a
  ``GitRepo(lazy=False)`` and its ``remote_url`` and ``last_commit`` (git
  subprocesses). W&B computes no fingerprint; this is its nearest cost.

The floor (issue 15): <= 50 ms for 1,000 files and 300 packages.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".venv-peers" / "bin" / "python"
if not PEERS.exists():
    PEERS = Path("/work/main/bench/.venv-peers/bin/python")

CAIRN = """
import json, statistics, sys, time
from agent import _fingerprint
config = {f"k{i}": i * 0.1 for i in range(50)}
t = time.perf_counter()
_fingerprint.compute(config, script=sys.argv[1])
cold = (time.perf_counter() - t) * 1000
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    fp = _fingerprint.compute(config, exclude=["k0"], script=sys.argv[1])
    times.append((time.perf_counter() - t) * 1000)
d = fp["details"]
print(json.dumps({"ms": statistics.median(times), "cold_ms": cold, "packages": len(d["env"]["packages"]),
                  "files": len(d["code"].get("files") or {}), "commit": d["code"].get("commit")}))
"""

WANDB = """
import json, statistics, sys, time
from wandb.sdk.lib.gitlib import GitRepo
def capture():
    repo = GitRepo(root=None, remote="origin", lazy=False)
    return repo.remote_url, repo.last_commit
capture()
times = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter()
    url, commit = capture()
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ms": statistics.median(times), "commit": commit}))
"""


def git(cwd: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@b")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def make_tree(root: Path, files: int) -> Path:
    """``files`` .py files in folders of 50; ``train.py`` at the top."""
    root.mkdir(parents=True)
    (root / "train.py").write_text("import pkg0.m0\n")
    for i in range(files - 1):
        folder = root / f"pkg{i // 50}"
        folder.mkdir(exist_ok=True)
        (folder / f"m{i % 50}.py").write_text(f"VALUE = {i}\n" + "x = 1\n" * 40)
    return root / "train.py"


def make_packages(root: Path, count: int) -> None:
    for i in range(count):
        (root / f"fake_package_{i}-1.{i}.0.dist-info").mkdir(parents=True)


def run(python: Path | str, code: str, args: list[str], cwd: Path, env: dict[str, str]) -> dict:
    out = subprocess.run([str(python), "-c", code, *args], cwd=cwd, env=env, check=True, capture_output=True,
                         text=True, timeout=600)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=30)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--packages", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        script = make_tree(base / "repo", args.files)
        repo = script.parent
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "bench")
        (repo / "pkg0" / "m1.py").write_text("VALUE = -1\n")  # dirty: the diff is hashed
        plain = make_tree(base / "plain", args.files)
        site = base / "site"
        make_packages(site, args.packages)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CAIRN_", "WANDB_"))}
        env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
        env["CAIRN_CACHE_DIR"] = str(base / "cache")  # the file-hash cache starts empty
        with_git = run(sys.executable, CAIRN, [str(script), str(args.tries)], repo, env)
        without = run(sys.executable, CAIRN, [str(plain), str(args.tries)], plain.parent, env)
        peer = None
        if PEERS.exists():
            peer_env = dict(env, PYTHONPATH=str(site), WANDB_SILENT="true", WANDB_MODE="offline")
            peer = run(PEERS, WANDB, [str(args.tries)], repo, peer_env)
    print(f"fingerprint at init: {args.files} files, {with_git['packages']} packages on the path, "
          f"median of {args.tries} ({sys.version.split()[0]})\n")
    print("| measure | Cairn | W&B (`_populate_git_info`) | floor |")
    print("| --- | --- | --- | --- |")
    peer_ms = f"{peer['ms']:.1f}" if peer else "not installed"
    print(f"| git repository, dirty tree: code + config + environment (ms) | {with_git['ms']:.1f} | {peer_ms} "
          f"(commit and remote only) | <= 50 |")
    print(f"| no git: {without['files']} script files hashed + config + environment (ms) | {without['ms']:.1f} "
          f"| — (W&B has no such capture) | <= 50 |")
    print(f"| no git, the first init in the folder (every file read; later ones stat) (ms) | "
          f"{without['cold_ms']:.1f} | — | — |")


if __name__ == "__main__":
    main()
