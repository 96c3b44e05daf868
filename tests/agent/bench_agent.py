"""Measure the agent's speed floors offline: python tests/agent/bench_agent.py [steps].

Prints import time, init time, log() p50/p99 for 10 floats, CPU per step
(training + background process), finish() time and RSS growth.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys, time, resource
    t0 = time.perf_counter()
    import agent
    t_import = time.perf_counter() - t0
    def rss():
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
        return 0.0
    steps = int(sys.argv[1])
    t0 = time.perf_counter()
    run = agent.init(project="bench", mode="offline", settings={"quiet": True, "capture_console": False})
    t_init = time.perf_counter() - t0
    data = {f"k{i}": i * 0.5 for i in range(10)}
    log = run.log
    pc = time.perf_counter_ns
    for i in range(20000):
        log(data)
    rss0 = rss()
    cpu0 = time.process_time()
    sample = [0] * steps
    for i in range(steps):
        a = pc(); log(data); sample[i] = pc() - a
    cpu = time.process_time() - cpu0
    rss1 = rss()
    sample.sort()
    svc = run._process.proc.pid
    def proc_cpu(pid):
        with open(f"/proc/{pid}/stat") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    def proc_rss(pid):
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
    svc_rss = proc_rss(svc)
    t0 = time.perf_counter()
    svc_cpu = proc_cpu(svc)
    run.finish(quiet=True)
    t_finish = time.perf_counter() - t0
    import json
    print(json.dumps({
        "python": sys.version.split()[0], "import_s": t_import, "init_s": t_init,
        "log_p50_us": sample[steps // 2] / 1000, "log_p99_us": sample[int(steps * 0.99)] / 1000,
        "log_p999_us": sample[int(steps * 0.999)] / 1000,
        "train_cpu_us_per_step": cpu / steps * 1e6, "service_cpu_s_before_finish": svc_cpu,
        "finish_s": t_finish, "train_rss_growth_mb": rss1 - rss0, "service_rss_mb": svc_rss,
    }))
    """
)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.py"
        script.write_text(SCRIPT)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        out = subprocess.run(
            [sys.executable, str(script), str(steps)],
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        ).stdout
        print(json.dumps(json.loads(out.strip().splitlines()[-1]), indent=1))


if __name__ == "__main__":
    main()
