"""The artifacts API's answers, as plain dicts (their schema: apps/artifacts/schemas.py)."""

from __future__ import annotations

from typing import Any

from apps.artifacts.diff import VersionDiff
from apps.artifacts.models import (
    ArtifactCollection,
    ArtifactVersion,
    ManifestEntry,
    RegistryVersion,
)
from apps.runs.models import Run


def run_ref(run: Run) -> dict[str, Any]:
    project = run.project
    return {
        "org": project.organization.slug,
        "project": project.slug,
        "run_id": run.run_id,
        "name": run.name,
        "path": f"{project.organization.slug}/{project.slug}/{run.run_id}",
    }


def collection_payload(c: ArtifactCollection) -> dict[str, Any]:
    return {
        "name": c.name,
        "type": c.type,
        "description": c.description,
        "created_at": c.created_at,
        "version_count": getattr(c, "version_count", None),
    }


def version_payload(v: ArtifactVersion) -> dict[str, Any]:
    c = v.collection
    project = c.project
    org = project.organization.slug
    return {
        "id": str(v.pk),
        "name": f"{c.name}:{v.version}",
        "source_name": f"{c.name}:{v.version}",
        "qualified_name": f"{org}/{project.slug}/{c.name}:{v.version}",
        "artifact": c.name,
        "type": c.type,
        "version": v.version,
        "index": v.index,
        "aliases": [a.alias for a in v.aliases.all()],
        "digest": v.digest,
        "size": v.size,
        "file_count": v.file_count,
        "metadata": v.metadata,
        "description": v.description,
        "state": v.state,
        "created_at": v.created_at,
        "logged_by": run_ref(v.created_by) if v.created_by else None,
    }


def registry_node(link: RegistryVersion) -> dict[str, Any]:
    """A lineage node of a registered model's version (W&B draws the registry's collection)."""
    model = link.registered_model
    org = model.organization.slug
    path = f"{org}/registry/{model.name}"
    return {
        "id": f"registry:{path}:{link.version}",
        "kind": "registry",
        "registry": {
            "org": org, "name": model.name, "type": model.type, "version": link.version, "path": path,
            "aliases": [a.alias for a in link.aliases.all()],
        },
    }


def entry_payload(e: ManifestEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"path": e.path, "digest": e.digest, "size": e.size}
    if e.ref:
        out["ref"] = e.ref
        check = getattr(e, "ref_check", None)  # the last drift check (apps/artifacts/maintenance.py)
        if check is not None:
            out["drifted"] = check.drifted
    return out


def diff_payload(d: VersionDiff) -> dict[str, Any]:
    return {
        "base": version_payload(d.base),
        "target": version_payload(d.target),
        "files": {"added": d.added, "removed": d.removed, "changed": d.changed, "unchanged": d.unchanged},
        "size_change": d.target.size - d.base.size,
        "file_count_change": d.target.file_count - d.base.file_count,
        "metadata": {"added": d.metadata_added, "removed": d.metadata_removed, "changed": d.metadata_changed},
    }
