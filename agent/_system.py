"""What the background process learns about the machine: system info, code version, metrics."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

MB = 1024.0 * 1024.0


def _git(cwd: str, *args: str, timeout: float = 5.0) -> Optional[str]:
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.decode("utf-8", "replace")


def git_info(cwd: str) -> Optional[dict[str, Any]]:
    """Remote, branch, commit and whether the tree is dirty; ``None`` outside a repository."""
    commit = _git(cwd, "rev-parse", "HEAD")
    if commit is None:
        return None
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no") or ""
    return {
        "remote": (_git(cwd, "config", "--get", "remote.origin.url") or "").strip(),
        "branch": (_git(cwd, "rev-parse", "--abbrev-ref", "HEAD") or "").strip(),
        "commit": commit.strip(),
        "dirty": bool(status.strip()),
    }


def git_diff(cwd: str) -> Optional[str]:
    """The uncommitted changes (staged and not) against HEAD, as a patch."""
    return _git(cwd, "diff", "HEAD", "--no-color", "--no-ext-diff", timeout=20.0)


def requirements() -> str:
    """The installed packages, ``pip freeze`` style."""
    from importlib import metadata

    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    return "".join(line + "\n" for _, line in sorted(seen.items()))


def _nvml() -> Any:
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml
    except Exception:
        return None


def gpu_names(nvml: Any) -> list[str]:
    if nvml is None:
        return []
    names = []
    try:
        for i in range(nvml.nvmlDeviceGetCount()):
            name = nvml.nvmlDeviceGetName(nvml.nvmlDeviceGetHandleByIndex(i))
            names.append(name.decode() if isinstance(name, bytes) else str(name))
    except Exception:
        pass
    return names


def system_info(spec: dict[str, Any], nvml: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "host": socket.gethostname(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "cpu_count": os.cpu_count(),
        "gpus": gpu_names(nvml),
        "program": spec.get("program", ""),
        "args": spec.get("args", []),
        "cwd": spec.get("cwd", ""),
    }
    return info


class Sampler:
    """Samples system and training-process metrics (``psutil``, and NVML for GPUs)."""

    def __init__(self, parent_pid: Optional[int], disk_path: str, nvml: Any) -> None:
        import psutil

        self._psutil = psutil
        self._parent_pid = parent_pid
        self._disk_path = disk_path
        self._nvml = nvml
        self._procs: dict[int, Any] = {}
        self._me = os.getpid()
        psutil.cpu_percent(interval=None)
        self._disk0 = self._safe(psutil.disk_io_counters)
        self._net0 = self._safe(psutil.net_io_counters)
        self._tree_cpu()  # prime per-process CPU counters

    @staticmethod
    def _safe(fn: Any) -> Any:
        try:
            return fn()
        except Exception:
            return None

    def _tree(self) -> list[Any]:
        psutil = self._psutil
        if self._parent_pid is None:
            return []
        try:
            root = self._procs.get(self._parent_pid) or psutil.Process(self._parent_pid)
            procs = [root] + [p for p in root.children(recursive=True) if p.pid != self._me]
        except psutil.Error:
            return []
        alive: dict[int, Any] = {}
        for proc in procs:
            alive[proc.pid] = self._procs.get(proc.pid, proc)
        self._procs = alive
        return list(alive.values())

    def _tree_cpu(self) -> float:
        total = 0.0
        for proc in self._tree():
            try:
                total += proc.cpu_percent(interval=None)
            except self._psutil.Error:
                pass
        return total

    def sample(self) -> dict[str, Any]:
        psutil = self._psutil
        data: dict[str, Any] = {"cpu.percent": psutil.cpu_percent(interval=None)}
        if self._parent_pid is not None:
            data["proc.cpu.percent"] = self._tree_cpu()
            rss = 0
            for proc in self._procs.values():
                try:
                    rss += proc.memory_info().rss
                except psutil.Error:
                    pass
            data["proc.memory.rss_mb"] = rss / MB
        mem = psutil.virtual_memory()
        data["memory.percent"] = mem.percent
        data["memory.used_mb"] = (mem.total - mem.available) / MB
        disk = self._safe(lambda: psutil.disk_usage(self._disk_path))
        if disk is not None:
            data["disk.percent"] = disk.percent
        io = self._safe(psutil.disk_io_counters)
        if io is not None and self._disk0 is not None:
            data["disk.read_mb"] = (io.read_bytes - self._disk0.read_bytes) / MB
            data["disk.write_mb"] = (io.write_bytes - self._disk0.write_bytes) / MB
        net = self._safe(psutil.net_io_counters)
        if net is not None and self._net0 is not None:
            data["net.sent_mb"] = (net.bytes_sent - self._net0.bytes_sent) / MB
            data["net.recv_mb"] = (net.bytes_recv - self._net0.bytes_recv) / MB
        data.update(self._gpus())
        return data

    def _gpus(self) -> dict[str, Any]:
        nvml = self._nvml
        out: dict[str, Any] = {}
        if nvml is None:
            return out
        try:
            count = nvml.nvmlDeviceGetCount()
        except Exception:
            return out
        for i in range(count):
            prefix = f"gpu.{i}."
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(i)
            except Exception:
                continue
            for key, read in (
                ("util", lambda h: nvml.nvmlDeviceGetUtilizationRates(h).gpu),
                ("memory.percent", lambda h: _mem_percent(nvml.nvmlDeviceGetMemoryInfo(h))),
                ("memory.used_mb", lambda h: nvml.nvmlDeviceGetMemoryInfo(h).used / MB),
                ("temp", lambda h: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU)),
                ("power_w", lambda h: nvml.nvmlDeviceGetPowerUsage(h) / 1000.0),
            ):
                try:
                    out[prefix + key] = float(read(handle))
                except Exception:
                    pass
        return out


def _mem_percent(info: Any) -> float:
    return 100.0 * info.used / info.total if info.total else 0.0


def now() -> float:
    return time.time()
