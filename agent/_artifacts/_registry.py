"""The model registry: ``run.link_artifact``, ``run.link_model``, ``Api().registered_models()`` (docs/artifacts.md).

A registered model belongs to an organisation; its versions are links to
artifact versions of any of the organisation's projects. Linking asks the
server now, as ``use_artifact`` does (so not offline), once the artifact's
version is committed.
"""

from __future__ import annotations

from .._errors import UsageError
from ._artifact import Artifact
from ._log import _REGISTRY_PROJECTS as REGISTRY_PROJECTS
from ._log import _aliases, _parse, log_model

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

# REGISTRY_PROJECTS, the registry's names in "<org>/<registry>/<name>[:alias]": Cairn's,
# W&B's new registry's (its model registry only) and W&B's older model registry project.


def registry_target(target_path: str, default_org: Optional[str]) -> tuple[Optional[str], str]:
    """``"name"``, ``"registry/name"`` or ``"org/registry/name"`` (W&B's forms too) -> (org, name)."""
    if not isinstance(target_path, str):
        raise UsageError(f"target_path must be a string, not {type(target_path).__name__}")
    parts = [p for p in target_path.split("/") if p]
    if len(parts) == 1:
        return default_org, parts[0]
    if len(parts) in (2, 3) and parts[-2] in REGISTRY_PROJECTS:
        return (parts[0] if len(parts) == 3 else default_org), parts[-1]
    if len(parts) in (2, 3) and parts[-2].startswith("wandb-registry-"):
        raise UsageError(f"{target_path!r}: Cairn has one registry per organisation, of models: use \"registry/<name>\"")
    raise UsageError(f'{target_path!r}: expected "registry/<name>" or "<org>/registry/<name>" '
                     '(W&B\'s "wandb-registry-model/<name>" and "model-registry/<name>" work too)')


def _api(run: Any) -> Any:
    from .._api import Api

    return Api(overrides={"entity": run.org, "project": run.project}, base_url=run.settings.base_url,
               api_key=run.settings.api_key)


def link_artifact(run: Any, artifact: Any, target_path: str, aliases: Optional[list[str]] = None) -> Any:
    if run.settings.mode == "offline":
        raise UsageError("link_artifact needs the server: not available offline")
    wanted = _aliases(aliases)
    if run._off:
        return artifact
    api = _api(run)
    org, name = registry_target(target_path, run.org or api.default_entity)
    if not org:
        raise UsageError("no organisation: pass org= to init or set CAIRN_ORG")
    if isinstance(artifact, Artifact):
        if not artifact._frozen:
            run.log_artifact(artifact)  # W&B logs an artifact that is not logged yet
        artifact.wait()
        source = artifact.qualified_name
    else:
        a_org, project, base, ref = _parse(run, str(artifact))
        source = f"{a_org or org}/{project}/{base}:{ref}"
    api._post(f"orgs/{org}/registry/{name}", {"artifact": source, "aliases": wanted})
    return artifact


def link_model(run: Any, path: Any, registered_model_name: str, name: Optional[str] = None,
               aliases: Optional[list[str]] = None) -> Any:
    art = path if isinstance(path, Artifact) else log_model(run, path, name=name)
    return link_artifact(run, art, registered_model_name, aliases=aliases)


class RegisteredModel:
    """One registered model of an organisation: ``name``, ``type``, ``description``, ``path``."""

    def __init__(self, api: Any, org: str, data: dict[str, Any]) -> None:
        self._api = api
        self.entity = org
        self.name: str = data["name"]
        self.type: str = data["type"]
        self.description: str = data.get("description") or ""
        self.path: str = data["path"]

    def versions(self) -> list[dict[str, Any]]:
        """Its versions, newest first: ``{"version", "aliases", "artifact" (the source version), ...}``."""
        return list(self._api._json(f"orgs/{self.entity}/registry/{self.name}")["versions"])

    def artifact(self, alias: str = "latest") -> Artifact:
        """The artifact version that ``alias`` (or ``vN``) names, ready to ``download()``."""
        from ._log import fetch_version

        return fetch_version(self._api, self.entity, "registry", self.name, alias)

    def __repr__(self) -> str:
        return f"<RegisteredModel {self.path} ({self.type})>"


def registered_models(api: Any, entity: Optional[str] = None) -> list[RegisteredModel]:
    org = entity or api.default_entity
    if not org:
        raise UsageError("no organisation: pass entity= or set CAIRN_ORG")
    return [RegisteredModel(api, org, m) for m in api._json(f"orgs/{org}/registry/")["results"]]
