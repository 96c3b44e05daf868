"""``cairn import wandb-export``: W&B's local run folders (``wandb/run-*``, ``wandb/offline-run-*``).

A run folder's ``run-<id>.wandb`` holds every record the run made, synced or
not: W&B's transaction log, a LevelDB-style log (32 KiB blocks of framed
chunks, after a 7-byte ``:W&B`` header) of ``wandb_internal_pb2.Record``
protobuf messages. The records are decoded with the ``wandb`` package's own
``Record`` class; only the framing is read here, since wandb 0.22 and later
keep their reader in the Go ``wandb-core`` binary and publish no Python one.

The run record gives the id, project, name, notes, tags, group, job type and
start time; config and summary records the config and summary; history rows
keep ``_step`` and ``_timestamp`` (W&B's own keys beginning with ``_`` are
left out of the row); stats records are the system metrics; output records
the console; the folder's ``files/`` the run's files; the exit record its
state (a run with none, killed or still running, is ``crashed``). Several
folders of one run id (a resumed run) make one run, in folder order.
"""

from __future__ import annotations

import json
import os
import re
import struct

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Callable, Optional

    from ._target import Destination, ImportedRun

BLOCK = 32768
HEADER = struct.Struct("<4sHB")  # b":W&B", 0xBEE1, version
CHUNK = struct.Struct("<IHB")  # checksum, length, type
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_RUN_FILE = re.compile(r"^run-(.+)\.wandb$")


def chunks(path: str) -> Iterator[bytes]:
    """The records of a ``.wandb`` file, as protobuf bytes; a torn tail (a killed run) ends it."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < HEADER.size or HEADER.unpack_from(data)[0] != b":W&B":
        raise ValueError(f"{path}: not a W&B run file")
    pos, pending = HEADER.size, b""
    while pos + CHUNK.size <= len(data):
        left = BLOCK - pos % BLOCK
        if left < CHUNK.size:  # the block's tail is padding
            pos += left
            continue
        _, length, kind = CHUNK.unpack_from(data, pos)
        if kind == 0 and length == 0:
            pos += left
            continue
        body = data[pos + CHUNK.size : pos + CHUNK.size + length]
        if len(body) < length:
            return
        pos += CHUNK.size + length
        if kind == FULL:
            yield body
        elif kind == FIRST:
            pending = body
        elif kind == MIDDLE:
            pending += body
        elif kind == LAST:
            yield pending + body
            pending = b""
        else:
            return


def records(path: str) -> Iterator[Any]:
    try:
        from wandb.proto import wandb_internal_pb2
    except ImportError:
        from .._errors import UsageError

        raise UsageError("reading W&B run folders needs the wandb package: pip install wandb") from None
    for raw in chunks(path):
        record = wandb_internal_pb2.Record()
        try:
            record.ParseFromString(raw)
        except Exception:
            return  # a torn record at the end
        yield record


def run_folders(root: str) -> dict[str, list[str]]:
    """Run id -> its folders (``run-*``, ``offline-run-*``) under ``root``, oldest first."""
    found: dict[str, list[str]] = {}
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("files", "logs", "tmp", "media"))
        for name in files:
            match = _RUN_FILE.match(name)
            if match:
                found.setdefault(match.group(1), []).append(here)
    return {k: sorted(v, key=os.path.basename) for k, v in sorted(found.items())}


def _key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _tree(items: Any) -> dict[str, Any]:
    """Items keyed by paths (``nested_key``: wandb-core splits a logged dict into its leaves) as nested dicts."""
    tree: dict[str, Any] = {}
    for item in items:
        path = [item.key] if item.key else list(item.nested_key)
        here = tree
        for part in path[:-1]:
            nxt = here.get(part)
            if not isinstance(nxt, dict):
                nxt = here[part] = {}
            here = nxt
        if path:
            here[path[-1]] = _json(item.value_json)
    return tree


def _flatten(tree: dict[str, Any], prefix: str, row: dict[str, Any], files: str) -> None:
    """A history row: W&B's own keys (``_runtime``) left out, media converted, other dicts as ``a/b`` keys."""
    for key, value in tree.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            if "_type" in value:
                media = _media(value, files)
                if media is not None:
                    row[prefix + key] = media
            else:
                _flatten(value, f"{prefix}{key}/", row, files)
        elif value is None or isinstance(value, (bool, int, float, str)):
            row[prefix + key] = value


def _media(value: dict[str, Any], files: str) -> Any:
    """A W&B media value as ours (images and histograms), or None."""
    kind = value.get("_type")
    if kind == "histogram" and isinstance(value.get("values"), list) and isinstance(value.get("bins"), list):
        from .._media import Histogram

        return Histogram(np_histogram=(value["values"], value["bins"]))
    if kind == "image-file" and isinstance(value.get("path"), str):
        from .._media import Image

        path = os.path.join(files, *value["path"].split("/"))
        if os.path.isfile(path):
            return Image(path, caption=value.get("caption"))
    return None


