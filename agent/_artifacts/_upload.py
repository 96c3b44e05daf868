"""The background side: upload staged artifact versions and input edges (docs/artifacts.md).

Per version: hash the files the training process left to hash (ASK_FILES at
a time, ahead of the upload), ask which blobs the organisation lacks, upload
those, commit the manifest; then write ``<id>.result.json`` beside the
staged version for ``Artifact.wait()``. What the server refuses for good (a 400, a 409 other
than missing blobs) is written there as an error and not retried.
"""

from __future__ import annotations

import os
import time

from .. import _http
from .._errors import ApiError, AuthError, NotFound, ServerError
from .._state import debug, read_json, write_json
from ._log import BLOBS, STAGED
from ._manifest import file_sha256

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

MAX_DIGESTS = 10_000
ASK_FILES = 1_000  # files hashed here asked about together: the upload starts once the first are hashed
BATCH_FILE_MAX = 4 * 1024**2  # the server's MAX_BATCH_BLOB: larger files go one per request
BATCH_BYTES = 16 * 1024**2  # one batch's body, under the server's CAIRN_MAX_BODY_SIZE (64 MiB)
BATCH_FILES = 2_000
RESUMABLE_MIN = 64 * 1024**2  # larger files go in parts, resumed from the server's offset after a failure
PART_SIZE = 64 * 1024**2


def _permanent(exc: ApiError) -> bool:
    return not isinstance(exc, (ServerError, AuthError, NotFound)) and exc.status is not None


def upload_pending(up: Any) -> bool:
    """One step of work, if any: a version or an input edge. True when something was done."""
    model = up.model
    with model.lock:
        todo = [k for k, st in model.artifacts.items() if st == "pending"]
        uses = [i for i, (_qn, done) in enumerate(model.uses) if not done]
    if todo:
        _version(up, todo[0])
        return True
    if uses:
        _use(up, uses[0])
        return True
    if model.spec.get("fingerprint") and not model.upload.get("fingerprint_sent"):
        _fingerprint(up)
        return True
    return False


def _fingerprint(up: Any) -> None:
    """The run's fingerprint (agent/_fingerprint.py), once; the server adds the data part from its inputs."""
    model = up.model
    fp = model.spec["fingerprint"]
    body = {k: fp.get(k) for k in ("code", "config", "env", "details")}
    url = f"{up.base_url}/api/v1/projects/{up.org}/{model.spec['project']}/runs/{model.spec['id']}/fingerprint"
    try:
        _http.request(up.session, "PUT", url, timeout=_http.UPLOAD_READ_TIMEOUT, **_http.json_body(body))
    except ApiError as exc:
        if not _permanent(exc):
            raise
        debug(model.run_dir, f"fingerprint: refused: {exc}")
    with model.lock:
        model.upload["fingerprint_sent"] = True
        model.dirty = True


def _finish(up: Any, local_id: str, status: str, result: dict[str, Any]) -> None:
    model = up.model
    write_json(os.path.join(model.run_dir, STAGED, f"{local_id}.result.json"), result)
    with model.lock:
        model.artifacts[local_id] = status
        model.dirty = True
    model.save()


class _Changed(OSError):
    """A staged file no longer is what was logged."""


