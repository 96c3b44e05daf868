"""Reads for the compare page: runs side by side, and the diff of their code patches."""

from __future__ import annotations

import difflib
import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.utils.safestring import SafeString, mark_safe

from apps.runs.models import Project, Run, RunFile

PATCH_PATH = "code/diff.patch"
MAX_PATCH_BYTES = 2 * 1024 * 1024
MAX_DIFF_LINES = 20_000
MAX_FLAT_DEPTH = 8
MAX_LABEL = 80  # a cell's text; the whole value (up to MAX_TITLE) on hover
MAX_TITLE = 2000
_ABSENT = object()
IMAGE_TYPES = ("image", "images")


class Cell(NamedTuple):  # a tuple: 10,000 of them are made for a compare of 10 runs of 1,000 keys
    text: str
    title: str = ""  # the whole value, when the text is shortened
    image: str = ""  # a thumbnail's URL, for an image


@dataclass
class CompareRow:
    key: str
    values: list[Cell]
    differ: bool

    @property
    def html(self) -> SafeString:
        """The row's <tr>, every text escaped: built here, not in a template loop, since
        10 runs of 1,000 keys are 10,000 cells and the template engine takes ~40 µs a cell."""
        esc = html.escape
        cells = []
        for v in self.values:
            title = f' title="{esc(v.title)}"' if v.title else ""
            image = f'<img class="cmp-thumb" src="{esc(v.image)}" alt="" loading="lazy"> ' if v.image else ""
            cells.append(f"<td{title}>{image}{esc(v.text)}</td>")
        cls = "differ" if self.differ else "same"
        key = esc(self.key)
        return mark_safe(f'<tr class="{cls}" data-key="{key}"><td class="cmp-k">{key}</td>{"".join(cells)}</tr>')  # noqa: S308


def _media_path(ref: dict[str, Any]) -> str | None:
    """The file of an image reference (or of a list of images' first), if it is a run file's path."""
    if ref.get("_type") == "images" and isinstance(ref.get("items"), list) and ref["items"]:
        ref = ref["items"][0] if isinstance(ref["items"][0], dict) else {}
    path = ref.get("path")
    return path if isinstance(path, str) and path.startswith("media/") and ".." not in path.split("/") else None


def media_label(ref: dict[str, Any]) -> str:
    """A media reference in a few words: "image 64×48", "3 images", "histogram, 32 bins", "table"."""
    kind = str(ref.get("_type"))[:40]
    items = ref.get("items")
    if isinstance(items, list):
        return f"{len(items)} {'images' if kind == 'images' else 'media'}"
    if kind == "histogram" and isinstance(ref.get("counts"), list):
        return f"histogram, {len(ref['counts'])} bins"
    w, h = ref.get("width"), ref.get("height")
    if isinstance(w, int) and isinstance(h, int):
        return f"{kind} {w}×{h}"
    return kind


def cell(value: Any, file_url: Callable[[str], str] | None = None) -> Cell:
    """A value as a cell: short text (the whole on hover), an image's thumbnail, never a page-wide JSON dump."""
    if type(value) is int or (type(value) is str and len(value) <= MAX_LABEL):
        return Cell(str(value))
    if isinstance(value, dict) and "_type" in value:
        path = _media_path(value) if value.get("_type") in IMAGE_TYPES else None
        label = media_label(value)
        return Cell(label, title=path or "", image=file_url(path) if path and file_url else "")
    text = show(value)
    if len(text) > MAX_LABEL:
        return Cell(text[: MAX_LABEL - 1] + "…", title=text[:MAX_TITLE])
    return Cell(text)


@dataclass
class PatchDiff:
    base: str  # run ids
    other: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (css class, text)
    identical: bool = False
    missing: list[str] = field(default_factory=list)  # runs without a patch
    truncated: bool = False


