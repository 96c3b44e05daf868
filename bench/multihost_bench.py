"""Ingest through two web hosts together beside one: network-namespace hosts on one machine.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/multihost_bench.py \
        [--clients 8] [--seconds 15] [--workers-per-host 1]

As root. Hosts (tests/netns.py): a database host (Redis, and a relay to the
machine's PostgreSQL), two web hosts (`cairn-server web --workers 1 --threads
8` each) and two worker hosts. Client threads in the root namespace send
history batches of 1,000 steps × 10 scalars (gzip, prepared before the clock)
to runs of their own for a fixed time: first all to web host 1, then split
over both. The peer is one host, in the same run. Floor (issue 19): ≥ 1.6×.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.netns import ROOT_ADDRESS, Hosts, netns_refused  # noqa: E402

HOSTS = {"db": "10.213.0.2", "web1": "10.213.0.3", "web2": "10.213.0.4", "worker1": "10.213.0.5",
         "worker2": "10.213.0.6"}
ROWS = 1000
KEYS = 10


def _cores() -> str:
    """The cores this process may use: its CPU affinity, capped by a cgroup quota if there is one."""
    usable = float(len(os.sched_getaffinity(0)))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            usable = min(usable, int(quota) / int(period))
    except (OSError, ValueError):
        pass
    return f"{usable:g} usable cores ({os.cpu_count()} on the machine)"


def _bodies(count: int) -> list[bytes]:
    out = []
    for b in range(count):
        records = [{"step": b * ROWS + i, "time": 1.0 + i,
                    "data": {f"k{k}": (b * ROWS + i) * 0.001 + k for k in range(KEYS)}} for i in range(ROWS)]
        out.append(gzip.compress(json.dumps({"offset": b * ROWS, "records": records}).encode(), 1))
    return out


def _ingest(key: str, webs: list[str], clients: int, seconds: float, tag: str) -> float:
    bodies = _bodies(60)
    rows = [0]
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(i: int) -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {key}"
        gz = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        run = f"{webs[i % len(webs)]}/api/v1/projects/mh/bench/runs/{tag}-{i}"
        made = s.put(run, json={}, timeout=120)
        assert made.status_code in (200, 201), made.text
        start_gate.wait()
        for body in bodies:
            if stop.is_set():
                return
            r = s.post(f"{run}/streams/history", data=body, headers=gz, timeout=120)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:200]}")
                return
            with lock:
                rows[0] += ROWS

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    started = time.monotonic()
    time.sleep(seconds)
    stop.set()
    counted = rows[0]
    elapsed = time.monotonic() - started
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} batches refused, the first: {errors[0]}")
    return counted * KEYS / elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--workers-per-host", type=int, default=1)
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if os.geteuid() != 0 or not base.startswith("postgres") or netns_refused():
        print("run as root with DATABASE_URL set to PostgreSQL, where `ip netns add` works")
        return 2
    name = f"cairn_mhb_{uuid.uuid4().hex[:8]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    folder = Path(tempfile.mkdtemp(prefix="cairn-mhb-"))
    pg = base.rsplit("/", 1)[0]
    pg_port = int(pg.rsplit(":", 1)[1]) if pg.count(":") >= 2 else 5432
    hosts = Hosts(HOSTS)
    relay: subprocess.Popen[bytes] | None = None
    python = str(ROOT / ".venv" / "bin" / "python") if not os.environ.get("CAIRN_SERVER_PYTHON") \
        else os.environ["CAIRN_SERVER_PYTHON"]
    env = {**os.environ, "DATABASE_URL": pg.replace("127.0.0.1", HOSTS["db"]).replace(f":{pg_port}", ":5432")
           + "/" + name, "CELERY_BROKER_URL": f"redis://{HOSTS['db']}:6379/0", "CAIRN_SECRET_KEY": "mhb-secret",
           "PYTHONPATH": str(ROOT), "CAIRN_ALLOWED_HOSTS": f"{HOSTS['web1']},{HOSTS['web2']}",
           "CAIRN_LOG_LEVEL": "ERROR", "CAIRN_DATA_DIR": str(folder)}
    env.pop("CAIRN_TASKS_EAGER", None)
    try:
        hosts.create()
        # After the bridge has its address: the relay listens there only.
        relay = subprocess.Popen(["socat", f"TCP-LISTEN:25432,bind={ROOT_ADDRESS},reuseaddr,fork",
                                  f"TCP:127.0.0.1:{pg_port}"], start_new_session=True)
        hosts.start("db", ["socat", "TCP-LISTEN:5432,reuseaddr,fork", f"TCP:{ROOT_ADDRESS}:25432"], env,
                    folder / "db.log")
        hosts.start("db", ["redis-server", "--bind", HOSTS["db"], "--port", "6379", "--save", "", "--appendonly",
                           "no", "--protected-mode", "no", "--dir", str(folder)], env, folder / "db.log")
        local = {**env, "DATABASE_URL": pg + "/" + name}
        subprocess.run([python, "-m", "webapp", "migrate"], env=local, check=True, capture_output=True)
        made = subprocess.run([python, "-m", "webapp", "manage", "cairn_user", "mh", "--password",
                               "mh-password-1234", "--org", "mh", "--role", "admin", "--api-key"],
                              env=local, check=True, capture_output=True, text=True).stdout
        key = made.split("api key:")[1].split()[0]
        for web in ("web1", "web2"):
            hosts.start(web, [python, "-m", "webapp", "web", "--bind", f"{HOSTS[web]}:8000", "--workers",
                              str(args.workers_per_host), "--threads", "8", "--access-logfile", "/dev/null"],
                        env, folder / f"{web}.log")
        for worker in ("worker1", "worker2"):
            hosts.start(worker, [python, "-m", "celery", "-A", "webapp", "worker", "--pool", "solo", "-Q",
                                 "default,history,files,media,scoring"], env, folder / f"{worker}.log")
        webs = [f"http://{HOSTS[w]}:8000" for w in ("web1", "web2")]
        for web in webs:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"{web}/api/v1/health", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"{web} did not start"
                time.sleep(0.3)
        _ingest(key, webs, args.clients, 3, "warm")  # both hosts' first requests (imports, connections)
        one = _ingest(key, webs[:1], args.clients, args.seconds, "one")
        two = _ingest(key, webs, args.clients, args.seconds, "two")
        load = os.getloadavg()[0]
        print(f"{args.clients} clients, batches of {ROWS} steps x {KEYS} scalars (gzip), {args.seconds:.0f} s each; "
              f"web hosts of {args.workers_per_host} process(es); {_cores()}, load {load:.1f}")
        print(f"one web host:   {one:>12,.0f} points/s")
        print(f"two web hosts:  {two:>12,.0f} points/s   {two / one:.2f}x   floor >= 1.6x")
        # Namespaces separate the network only: every host, the database and the clients share these cores.
        print(f"scaling factor {two / one:.2f}x measured with all {len(HOSTS)} hosts and the clients on {_cores()}: "
              "it shows how hosts scale only where each has cores of its own")
        return 0
    finally:
        hosts.destroy()
        if relay is not None:
            relay.kill()
            relay.wait()
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
