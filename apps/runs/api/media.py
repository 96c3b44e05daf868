"""The media read API: what the run page's and the workspace's media panels ask for.

Every view goes through ProjectScopedApi, so access is checked in one place:
outsiders get 404 for a private project's media, anonymous callers read public
ones. Thumbnails and HTML panels are served by id, never by a client-given path.
"""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any
from urllib.parse import quote

import orjson
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import BadInput
from apps.core.params import int_param
from apps.core.schema import int_query
from apps.core.storage import stored_file_response
from apps.runs import media as run_media
from apps.runs import selectors
from apps.runs.api import ProjectScopedApi
from apps.runs.models import Media, MediaKind, MediaStatus, Run
from apps.runs.schemas import (
    MAX_STEP,
    MEDIA_ID,
    MEDIA_KEY,
    MIN_STEP,
    OFFSET,
    PROJECT_PATH,
    REDIRECT,
    RUN_PATH,
    RUNS,
    limit,
)
from apps.runs.schemas.reads import (
    HistogramsSerializer,
    MediaKeyListSerializer,
    MediaPageSerializer,
    MediaStepsSerializer,
    ProjectMediaSerializer,
)
from apps.runs.serializers import _iso
from apps.runs.workspace import MAX_RUNS

# What an HTML panel's document may do: run its own inline script and styles,
# nothing else. `sandbox` without allow-same-origin gives it an opaque origin
# even when opened outside the iframe, so it can neither read the page that
# shows it nor call the API with the viewer's cookies; connect-src 'none'
# keeps it from sending anything anywhere.
HTML_CSP = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; media-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
THUMB_MAX_AGE = 3600
HIST_CACHE_SECONDS = 600
HIST_CACHE_MAX_BYTES = 4 * 1024 * 1024


def _run_base(run: Run) -> str:
    project = run.project
    return f"/api/v1/projects/{project.organization.slug}/{project.slug}/runs/{quote(run.run_id, safe='')}"


def file_url(run: Run, path: str) -> str:
    return f"{_run_base(run)}/files/{quote(path, safe='/')}"


def media_payload(m: Media, run: Run, cells: list[Media] | None = None) -> dict[str, Any]:
    base = _run_base(run)
    out = {
        "id": m.pk, "run": run.run_id, "key": m.key, "step": m.step, "index": m.index, "kind": m.kind,
        "path": m.path, "caption": m.caption, "meta": m.meta, "status": m.status, "error": m.error,
        "content_type": m.content_type, "size": m.size, "width": m.width, "height": m.height,
        "duration": m.duration, "processed_at": _iso(m.processed_at),
        "file_url": file_url(run, m.path),
        "thumbnail_url": f"{base}/media/{m.pk}/thumbnail" if m.thumbnail else None,
        "html_url": f"{base}/media/{m.pk}/html" if m.kind == MediaKind.HTML else None,
    }
    if m.kind == MediaKind.TABLE:
        # What the pipeline made of each image cell, by the path the table's file names.
        out["cells"] = {
            c.path: {"thumbnail_url": f"{base}/media/{c.pk}/thumbnail" if c.thumbnail else None,
                     "status": c.status, "error": c.error}
            for c in cells or []
        }
    return out


def _key_param(request: Request) -> str:
    key = request.query_params.get("key", "")
    if not key:
        raise BadInput("Required: the media key.", "key")
    return key


def _runs_param(request: Request, project_runs: Any) -> list[Run]:
    ids = list(dict.fromkeys(r for r in request.query_params.get("runs", "").split(",") if r))
    if not ids:
        raise BadInput("Required: comma-separated run ids.", "runs")
    if len(ids) > MAX_RUNS:
        raise BadInput(f"At most {MAX_RUNS} runs.", "runs")
    found = {r.run_id: r for r in project_runs.filter(run_id__in=ids).select_related("project__organization")}
    return [found[i] for i in ids if i in found]


