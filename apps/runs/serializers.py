"""Output shapes of the runs API, as plain functions (fast on long lists)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from rest_framework.request import Request

from apps.runs.models import Project, Run, RunFile, RunWriter


def _iso(dt: Any) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def absolute_url(request: Request | None, path: str) -> str:
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL + path
    return request.build_absolute_uri(path) if request is not None else path


def project_payload(project: Project, run_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "org": project.organization.slug,
        "slug": project.slug,
        "name": project.name,
        "description": project.description,
        "visibility": project.visibility,
        "created_at": _iso(project.created_at),
        "last_activity_at": _iso(project.last_activity_at),
    }
    if run_count is not None:
        out["run_count"] = run_count
    return out


def _sweep_id(run: Run) -> str | None:
    # The sweeps app's link to the run (its reverse one-to-one); readers select it along.
    try:
        trial = run.sweep_trial
    except ObjectDoesNotExist:
        return None
    return str(trial.sweep.sweep_id)


def run_payload(run: Run, request: Request | None = None) -> dict[str, Any]:
    project = run.project
    org = project.organization.slug
    return {
        "id": run.run_id,
        "project": f"{org}/{project.slug}",
        "name": run.name,
        "state": run.state,
        "user": run.user.get_username() if run.user else None,
        "created_at": _iso(run.created_at),
        "heartbeat_at": _iso(run.heartbeat_at),
        "finished_at": _iso(run.finished_at),
        "runtime": run.runtime,
        "exit_code": run.exit_code,
        "tags": run.tags,
        "notes": run.notes,
        "group": run.group,
        "job_type": run.job_type,
        "sweep": _sweep_id(run),
        "config": run.config,
        "summary": run.summary,
        "system": run.system,
        "streams": {
            "history": run.history_offset,
            "system": run.system_offset,
            "console": run.console_offset,
        },
        "last_step": run.last_step,
        "shared": run.shared,
        "url": absolute_url(request, f"/{org}/{project.slug}/runs/{run.run_id}"),
    }


def writer_payload(writer: RunWriter) -> dict[str, Any]:
    return {
        "id": writer.writer_id,
        "label": writer.label,
        "host": writer.host,
        "pid": writer.pid,
        "primary": writer.primary,
        "shared": writer.shared,
        "state": writer.state,
        "created_at": _iso(writer.created_at),
        "heartbeat_at": _iso(writer.heartbeat_at),
        "finished_at": _iso(writer.finished_at),
        "exit_code": writer.exit_code,
        "streams": {
            "history": writer.history_offset,
            "system": writer.system_offset,
            "console": writer.console_offset,
        },
    }


def file_payload(rf: RunFile) -> dict[str, Any]:
    return {
        "path": rf.path,
        "size": rf.size,
        "sha256": rf.sha256,
        "content_type": rf.content_type,
        "updated_at": _iso(rf.updated_at),
    }