class _Lines:
    """Console output fragments (``output_raw``) joined into lines."""

    def __init__(self, run: ImportedRun) -> None:
        self.run = run
        self.parts: dict[str, str] = {}

    def add(self, when: float, stream: str, text: str) -> None:
        text = self.parts.pop(stream, "") + text.replace("\r\n", "\n")
        *lines, rest = text.split("\n")
        for line in lines:
            self.run.console(when, stream, line.rsplit("\r", 1)[-1])  # a progress bar's last state
        if rest:
            self.parts[stream] = rest

    def flush(self, when: float) -> None:
        for stream, rest in sorted(self.parts.items()):
            self.run.console(when, stream, rest)
        self.parts.clear()


def _seconds(ts: Any) -> float:
    return float(ts.seconds) + ts.nanos / 1e9


def _write(run: ImportedRun, folders: list[str], first: Any) -> None:
    config: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for item in first.config.update:
        config[_key(item)] = _json(item.value_json)
    run.open(name=first.display_name or None, config={k: v for k, v in config.items() if not k.startswith("_")})
    run.meta(
        notes=first.notes or None,
        tags=list(first.tags) or None,
        group=first.run_group or None,
        job_type=first.job_type or None,
    )
    lines = _Lines(run)
    state, exit_code, last_time, step = "crashed", None, 0.0, 0
    for folder in folders:
        files = os.path.join(folder, "files")
        state = "crashed"
        for record in records(_wandb_file(folder)):
            kind = record.WhichOneof("record_type")
            if kind == "history":
                tree = _tree(record.history.item)
                when = tree.pop("_timestamp", None)
                when = float(when) if isinstance(when, (int, float)) else last_time
                at = tree.pop("_step", None)
                step = at if isinstance(at, int) and not isinstance(at, bool) else step
                row: dict[str, Any] = {}
                _flatten(tree, "", row, files)
                if row:
                    run.log(step, when, row)
                last_time, step = when, step + 1
            elif kind == "config":
                changed = {_key(u): _json(u.value_json) for u in record.config.update}
                changed.update({_key(r): None for r in record.config.remove})
                run.config({k: v for k, v in changed.items() if not k.startswith("_")})
            elif kind == "summary":
                summary.update(_tree(record.summary.update))
                for r in record.summary.remove:
                    summary.pop(_key(r), None)
            elif kind == "stats":
                data = {_key(i): _json(i.value_json) for i in record.stats.item}
                data = {k: v for k, v in data.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
                if data:
                    run.system(_seconds(record.stats.timestamp), data)
            elif kind in ("output_raw", "output"):
                out = getattr(record, kind)
                stream = "stderr" if out.output_type == 0 else "stdout"
                when = _seconds(out.timestamp) if out.HasField("timestamp") else last_time
                lines.add(when, stream, out.line if kind == "output_raw" else out.line + "\n")
            elif kind == "exit":
                exit_code = int(record.exit.exit_code)
                state = "finished" if exit_code == 0 else "failed"
        lines.flush(last_time)
        for here, _, names in os.walk(files):
            for name in sorted(names):
                src = os.path.join(here, name)
                run.file(os.path.relpath(src, files).replace(os.sep, "/"), src)
    # The summary W&B shows: plain values (media references point at W&B's files).
    kept = {k: v for k, v in summary.items() if not k.startswith("_") and not isinstance(v, dict)}
    run.summary(kept)
    run.imported.update(status=state, end_time=last_time or None)
    run.end(state, exit_code)


def _wandb_file(folder: str) -> str:
    names = [n for n in os.listdir(folder) if _RUN_FILE.match(n)]
    return os.path.join(folder, sorted(names)[0])


def _first_run_record(folder: str) -> Optional[Any]:
    for record in records(_wandb_file(folder)):
        if record.WhichOneof("record_type") == "run":
            return record.run
    return None


def import_wandb(
    dest: Destination,
    root: str,
    *,
    project: Optional[str],
    say: Callable[[str], None],
    timeout: float = 60.0,
    keep: bool = False,
) -> int:
    """Import every run folder under ``root``; returns how many failed."""
    from ._target import ImportedRun, import_run, project_slug, run_id_for

    found = run_folders(os.path.abspath(root))
    if not found:
        say(f"no W&B run folders (run-*/run-<id>.wandb) under {root}")
        return 1
    failed = 0
    for wandb_id, folders in found.items():
        first = _first_run_record(folders[0])
        if first is None:
            say(f"{folders[0]}: no run record; skipped")
            failed += 1
            continue
        start = _seconds(first.start_time) if first.HasField("start_time") else None
        imported = {
            "from": "wandb",
            "id": wandb_id,
            "entity": first.entity or None,
            "project": first.project or None,
            "start_time": start,
            "folders": folders,
            "version": str(sum(os.path.getsize(_wandb_file(f)) for f in folders)),
        }
        slug = project or project_slug(first.project or "", "uncategorized")
        run = ImportedRun(dest, run_id=run_id_for(wandb_id), project=slug, imported=imported)

        def write(run: ImportedRun, folders: list[str] = folders, first: Any = first) -> None:
            _write(run, folders, first)

        failed += 0 if import_run(run, write, say=say, timeout=timeout, keep=keep) else 1
    return failed
