"""The experiment fingerprint: store a run's, find a finished run with the same one, compare two.

The agent computes code, config and env at init (agent/_fingerprint.py);
the data part is the hash of the run's input versions' digests, computed
here because `use_artifact` comes after init. See docs/artifacts.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.db.models import QuerySet

from apps.artifacts.models import ArtifactAlias, ArtifactUse, RunFingerprint
from apps.core.errors import BadInput, TooLarge
from apps.runs.models import Project, Run, RunState

MAX_DETAILS = 1024 * 1024  # bytes of JSON: ~10,000 packages or config keys
MAX_CANDIDATES = 20
_HEX = re.compile(r"^[0-9a-f]{64}$")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def base_of(code: str, config: str, env: str) -> str:
    """As agent/_fingerprint.py's `base_of`: what `skip_if_done` matches at init."""
    return _sha(f"{code}\n{config}\n{env}\n")


def whole_of(code: str, config: str, data: str, env: str) -> str:
    return _sha(f"{code}\n{config}\n{data}\n{env}\n")


def data_of(run: Run) -> str:
    """The hash of the distinct digests of the versions the run used (none: the hash of nothing)."""
    digests = sorted(set(ArtifactUse.objects.filter(run=run).values_list("version__digest", flat=True)))
    return _sha("".join(d + "\n" for d in digests))


def hex_check(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _HEX.match(value):
        raise BadInput("Must be a lower-case hex SHA-256 (64 characters).", field)
    return value


def fingerprint_store(*, run: Run, data: dict[str, Any]) -> RunFingerprint:
    """Keep the parts the agent computed (sent again: replaced), with the data part from the run's inputs."""
    code, config, env = (hex_check(data.get(k), k) for k in ("code", "config", "env"))
    details = data.get("details", {})
    if not isinstance(details, dict):
        raise BadInput("Must be an object.", "details")
    if len(json.dumps(details)) > MAX_DETAILS:
        raise TooLarge(f"details: at most {MAX_DETAILS} bytes of JSON.")
    part_data = data_of(run)
    fp, _ = RunFingerprint.objects.update_or_create(
        run=run,
        defaults={
            "project": run.project, "code": code, "config": config, "env": env, "data": part_data,
            "base": base_of(code, config, env), "whole": whole_of(code, config, part_data, env),
            "details": details,
        },
    )
    Run.objects.filter(pk=run.pk).update(fingerprint=fp.whole)  # what the runs table groups by
    return fp


def fingerprint_data_refresh(*, run: Run) -> None:
    """The run used another version: its data part (and whole) change. Nothing to do without a fingerprint."""
    fp = RunFingerprint.objects.filter(run=run).first()
    if fp is None:
        return
    fp.data = data_of(run)
    fp.whole = whole_of(fp.code, fp.config, fp.data, fp.env)
    fp.save(update_fields=["data", "whole", "updated_at"])
    Run.objects.filter(pk=run.pk).update(fingerprint=fp.whole)


def _candidates(project: Project, base: str) -> QuerySet[RunFingerprint]:
    return (
        RunFingerprint.objects.filter(project=project, base=base, run__state=RunState.FINISHED)
        .select_related("run", "run__project__organization")
        .order_by("-run__finished_at", "-pk")[:MAX_CANDIDATES]
    )


def fingerprint_match(*, project: Project, base: str) -> Run | None:
    """The newest finished run of the project with these code, config and env whose data is still current.

    Its data part counts as the same when every version it used is still its
    artifact's `latest`: a rerun asking for `name:latest` would read the same
    data. A run whose input has a newer version since is not a match (rerunning
    is the safe mistake; skipping is not). A failed or crashed run never matches.
    """
    fps = list(_candidates(project, base))
    if not fps:
        return None
    uses = ArtifactUse.objects.filter(run_id__in=[f.run_id for f in fps]).values_list(
        "run_id", "version_id", "version__collection_id"
    )
    used: dict[int, list[tuple[int, int]]] = {}
    for run_id, version_id, collection_id in uses:
        used.setdefault(run_id, []).append((version_id, collection_id))
    collections = {c for pairs in used.values() for _, c in pairs}
    latest = dict(
        ArtifactAlias.objects.filter(collection_id__in=collections, alias="latest").values_list(
            "collection_id", "version_id"
        )
    )
    for fp in fps:
        if all(latest.get(c) == v for v, c in used.get(fp.run_id, [])):
            return fp.run
    return None


def fingerprint_duplicates(*, fp: RunFingerprint, limit: int = 20) -> list[Run]:
    """Other runs of the project with the same whole fingerprint, newest first."""
    return [
        f.run
        for f in RunFingerprint.objects.filter(project_id=fp.project_id, whole=fp.whole)
        .exclude(pk=fp.pk)
        .select_related("run")
        .order_by("-run__created_at")[:limit]
    ]


def _inputs(run: Run) -> dict[str, str]:
    """digest -> `name:vN` of the versions the run used."""
    rows = ArtifactUse.objects.filter(run=run).values_list(
        "version__digest", "version__collection__name", "version__index"
    )
    return {digest: f"{name}:v{index}" for digest, name, index in rows}


def fingerprint_compare(*, a: RunFingerprint, b: RunFingerprint) -> dict[str, Any]:
    """Which of the four parts differ between two runs, and how: config keys, packages, inputs."""
    da, db = a.details or {}, b.details or {}
    code_a, code_b = da.get("code") or {}, db.get("code") or {}
    files_a, files_b = code_a.get("files") or {}, code_b.get("files") or {}
    code = {
        "same": a.code == b.code,
        "a": {"commit": code_a.get("commit"), "diff": code_a.get("diff")},
        "b": {"commit": code_b.get("commit"), "diff": code_b.get("diff")},
        "files": sorted(p for p in set(files_a) | set(files_b) if files_a.get(p) != files_b.get(p)),
    }
    keys_a = (da.get("config") or {}).get("keys") or {}
    keys_b = (db.get("config") or {}).get("keys") or {}
    changed = sorted(k for k in set(keys_a) | set(keys_b) if keys_a.get(k) != keys_b.get(k))
    config = {
        "same": a.config == b.config,
        "keys": [{"key": k, "a": a.run.config.get(k), "b": b.run.config.get(k)} for k in changed[:200]],
    }
    in_a, in_b = _inputs(a.run), _inputs(b.run)
    data = {
        "same": a.data == b.data,
        "only_a": sorted(in_a[d] for d in set(in_a) - set(in_b)),
        "only_b": sorted(in_b[d] for d in set(in_b) - set(in_a)),
    }
    env_a, env_b = da.get("env") or {}, db.get("env") or {}
    pk_a, pk_b = env_a.get("packages") or {}, env_b.get("packages") or {}
    packages = sorted(n for n in set(pk_a) | set(pk_b) if pk_a.get(n) != pk_b.get(n))
    env = {
        "same": a.env == b.env,
        "python": None if env_a.get("python") == env_b.get("python") else [env_a.get("python"), env_b.get("python")],
        "packages": [{"name": n, "a": pk_a.get(n), "b": pk_b.get(n)} for n in packages[:500]],
    }
    return {
        "same": a.whole == b.whole,
        "parts": {"code": code, "config": config, "data": data, "env": env},
    }


def fingerprint_payload(fp: RunFingerprint) -> dict[str, Any]:
    return {
        "code": fp.code, "config": fp.config, "data": fp.data, "env": fp.env,
        "base": fp.base, "whole": fp.whole, "details": fp.details, "updated_at": fp.updated_at,
    }
