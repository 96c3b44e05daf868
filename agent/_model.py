"""What the background process knows about a run, persisted in ``state.json``.

The main thread replays the spool into it (config, summary, files, the end);
the upload thread reads it and records what the server acknowledged.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import threading

from . import _spool
from ._metrics import MetricDefs
from ._state import SPEC, STATE, debug, read_json, write_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

STREAMS = ("history", "console", "system")


class Model:
    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir
        self.lock = threading.RLock()
        spec = read_json(os.path.join(run_dir, SPEC))
        if spec is None:
            raise FileNotFoundError(f"{run_dir}: no {SPEC}; not a run folder")
        self.spec: dict[str, Any] = spec
        state = read_json(os.path.join(run_dir, STATE)) or {}
        scan = state.get("scan") or {}
        self.cursor: tuple[int, int] = tuple(scan.get("cursor") or (0, 0))
        self.counts: dict[str, int] = dict(scan.get("counts") or {"history": 0, "console": 0})
        self.last_step: Optional[int] = scan.get("last_step")
        self.config: dict[str, Any] = dict(scan.get("config", spec.get("config") or {}))
        self.config_deleted: list[str] = list(scan.get("config_deleted") or [])
        self.meta: dict[str, Any] = dict(scan.get("meta", spec.get("meta") or {}))
        self.summary_set: dict[str, Any] = dict(scan.get("summary") or {})
        self.metrics = MetricDefs()
        self.metrics.load(scan.get("metrics") or {})
        self.saves: list[list[str]] = list(scan.get("saves") or [])
        # run.alert(): id -> {title, text, level, time, count, sent} (_alerts.py).
        self.alerts: dict[str, dict[str, Any]] = dict(scan.get("alerts") or {})
        self.ended: Optional[dict[str, Any]] = scan.get("ended")
        self.versions: dict[str, int] = dict(scan.get("versions") or {})
        self.files: dict[str, dict[str, Any]] = dict(state.get("files") or {})
        self.system_count: int = int(state.get("system_count") or 0)
        self.system_info: Optional[dict[str, Any]] = state.get("system_info")
        self.upload: dict[str, Any] = dict(state.get("upload") or {})
        self.upload.setdefault("created", False)
        self.upload.setdefault("base", {})
        self.upload.setdefault("acked", {s: 0 for s in STREAMS})
        self.upload.setdefault("cursors", {})
        self.upload.setdefault("sent", {})
        self.upload.setdefault("finished", False)
        # What the server refused and the uploader left out (see debug.log).
        self.upload.setdefault("refused", {"records": 0, "values": 0})
        # Artifact versions staged by log_artifact: local id -> pending/done/failed;
        # versions used: [qualified name, sent] (agent/_artifacts/_upload.py).
        self.artifacts: dict[str, str] = dict(state.get("artifacts") or {})
        self.uses: list[list[Any]] = [list(u) for u in state.get("uses") or []]
        self.final: bool = bool(state.get("final"))
        self.dirty = False

    @property
    def files_dir(self) -> str:
        return os.path.join(self.run_dir, "files")

    def bump(self, what: str) -> None:
        self.versions[what] = self.versions.get(what, 0) + 1
        self.dirty = True

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "scan": {
                    "cursor": list(self.cursor),
                    "counts": dict(self.counts),
                    "last_step": self.last_step,
                    "config": self.config,
                    "config_deleted": self.config_deleted,
                    "meta": self.meta,
                    "summary": self.summary_set,
                    "metrics": self.metrics.state(),
                    "saves": self.saves,
                    "alerts": self.alerts,
                    "ended": self.ended,
                    "versions": self.versions,
                },
                "files": self.files,
                "system_count": self.system_count,
                "system_info": self.system_info,
                "upload": self.upload,
                "artifacts": self.artifacts,
                "uses": self.uses,
                "final": self.final,
            }

    def save(self) -> None:
        data = self.snapshot()
        with self.lock:
            write_json(os.path.join(self.run_dir, STATE), data)
            self.dirty = False

    # -- replaying the spool ---------------------------------------------------

    def apply(self, records: list[tuple[int, bytes, tuple[int, int]]]) -> None:
        """Replay records read from the training process's spool."""
        loads = marshal.loads
        track = self.metrics.active
        last_history: Optional[bytes] = None
        with self.lock:
            for kind, body, _ in records:
                if kind == _spool.HISTORY:
                    self.counts["history"] = self.counts.get("history", 0) + 1
                    if track:
                        try:
                            self.metrics.update(loads(body)[2])
                            self.versions["summary"] = self.versions.get("summary", 0) + 1
                        except Exception:
                            pass
                    last_history = body
                elif kind == _spool.CONSOLE:
                    self.counts["console"] = self.counts.get("console", 0) + 1
                else:
                    try:
                        self._control(kind, loads(body))
                    except Exception as exc:
                        debug(self.run_dir, f"bad control record {kind}: {exc!r}")
                    if kind == _spool.METRIC:  # rows after it in this batch are summarised too
                        track = self.metrics.active
            if last_history is not None:
                try:
                    self.last_step = int(loads(last_history)[0])
                except Exception:
                    pass
            if records:
                self.cursor = records[-1][2]
                self.dirty = True

    def _control(self, kind: int, body: Any) -> None:
        if kind == _spool.CONFIG:
            for key, value in body.items():
                if value is None:
                    self.config.pop(key, None)
                    if key not in self.config_deleted:
                        self.config_deleted.append(key)
                else:
                    self.config[key] = value
                    if key in self.config_deleted:
                        self.config_deleted.remove(key)
            self.bump("config")
        elif kind == _spool.SUMMARY:
            self.summary_set.update(body)
            self.bump("summary")
        elif kind == _spool.METRIC:
            name, how, step_metric = body[:3]
            self.metrics.define(name, how, step_metric)
            self.bump("system")
        elif kind == _spool.META:
            self.meta.update(body)
            self.bump("meta")
        elif kind == _spool.FILE:
            self.saves.append(list(body))
            self.bump("files")
        elif kind == _spool.MEDIA:
            # The training process wrote it under files/ already: upload as is.
            rel, sha, size = body
            self.files[rel] = {"sha256": sha, "size": size, "src": None, "uploaded": None}
            self.bump("files")
        elif kind == _spool.ALERT:
            from ._alerts import replay

            replay(self, body)
        elif kind == _spool.ARTIFACT:
            self.artifacts.setdefault(body, "pending")
            self.dirty = True
        elif kind == _spool.USE:
            if not any(u[0] == body for u in self.uses):
                self.uses.append([body, False])
            self.dirty = True
        elif kind == _spool.END:
            exit_code, state = body
            self.ended = {"exit_code": exit_code, "state": state}
            self.dirty = True

    # -- what the server is sent ---------------------------------------------------

    def writer(self) -> Optional[dict[str, Any]]:
        """This process as a writer of the run (docs/protocol.md, Writers); None from an older agent's spool."""
        with self.lock:
            writer = self.spec.get("writer")
            if not isinstance(writer, dict):
                return None
            # Another id once the first was found taken (see Uploader._writer_taken).
            return dict(writer, id=self.upload.get("writer_id") or writer.get("id"))

    def run_body(self) -> dict[str, Any]:
        with self.lock:
            body: dict[str, Any] = {k: v for k, v in self.meta.items() if v is not None}
            body["config"] = dict(self.config)
            body["system"] = dict(self.system_info or {})
            body["resume"] = self.spec.get("resume") or "allow"
            writer = self.writer()
            if writer is not None:
                body["writer"] = writer
            return body

    def summary_body(self) -> dict[str, Any]:
        with self.lock:
            out = self.metrics.values()
            out.update(self.summary_set)
            return out

    def system_extra(self) -> dict[str, Any]:
        with self.lock:
            defs = {
                k: {"summary": how, "step_metric": sm} for k, (how, sm) in self.metrics.defs.items()
            }
            return {"metrics": defs} if defs else {}

    # -- files ------------------------------------------------------------------

    def add_file(self, rel: str, content: bytes) -> None:
        """A file the agent makes itself (the diff, requirements.txt)."""
        dst = os.path.join(self.files_dir, *rel.split("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as fh:
            fh.write(content)
        with self.lock:
            self.files[rel] = {
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "src": None,
                "uploaded": None,
            }
            self.dirty = True

    def snapshot_file(self, src: str, base: str) -> None:
        """Copy a user file into the run folder (what gets uploaded), unless unchanged."""
        try:
            st = os.stat(src)
        except OSError:
            return
        src_abs = os.path.abspath(src)
        rel = os.path.relpath(src_abs, base)
        if rel.startswith(os.pardir) or os.path.isabs(rel):
            rel = os.path.basename(src_abs)
        rel = rel.replace(os.sep, "/")
        with self.lock:
            entry = self.files.get(rel)
            if (
                entry
                and entry.get("src_mtime") == st.st_mtime_ns
                and entry.get("src_size") == st.st_size
            ):
                return
        dst = os.path.join(self.files_dir, *rel.split("/"))
        if os.path.abspath(dst) == src_abs:
            return
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        tmp = dst + ".cairn-tmp"
        digest = hashlib.sha256()
        size = 0
        with open(src_abs, "rb") as fin, open(tmp, "wb") as fout:
            while True:
                chunk = fin.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
        with self.lock:
            os.replace(tmp, dst)
            old = self.files.get(rel) or {}
            self.files[rel] = {
                "sha256": digest.hexdigest(),
                "size": size,
                "src": src_abs,
                "src_mtime": st.st_mtime_ns,
                "src_size": st.st_size,
                "uploaded": old.get("uploaded"),
            }
            self.dirty = True
