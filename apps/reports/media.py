"""Media panels: one media key of a run set's runs, side by side (docs/reports.md).

A reader gets the items' ids, captions and sizes, never a path to the project's
own endpoints: thumbnails and files come through the report
(/api/v1/reports/<key>/panels/<block>/media/<id>/<thumbnail|file>), which
serves an item only if it is of the panel's key and of a run in its run set.
A frozen version's items are the ones stored at publication, their thumbnails
copied into the report's own storage (reports/<key>/v<n>/...), so they outlive
the run.
"""

from __future__ import annotations

import base64
import mimetypes
import os
from typing import Any

import orjson
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apps.reports.models import PanelSnapshot, Report, ReportVersion
from apps.reports.runsets import runset_runs
from apps.runs import media as run_media
from apps.runs.models import Media, MediaKind, Run

ITEMS_PER_RUN = 8
HIST_STEPS = 40  # a report's heatmap: columns, rows
HIST_BINS = 32
THUMB_INLINE_MAX = 512 * 1024  # per thumbnail in an export


def _item(m: Media) -> dict[str, Any]:
    return {"id": m.pk, "kind": m.kind, "step": m.step, "index": m.index, "path": m.path, "caption": m.caption,
            "status": m.status, "width": m.width, "height": m.height, "content_type": m.content_type,
            "thumbnail": bool(m.thumbnail)}


def media_panel_data(*, runs: list[Run], panel: dict[str, Any]) -> dict[str, Any]:
    """Each run's items of the key at the chosen step (the newest at or before it); a key with
    no media items is read as histograms, a steps × bins matrix per run."""
    key, step = panel["key"], panel.get("step")
    out: dict[str, Any] = {"kind": "media", "key": key, "step": step, "runs": []}
    shown = run_media.media_at_step(runs=runs, key=key, step=step, limit=ITEMS_PER_RUN) if runs else {}
    if any(items for _, items in shown.values()):
        out["runs"] = [{"id": r.run_id, "name": r.name or r.run_id, "step": shown[r.pk][0],
                        "items": [_item(m) for m in shown[r.pk][1]]} for r in runs]
        return out
    for r in runs:
        h = run_media.histograms_over_time(run=r, key=key, max_steps=HIST_STEPS, bins=HIST_BINS)
        rows = [(s, c) for s, c in zip(h.steps, h.counts) if step is None or s <= step]
        hist: dict[str, Any] | None = {
            "steps": [s for s, _ in rows], "edges": h.edges, "counts": [c for _, c in rows],
            "max": max((max(c) for _, c in rows if c), default=0.0)} if rows else None
        out["runs"].append({"id": r.run_id, "name": r.name or r.run_id, "histogram": hist})
    return out


def frozen_thumbnails_copy(*, report: Report, version: ReportVersion, block_id: str, data: dict[str, Any]) -> None:
    """At publication: each item's thumbnail copied under reports/<key>/v<n>/, its name kept in the item."""
    ids = [i["id"] for r in data["runs"] for i in r.get("items") or [] if i.get("thumbnail")]
    names = dict(Media.objects.filter(pk__in=ids).values_list("pk", "thumbnail"))
    for r in data["runs"]:
        for item in r.get("items") or []:
            source = names.get(item["id"])
            if not source:
                continue
            ext = os.path.splitext(source)[1] or ".bin"
            try:
                with default_storage.open(source, "rb") as f:
                    content = f.read()
            except OSError:
                continue  # gone already: the panel shows the item without its picture
            item["frozen_thumbnail"] = default_storage.save(
                f"reports/{report.key}/v{version.number}/{block_id}/{item['id']}{ext}", ContentFile(content))


def frozen_files_delete(*, report: Report) -> None:
    """A deleted report's copied thumbnails."""
    for version in report.versions.filter(frozen=True):
        for data in PanelSnapshot.objects.filter(version=version).values_list("data", flat=True):
            parsed = orjson.loads(bytes(data))
            if parsed.get("kind") != "media":
                continue
            for r in parsed["runs"]:
                for item in r.get("items") or []:
                    if item.get("frozen_thumbnail"):
                        default_storage.delete(item["frozen_thumbnail"])


def _snapshot_item(version: ReportVersion, block_id: str, media_id: int) -> dict[str, Any] | None:
    row = PanelSnapshot.objects.filter(version=version, block_id=block_id).values_list("data", flat=True).first()
    if row is None:
        return None
    data = orjson.loads(bytes(row))
    for r in data.get("runs", []):
        for item in r.get("items") or []:
            if item["id"] == media_id:
                return dict(item)
    return None


def panel_media_item(*, report: Report, panel: dict[str, Any], version: ReportVersion | None, block_id: str,
                     media_id: int) -> tuple[Media | None, str]:
    """The item a report's media panel may serve: its Media row (while it exists) and, in a frozen
    version, the report's own copy of its thumbnail. (None, "") when the panel does not show it."""
    if version is not None and version.frozen:
        item = _snapshot_item(version, block_id, media_id)
        if item is None:
            return None, ""
        return Media.objects.filter(pk=media_id).select_related("run").first(), item.get("frozen_thumbnail", "")
    runs = runset_runs(report=report, runset=panel["runset"])
    m = Media.objects.filter(pk=media_id, run__in=runs, key=panel["key"]).select_related("run").first()
    return m, ""


def thumbnail_name(m: Media | None, frozen: str) -> str:
    return frozen or (m.thumbnail if m is not None else "")


def safe_image_type(name: str) -> str:
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        return "application/octet-stream"  # never something a browser would run
    return content_type


def file_type(m: Media) -> str:
    """What a report serves a file as: images, video and audio only, by the type the worker found."""
    ct = (m.content_type or "").split(";")[0].strip()
    if m.kind in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO) and ct.split("/")[0] in ("image", "video", "audio") \
            and ct != "image/svg+xml":
        return ct
    return ""


def thumbnails_inline(*, items: list[dict[str, Any]]) -> dict[int, str]:
    """data: URIs of the items' thumbnails (a frozen item's own copy), for a self-contained export.
    The items come from the panel's data, so they are the panel's to show."""
    names = {i["id"]: i["frozen_thumbnail"] for i in items if i.get("frozen_thumbnail")}
    live = [i["id"] for i in items if i.get("thumbnail") and i["id"] not in names]
    names.update((pk, t) for pk, t in Media.objects.filter(pk__in=live).values_list("pk", "thumbnail") if t)
    out = {}
    for pk, name in names.items():
        try:
            if default_storage.size(name) > THUMB_INLINE_MAX:
                continue
            with default_storage.open(name, "rb") as f:
                out[pk] = f"data:{safe_image_type(name)};base64,{base64.b64encode(f.read()).decode()}"
        except OSError:
            continue
    return out