def _page(run: Run, items: Any, offset: int, limit: int) -> dict[str, Any]:
    count = items.count()
    page = list(items[offset : offset + limit])
    cells = run_media.table_cells(tables=page)
    return {
        "count": count,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < count else None,
        "step": page[0].step if page else None,
        "results": [media_payload(m, run, cells.get(m.pk)) for m in page],
    }


class RunMediaKeysApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_media_keys", summary="A run's media keys",
        description="Its media keys (one kind each), then its histogram keys (`kind: histogram`, step fields null).",
        parameters=[*RUN_PATH, int_query("first", "Also each media key's newest step: this many items.", default=0, maximum=50)],
        responses=MediaKeyListSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        first = int_param(request, "first", 0, 0, 50) or 0
        keys = []
        for k in run_media.media_keys(runs=[run]):
            out = k.as_dict()
            if first and k.kind != run_media.HISTOGRAM:
                # What a panel shows first, in the same round trip as the keys.
                out["first"] = _page(run, run_media.media_of_key(run=run, key=k.key), 0, first)
            keys.append(out)
        return Response({"keys": keys})


class RunMediaStepsApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_media_steps", summary="The steps holding a media key",
        description="Distinct steps, ascending; at most 10,000, evenly picked (`sampled`).",
        parameters=[*RUN_PATH, MEDIA_KEY], responses=MediaStepsSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        steps, count = run_media.media_steps(runs=[run], key=_key_param(request))
        return Response({"steps": steps, "count": count, "sampled": len(steps) < count})


class RunMediaListApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_media_list", summary="A page of a run's media items",
        description="Ordered by step, then gallery position. Without `step` or a range: the newest step holding the key.",
        parameters=[
            *RUN_PATH, MEDIA_KEY, int_query("step", "One step."), MIN_STEP, MAX_STEP,
            limit(50, run_media.MAX_PAGE), OFFSET,
        ],
        responses=MediaPageSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id)
        limit = int_param(request, "limit", 50, 1, run_media.MAX_PAGE) or 50
        offset = int_param(request, "offset", 0) or 0
        items = run_media.media_of_key(
            run=run, key=_key_param(request), step=int_param(request, "step", None),
            min_step=int_param(request, "min_step", None), max_step=int_param(request, "max_step", None),
        )
        return Response(_page(run, items, offset, limit))


def _media_get(run: Run, media_id: int) -> Media:
    m = Media.objects.filter(run=run, pk=media_id).first()
    if m is None:
        raise Http404
    return m


class MediaThumbnailApi(ProjectScopedApi):
    @extend_schema(
        operation_id="media_thumbnail", summary="A media item's thumbnail",
        description="The thumbnail (images) or poster frame (videos), `nosniff`; on object storage a 302 to a signed URL. 404 when there is none.",
        parameters=[*RUN_PATH, MEDIA_ID],
        responses={(200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, "The image."), 302: REDIRECT},
    )
    def get(self, request: Request, org: str, project: str, run_id: str, media_id: int) -> Any:
        # One query for the run and the item: a page asks for dozens of these at once.
        m = Media.objects.filter(run__project=self.project, run__run_id=run_id, pk=media_id).only("thumbnail").first()
        if m is None or not m.thumbnail:
            raise Http404
        content_type = mimetypes.guess_type(m.thumbnail)[0] or "application/octet-stream"
        if not content_type.startswith("image/") or content_type == "image/svg+xml":
            content_type = "application/octet-stream"  # never something a browser would run
        return stored_file_response(m.thumbnail, content_type=content_type, cache=f"private, max-age={THUMB_MAX_AGE}")


