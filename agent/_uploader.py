"""The upload thread of the background process: the spool, in batches, to the server.

One request in flight at a time. Records are re-read from the spool files,
never kept in memory beyond the batch being sent; what the server
acknowledged is recorded in ``state.json``, so a restart resumes there.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
import urllib.parse

from . import _alerts, _http, _spool
from ._artifacts._upload import upload_pending
from ._batch import Screen, encode, named_key
from ._errors import ApiError, AuthError, NotFound, ServerError
from ._model import STREAMS, Model
from ._state import debug
from ._values import shown_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Callable, Optional

_SOURCES = {
    "history": ("spool", _spool.HISTORY),
    "console": ("spool", _spool.CONSOLE),
    "system": ("system", _spool.SYSTEM),
}
_RECORD_INDEX = re.compile(r"^records\[(\d+)\]")
MAX_RECORDS = 10000
MAX_BYTES = 8 << 20


class _Pending:
    def __init__(self, count: int, cursor: tuple[int, int]) -> None:
        self.count = count
        self.cursor = cursor
        self.records = b""
        # What was left out of the batch: counted in the state once it is acknowledged,
        # so a batch read again (a seek, a restart) is not counted twice.
        self.refused: dict[str, int] = {"records": 0, "values": 0}


class _FileBody:
    """A file object for requests that counts the bytes sent (progress)."""

    def __init__(self, fh: Any, on_read: Callable[[int], None]) -> None:
        self._fh = fh
        self._on_read = on_read

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._fh.read(size)
        self._on_read(len(data))
        return data


class Uploader:
    def __init__(
        self,
        model: Model,
        *,
        base_url: str,
        api_key: Optional[str],
        org: Optional[str],
        writer_done: Callable[[], bool],
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.org = org or model.upload.get("org")
        self.writer_done = writer_done
        self.session = _http.session(api_key)
        self.readers: dict[str, _spool.Reader] = {}
        for stream in STREAMS:
            prefix, _ = _SOURCES[stream]
            cursor = tuple(model.upload["cursors"].get(stream) or (0, 0))
            self.readers[stream] = _spool.Reader(model.run_dir, prefix, cursor)
        self.pending: dict[str, Optional[_Pending]] = {s: None for s in STREAMS}
        self.drained: dict[str, bool] = {s: False for s in STREAMS}
        self.max_records = MAX_RECORDS
        self.backoff = _http.Backoff()
        self.progress = 0
        # Artifact files hashed here, by (staged path, size, mtime): a retry does not hash them again.
        self.hashed: dict[tuple[str, int, int], str] = {}
        self.error: Optional[str] = None
        self.fatal: Optional[str] = None
        self.done = bool(model.upload.get("finished"))
        self.last_contact = 0.0
        self.heartbeat_interval = float(
            model.spec.get("settings", {}).get("heartbeat_interval") or 15.0
        )
        self.file_failures: dict[str, int] = {}
        writer = model.writer()
        self.writer_id: Optional[str] = writer["id"] if writer else None
        # In a shared run, files other than media of a writer that is not the
        # primary go under its label: ranks saving "model.pt" keep one each.
        self.file_prefix = (
            f"{writer['label']}/" if writer and writer.get("shared") and not writer.get("primary") else ""
        )
        self.screen = Screen(model.run_dir)

    # -- the loop ---------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set() and not self.done:
            try:
                worked = self.step()
                self.backoff.reset()
                self.error = None
            except ApiError as exc:
                self.error = str(exc)
                debug(self.model.run_dir, f"upload: {exc}")
                delay = self.backoff.next_delay()
                if isinstance(exc, AuthError):
                    delay = max(delay, 30.0)
                stop.wait(delay)
                continue
            except Exception as exc:  # a bug must not end the uploads for good
                self.error = repr(exc)
                debug(self.model.run_dir, f"upload: unexpected {exc!r}")
                stop.wait(self.backoff.next_delay())
                continue
            if not worked:
                stop.wait(0.05 if self.model.final else 0.2)

    def _url(self, suffix: str = "") -> str:
        spec = self.model.spec
        return f"{self.base_url}/api/v1/projects/{self.org}/{spec['project']}/runs/{spec['id']}{suffix}"

    def _request(self, method: str, suffix: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", _http.UPLOAD_READ_TIMEOUT)
        response = _http.request(self.session, method, self._url(suffix), **kwargs)
        self.last_contact = time.monotonic()
        self.progress += 1
        return response

    def step(self) -> bool:
        if self.fatal:
            return False
        if not self.model.upload["created"]:
            self.create()
            return True
        worked = False
        for stream in STREAMS:
            worked = self.send(stream) or worked
        worked = self.patch() or worked
        worked = _alerts.upload(self) or worked
        worked = self.upload_file() or worked
        worked = upload_pending(self) or worked  # artifacts (agent/_artifacts/_upload.py)
        if (
            not worked
            and not self.model.final
            and time.monotonic() - self.last_contact > self.heartbeat_interval
        ):
            self._request("POST", "/heartbeat", **_http.json_body(self._writer_body()))
            worked = True
        if not worked and self.model.final and all(self.drained.values()) and not self.done:
            self.finish()
            worked = True
        return worked

    def _writer_body(self) -> dict[str, Any]:
        return {"writer": self.writer_id} if self.writer_id else {}

    # -- the run ------------------------------------------------------------------

    def create(self) -> None:
        model = self.model
        if not self.org:
            viewer = _http.request(
                self.session,
                "GET",
                f"{self.base_url}/api/v1/viewer",
                timeout=_http.UPLOAD_READ_TIMEOUT,
            ).json()
            self.org = viewer.get("default_org")
            if not self.org:
                self.fatal = "no organisation: pass org= to init or set CAIRN_ORG"
                self.error = self.fatal
                return
        with model.lock:  # the body and the versions it holds, together
            body = model.run_body()
            body["system"].update(model.system_extra())
            versions = {w: model.versions.get(w, 0) for w in ("config", "meta", "system")}
        try:
            response = self._request("PUT", "", ok=(200, 201), **_http.json_body(body))
        except NotFound:
            if body.get("resume") == "must":
                self.fatal = "run does not exist and resume='must'"
                self.error = self.fatal
                return
            raise
        except ApiError as exc:
            if exc.status in (400, 409):
                self.fatal = str(exc)
                self.error = self.fatal
                return
            raise
        run = response.json()
        with model.lock:
            # Offsets are this writer's own; a server that keeps no writers gives the run's.
            streams = (run.get("writer") or {}).get("streams") or run.get("streams") or {}
            for stream in STREAMS:
                model.upload["base"].setdefault(stream, int(streams.get(stream) or 0))
            model.upload["org"] = self.org
            model.upload["url"] = run.get("url")
            model.upload["name"] = run.get("name")  # the server names a run given none
            model.upload["created"] = True
            model.upload["sent"].update(versions)
        model.save()  # the base offsets must be on disk before the first append

    def patch(self) -> bool:
        model = self.model
        with model.lock:
            sent = model.upload["sent"]
            changed = [
                w
                for w in ("config", "summary", "meta", "system")
                if model.versions.get(w, 0) != sent.get(w, 0)
            ]
            if not changed:
                return False
            versions = {w: model.versions.get(w, 0) for w in changed}
            body: dict[str, Any] = {}
            if "config" in changed:
                body["config"] = dict(model.config)
                body["config"].update({k: None for k in model.config_deleted})
            if "meta" in changed:
                body.update({k: v for k, v in model.meta.items() if v is not None})
        if "summary" in changed:
            body["summary"] = model.summary_body()
        if "system" in changed:
            body["system"] = model.system_extra()
        self._request("PATCH", "", **_http.json_body(body))
        with model.lock:
            model.upload["sent"].update(versions)
            model.dirty = True
        return True

    def finish(self) -> None:
        model = self.model
        ended = model.ended or {"exit_code": None, "state": "crashed"}
        response = self._request(
            "POST",
            "/finish",
            **_http.json_body(
                {
                    "exit_code": ended.get("exit_code"),
                    "state": ended.get("state") or "finished",
                    **self._writer_body(),
                }
            ),
        )
        with model.lock:
            try:
                model.upload["url"] = response.json().get("url") or model.upload.get("url")
            except ValueError:
                pass
            model.upload["finished"] = True
            model.dirty = True
        model.save()
        self.done = True

    # -- streams -------------------------------------------------------------------

    def send(self, stream: str) -> bool:
        model = self.model
        pending = self.pending[stream]
        if pending is None:
            reader = self.readers[stream]
            final = model.final
            records = reader.read(
                max_records=self.max_records,
                max_bytes=MAX_BYTES,
                kind=_SOURCES[stream][1],
                writer_done=final or (stream != "system" and self.writer_done()),
            )
            if not records:
                self.drained[stream] = final
                # Skipped records of other kinds move the cursor on too.
                with model.lock:
                    model.upload["cursors"][stream] = list(reader.cursor)
                return False
            self.drained[stream] = False
            pending = _Pending(len(records), reader.cursor)
            pending.records = encode(stream, [r[1] for r in records], self.screen, pending.refused)
            self.pending[stream] = pending
        with model.lock:
            base = int(model.upload["base"].get(stream, 0))
            acked = int(model.upload["acked"].get(stream, 0))
        offset = base + acked
        writer = b',"writer":"%s"' % self.writer_id.encode() if self.writer_id else b""
        body = b'{"offset":%d%s,"records":%s}' % (offset, writer, pending.records)
        try:
            response = self._request("POST", f"/streams/{stream}", **_http.json_body(body))
        except NotFound:
            model.upload["created"] = False  # deleted or never created: create it again
            raise
        except ApiError as exc:
            return self._append_failed(stream, exc, offset, base)
        next_offset = int(response.json().get("next_offset", offset + pending.count))
        with model.lock:
            model.upload["acked"][stream] = acked + pending.count
            model.upload["cursors"][stream] = list(pending.cursor)
            refused = model.upload["refused"]
            for kind, n in pending.refused.items():
                if n:
                    refused[kind] = int(refused.get(kind, 0)) + n
            model.dirty = True
        self.pending[stream] = None
        if next_offset > offset + pending.count:
            debug(
                model.run_dir,
                f"{stream}: the server is ahead ({next_offset} > {offset + pending.count})",
            )
        return True

    def _append_failed(self, stream: str, exc: ApiError, offset: int, base: int) -> bool:
        model = self.model
        if exc.status == 409 and exc.body.get("conflict") == "content" and self.writer_id:
            self._writer_taken(stream, offset)
            return True
        if exc.status == 409:
            expected = exc.body.get("expected_offset")
            if not isinstance(expected, int):
                raise exc
            debug(model.run_dir, f"{stream}: the server expects offset {expected}, not {offset}")
            self.seek(stream, max(0, expected - base))
            return True
        if exc.status == 413 and self.max_records > 1:
            self.max_records = max(1, self.max_records // 2)
            self.seek(stream, int(model.upload["acked"].get(stream, 0)))
            return True
        if exc.status in (400, 413):
            # One bad record (or one record too large even alone) would block
            # the stream for good: leave out the value the server names, or
            # send the record empty (offsets must stay contiguous), and count
            # it: finish() says how many, debug.log which and why.
            pending = self.pending[stream]
            assert pending is not None
            records = json.loads(pending.records)
            match = _RECORD_INDEX.match(exc.field or "")
            if match and int(match.group(1)) < len(records):
                indexes: Iterable[int] = [int(match.group(1))]
                named = (exc.field or "")[match.end() :]
            else:
                indexes, named = range(len(records)), ""
            changed = [self._refuse(stream, records[i], offset + i, named, exc) for i in indexes]
            if not any(changed):
                raise exc  # nothing left to take out: retried with backoff, the error shown
            pending.records = _http.json_bytes(records)
            return True
        raise exc

    def _writer_taken(self, stream: str, offset: int) -> None:
        """Another process appends under our writer id (the same label twice): become a new
        writer and send everything again under it, so neither process loses a row."""
        model = self.model
        old = self.writer_id
        self.writer_id = f"{(old or 'w')[:50]}-{secrets.token_hex(4)}"
        debug(
            model.run_dir,
            f"{stream}: offset {offset} of writer {old} holds another process's records; "
            f"sending everything again as writer {self.writer_id}",
        )
        with model.lock:
            model.upload["writer_id"] = self.writer_id
            model.upload["base"] = {}
            model.upload["created"] = False
            model.dirty = True
        for name in STREAMS:
            self.seek(name, 0)
        model.save()

    def _refuse(
        self, stream: str, record: dict[str, Any], n: int, named: str, exc: Exception
    ) -> bool:
        """Take out of ``record`` what the server refused; False if nothing was left to."""
        model = self.model
        data = record.get("data")
        key = named_key(data, named) if isinstance(data, dict) else None
        if key is not None:
            del data[key]  # type: ignore[union-attr]
            what, kind = f"value {shown_key(key)} of record {n}", "values"
        elif data or record.get("line"):
            if "data" in record:
                record["data"] = {}
            if "line" in record:
                record["line"] = ""
            what, kind = f"record {n}", "records"
        else:
            return False
        debug(model.run_dir, f"{stream}: the server refused {what} ({exc}); sent without it")
        pending = self.pending[stream]
        assert pending is not None
        pending.refused[kind] += 1
        return True

    def seek(self, stream: str, index: int) -> None:
        """Point the stream's reader at its ``index``-th record (from this session's start)."""
        prefix, kind = _SOURCES[stream]
        segments = _spool.list_segments(self.model.run_dir, prefix)
        reader = _spool.Reader(self.model.run_dir, prefix, (segments[0] if segments else 0, 0))
        skipped = 0
        while skipped < index:
            got = reader.read(
                max_records=min(MAX_RECORDS, index - skipped),
                kind=kind,
                writer_done=self.model.final,
            )
            if not got:
                break
            skipped += len(got)
            reader.cursor = got[-1][2]
        self.readers[stream] = reader
        self.pending[stream] = None
        with self.model.lock:
            self.model.upload["acked"][stream] = skipped
            self.model.upload["cursors"][stream] = list(reader.cursor)
            self.model.dirty = True

    # -- files ---------------------------------------------------------------------

    def upload_file(self) -> bool:
        model = self.model
        with model.lock:
            todo = [(p, e) for p, e in model.files.items() if e.get("uploaded") != e.get("sha256")]
            if not todo:
                return False
            rel, entry = todo[0]
            sha, size = entry["sha256"], entry["size"]
            path = os.path.join(model.files_dir, *rel.split("/"))
            try:
                fh = open(path, "rb")
            except OSError:
                entry["uploaded"] = sha
                return True
        with fh:

            def sent(n: int) -> None:
                self.progress += 1 if n else 0

            remote = rel if rel.startswith("media/") else self.file_prefix + rel
            url_path = "/files/" + urllib.parse.quote(remote, safe="/")
            try:
                self._request(
                    "PUT",
                    url_path,
                    ok=(200, 201, 204),
                    timeout=_http.READ_TIMEOUT,  # the server may take a while over a big file
                    data=_FileBody(fh, sent),
                    headers={
                        "X-Cairn-Sha256": sha,
                        "Content-Length": str(size),
                        "Content-Type": "application/octet-stream",
                    },
                )
            except ApiError as exc:
                if isinstance(exc, (ServerError, AuthError, NotFound)) or exc.status is None:
                    raise
                failures = self.file_failures.get(rel, 0) + 1
                self.file_failures[rel] = failures
                debug(model.run_dir, f"file {rel}: {exc}")
                if failures < 3 and exc.status != 413:
                    return True
        with model.lock:
            if entry.get("sha256") == sha:
                entry["uploaded"] = sha
            model.dirty = True
        return True

    def pending_records(self) -> int:
        model = self.model
        with model.lock:
            acked = model.upload["acked"]
            total = (
                model.counts.get("history", 0) + model.counts.get("console", 0) + model.system_count
            )
            return max(0, total - sum(int(acked.get(s, 0)) for s in STREAMS))
