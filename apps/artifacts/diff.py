"""Reads: what changed between two versions of an artifact (files and metadata).

A Cairn addition: W&B has no diff of artifact versions. Its own module, beside
selectors.py, as the diff is a computation over two manifests rather than a
query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from apps.artifacts.models import ArtifactVersion, ManifestEntry


@dataclass
class VersionDiff:
    base: ArtifactVersion
    target: ArtifactVersion
    # path -> (digest, size): in target only / in base only
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    # the same path, another digest: {"path", "old_digest", "new_digest", "old_size", "new_size"}
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    metadata_added: dict[str, Any] = field(default_factory=dict)
    metadata_removed: dict[str, Any] = field(default_factory=dict)
    # key -> {"old", "new"}
    metadata_changed: dict[str, dict[str, Any]] = field(default_factory=dict)


def _manifest(version: ArtifactVersion) -> dict[str, tuple[str, int]]:
    rows = ManifestEntry.objects.filter(version=version).values_list("path", "digest", "size")
    return {path: (digest, size) for path, digest, size in rows}


def _same(a: Any, b: Any) -> bool:
    # Through JSON, so that a NaN equals itself and 1 differs from True.
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def version_diff(*, base: ArtifactVersion, target: ArtifactVersion) -> VersionDiff:
    """Going from `base` to `target`: files added, removed and changed (digest
    differs), and top-level metadata keys added, removed and changed."""
    out = VersionDiff(base=base, target=target)
    old, new = _manifest(base), _manifest(target)
    for path in sorted(old.keys() | new.keys()):
        if path not in old:
            out.added.append({"path": path, "digest": new[path][0], "size": new[path][1]})
        elif path not in new:
            out.removed.append({"path": path, "digest": old[path][0], "size": old[path][1]})
        elif old[path][0] != new[path][0]:
            out.changed.append({"path": path, "old_digest": old[path][0], "new_digest": new[path][0],
                                "old_size": old[path][1], "new_size": new[path][1]})
        else:
            out.unchanged += 1
    before = base.metadata if isinstance(base.metadata, dict) else {}
    after = target.metadata if isinstance(target.metadata, dict) else {}
    for key in sorted(before.keys() | after.keys()):
        if key not in before:
            out.metadata_added[key] = after[key]
        elif key not in after:
            out.metadata_removed[key] = before[key]
        elif not _same(before[key], after[key]):
            out.metadata_changed[key] = {"old": before[key], "new": after[key]}
    return out