class MediaHtmlApi(ProjectScopedApi):
    """An HTML panel's document, for a sandboxed iframe only (see HTML_CSP)."""

    @extend_schema(
        operation_id="media_html", summary="An HTML media item's document",
        description="Always streamed with a sandboxing Content-Security-Policy: show it only in "
        "`<iframe sandbox=\"allow-scripts\">`.",
        parameters=[*RUN_PATH, MEDIA_ID],
        responses={(200, "text/html"): OpenApiResponse(OpenApiTypes.STR, "The document.")},
    )
    def get(self, request: Request, org: str, project: str, run_id: str, media_id: int) -> Any:
        run = self.get_run(run_id)
        m = _media_get(run, media_id)
        if m.kind != MediaKind.HTML or m.status == MediaStatus.FAILED:
            raise Http404
        rf = selectors.file_get(run=run, path=m.path)
        # Streamed from storage even on S3: a redirect would lose the CSP.
        response = FileResponse(default_storage.open(rf.storage_name, "rb"), content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = HTML_CSP
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Referrer-Policy"] = "no-referrer"
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        response["Cache-Control"] = "private, no-cache"
        return response


class RunHistogramsApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_histograms", summary="A key's histograms over time",
        description="At most `steps` evenly spaced, each rebinned onto common edges spanning all of them (totals "
        "kept). Malformed histograms are counted in `skipped`.",
        parameters=[
            *RUN_PATH, MEDIA_KEY,
            int_query("steps", "Histograms to sample.", default=1000, minimum=1, maximum=run_media.MAX_HIST_STEPS),
            int_query("bins", "Common bins; default the most any histogram has.", minimum=1, maximum=run_media.MAX_BINS),
        ],
        responses=HistogramsSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> HttpResponse:
        run = self.get_run(run_id)
        key = _key_param(request)
        steps = int_param(request, "steps", 1000, 1, run_media.MAX_HIST_STEPS) or 1000
        bins = int_param(request, "bins", None, 1, run_media.MAX_BINS)
        # Reading every histogram of a key is the costly part; the answer only
        # changes when the run logs more, which moves its history offset.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        cache_key = f"cairn:histograms:{run.pk}:{run.history_offset}:{digest}:{steps}:{bins}"
        body = cache.get(cache_key)
        if body is None:
            result = run_media.histograms_over_time(run=run, key=key, max_steps=steps, bins=bins)
            body = orjson.dumps(result.as_dict())
            if len(body) <= HIST_CACHE_MAX_BYTES:
                cache.set(cache_key, body, HIST_CACHE_SECONDS)
        return HttpResponse(body, content_type="application/json")


class ProjectMediaKeysApi(ProjectScopedApi):
    @extend_schema(
        operation_id="project_media_keys", summary="Media keys of several runs",
        description="As a run's media keys, over the runs named.", parameters=[*PROJECT_PATH, RUNS],
        responses=MediaKeyListSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        runs = _runs_param(request, self.project.runs)
        return Response({"keys": [k.as_dict() for k in run_media.media_keys(runs=runs)] if runs else []})


class ProjectMediaApi(ProjectScopedApi):
    @extend_schema(
        operation_id="project_media", summary="Several runs' media items side by side",
        description="For each run, its items at its newest step at or before `step`, so runs logging at different "
        "steps line up. Runs that do not exist are left out.",
        parameters=[
            *PROJECT_PATH, MEDIA_KEY, RUNS, int_query("step", "Each run's newest step at or before this; default its newest."),
            int_query("limit", "Items per run.", default=8, minimum=1, maximum=100),
        ],
        responses=ProjectMediaSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        runs = _runs_param(request, self.project.runs)
        key = _key_param(request)
        limit = int_param(request, "limit", 8, 1, 100) or 8
        step = int_param(request, "step", None)
        shown = run_media.media_at_step(runs=runs, key=key, step=step, limit=limit) if runs else {}
        cells = run_media.table_cells(tables=[m for _, items in shown.values() for m in items])
        steps, count = run_media.media_steps(runs=runs, key=key, limit=1000) if runs else ([], 0)
        return Response({
            "key": key,
            "steps": steps,
            "runs": {
                r.run_id: {"name": r.name, "step": shown[r.pk][0], "items": [media_payload(m, r, cells.get(m.pk)) for m in shown[r.pk][1]]}
                for r in runs
            },
        })
