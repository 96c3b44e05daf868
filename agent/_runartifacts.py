"""W&B's artifact methods of ``Run``, mixed into it: each hands the work to ``agent/_artifacts``.

That package is imported on the first call, so ``import agent`` does not pay for it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


class RunArtifacts:
    """``log_artifact``, ``use_artifact``, ``log_model``, ``use_model``, ``link_artifact``, ``link_model`` (docs/artifacts.md)."""

    def log_artifact(self, artifact_or_path: Any, name: Optional[str] = None, type: Optional[str] = None,
                     aliases: Optional[list[str]] = None, tags: Optional[list[str]] = None) -> Any:
        """Log an ``Artifact`` (or a file or folder) as this run's output; uploaded in the background."""
        from ._artifacts import log_artifact

        return log_artifact(self, artifact_or_path, name=name, type=type, aliases=aliases, tags=tags)

    def use_artifact(self, artifact_or_name: Any, type: Optional[str] = None,
                     aliases: Optional[list[str]] = None, use_as: Optional[str] = None) -> Any:
        """Fetch an artifact version (``"name:alias"``) and record it as this run's input."""
        from ._artifacts import use_artifact

        return use_artifact(self, artifact_or_name, type=type, aliases=aliases, use_as=use_as)

    def log_model(self, path: str, name: Optional[str] = None, aliases: Optional[list[str]] = None) -> Any:
        from ._artifacts import log_model

        return log_model(self, path, name=name, aliases=aliases)

    def use_model(self, name: str) -> str:
        from ._artifacts import use_model

        return use_model(self, name)

    def link_artifact(self, artifact: Any, target_path: str, aliases: Optional[list[str]] = None) -> Any:
        """Link a logged artifact version into the organisation's model registry (``"registry/<name>"``).

        Waits for the version's upload, then asks the server (not offline).
        """
        from ._artifacts import link_artifact

        return link_artifact(self, artifact, target_path, aliases=aliases)

    def link_model(self, path: Any, registered_model_name: str, name: Optional[str] = None,
                   aliases: Optional[list[str]] = None) -> Any:
        """Log a model (a path, or an ``Artifact``) and link it into the registered model ``registered_model_name``."""
        from ._artifacts import link_model

        return link_model(self, path, registered_model_name, name=name, aliases=aliases)

