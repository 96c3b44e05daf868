"""``Api().artifact(...)`` and friends: artifacts read through the API (docs/artifacts.md)."""

from __future__ import annotations

from .._errors import UsageError
from ._artifact import Artifact
from ._log import fetch_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


def split_name(api: Any, name: str) -> tuple[str, str, str, str]:
    """``[[org/]project/]name[:alias]`` -> (org, project, name, alias), with the Api's defaults."""
    path, sep, ref = name.rpartition(":")
    if not sep:
        path, ref = name, "latest"
    parts = [p for p in path.split("/") if p]
    if len(parts) == 1 and api.default_project:
        parts = [api.default_project, *parts]
    if len(parts) == 2 and api.default_entity:
        parts = [api.default_entity, *parts]
    if len(parts) != 3:
        raise UsageError(f'expected "entity/project/name:alias", got {name!r}')
    return parts[0], parts[1], parts[2], ref or "latest"


def artifact(api: Any, name: str, type: Optional[str] = None) -> Artifact:
    org, project, base, ref = split_name(api, name)
    art = fetch_version(api, org, project, base, ref)
    if type is not None and art.type != type:
        raise ValueError(f"{art.name!r} is of type {art.type!r}, not {type!r}")
    return art


class ArtifactCollection:
    """W&B's ``ArtifactCollection``: one artifact's ``name``, ``type``, ``description`` and versions."""

    def __init__(self, api: Any, org: str, project: str, data: dict[str, Any]) -> None:
        self._api = api
        self.entity = org
        self.project = project
        self.name: str = data["name"]
        self.type: str = data["type"]
        self.description: str = data.get("description") or ""
        self._versions = data.get("versions") or []

    def artifacts(self) -> list[Artifact]:
        """Every version, newest first (without manifests: ``download()`` fetches one)."""
        out = []
        for v in self._versions:
            art = Artifact(v["artifact"], v["type"])
            art._apply(v, self._api)
            out.append(art)
        return out

    versions = artifacts

    def __repr__(self) -> str:
        return f"<ArtifactCollection {self.entity}/{self.project}/{self.name} ({self.type})>"


def artifact_collection(api: Any, type_name: str, name: str) -> ArtifactCollection:
    org, project, base, _ = split_name(api, name)
    data = api._json(f"projects/{org}/{project}/artifacts/{base}")
    if data["type"] != type_name:
        raise ValueError(f"{base!r} is of type {data['type']!r}, not {type_name!r}")
    return ArtifactCollection(api, org, project, data)
