"""Where imported runs go: a local run folder in the agent's own spool format, uploaded by ``cairn sync``'s code.

An importer reads its source (MLflow, a W&B folder, TensorBoard event files)
and writes what it finds into an ``ImportedRun``: the same records
``agent.log`` spools, with the source's own steps and times. The folder is
then uploaded exactly as an offline run is (``_service.sync_run``): batched,
gzip-compressed, retried, resumed where an interrupted upload stopped.

Idempotent: the run id is derived from the source's id, and the upload
always starts at offset 0 of each stream, so records the server holds
already are recognised as a retry by their content and stored once
(docs/protocol.md, *Streams*). A run the server has already, imported from
the same version of its source, is skipped before its source is even read.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import shutil
import time

from .. import _spool
from .._state import SPEC, STATE, read_json, write_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

    import requests

RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NOT_SLUG = re.compile(r"[^a-z0-9_.-]+")
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")
_UNSAFE_PATH = re.compile(r"[\x00-\x1f\\]")
DONE = "import-done"  # written once every record of the source is in the spool


def project_slug(name: str, default: str = "imported") -> str:
    """A Cairn project slug for a source's experiment or project name.

    >>> project_slug("My Experiment / v2")
    'my-experiment-v2'
    >>> project_slug("")
    'imported'
    """
    slug = _NOT_SLUG.sub("-", name.lower()).strip("-._")[:64]
    return slug if slug else default


def run_id_for(source_id: str, prefix: str = "") -> str:
    """A run id the server takes, the same for the same source id.

    >>> run_id_for("3f1c0a9b2e")
    '3f1c0a9b2e'
    >>> len(run_id_for("/a/path with spaces", "tb-"))
    27
    """
    if not prefix and RUN_ID.match(source_id):
        return source_id
    return prefix + hashlib.sha256(source_id.encode()).hexdigest()[:24]


def safe_path(rel: str) -> Optional[str]:
    """``rel`` as a run file path the server takes (``/`` separators, no ``..``), or None."""
    parts = [p for p in rel.replace(os.sep, "/").split("/") if p not in ("", ".")]
    if not parts or any(p == ".." or _UNSAFE_PATH.search(p) for p in parts):
        return None
    return "/".join(parts)


class Destination:
    """The server and organisation runs are imported into (from the flags, the environment, ``cairn login``)."""

    def __init__(self, *, base_url: str, api_key: Optional[str], org: Optional[str], root: str) -> None:
        from .. import _http

        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.root = root  # staging folders: <root>/<source>-<run id>
        self.session: requests.Session = _http.session(api_key)
        self._org = org.lower() if org else None

    @property
    def org(self) -> str:
        if self._org is None:
            from .. import _http
            from .._errors import UsageError

            viewer = _http.request(self.session, "GET", f"{self.base_url}/api/v1/viewer", timeout=30).json()
            self._org = viewer.get("default_org")
            if not self._org:
                raise UsageError("no organisation: pass --org or set CAIRN_ORG")
        return self._org

    def stored(self, project: str, run_id: str) -> Optional[dict[str, Any]]:
        """The run as the server has it, or None."""
        from .. import _http
        from .._errors import NotFound

        url = f"{self.base_url}/api/v1/projects/{self.org}/{project}/runs/{run_id}"
        try:
            run: dict[str, Any] = _http.request(self.session, "GET", url, timeout=30).json()
        except NotFound:
            return None
        return run


class ImportedRun:
    """One run being imported, written as an offline run's folder.

    ``imported`` describes the source (``from``, ``id``, ``version`` and the
    original ``status``, ``start_time``, ``end_time``); it is stored in the
    run's ``system`` as ``system.imported``, since the server sets a run's own
    times as records arrive.
    """

    def __init__(
        self,
        dest: Destination,
        *,
        run_id: str,
        project: str,
        imported: dict[str, Any],
        system: Optional[dict[str, Any]] = None,
    ) -> None:
        if not RUN_ID.match(run_id):
            raise ValueError(f"bad run id {run_id!r}")
        self.dest = dest
        self.id = run_id
        self.project = project
        self.imported = imported
        self.dir = os.path.join(dest.root, f"{imported['from']}-{run_id}")
        self.rows = 0
        self._system = dict(system or {}, imported=imported)
        self._spool: Optional[_spool.FileWriter] = None
        self._system_spool: Optional[_spool.FileWriter] = None
        self._system_count = 0

    # -- what to do -------------------------------------------------------------------

    def done_before(self) -> bool:
        """Whether the server has this run from this version of its source (nothing to do)."""
        from .._errors import ServerError

        try:
            stored = self.dest.stored(self.project, self.id)
        except ServerError:  # cannot tell now: staged, and uploaded when the server answers
            return False
        if stored is None or stored.get("state") == "running":
            return False
        was = (stored.get("system") or {}).get("imported") or {}
        return bool(was.get("version") == self.imported.get("version"))

    def spooled_before(self) -> bool:
        """Whether an earlier import wrote every record of this version already (its upload was interrupted)."""
        try:
            with open(os.path.join(self.dir, DONE)) as fh:
                return fh.read() == str(self.imported.get("version"))
        except OSError:
            return False

    # -- writing ------------------------------------------------------------------------

    def open(self, *, name: Optional[str] = None, config: Optional[dict[str, Any]] = None) -> None:
        """Start the folder afresh (what a killed import left is replaced: the source is read again)."""
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        spec = {
            "version": 1,
            "id": self.id,
            "project": self.project,
            "org": self.dest.org,
            "base_url": self.dest.base_url,
            "mode": "online",
            "resume": "allow",
            "meta": {"name": name} if name else {},
            "config": config or {},
            "settings": {"capture_system_metrics": False},
            "program": f"cairn import {self.imported['from']}",
            "args": [],
            "cwd": os.getcwd(),
            "started_at": time.time(),
            "first_step": 0,
        }
        write_json(os.path.join(self.dir, SPEC), spec)
        self._write_state()
        self._spool = _spool.FileWriter(self.dir, "spool")

    def _write_state(self) -> None:
        # Every stream's upload starts at offset 0: what the server holds already
        # comes back as a retry and is stored once (the protocol's idempotency).
        write_json(
            os.path.join(self.dir, STATE),
            {
                "system_info": self._system,
                "system_count": self._system_count,
                "upload": {"base": {"history": 0, "console": 0, "system": 0}},
            },
        )

    def _record(self, kind: int, body: Any) -> None:
        assert self._spool is not None, "open() first"
        self._spool.append(bytes((kind,)) + marshal.dumps(body))

    def log(self, step: int, when: float, row: dict[str, Any]) -> None:
        """One history row: plain values, or media (``agent.Image``, ``agent.Histogram``) written as files."""
        from .._values import SCALARS

        if any(type(v) not in SCALARS for v in row.values()):
            from .. import _media

            for key, value in list(row.items()):
                if type(value) in SCALARS:
                    continue
                items = value if isinstance(value, list) else [value]
                if items and all(isinstance(v, _media.Media) for v in items):
                    row[key] = _media.reference(self, key, step, value)  # type: ignore[arg-type]
                else:
                    del row[key]  # no media, and not a value history holds
        self._record(_spool.HISTORY, (int(step), float(when), row))
        self.rows += 1

    def console(self, when: float, stream: str, line: str) -> None:
        self._record(_spool.CONSOLE, (float(when), stream, line))

    def system(self, when: float, data: dict[str, Any]) -> None:
        if self._system_spool is None:
            self._system_spool = _spool.FileWriter(self.dir, "system")
        self._system_spool.append(bytes((_spool.SYSTEM,)) + marshal.dumps((float(when), data)))
        self._system_count += 1

    def config(self, values: dict[str, Any]) -> None:
        if values:
            self._record(_spool.CONFIG, values)

    def summary(self, values: dict[str, Any]) -> None:
        if values:
            self._record(_spool.SUMMARY, values)

    def meta(self, **fields: Any) -> None:
        fields = {k: v for k, v in fields.items() if v not in (None, "", [])}
        if fields:
            self._record(_spool.META, fields)

    def file(self, rel: str, src: str) -> bool:
        """Copy ``src`` into the run's files as ``rel``; False when the path cannot be a run file."""
        path = safe_path(rel)
        if path is None or not os.path.isfile(src):
            return False
        dst = os.path.join(self.dir, "files", *path.split("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        digest = hashlib.sha256()
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            for chunk in iter(lambda: fin.read(1 << 20), b""):
                digest.update(chunk)
                fout.write(chunk)
        self._record(_spool.MEDIA, (path, digest.hexdigest(), os.path.getsize(dst)))
        return True

    def end(self, state: str, exit_code: Optional[int] = None) -> None:
        """The last record: how the source run ended (``finished``, ``failed`` or ``crashed``)."""
        code = exit_code if exit_code is not None else (0 if state == "finished" else 1)
        self._record(_spool.END, (code, state))
        assert self._spool is not None
        self._spool.close()
        if self._system_spool is not None:
            self._system_spool.close()
        state_file = read_json(os.path.join(self.dir, STATE)) or {}
        state_file["system_count"] = self._system_count
        state_file["system_info"] = self._system  # with what the source said as it was read
        write_json(os.path.join(self.dir, STATE), state_file)
        with open(os.path.join(self.dir, DONE), "w") as fh:
            fh.write(str(self.imported.get("version")))

    # -- uploading ------------------------------------------------------------------------

    def upload(self, timeout: float = 60.0, keep: bool = False) -> tuple[bool, str]:
        """Upload the folder (resuming an interrupted upload); on success the folder is removed unless ``keep``."""
        from .._service import sync_run

        ok, message = sync_run(
            self.dir,
            base_url=self.dest.base_url,
            api_key=self.dest.api_key,
            org=self.dest.org,
            timeout=timeout,
        )
        if ok and not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        return ok, message


def import_run(
    run: ImportedRun,
    write: Callable[[ImportedRun], None],
    *,
    say: Callable[[str], None],
    timeout: float = 60.0,
    keep: bool = False,
) -> bool:
    """Import one run: skip it when already there, else write it (``write``) and upload it."""
    where = f"{run.project}/{run.id}"
    if run.done_before():
        say(f"{where}: already imported")
        if not keep:
            shutil.rmtree(run.dir, ignore_errors=True)
        return True
    if not run.spooled_before():
        write(run)
    ok, message = run.upload(timeout=timeout, keep=keep)
    say(f"{where}: {'imported, ' if ok else ''}{message}")
    return ok


def clean_id(text: str) -> str:
    """``text`` with what a run id cannot hold replaced (``_``).

    >>> clean_id("run 1/a")
    'run_1_a'
    """
    return _NOT_ID.sub("_", text)[:64] or "_"
