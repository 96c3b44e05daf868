"""Artifacts: versioned files with lineage, as W&B's (docs/artifacts.md).

``_artifact`` has ``Artifact``; ``_manifest`` its entries and digests; ``_cache``
the download cache shared between runs; ``_log`` what ``Run`` calls; ``_upload``
what the background process does with a logged version.
"""

from __future__ import annotations

from ._artifact import Artifact
from ._cache import ArtifactError
from ._log import fetch_version, log_artifact, log_model, use_artifact, use_model
from ._manifest import ArtifactManifest, ArtifactManifestEntry
from ._registry import link_artifact, link_model

__all__ = [
    "Artifact",
    "ArtifactError",
    "ArtifactManifest",
    "ArtifactManifestEntry",
    "fetch_version",
    "link_artifact",
    "link_model",
    "log_artifact",
    "log_model",
    "use_artifact",
    "use_model",
]