def flatten(value: Any, prefix: str = "", depth: int = 0, out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested objects as dotted keys; a media reference or a list is one value."""
    out = {} if out is None else out
    if isinstance(value, dict) and value and "_type" not in value and depth < MAX_FLAT_DEPTH:
        for k, v in value.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            # Leaves written here, not by a call each: 1,000 keys a run is 10,000 calls on a compare of 10.
            if isinstance(v, dict) and v:
                flatten(v, key, depth + 1, out)
            else:
                out[key] = v
    elif prefix:
        out[prefix] = value
    return out


def show(value: Any) -> str:
    if value is _ABSENT:
        return "—"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return repr(value) if value.is_integer() else f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, allow_nan=True)
    return str(value)


_PLAIN = (str, int, bool, type(None))


def _same(values: list[Any]) -> bool:
    def canon(v: Any) -> Any:
        if v is _ABSENT:
            return "\0absent"
        if isinstance(v, float) and math.isnan(v):
            return "NaN"
        if type(v) in _PLAIN or type(v) is float:
            return (type(v), v)  # 1, 1.0 and True differ, as their JSON does
        return json.dumps(v, sort_keys=True, allow_nan=True)

    return len({canon(v) for v in values}) <= 1


def compare_rows(
    dicts: list[dict[str, Any]], file_urls: list[Callable[[str], str]] | None = None
) -> list[CompareRow]:
    """One row per key found in any of `dicts` (already flat), sorted by key; file_urls: each run's file URL."""
    keys = sorted({k for d in dicts for k in d})
    urls = file_urls or [None] * len(dicts)  # type: ignore[list-item]
    rows = []
    for key in keys:
        values = [d.get(key, _ABSENT) for d in dicts]
        rows.append(CompareRow(key, [cell(v, u) for v, u in zip(values, urls)], not _same(values)))
    return rows


def file_url_of(project: Project, run: Run) -> Callable[[str], str]:
    """A run file's API URL (the browser's session reads it; the page's access rules apply)."""
    org = project.organization.slug
    base = "/api/v1/projects/{}/{}/runs/{}/files/".format(
        quote(org, safe=""), quote(project.slug, safe=""), quote(run.run_id, safe=""),
    )
    return lambda path: base + quote(path, safe="/")


def run_fields(run: Run) -> dict[str, Any]:
    return {
        "name": run.name,
        "state": run.state,
        "user": run.user.get_username() if run.user else None,
        "created_at": run.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "runtime": round(run.runtime, 1),
        "tags": run.tags,
        "group": run.group,
        "job_type": run.job_type,
        "notes": run.notes,
        "exit_code": run.exit_code,
        "last_step": run.last_step,
    }


def compare_sections(runs: list[Run], *, project: Project) -> list[tuple[str, list[CompareRow]]]:
    urls = [file_url_of(project, r) for r in runs]
    return [
        ("Run", compare_rows([run_fields(r) for r in runs])),
        ("Config", compare_rows([flatten(r.config) for r in runs], urls)),
        ("Summary", compare_rows([flatten(r.summary) for r in runs], urls)),
        ("System", compare_rows([flatten(r.system) for r in runs])),
    ]


def commits(runs: list[Run]) -> list[dict[str, Any]]:
    out = []
    for r in runs:
        git = r.system.get("git") if isinstance(r.system, dict) else None
        git = git if isinstance(git, dict) else {}
        out.append({
            "run": r,
            "commit": str(git.get("commit") or ""),
            "branch": str(git.get("branch") or ""),
            "remote": str(git.get("remote") or ""),
            "dirty": bool(git.get("dirty")),
        })
    return out


def patch_read(run: Run) -> str | None:
    """The run's `code/diff.patch` as text, or None when it has none."""
    rf = RunFile.objects.filter(run=run, path=PATCH_PATH).first()
    if rf is None:
        return None
    try:
        with default_storage.open(rf.storage_name, "rb") as f:
            data = f.read(MAX_PATCH_BYTES + 1)
    except OSError:
        return None
    text = data[:MAX_PATCH_BYTES].decode("utf-8", errors="replace")
    return text + ("\n[… truncated at 2 MiB]" if len(data) > MAX_PATCH_BYTES else "")


def _line_class(line: str, index: int) -> str:
    # Only the first two lines name files; a removed "--- a/x" line reads "---- a/x".
    if index < 2 and line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "ctx"


def patch_diffs(runs: list[Run]) -> list[PatchDiff]:
    """The first run's patch against each other run's, as a unified diff."""
    if len(runs) < 2:
        return []
    patches = {r.run_id: patch_read(r) for r in runs}
    base = runs[0]
    out = []
    for other in runs[1:]:
        d = PatchDiff(base.run_id, other.run_id)
        a, b = patches[base.run_id], patches[other.run_id]
        d.missing = [rid for rid, p in ((base.run_id, a), (other.run_id, b)) if p is None]
        if a is None and b is None:
            out.append(d)
            continue
        if a == b:
            d.identical = True
            out.append(d)
            continue
        diff = difflib.unified_diff(
            (a or "").splitlines(), (b or "").splitlines(),
            fromfile=f"{base.run_id}/{PATCH_PATH}", tofile=f"{other.run_id}/{PATCH_PATH}", lineterm="",
        )
        for i, line in enumerate(diff):
            if i >= MAX_DIFF_LINES:
                d.truncated = True
                break
            d.lines.append((_line_class(line, i), line))
        out.append(d)
    return out
