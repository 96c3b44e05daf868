"""Reads: artifacts, versions by version or alias, a run's inputs and outputs, lineage."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from apps.artifacts.models import (
    ArtifactAlias,
    ArtifactCollection,
    ArtifactUse,
    ArtifactVersion,
    ManifestEntry,
)
from apps.core.errors import BadInput
from apps.runs.models import Project, Run, Visibility

MAX_LINEAGE_DEPTH = 10
MAX_LINEAGE_NODES = 1000
_VERSION = re.compile(r"v(\d{1,9})")


def _versions() -> QuerySet[ArtifactVersion]:
    return ArtifactVersion.objects.select_related("collection__project__organization", "created_by__project__organization").prefetch_related(
        Prefetch("aliases", queryset=ArtifactAlias.objects.order_by("alias"))
    )


# A graph's nodes need names, not a run's config, summary or system metrics:
# the columns a lineage reads (apps/artifacts/serializers.py, run_ref and version_payload).
_RUN_FIELDS = ("run_id", "name", "project__slug", "project__organization__slug")


def _light_runs() -> QuerySet[Run]:
    return Run.objects.select_related("project__organization").only(*_RUN_FIELDS)


def _light_versions() -> QuerySet[ArtifactVersion]:
    return _versions().only(
        *(f.name for f in ArtifactVersion._meta.concrete_fields),
        "collection__name", "collection__type", "collection__project__slug", "collection__project__organization__slug",
        *(f"created_by__{f}" for f in _RUN_FIELDS),
    )


def collection_list(*, project: Project, type_: str | None = None) -> list[ArtifactCollection]:
    qs = ArtifactCollection.objects.filter(project=project).annotate(version_count=Count("versions"))
    if type_:
        qs = qs.filter(type=type_.lower())
    return list(qs.order_by("name"))


def collection_get(*, project: Project, name: str) -> ArtifactCollection:
    collection = ArtifactCollection.objects.filter(project=project, name=name.lower()).first()
    if collection is None:
        raise Http404
    return collection


def version_list(*, collection: ArtifactCollection) -> list[ArtifactVersion]:
    return list(_versions().filter(collection=collection).order_by("-index"))


def version_indexes(*, collection: ArtifactCollection) -> list[int]:
    return list(ArtifactVersion.objects.filter(collection=collection).order_by("-index").values_list("index", flat=True))


def version_get(*, project: Project, name: str, ref: str) -> ArtifactVersion:
    """`ref` is a version (`v3`) or an alias (`latest`, `best`)."""
    qs = _versions().filter(collection__project=project, collection__name=name.lower())
    match = _VERSION.fullmatch(ref)
    version = (qs.filter(index=int(match.group(1))) if match else qs.filter(aliases__alias=ref)).first()
    if version is None:
        raise Http404
    return version


def entries_of(version: ArtifactVersion) -> list[ManifestEntry]:
    return list(version.entries.select_related("ref_check").order_by("path"))


def blob_in_project(*, project: Project, sha256: str) -> ManifestEntry:
    """A manifest entry of this project holding the blob (so a reader of the project may fetch it)."""
    entry = (
        ManifestEntry.objects.select_related("blob")
        .filter(version__collection__project=project, blob__sha256=sha256, blob__organization=project.organization_id)
        .first()
    )
    if entry is None or entry.blob is None:
        raise Http404
    return entry


def consumers_of(version: ArtifactVersion) -> list[Run]:
    return list(Run.objects.select_related("project__organization").filter(artifacts_used__version=version).order_by("created_at"))


def run_inputs(*, run: Run) -> list[ArtifactVersion]:
    return list(_versions().filter(uses__run=run).order_by("collection__name", "index"))


def run_outputs(*, run: Run) -> list[ArtifactVersion]:
    return list(_versions().filter(created_by=run).order_by("collection__name", "index"))


def qualified_parse(value: Any, field: str = "artifact") -> tuple[str, str, str, str]:
    """`org/project/name:ref` -> its four parts, or a 400."""
    text = str(value or "")
    path, _, ref = text.rpartition(":")
    parts = path.split("/")
    if len(parts) != 3 or not all(parts) or not ref:
        raise BadInput('Expected "org/project/name:version-or-alias".', field)
    return parts[0], parts[1], parts[2], ref


@dataclass
class Lineage:
    runs: dict[int, Run] = field(default_factory=dict)
    versions: dict[int, ArtifactVersion] = field(default_factory=dict)
    # (run pk, version pk): the run logged the version / used it
    logged: set[tuple[int, int]] = field(default_factory=set)
    used: set[tuple[int, int]] = field(default_factory=set)
    truncated: bool = False


def lineage(*, version: ArtifactVersion | None = None, run: Run | None = None, depth: int, visible: Any) -> Lineage:
    """Runs and versions reachable from `version` (or from `run`) both ways, `depth` edges at most.

    One level at a time, a fixed number of queries per level (not per node).
    `visible(project_id) -> bool` hides what the caller may not read.
    """
    if not 1 <= depth <= MAX_LINEAGE_DEPTH:
        raise BadInput(f"Between 1 and {MAX_LINEAGE_DEPTH}.", "depth")
    frontier_versions: set[int]
    frontier_runs: set[int]
    if version is not None:
        out = Lineage(versions={version.pk: version})
        frontier_versions, frontier_runs = {version.pk}, set()
    else:
        assert run is not None
        out = Lineage(runs={run.pk: run})
        frontier_versions, frontier_runs = set(), {run.pk}
    for _ in range(depth):
        new_runs: set[int] = set()
        new_versions: set[int] = set()
        for vid in frontier_versions:  # producers: already known from the versions fetched
            rid = out.versions[vid].created_by_id
            if rid is not None:
                out.logged.add((rid, vid))
                new_runs.add(rid)
        if frontier_versions:
            for rid, vid in ArtifactUse.objects.filter(version_id__in=frontier_versions).values_list("run_id", "version_id"):
                out.used.add((rid, vid))
                new_runs.add(rid)
        if frontier_runs:
            for vid, rid in ArtifactVersion.objects.filter(created_by_id__in=frontier_runs).values_list("pk", "created_by_id"):
                out.logged.add((rid, vid))
                new_versions.add(vid)
            for rid, vid in ArtifactUse.objects.filter(run_id__in=frontier_runs).values_list("run_id", "version_id"):
                out.used.add((rid, vid))
                new_versions.add(vid)
        new_runs -= set(out.runs)
        new_versions -= set(out.versions)
        if len(out.runs) + len(out.versions) + len(new_runs) + len(new_versions) > MAX_LINEAGE_NODES:
            out.truncated = True
            break
        if new_runs:
            for run in _light_runs().filter(pk__in=new_runs):
                if visible(run.project_id):
                    out.runs[run.pk] = run
        if new_versions:
            for v in _light_versions().filter(pk__in=new_versions):
                if visible(v.collection.project_id):
                    out.versions[v.pk] = v
        frontier_runs = new_runs & set(out.runs)
        frontier_versions = new_versions & set(out.versions)
        if not frontier_runs and not frontier_versions:
            break
    out.logged = {(r, v) for r, v in out.logged if r in out.runs and v in out.versions}
    out.used = {(r, v) for r, v in out.used if r in out.runs and v in out.versions}
    return out


def readable_project_ids(*, user: Any, project_ids: set[int]) -> set[int]:
    """Which of these projects the caller may read: public ones and those of the caller's organisations."""
    q = Q(visibility=Visibility.PUBLIC)
    if getattr(user, "is_authenticated", False):
        q |= Q(organization__memberships__user_id=user.pk)
    return set(Project.objects.filter(q, pk__in=project_ids).values_list("pk", flat=True))
