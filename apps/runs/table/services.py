"""Writes of the runs table: the project's saved layout, and bulk tag, untag, delete."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from apps.core.errors import BadInput
from apps.core.validation import tags_check
from apps.runs import services as run_services
from apps.runs.models import Project, ProjectView, Run
from apps.runs.table.columns import MAX_COLUMNS, Column, column_parse
from apps.runs.table.selectors import MAX_BULK

__all__ = ["runs_bulk", "view_save"]


# --- The saved layout -------------------------------------------------------------


def view_save(*, project: Project, user: AbstractBaseUser | AnonymousUser, data: Any) -> list[Column]:
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise BadInput("Must be a list of column ids.", "columns")
    if len(columns) > MAX_COLUMNS:
        raise BadInput(f"At most {MAX_COLUMNS} columns.", "columns")
    parsed = list({c.id: c for c in (column_parse(c) for c in columns)}.values())
    ProjectView.objects.update_or_create(
        project=project,
        defaults={
            "layout": {"columns": [c.id for c in parsed]},
            "updated_by": user if user.is_authenticated else None,
        },
    )
    return parsed


# --- Bulk edits -------------------------------------------------------------------


def runs_bulk(*, project: Project, data: Any) -> dict[str, int]:
    """Tag, untag or delete many runs at once: {"action", "runs": [ids], "tags": [...]}."""
    if not isinstance(data, dict):
        raise BadInput("The body must be a JSON object.")
    action = data.get("action")
    ids = data.get("runs")
    if action not in ("tag", "untag", "delete"):
        raise BadInput("Use tag, untag or delete.", "action")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids) or not ids:
        raise BadInput("Must be a non-empty list of run ids.", "runs")
    if len(ids) > MAX_BULK:
        raise BadInput(f"At most {MAX_BULK} runs at once.", "runs")
    # Checked whatever the action: a malformed request is refused, not half-read.
    tags = tags_check(data["tags"]) if "tags" in data else []
    runs = Run.objects.filter(project=project, run_id__in=ids)
    if action == "delete":
        n = 0
        for run in runs.select_related("project"):
            run_services.run_delete(run=run)
            n += 1
        return {"deleted": n}
    if not tags:
        raise BadInput("Give at least one tag.", "tags")
    changed: list[Run] = []
    with transaction.atomic():
        for run in runs.select_for_update().only("pk", "tags"):
            current = list(run.tags or [])
            new = (
                list(dict.fromkeys(current + tags)) if action == "tag" else [t for t in current if t not in tags]
            )
            if new != current:
                if len(new) > 100:
                    raise BadInput("A run has at most 100 tags.", "tags")
                run.tags = new
                changed.append(run)
        Run.objects.bulk_update(changed, ["tags"])
    return {"updated": len(changed)}
