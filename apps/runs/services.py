"""Writes: projects, runs, stream appends, files."""

from __future__ import annotations

import hashlib
import mimetypes
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.errors import BadInput, Conflict, TooLarge
from apps.core.slugs import slug_check
from apps.core.tasks import enqueue_on_commit
from apps.core.validation import json_object_check, tags_check, text_check
from apps.orgs.models import Organization
from apps.runs import media
from apps.runs.ingest import Appended as Appended
from apps.runs.ingest import run_alive, writer_id_check, writer_register
from apps.runs.ingest import stream_append as stream_append
from apps.runs.models import (
    Media,
    Project,
    Run,
    RunAlert,
    RunFile,
    RunState,
    RunWriter,
    Visibility,
)
from apps.runs.names import run_name_new
from apps.runs.signals import alert_recorded, run_finished, run_upserted

# Fields a client may set on create, resume and update, with their limits.
_TEXT_FIELDS = {"name": 200, "notes": 100_000, "group": 128, "job_type": 64}


def project_create(*, org: Organization, slug: str, name: str = "", visibility: str = Visibility.PRIVATE) -> Project:
    slug = slug_check(slug)
    name = text_check(name, "name", 200)
    if visibility not in Visibility.values:
        raise BadInput("Use private or public.", "visibility")
    try:
        with transaction.atomic():
            return Project.objects.create(organization=org, slug=slug, name=name or slug, visibility=visibility)
    except IntegrityError:
        raise Conflict(f"Project {org.slug}/{slug} exists.") from None


def project_get_or_create(*, org: Organization, slug: str) -> Project:
    project = Project.objects.filter(organization=org, slug=slug.lower()).first()
    if project is not None:
        return project
    try:
        return project_create(org=org, slug=slug)
    except Conflict:  # created concurrently by another request
        return Project.objects.get(organization=org, slug=slug.lower())


def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    if "name" in data:
        project.name = text_check(data["name"], "name", 200)
    if "description" in data:
        project.description = text_check(data["description"], "description", 100_000)
    if "visibility" in data:
        if data["visibility"] not in Visibility.values:
            raise BadInput("Use private or public.", "visibility")
        project.visibility = data["visibility"]
    project.save()
    return project


def project_delete(*, project: Project) -> None:
    """With all its runs, their streams and (through a background task) their files."""
    with transaction.atomic():
        for run in project.runs.all():
            run_delete(run=run)
        project.delete()


