"""An Aim repository with one run tracking a 64-bin distribution at each of 1,000 steps, served by `aim up`,
for bench/media_web_bench.py.

    bench/.venv-peers/bin/python bench/peers/aim_distributions.py --steps 1000 --bins 64

Tracks `aim.Distribution(hist=counts, bin_range=(lo, hi))` under the name
`weights` (the same drifting normal as Cairn's side), starts `aim up` on a free
port, prints one JSON line {"url", "run_hash", "seed_s", "version"} on stdout,
then serves until stdin closes.
"""

from __future__ import annotations

import argparse
import math
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import apply_quiet_env, emit, log, quiet_env  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    apply_quiet_env()
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--bins", type=int, default=64)
    args = ap.parse_args()
    from importlib.metadata import version

    from aim import Distribution, Run

    aim_cli = str(Path(sys.executable).parent / "aim")
    with tempfile.TemporaryDirectory(prefix="cairn-bench-aim-") as repo:
        subprocess.run([aim_cli, "init", "--repo", repo], check=True, capture_output=True, env=quiet_env())
        t0 = time.perf_counter()
        run = Run(repo=repo, experiment="media-web-bench", system_tracking_interval=None)
        for step in range(args.steps):
            centre = step / 100
            lo, hi = centre - 4, centre + 4
            width = (hi - lo) / args.bins
            counts = [round(1000 * math.exp(-((lo + (b + 0.5) * width - centre) ** 2) / 2)) for b in range(args.bins)]
            run.track(Distribution(hist=counts, bin_range=(lo, hi)), name="weights", step=step)
        run_hash = run.hash
        run.close()
        seed_s = round(time.perf_counter() - t0, 1)
        port = free_port()
        log(f"aim up on :{port}")
        proc = subprocess.Popen([aim_cli, "up", "--repo", repo, "--host", "127.0.0.1", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=quiet_env(), start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            emit({"url": url, "run_hash": run_hash, "seed_s": seed_s, "version": version("aim")})
            sys.stdin.read()  # serve until the bench closes our stdin
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
