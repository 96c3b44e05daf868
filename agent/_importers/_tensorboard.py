"""TensorBoard event files as history rows, read with TensorBoard's own loader.

``tensorboard.backend.event_processing.event_file_loader.EventFileLoader``
parses the files and migrates old summaries (TF1, tensorboardX) to today's
tensor form, and reads a growing file incrementally: ``DirReader.read()``
returns only what was written since the last call, which is what
``init(sync_tensorboard=True)`` follows. Scalars become numbers, histograms
``agent.Histogram``, images ``agent.Image`` (several at one step, a list);
other plugins' data (text, audio, graphs, PR curves) is left out.
"""

from __future__ import annotations

import math
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Optional

MARK = "tfevents"  # TensorBoard's event files are named events.out.tfevents.<time>.<host>...
PLUGINS = ("scalars", "histograms", "images")


def _loader_class() -> Any:
    try:
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    except ImportError:
        from .._errors import UsageError

        raise UsageError("reading TensorBoard files needs the tensorboard package: pip install tensorboard") from None
    return EventFileLoader


def is_event_file(name: str) -> bool:
    return MARK in name and not name.endswith((".tmp", ".lock"))


def event_dirs(root: str) -> list[str]:
    """The folders under ``root`` (itself included) that hold event files, sorted."""
    found = []
    for here, dirs, files in os.walk(root):
        dirs.sort()
        if any(is_event_file(f) for f in files):
            found.append(here)
    return sorted(found)


class DirReader:
    """The event files of one folder, read incrementally (each ``read()`` returns what is new)."""

    def __init__(self, path: str, prefix: str = "") -> None:
        self.path = path
        self.prefix = prefix  # put before each tag (the folder's name, when one run follows several)
        self._loaders: dict[str, Any] = {}
        self._plugins: dict[str, str] = {}  # tag -> plugin: TF2 writes the metadata with a tag's first value only

    def files(self) -> list[str]:
        try:
            names = os.listdir(self.path)
        except OSError:
            return []
        return sorted(os.path.join(self.path, n) for n in names if is_event_file(n))

    def size(self) -> int:
        return sum(os.path.getsize(f) for f in self.files())

    def read(self) -> list[tuple[int, float, str, Any]]:
        """New values: ``(step, wall_time, tag, value)``, in the order written."""
        out: list[tuple[int, float, str, Any]] = []
        loader_class = None
        for path in self.files():
            loader = self._loaders.get(path)
            if loader is None:
                loader_class = loader_class or _loader_class()
                loader = self._loaders[path] = loader_class(path)
            for event in loader.Load():
                if not event.HasField("summary"):
                    continue
                for value in event.summary.value:
                    converted = self._convert(value)
                    if converted is not None:
                        out.append((int(event.step), float(event.wall_time), self.prefix + value.tag, converted))
        return out

    def _convert(self, value: Any) -> Any:
        tag = value.tag
        if value.HasField("metadata") and value.metadata.plugin_data.plugin_name:
            self._plugins[tag] = value.metadata.plugin_data.plugin_name
        kind = value.WhichOneof("value")
        if kind == "simple_value":
            return float(value.simple_value)
        plugin = self._plugins.get(tag)
        if kind != "tensor" or plugin not in PLUGINS:
            return None
        if plugin == "images":
            from .._media import Image

            encoded = list(value.tensor.string_val[2:])  # [width, height, image, image, ...]
            images = [Image(bytes(b)) for b in encoded]
            if not images:
                return None
            return images[0] if len(images) == 1 else images
        from tensorboard.util.tensor_util import make_ndarray

        array = make_ndarray(value.tensor)
        if plugin == "scalars":
            return float(array.item())
        return histogram(array.tolist())


def histogram(buckets: list[list[float]]) -> Any:
    """An ``agent.Histogram`` of TensorBoard's buckets ``[left, right, count]``.

    Buckets of no width (TensorBoard writes one for a tensor of equal values)
    give their count to the bucket before; more buckets than ``Histogram``
    takes are merged in neighbouring groups.
    """
    from .._media import Histogram
    from .._media._histogram import MAX_BINS

    edges: list[float] = []
    counts: list[float] = []
    for left, right, count in buckets:
        if not (math.isfinite(left) and math.isfinite(right)):
            continue
        if not edges:
            if right <= left:
                left, right = left - 0.5, left + 0.5
            edges.append(left)
        if right <= edges[-1]:
            if counts:
                counts[-1] += count
                continue
            right = edges[-1] + 1.0
        edges.append(right)
        counts.append(count)
    if not counts:
        return None
    if len(counts) > MAX_BINS:
        group = -(-len(counts) // MAX_BINS)
        counts = [sum(counts[i : i + group]) for i in range(0, len(counts), group)]
        edges = edges[::group] if (len(edges) - 1) % group == 0 else edges[::group] + [edges[-1]]
    return Histogram(np_histogram=([round(c) for c in counts], edges))


def rows(values: Iterable[tuple[int, float, str, Any]]) -> list[tuple[int, float, dict[str, Any]]]:
    """Values grouped into history rows by step, in step order; a row's time is its latest value's.

    A tag written twice at one step (TensorBoard allows it) starts a second row at that step.

    >>> rows([(0, 1.0, "loss", 0.5), (0, 1.5, "acc", 0.1), (1, 2.0, "loss", 0.4)])
    [(0, 1.5, {'loss': 0.5, 'acc': 0.1}), (1, 2.0, {'loss': 0.4})]
    """
    by_step: dict[int, list[tuple[float, dict[str, Any]]]] = {}
    for step, when, tag, value in values:
        group = by_step.setdefault(step, [])
        if not group or tag in group[-1][1]:
            group.append((when, {}))
        when_before, row = group[-1]
        row[tag] = value
        group[-1] = (max(when_before, when), row)
    out: list[tuple[int, float, dict[str, Any]]] = []
    for step in sorted(by_step):
        out.extend((step, when, row) for when, row in by_step[step])
    return out


def last_wall_time(values: Iterable[tuple[int, float, str, Any]]) -> Optional[float]:
    times = [v[1] for v in values]
    return max(times) if times else None


def import_dirs(dest: Any, root: str, *, project: str, say: Any, timeout: float = 60.0, keep: bool = False) -> int:
    """``cairn import tensorboard ROOT``: one run per folder of event files. Returns how many failed."""
    from ._target import ImportedRun, import_run, run_id_for

    root = os.path.abspath(root)
    dirs = event_dirs(root)
    if not dirs:
        say(f"no TensorBoard event files under {root}")
        return 1
    failed = 0
    for path in dirs:
        reader = DirReader(path)
        rel = os.path.relpath(path, root)
        name = os.path.basename(root) if rel == "." else rel.replace(os.sep, "/")
        imported = {"from": "tensorboard", "id": os.path.realpath(path), "version": str(reader.size())}
        run = ImportedRun(dest, run_id=run_id_for(os.path.realpath(path), "tb-"), project=project, imported=imported)

        def write(run: ImportedRun, reader: DirReader = reader, name: str = name) -> None:
            values = reader.read()
            first = min((v[1] for v in values), default=None)
            run.imported.update(start_time=first, end_time=last_wall_time(values), status="finished")
            run.open(name=name)
            run.meta(job_type="tensorboard")
            for step, when, row in rows(values):
                run.log(step, when, row)
            run.end("finished")

        failed += 0 if import_run(run, write, say=say, timeout=timeout, keep=keep) else 1
    return failed