def _run_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Validated run fields from a create/resume/update body."""
    out: dict[str, Any] = {}
    for field, limit in _TEXT_FIELDS.items():
        if field in data and data[field] is not None:
            out[field] = text_check(data[field], field, limit)
    if data.get("tags") is not None:
        out["tags"] = tags_check(data["tags"])
    for field in ("config", "system", "summary"):
        if data.get(field) is not None:
            out[field] = json_object_check(data[field], field)
    return out


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in changes.items():
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = v
    return merged


@dataclass(frozen=True)
class Upserted:
    run: Run
    created: bool
    # The process that asked, when it said which it is (docs/protocol.md, Writers).
    writer: RunWriter | None = None


def run_upsert(
    *, project: Project, run_id: str, user: User | None, data: dict[str, Any], resume: str = "allow"
) -> Upserted:
    """Create the run, or resume it; listeners hear of it (e.g. `data["benchmark"]`)."""
    result = _run_upsert(project=project, run_id=run_id, user=user, data=data, resume=resume)
    result.run.project = project
    run_upserted.send(sender=Run, run=result.run, user=user, data=data)
    return result


def _run_upsert(
    *, project: Project, run_id: str, user: User | None, data: dict[str, Any], resume: str
) -> Upserted:
    if resume not in ("allow", "must", "never"):
        raise BadInput("Use allow, must or never.", "resume")
    fields = _run_fields(data)
    summary = fields.pop("summary", None)
    writer_data = data.get("writer")
    now = timezone.now()
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(project=project, run_id=run_id).first()
        if run is None:
            if resume == "must":
                from django.http import Http404

                raise Http404
            try:
                if not fields.get("name"):  # W&B's readable name rather than the random id
                    fields["name"] = run_name_new(Run.objects.filter(project=project).count() + 1)
                with transaction.atomic():
                    run = Run.objects.create(
                        project=project, run_id=run_id, user=user, heartbeat_at=now, **fields
                    )
            except IntegrityError:
                # The same create raced us; treat it as a resume.
                run = Run.objects.select_for_update().get(project=project, run_id=run_id)
            else:
                if summary:
                    run.summary = summary
                    run.summary_pinned = sorted(summary)
                    run.save(update_fields=["summary", "summary_pinned"])
                writer = writer_register(run=run, data=writer_data) if writer_data is not None else None
                Project.objects.filter(pk=project.pk).update(last_activity_at=now)
                return Upserted(run, True, writer)
        if resume == "never":
            raise Conflict(f"Run {run_id} exists and resume is 'never'.", run_id=run_id)
        writer = writer_register(run=run, data=writer_data) if writer_data is not None else None
        if writer is not None and writer.shared and "config" in fields:
            # Every process of a shared run sends its config: they add up.
            fields["config"] = {**run.config, **fields["config"]}
        for k, v in fields.items():
            setattr(run, k, v)
        if summary:
            run.summary = _merge(run.summary, summary)
            run.summary_pinned = sorted(set(run.summary_pinned) | set(summary))
        run.state = RunState.RUNNING
        run.finished_at = None
        run.exit_code = None
        run.heartbeat_at = now
        run.save()
    Project.objects.filter(pk=project.pk).update(last_activity_at=now)
    return Upserted(run, False, writer)


def run_update(*, run: Run, data: dict[str, Any]) -> Run:
    fields = _run_fields(data)
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        for k in ("name", "notes", "group", "job_type", "tags"):
            if k in fields:
                setattr(run, k, fields[k])
        if "config" in fields:
            run.config = _merge(run.config, fields["config"])
        if "system" in fields:
            run.system = _merge(run.system, fields["system"])
        if "summary" in fields:
            run.summary = _merge(run.summary, fields["summary"])
            run.summary_pinned = sorted(set(run.summary_pinned) | set(fields["summary"]))
        run.save()
    return run


def run_heartbeat(*, run: Run, writer_id: Any = None) -> Run:
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        now = timezone.now()
        if writer_id is not None:
            RunWriter.objects.filter(run=run, writer_id=writer_id_check(writer_id), finished_at__isnull=True).update(
                heartbeat_at=now, state=RunState.RUNNING
            )
        if run.state in (RunState.RUNNING, RunState.CRASHED):
            run_alive(run, now)
            run.save(update_fields=["heartbeat_at", "runtime", "state"])
    return run


def _shared_run_end(run: Run, writer: RunWriter) -> tuple[str, int | None] | None:
    """How a shared run ends as one of its writers finishes, or None while it goes on.

    The primary writer decides; with none, the run ends when the last writer
    still alive finishes, failed if any writer failed.
    """
    if writer.primary:
        return writer.state, writer.exit_code
    writers = list(RunWriter.objects.filter(run=run))
    if any(w.primary for w in writers):
        return None
    silent_since = timezone.now() - timedelta(seconds=settings.CAIRN_HEARTBEAT_TIMEOUT)
    if any(w.finished_at is None and w.heartbeat_at and w.heartbeat_at >= silent_since for w in writers):
        return None
    ended = [w for w in writers if w.finished_at is not None]
    for state in (RunState.CRASHED, RunState.FAILED):
        worst = [w for w in ended if w.state == state]
        if worst:
            return state, worst[0].exit_code
    return RunState.FINISHED, 0


def run_finish(*, run: Run, exit_code: int | None, state: str | None = None, writer_id: Any = None) -> Run:
    if state is None:
        state = RunState.FINISHED if not exit_code else RunState.FAILED
    if state not in (RunState.FINISHED, RunState.FAILED, RunState.CRASHED):
        raise BadInput("Use finished, failed or crashed.", "state")
    writer_id = writer_id_check(writer_id) if writer_id is not None else None
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        now = timezone.now()
        writer = RunWriter.objects.filter(run=run, writer_id=writer_id).first() if writer_id else None
        if writer is not None:
            writer.state, writer.exit_code = state, exit_code
            writer.finished_at = writer.finished_at or now
            writer.save(update_fields=["state", "exit_code", "finished_at"])
            if run.shared:
                end = _shared_run_end(run, writer)
                if end is None:
                    return run
                state, exit_code = end
        if run.finished_at is None or run.state != state:
            run.runtime = max(run.runtime, (now - run.created_at).total_seconds())
            run.finished_at = now
        run.state = state
        run.exit_code = exit_code
        run.save(update_fields=["state", "exit_code", "finished_at", "runtime"])
        run_pk = run.pk
        # Listeners first (benchmark entries waiting for this run are frozen and scored).
        transaction.on_commit(lambda: run_finished.send(sender=Run, run_pk=run_pk))
        enqueue_on_commit("runs.compact_history", run_pk)
    return run


def run_delete(*, run: Run) -> None:
    names = list(RunFile.objects.filter(run=run).values_list("storage_name", flat=True))
    names += Media.objects.filter(run=run).exclude(thumbnail="").values_list("thumbnail", flat=True)
    with transaction.atomic():
        run.delete()
        if names:
            enqueue_on_commit("runs.delete_stored_files", names)


def runs_mark_crashed(*, older_than_seconds: float) -> int:
    """Running runs silent for too long: their process died without saying."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    with transaction.atomic():
        RunWriter.objects.filter(state=RunState.RUNNING, finished_at__isnull=True, heartbeat_at__lt=cutoff).update(
            state=RunState.CRASHED
        )
        # A shared run dies with its primary writer, whoever else still writes.
        # (A subquery, not a join: PostgreSQL locks no row of a join's nullable side.)
        primary_dead = Q(
            shared=True,
            pk__in=RunWriter.objects.filter(primary=True, state=RunState.CRASHED).values("run_id"),
        )
        silent = list(
            Run.objects.select_for_update(skip_locked=True)
            .filter(Q(heartbeat_at__lt=cutoff) | primary_dead, state=RunState.RUNNING)
            .values_list("pk", flat=True)
        )
        marked = Run.objects.filter(pk__in=silent, state=RunState.RUNNING).update(state=RunState.CRASHED)
    # A benchmark entry waiting for one of them is refused now, with the reason,
    # rather than waiting for a finish that will not come.
    for pk in silent:
        run_finished.send(sender=Run, run_pk=pk)
    return marked