def _hashed(up: Any, lazy: list[list[Any]]) -> Iterator[list[tuple[str, str, str, int]]]:
    """(entry path, digest, staged path, size) of each file left to hash here, ASK_FILES at a time,
    two files hashed at once ahead of the upload (reads and hashlib let go of the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    def digest(item: list[Any]) -> str:
        path, staged, size, mtime = item
        key = (staged, int(size), int(mtime))
        if key not in up.hashed:
            sha, read = file_sha256(staged)
            st = os.stat(staged)  # after reading: a change made meanwhile shows in its time or size
            if read != size or (st.st_mtime_ns, st.st_size) != (mtime, size):
                raise _Changed(f"{path}: changed after log_artifact; log it again")
            up.hashed[key] = sha
        return str(up.hashed[key])

    pool = ThreadPoolExecutor(2)
    try:
        # One chunk hashed ahead of the one being uploaded, not all: a million files are not a million futures.
        starts = range(0, len(lazy), ASK_FILES)
        ahead = [pool.submit(digest, item) for item in lazy[:ASK_FILES]]
        for start in starts:
            current = ahead
            ahead = [pool.submit(digest, item) for item in lazy[start + ASK_FILES : start + 2 * ASK_FILES]]
            chunk = lazy[start : start + ASK_FILES]
            yield [(item[0], future.result(), item[1], int(item[2])) for item, future in zip(chunk, current)]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _version(up: Any, local_id: str) -> None:
    model = up.model
    staged = read_json(os.path.join(model.run_dir, STAGED, f"{local_id}.json"))
    if staged is None:
        debug(model.run_dir, f"artifact {local_id}: its staged manifest is gone")
        _finish(up, local_id, "failed", {"error": "staged manifest missing"})
        return
    base = f"{up.base_url}/api/v1/projects/{up.org}/{model.spec['project']}/artifacts"
    files: dict[str, str] = dict(staged["files"])  # digest -> the staged file to read it from
    lazy: list[list[Any]] = staged.get("lazy") or []
    # A draft's files that are on the server already (new_draft) are asked about too: never uploaded from here.
    held = {e["digest"] for e in staged["manifest"] if not e.get("ref") and e["digest"]} - set(files)
    started = time.monotonic()
    found: dict[str, str] = {}  # entry path -> digest, of the files hashed here
    sizes: dict[str, int] = {}
    sent_count = 0
    large: list[str] = []  # sent one request each, after the batches
    try:
        from concurrent.futures import Future, ThreadPoolExecutor

        senders = ThreadPoolExecutor(2)  # two batches in flight: reading files here overlaps the server's writing
        sending: list[Future[None]] = []

        def send(digests: list[str]) -> None:
            """Ask which of these the organisation lacks; queue those."""
            nonlocal sent_count
            missing = _missing(up, base, digests)
            if held.intersection(missing):
                raise OSError("files of the version it was drafted from are not in this organisation")
            for d in missing:
                sizes.setdefault(d, os.path.getsize(files[d]))
            small = [d for d in missing if sizes[d] <= BATCH_FILE_MAX]
            sending.extend(senders.submit(_send_batch, up, base, g, files) for g in _batches(small, sizes))
            large.extend(d for d in missing if sizes[d] > BATCH_FILE_MAX)
            sent_count += len(missing)

        try:
            known = sorted(set(files) | held)
            for start in range(0, len(known), MAX_DIGESTS):
                send(known[start : start + MAX_DIGESTS])
            for chunk in _hashed(up, lazy):  # asked about and queued while the next are hashed
                new = []
                for path, sha, staged_path, size in chunk:
                    found[path] = sha
                    if sha not in files:
                        files[sha], sizes[sha] = staged_path, size
                        new.append(sha)
                send(new)
            for future in sending:
                future.result()
        finally:  # on a failure, the batches not started yet are dropped
            senders.shutdown(wait=True, cancel_futures=True)
        for digest in large:
            _put_one(up, base, digest, files[digest])
        sent = time.monotonic()
        commit = {k: staged[k] for k in ("name", "type", "description", "metadata", "aliases", "manifest",
                                         "incremental", "removed") if k in staged}
        commit["manifest"] = [e if e["digest"] else {**e, "digest": found[e["path"]]} for e in staged["manifest"]]
        commit["run_id"] = model.spec["id"]
        response = _http.request(up.session, "POST", f"{base}/", ok=(200, 201), timeout=_http.READ_TIMEOUT,
                                 **_http.json_body(commit))
    except ApiError as exc:
        if exc.status == 409 and "missing" in (exc.body or {}):
            raise  # a blob went missing meanwhile: ask again, with backoff
        if not _permanent(exc):
            raise
        debug(model.run_dir, f"artifact {staged.get('name')}: refused: {exc}")
        error = str(exc)
        if exc.status == 400 and "does not match its SHA-256" in error:
            error += " (a file was changed after log_artifact; log it again)"
        _finish(up, local_id, "failed", {"error": error})
        return
    except OSError as exc:  # an immutable file gone or unreadable, or a staged file changed
        debug(model.run_dir, f"artifact {staged.get('name')}: {exc}")
        _finish(up, local_id, "failed", {"error": str(exc)})
        return
    debug(model.run_dir, f"artifact {staged.get('name')}: {sent_count} of {len(files) + len(held)} files sent, "
          f"{len(lazy)} hashed here; hashed, asked and sent {sent - started:.2f} s, "
          f"committed {time.monotonic() - sent:.2f} s")
    _finish(up, local_id, "done", {**response.json(), "hashed": found})
    _unstage(model.run_dir, list(files.values()) + [item[1] for item in lazy])


def _missing(up: Any, base: str, digests: list[str]) -> list[str]:
    """Which of these (at most MAX_DIGESTS) the organisation lacks."""
    if not digests:
        return []
    response = _http.request(up.session, "POST", f"{base}/blobs/missing", timeout=_http.UPLOAD_READ_TIMEOUT,
                             **_http.json_body({"digests": digests}))
    return list(response.json()["missing"])


def _unstage(run_dir: str, paths: list[str]) -> None:
    """The run folder's staged links and copies, once the server holds their files."""
    folder = os.path.join(run_dir, BLOBS)
    for path in paths:
        if os.path.dirname(path) == folder:
            try:
                os.unlink(path)
            except OSError:
                pass


