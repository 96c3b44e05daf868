"""Hosts for tests and benches: network namespaces on a bridge of private test addresses.

10.213.0.0/24 is used only on the bridge and in the namespaces made here; the
root namespace has 10.213.0.1 on the bridge and forwards nothing, so nothing
outside this machine is ever reached. Needs root and iproute2.

PostgresCluster: a throwaway PostgreSQL server for a namespace host (the
machine's PostgreSQL binaries, a cluster of its own in a temporary folder).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Optional

ROOT_ADDRESS = "10.213.0.1"


def netns_refused() -> str:
    """Why namespaces cannot be made here ('' when they can)."""
    name = f"cmprobe{uuid.uuid4().hex[:4]}"
    probe = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if probe.returncode != 0:
        return probe.stderr.strip() or "ip netns add failed"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return ""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Hosts:
    """The namespaces and their bridge; processes started in them, by host."""

    def __init__(self, hosts: dict[str, str]) -> None:
        self.hosts = hosts
        self.prefix = f"cm{uuid.uuid4().hex[:4]}"  # names of this run's namespaces and links
        self.bridge = f"{self.prefix}br"
        self.procs: dict[str, list[subprocess.Popen[bytes]]] = {name: [] for name in hosts}
        self.made: list[str] = []

    def create(self) -> None:
        _ip("link", "add", self.bridge, "type", "bridge")
        self.made.append("bridge")
        _ip("addr", "add", f"{ROOT_ADDRESS}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for i, (name, address) in enumerate(self.hosts.items()):
            ns, veth = f"{self.prefix}-{name}", f"{self.prefix}v{i}"
            _ip("netns", "add", ns)
            self.made.append(ns)
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            _ip("link", "set", veth, "master", self.bridge)
            _ip("link", "set", veth, "up")
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")

    def start(self, host: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        with open(log, "ab") as out:
            self.procs[host].append(subprocess.Popen(
                ["ip", "netns", "exec", f"{self.prefix}-{host}", *argv], env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=str(log.parent)))

    def kill(self, host: str) -> None:
        """The host dies: every process on it, at once."""
        for p in self.procs[host]:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs[host] = []

    def destroy(self) -> None:
        for host in self.hosts:
            self.kill(host)
        for name in reversed(self.made):
            if name == "bridge":
                subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
            else:
                subprocess.run(["ip", "netns", "del", name], capture_output=True)
        # The kernel frees a namespace's links lazily: the root ends go now.
        for i in range(len(self.hosts)):
            subprocess.run(["ip", "link", "del", f"{self.prefix}v{i}"], capture_output=True)


def postgres_binaries() -> Optional[Path]:
    """The folder of the newest installed PostgreSQL's `initdb` and `postgres` (Debian's
    /usr/lib/postgresql/N/bin, else PATH); None when there is none."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A PostgreSQL cluster of its own, run by the `postgres` user (the server refuses
    root), to be started on a namespace host listening on that host's address only."""

    def __init__(self, binaries: Path, address: str, network: str = "10.213.0.0/24") -> None:
        self.binaries, self.address = binaries, address
        # Under /tmp itself: pytest's folders are root's alone, the postgres user could not enter them.
        self.folder = Path(tempfile.mkdtemp(prefix="cairn-pg-"))
        shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        done = subprocess.run([*self._as_postgres(), str(binaries / "initdb"), "-D", str(self.data), "-U", "postgres",
                               "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                              cwd=self.folder, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {network} trust\n")  # the bridge's hosts, no one else

    @staticmethod
    def _as_postgres() -> list[str]:
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]

    def argv(self) -> list[str]:
        """The server, in the foreground. fsync is off: the test kills processes, never the
        machine, and what a killed server wrote is in the kernel's cache all the same."""
        return [*self._as_postgres(), str(self.binaries / "postgres"), "-D", str(self.data), "-p", "5432",
                "-c", f"listen_addresses={self.address}", "-c", f"unix_socket_directories={self.folder}",
                "-c", "fsync=off", "-c", "max_connections=200"]

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{self.address}:5432/{database}"

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