# --- Files ----------------------------------------------------------------

COPY_BLOCK = 1 << 20


def run_file_storage_name(run: Run, path: str) -> str:
    return f"runs/{run.project.organization_id}/{run.project_id}/{run.pk}/{path}"


def file_store(*, run: Run, path: str, body: IO[bytes], declared_sha256: str, declared_size: int | None) -> RunFile:
    """Stream an upload to storage, checking its size and digest on the way."""
    limit = settings.CAIRN_MAX_FILE_SIZE
    is_media = media.is_media_path(path)
    if is_media:
        limit = min(limit, settings.CAIRN_MEDIA_MAX_BYTES)
    if declared_size is not None and declared_size > limit:
        raise _too_large(run, path, f"File is {declared_size} bytes; the limit is {limit}.")
    declared = declared_sha256.strip().lower()
    if len(declared) != 64 or any(c not in "0123456789abcdef" for c in declared):
        raise BadInput("X-Cairn-Sha256 must be the hex SHA-256 of the content.", "X-Cairn-Sha256")
    _file_folder_clash_check(run, path)
    existing = RunFile.objects.filter(run=run, path=path).first()
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile() as tmp:
        while True:
            block = body.read(COPY_BLOCK)
            if not block:
                break
            size += len(block)
            if size > limit:
                raise _too_large(run, path, f"File is over the limit of {limit} bytes.")
            digest.update(block)
            tmp.write(block)
        if declared_size is not None and size != declared_size:
            raise BadInput(f"Received {size} bytes, Content-Length said {declared_size}.", "Content-Length")
        if digest.hexdigest() != declared:
            raise BadInput("Content does not match X-Cairn-Sha256; nothing was stored.", "X-Cairn-Sha256")
        if existing is not None and existing.sha256 == declared:
            return existing
        name = run_file_storage_name(run, path)
        if default_storage.exists(name):
            default_storage.delete(name)
        tmp.seek(0)
        try:
            stored_name = default_storage.save(name, File(tmp))
        except (NotADirectoryError, IsADirectoryError, FileExistsError):
            # An upload of the clashing name raced this one past the check above.
            _file_folder_clash_check(run, path)
            raise Conflict(f"{path!r} clashes with a file or folder being uploaded to this run.", field="path") from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    with transaction.atomic():
        if is_media:  # serialised with history appends: see apps/runs/media.py
            Run.objects.select_for_update().filter(pk=run.pk).first()
        rf, _ = RunFile.objects.update_or_create(
            run=run,
            path=path,
            defaults={"size": size, "sha256": declared, "storage_name": stored_name, "content_type": content_type},
        )
        if is_media:
            media.media_file_stored(run=run, rf=rf)
    return rf