def _batches(digests: list[str], sizes: dict[str, int]) -> list[list[str]]:
    """Groups of small files, each under BATCH_BYTES and BATCH_FILES."""
    out: list[list[str]] = []
    group: list[str] = []
    held = 0
    for d in digests:
        if group and (held + sizes[d] + 80 > BATCH_BYTES or len(group) >= BATCH_FILES):
            out.append(group)
            group, held = [], 0
        group.append(d)
        held += sizes[d] + 80
    if group:
        out.append(group)
    return out


def _send_batch(up: Any, base: str, digests: list[str], files: dict[str, str]) -> None:
    """Many small files in one request: `<sha256> <size>\\n<bytes>` each (docs/artifacts.md)."""
    parts: list[bytes] = []
    for d in digests:
        with open(files[d], "rb") as fh:
            data = fh.read()
        parts.append(f"{d} {len(data)}\n".encode())
        parts.append(data)
    body = b"".join(parts)
    _http.request(up.session, "POST", f"{base}/blobs/batch", timeout=_http.READ_TIMEOUT, data=body,
                  headers={"Content-Type": "application/octet-stream"})
    with up.model.lock:
        up.progress += len(digests)


class _Part:
    """At most `length` bytes of an open file, from where it stands: a request body."""

    def __init__(self, fh: Any, length: int) -> None:
        self.fh = fh
        self.left = length

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        block = self.fh.read(self.left if n is None or n < 0 else min(n, self.left))
        self.left -= len(block)
        return block


def _put_resumable(up: Any, base: str, digest: str, path: str, size: int) -> None:
    """A large file in parts, from the offset the server holds (a retry after a dropped part goes on from there)."""
    state = _http.request(up.session, "POST", f"{base}/blobs/uploads", timeout=_http.READ_TIMEOUT,
                          **_http.json_body({"sha256": digest, "size": size, "direct": True})).json()
    if state.get("direct") and not state["done"]:
        _put_direct(up, base, digest, path, state["direct"])
        return
    offset = int(state["offset"])
    with open(path, "rb") as fh:
        while not state["done"]:
            length = min(PART_SIZE, size - offset)
            fh.seek(offset)
            state = _http.request(
                up.session, "PUT", f"{base}/blobs/uploads/{digest}", params={"offset": offset}, timeout=_http.READ_TIMEOUT,
                data=_Part(fh, length), headers={"Content-Length": str(length), "Content-Type": "application/octet-stream"},
            ).json()
            offset = int(state["offset"])
    up.progress += 1


def _put_direct(up: Any, base: str, digest: str, path: str, direct: dict[str, Any]) -> None:
    """The parts straight to S3, each to its presigned URL (the storage's, so without our API key;
    those S3 holds already are skipped), then the server completes and verifies the file."""
    import requests

    with requests.Session() as s3, open(path, "rb") as fh:
        for part in direct["parts"]:
            if part["done"]:
                continue
            fh.seek((int(part["number"]) - 1) * int(direct["part_size"]))
            length = int(part["size"])
            response = s3.put(part["url"], data=_Part(fh, length), timeout=(_http.CONNECT_TIMEOUT, _http.READ_TIMEOUT),
                              headers={"Content-Length": str(length)})
            if response.status_code != 200:
                raise ServerError(f"part {part['number']} of {digest[:12]}: the storage answered {response.status_code}")
    # The server reads the whole file back from the storage to check its SHA-256: time for that.
    size = sum(int(p["size"]) for p in direct["parts"])
    _http.request(up.session, "POST", f"{base}/blobs/uploads/{digest}/complete", timeout=60 + size / (20 * 1024**2))
    up.progress += 1


def _put_one(up: Any, base: str, digest: str, path: str) -> None:
    size = os.path.getsize(path)
    if size > RESUMABLE_MIN:
        _put_resumable(up, base, digest, path, size)
        return
    with open(path, "rb") as fh:
        _http.request(
            up.session, "PUT", f"{base}/blobs/{digest}", ok=(200, 201), timeout=_http.READ_TIMEOUT, data=fh,
            headers={"Content-Length": str(os.path.getsize(path)), "Content-Type": "application/octet-stream"},
        )
    up.progress += 1


def _use(up: Any, index: int) -> None:
    model = up.model
    qualified = model.uses[index][0]
    url = f"{up.base_url}/api/v1/projects/{up.org}/{model.spec['project']}/runs/{model.spec['id']}/artifacts/used"
    try:
        _http.request(up.session, "POST", url, timeout=_http.UPLOAD_READ_TIMEOUT, **_http.json_body({"artifact": qualified}))
    except ApiError as exc:
        if not _permanent(exc) and not (isinstance(exc, NotFound) and model.upload.get("created")):
            raise
        debug(model.run_dir, f"use of artifact {qualified}: refused: {exc}")
    with model.lock:
        model.uses[index][1] = True
        model.dirty = True
