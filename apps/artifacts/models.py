"""Artifacts (docs/artifacts.md): versioned manifests of content-addressed files, with lineage.

An artifact (W&B's "artifact collection") belongs to a project; its versions
v0, v1, ... are immutable manifests of path -> blob. Blobs are stored once
per organisation by SHA-256, whatever versions refer to them. Lineage: a
version's `created_by` run produced it; `ArtifactUse` rows say which runs
consumed it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.core.fields import NonFiniteJSONField
from apps.orgs.models import Organization
from apps.runs.models import Project, Run

MAX_ALIAS_LENGTH = 128
MAX_TYPE_LENGTH = 64


class VersionState(models.TextChoices):
    PENDING = "PENDING"
    COMMITTED = "COMMITTED"


class Blob(models.Model):
    """A file's bytes, once per organisation (not global: no cross-tenant inference)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="artifact_blobs")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    storage_name = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "sha256"], name="blob_unique_in_org")]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.sha256}"


class ArtifactCollection(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(max_length=64)
    type = models.CharField(max_length=MAX_TYPE_LENGTH)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="artifact_name_unique_in_project")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.name}"


class ArtifactVersion(models.Model):
    collection = models.ForeignKey(ArtifactCollection, on_delete=models.CASCADE, related_name="versions")
    index = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    metadata = NonFiniteJSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="artifacts_logged"
    )
    state = models.CharField(max_length=16, choices=VersionState.choices, default=VersionState.COMMITTED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "index"], name="artifact_version_index_unique"),
            models.UniqueConstraint(fields=["collection", "digest"], name="artifact_version_digest_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.collection_id}:{self.version}"

    @property
    def version(self) -> str:
        return f"v{self.index}"


class ArtifactAlias(models.Model):
    collection = models.ForeignKey(ArtifactCollection, on_delete=models.CASCADE, related_name="aliases")
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=MAX_ALIAS_LENGTH)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collection", "alias"], name="artifact_alias_unique")]

    def __str__(self) -> str:
        return self.alias


class ManifestEntry(models.Model):
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="entries")
    path = models.CharField(max_length=1024)
    digest = models.CharField(max_length=64)
    size = models.BigIntegerField()
    # A reference (file://, s3://) is tracked, not stored: no blob.
    ref = models.TextField(blank=True)
    blob = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "path"], name="manifest_path_unique")]
        indexes = [models.Index(fields=["digest"], name="manifest_digest_idx")]

    def __str__(self) -> str:
        return self.path


class ArtifactUse(models.Model):
    """An input edge: `run` used `version` (run.use_artifact)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="artifacts_used")
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="uses")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "version"], name="artifact_use_unique")]

    def __str__(self) -> str:
        return f"{self.run_id} used {self.version_id}"


# --- the model registry (docs/artifacts.md, "Model registry") --------------------


class RegisteredModel(models.Model):
    """An organisation's registered model (W&B's registry collection): versions linked from any of its projects."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="registered_models")
    name = models.CharField(max_length=64)
    type = models.CharField(max_length=MAX_TYPE_LENGTH, default="model")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="registered_model_unique_in_org")]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.name}"


class RegistryVersion(models.Model):
    """Version `v<index>` of a registered model: a link to an artifact version, not a copy."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    index = models.PositiveIntegerField()
    artifact_version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="registry_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "index"], name="registry_version_index_unique"),
            models.UniqueConstraint(fields=["registered_model", "artifact_version"], name="registry_version_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.registered_model_id}:{self.version}"

    @property
    def version(self) -> str:
        return f"v{self.index}"


class RegistryAlias(models.Model):
    """A stage or alias (`staging`, `production`, ...): on one version of the registered model at a time."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    version = models.ForeignKey(RegistryVersion, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=MAX_ALIAS_LENGTH)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registered_model", "alias"], name="registry_alias_unique")]

    def __str__(self) -> str:
        return self.alias


class RegistryAliasEvent(models.Model):
    """The audit: an alias moved (or removed) by whom and when. Versions by index, so the record outlives them."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="alias_events")
    alias = models.CharField(max_length=MAX_ALIAS_LENGTH)
    from_index = models.PositiveIntegerField(null=True, blank=True)
    to_index = models.PositiveIntegerField(null=True, blank=True)  # null: removed
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True)  # as it was, should the user go
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["registered_model", "-created_at"], name="registry_event_recent_idx")]

    def __str__(self) -> str:
        return f"{self.alias}: {self.from_index} -> {self.to_index}"


class RunFingerprint(models.Model):
    """What determined a run's result (docs/artifacts.md, "The experiment fingerprint").

    Each part is a hex SHA-256: `code`, `config` and `env` as the agent sent
    them at init, `data` from the run's inputs (kept current by `use_record`).
    `base` joins code, config and env (what `skip_if_done` asks for at init);
    `whole` joins all four.
    """

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="fingerprint_parts")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="run_fingerprints")
    code = models.CharField(max_length=64)
    config = models.CharField(max_length=64)
    env = models.CharField(max_length=64)
    data = models.CharField(max_length=64)
    base = models.CharField(max_length=64)
    whole = models.CharField(max_length=64)
    # What each part is made of: the commit, each config key's hash, the packages.
    details = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "base"], name="fingerprint_project_base"),
            models.Index(fields=["project", "whole"], name="fingerprint_project_whole"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.whole[:12]}"


class BlobCheck(models.Model):
    """The last digest verification of a stored blob (artifacts.verify_blobs)."""

    blob = models.OneToOneField(Blob, on_delete=models.CASCADE, related_name="verification")
    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.blob_id}: {'ok' if self.ok else self.detail}"


class ReferenceCheck(models.Model):
    """The last drift check of a reference entry (file://, s3://) (artifacts.check_references).

    `drifted`: the object's checksum is no longer the one the version recorded
    (`current` says what it is now), or it is gone (`current` empty).
    """

    entry = models.OneToOneField(ManifestEntry, on_delete=models.CASCADE, related_name="ref_check")
    checked_at = models.DateTimeField()
    drifted = models.BooleanField()
    current = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.entry_id}: {'drifted' if self.drifted else 'ok'}"


class BlobUpload(models.Model):
    """A resumable upload of one large blob: parts appended at `offset` (apps/artifacts/resumable.py).

    The bytes received so far are in a staging file on the web server
    (CAIRN_UPLOAD_DIR); `offset` is how many it holds.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="artifact_uploads")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    # Parts sent straight to S3 (apps/artifacts/s3direct.py): the S3 multipart upload's id.
    s3_upload_id = models.CharField(max_length=1024, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "sha256"], name="blob_upload_unique_in_org")]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.sha256}@{self.offset}"
