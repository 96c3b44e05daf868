"""Writes: reports, their drafts, publication (freezing the data), comments."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from apps.core.errors import BadInput
from apps.core.markdown import markdown_render
from apps.reports.blocks import blocks_check
from apps.reports.media import frozen_files_delete, frozen_thumbnails_copy
from apps.reports.models import (
    PanelSnapshot,
    Report,
    ReportComment,
    ReportVersion,
    ReportVisibility,
)
from apps.reports.panels import data_bytes, panel_data
from apps.runs.models import Project

MAX_COMMENT = 20_000


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise BadInput("Must be a non-empty string of at most 200 characters.", "title")
    return value.strip()


def _description(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 10_000:
        raise BadInput("Must be a string of at most 10000 characters.", "description")
    return value


def report_create(*, project: Project, author: User, data: dict[str, Any]) -> Report:
    return Report.objects.create(
        project=project,
        author=author,
        updated_by=author,
        title=_title(data.get("title")),
        description=_description(data.get("description", "")),
        blocks=blocks_check(data.get("blocks", [])),
    )


def report_update(*, report: Report, user: User, data: dict[str, Any]) -> Report:
    """Autosave of the draft; also the report's settings (visibility back to draft, indexing)."""
    unknown = set(data) - {"title", "description", "blocks", "visibility", "allow_indexing"}
    if unknown:
        raise BadInput(f"Unknown field {sorted(unknown)[0]!r}.", sorted(unknown)[0])
    if "title" in data:
        report.title = _title(data["title"])
    if "description" in data:
        report.description = _description(data["description"])
    if "blocks" in data:
        report.blocks = blocks_check(data["blocks"], strict=False)
    if "visibility" in data:
        visibility = data["visibility"]
        if visibility not in ReportVisibility.values:
            raise BadInput("Use draft, org or public.", "visibility")
        if visibility != ReportVisibility.DRAFT and report.published_id is None:
            raise BadInput("Publish the report first.", "visibility")
        if visibility == ReportVisibility.DRAFT and report.author_id != user.pk:
            # A draft is its author's alone: another editor would lock themselves out of it.
            raise BadInput("Only the author can make the report a draft again.", "visibility")
        report.visibility = visibility
    if "allow_indexing" in data:
        if not isinstance(data["allow_indexing"], bool):
            raise BadInput("Must be true or false.", "allow_indexing")
        report.allow_indexing = data["allow_indexing"]
    report.updated_by = user
    report.save()
    return report


@transaction.atomic
def report_block_append(*, report: Report, user: User, block: Any) -> Report:
    """One block added at the end of the draft (a chart copied from the workspace): checked as
    strictly as publishing, and appended under the row lock, so an editor's autosave of the
    blocks it read before is the only thing that can drop it."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not isinstance(block, dict):
        raise BadInput("Must be an object.", "block")
    if "id" in block and (not isinstance(block["id"], str) or not block["id"]):
        raise BadInput("Must be a non-empty string, or left out for one to be made.", "block.id")
    ids = {b["id"] for b in report.blocks}
    block = {**block, "id": block.get("id") or next(f"w{i}" for i in range(len(ids) + 1) if f"w{i}" not in ids)}
    if block["id"] in ids:
        raise BadInput("A block with this id is in the report already.", "block.id")
    report.blocks = report.blocks + blocks_check([block])
    report.updated_by = user
    report.save(update_fields=["blocks", "updated_by", "updated_at"])
    return report


def blocks_html(*, blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {b["id"]: markdown_render(text=b["text"]) for b in blocks if b["type"] == "text"}


@transaction.atomic
def report_publish(*, report: Report, user: User, visibility: Any, frozen: Any) -> ReportVersion:
    """A new version from the draft; with `frozen`, every panel's data is stored with it."""
    if visibility not in (ReportVisibility.ORG, ReportVisibility.PUBLIC):
        raise BadInput("Use org or public.", "visibility")
    if not isinstance(frozen, bool):
        raise BadInput("Must be true or false.", "frozen")
    report = Report.objects.select_for_update().select_related("project__organization").get(pk=report.pk)
    number = (report.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    blocks = blocks_check(report.blocks)
    version = ReportVersion.objects.create(
        report=report, number=number, title=report.title, description=report.description, blocks=blocks,
        html=blocks_html(blocks=blocks), frozen=frozen, published_by=user,
    )
    if frozen:
        snapshots = []
        for b in blocks:
            if b["type"] != "panel":
                continue
            data = panel_data(report=report, panel=b["panel"])
            if data["kind"] == "media":  # the pictures must outlive the runs, as the numbers do
                frozen_thumbnails_copy(report=report, version=version, block_id=b["id"], data=data)
            snapshots.append(PanelSnapshot(version=version, block_id=b["id"], data=data_bytes(data)))
        PanelSnapshot.objects.bulk_create(snapshots)
    report.published = version
    report.visibility = visibility
    report.updated_by = user
    report.save(update_fields=["published", "visibility", "updated_by", "updated_at"])
    return version


def report_delete(*, report: Report) -> None:
    frozen_files_delete(report=report)
    report.delete()


def comment_create(*, report: Report, author: User, body: Any) -> ReportComment:
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_COMMENT:
        raise BadInput(f"Must be a non-empty string of at most {MAX_COMMENT} characters.", "body")
    return ReportComment.objects.create(report=report, author=author, body=body)