def _file_folder_clash_check(run: Run, path: str) -> None:
    """A 409 when `path` would be a file inside a file (`conf`, then `conf/x`)
    or a file where a folder is (`dir/x`, then `dir`): storage keeps files in
    folders, and a name cannot be both."""
    parts = path.split("/")
    folders = ["/".join(parts[:i]) for i in range(1, len(parts))]
    inside = path + "/"
    # startswith is a LIKE (case-blind on SQLite): the exact test is below.
    for other in RunFile.objects.filter(Q(path__in=folders) | Q(path__startswith=inside), run=run).values_list(
        "path", flat=True
    )[:100]:
        if other in folders:
            raise Conflict(f"{other!r} is a file of this run, so {path!r} cannot be a file inside it.", field="path")
        if other.startswith(inside):
            raise Conflict(f"{path!r} is a folder of this run (it holds {other!r}), so it cannot be a file.", field="path")


def _too_large(run: Run, path: str, message: str) -> TooLarge:
    if media.is_media_path(path):
        media.media_upload_refused(run=run, path=path, reason=message)
    return TooLarge(message)


def alert_record(
    *, run: Run, alert_id: str, title: str, text: str, level: str, count: int, created_at: Any
) -> tuple[RunAlert, bool]:
    """Store an alert of the run, or raise the count of the one with this id (never lower it).

    The agent sends an alert again under its id when a repeat was merged
    into it, and a retried upload sends it again as it was: both land here.
    Returns the alert and whether it is new.
    """
    with transaction.atomic():
        alert, created = RunAlert.objects.select_for_update().get_or_create(
            run=run,
            alert_id=alert_id,
            defaults={"title": title, "text": text, "level": level, "count": count, "created_at": created_at},
        )
        raised = not created and count > alert.count
        if raised:
            alert.count = count
            alert.save(update_fields=["count", "updated_at"])
        if created or raised:
            alert_pk, run_pk = alert.pk, run.pk
            transaction.on_commit(
                lambda: alert_recorded.send(sender=RunAlert, alert_pk=alert_pk, run_pk=run_pk, created=created)
            )
    return alert, created
