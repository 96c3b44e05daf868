"""What the artifacts API takes and gives, for the OpenAPI schema (apps/core/schema.py).

Only descriptions: the views build their answers as dicts (apps/artifacts/serializers.py).
"""

from __future__ import annotations

from rest_framework import serializers

from apps.artifacts.models import MAX_ALIAS_LENGTH, VersionState
from apps.artifacts.selectors import MAX_LINEAGE_DEPTH
from apps.artifacts.services import MAX_ALIASES, MAX_DESCRIPTION, MAX_DIGESTS, MAX_MANIFEST_ENTRIES
from apps.core.schema import SLUG_PATH_PATTERN, int_query, path_param, slug_path, text_query

NAME = slug_path("name", "The artifact's name (any case).")
REF = path_param(
    "ref", "A version (`v0`, `v1`...) or an alias (`latest`, `best`...).",
    r"^[^/:\u0000-\u001f\u007f]{1," + str(MAX_ALIAS_LENGTH) + "}$", max_length=MAX_ALIAS_LENGTH,
)
SHA256 = path_param("sha256", "The file's hex SHA-256.", "^[0-9a-fA-F]{64}$")
TYPE_FILTER = text_query("type", "Only artifacts of this type.", max_length=64, pattern=SLUG_PATH_PATTERN)
DEPTH = int_query("depth", "How many edges to walk each way.", default=3, minimum=1, maximum=MAX_LINEAGE_DEPTH)
SHA256_ENTRY = "^[0-9a-fA-F]{64}$"
BASE = text_query(
    "base", "The version (`v0`) or alias to compare against, of the same artifact.", required=True,
    max_length=MAX_ALIAS_LENGTH, pattern=r"^[^/:\u0000-\u001f\u007f]{1," + str(MAX_ALIAS_LENGTH) + "}$",
)
OFFSET = int_query("offset", "Where this part starts: the server's offset.", default=0, minimum=0)

class ArtifactRunRefSerializer(serializers.Serializer):
    org = serializers.CharField()
    project = serializers.CharField()
    run_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    path = serializers.CharField(help_text="`org/project/run_id`.")

class ArtifactEntrySerializer(serializers.Serializer):
    path = serializers.CharField(max_length=1024)
    digest = serializers.CharField(help_text="Hex SHA-256; for a reference, its checksum (an S3 ETag).", max_length=64)
    size = serializers.IntegerField(min_value=0)
    ref = serializers.CharField(required=False, help_text="A reference's URI (file://, s3://): tracked, not stored.")
    drifted = serializers.BooleanField(required=False, help_text="A reference whose checksum has changed or that is "
                                       "gone, at its last check (artifacts.check_references); absent if never checked.")

class ArtifactVersionSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(help_text="`name:vN`.")
    source_name = serializers.CharField()
    qualified_name = serializers.CharField(help_text="`org/project/name:vN`.")
    artifact = serializers.CharField()
    type = serializers.CharField()
    version = serializers.CharField(help_text="`vN`.")
    index = serializers.IntegerField()
    aliases = serializers.ListField(child=serializers.CharField())
    digest = serializers.CharField(help_text="The manifest's SHA-256 (docs/artifacts.md).")
    size = serializers.IntegerField()
    file_count = serializers.IntegerField()
    metadata = serializers.DictField()
    description = serializers.CharField(allow_blank=True)
    state = serializers.ChoiceField(choices=VersionState.choices)
    created_at = serializers.DateTimeField()
    logged_by = ArtifactRunRefSerializer(allow_null=True)

class ArtifactVersionDetailSerializer(ArtifactVersionSerializer):
    manifest = ArtifactEntrySerializer(many=True)
    used_by = ArtifactRunRefSerializer(many=True)

class ArtifactVersionCommitSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    type = serializers.CharField(max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_DESCRIPTION)
    metadata = serializers.DictField(required=False)
    aliases = serializers.ListField(child=serializers.CharField(max_length=MAX_ALIAS_LENGTH), required=False, max_length=MAX_ALIASES)
    run_id = serializers.CharField(required=False, allow_null=True, help_text="The run that logged it (the producer).")
    manifest = serializers.ListField(child=ArtifactEntrySerializer(), max_length=MAX_MANIFEST_ENTRIES)
    incremental = serializers.BooleanField(
        required=False, help_text="The manifest holds only what changes on top of the artifact's `latest` version."
    )
    removed = serializers.ListField(
        child=serializers.CharField(max_length=1024), required=False, max_length=MAX_MANIFEST_ENTRIES,
        help_text="Incremental only: paths (a folder: every path under it) taken out of `latest`.",
    )

class ArtifactCollectionSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    version_count = serializers.IntegerField(allow_null=True)

class ArtifactCollectionListSerializer(serializers.Serializer):
    results = ArtifactCollectionSerializer(many=True)

class ArtifactCollectionDetailSerializer(ArtifactCollectionSerializer):
    versions = ArtifactVersionSerializer(many=True)

class ArtifactDigestsSerializer(serializers.Serializer):
    digests = serializers.ListField(child=serializers.RegexField(SHA256_ENTRY), max_length=MAX_DIGESTS)

class ArtifactMissingSerializer(serializers.Serializer):
    missing = serializers.ListField(child=serializers.CharField())

class ArtifactBlobSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    created = serializers.BooleanField(help_text="False when the organisation held it already.")

class ArtifactBatchSerializer(serializers.Serializer):
    files = serializers.IntegerField(help_text="Files read from the body.")
    stored = serializers.IntegerField(help_text="Files stored now.")
    present = serializers.IntegerField(help_text="Files the organisation held already: not stored again.")
    stored_bytes = serializers.IntegerField()

class ArtifactUploadOpenSerializer(serializers.Serializer):
    sha256 = serializers.RegexField(SHA256_ENTRY)
    size = serializers.IntegerField(min_value=0)
    direct = serializers.BooleanField(
        required=False, help_text="On S3 storage, answer a presigned URL per part: the parts go straight to S3."
    )

class ArtifactUploadPartSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    size = serializers.IntegerField()
    url = serializers.CharField(help_text="A presigned PUT URL (send no Authorization header with it).")
    done = serializers.BooleanField(help_text="S3 holds this part already.")

class ArtifactUploadDirectSerializer(serializers.Serializer):
    part_size = serializers.IntegerField()
    parts = ArtifactUploadPartSerializer(many=True)

class ArtifactUploadSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField(required=False)
    offset = serializers.IntegerField(help_text="Bytes the server holds: send from here.")
    done = serializers.BooleanField(help_text="The file is stored (verified).")
    direct = ArtifactUploadDirectSerializer(
        required=False, help_text="Only when asked with `direct` on S3 storage: then POST .../complete."
    )

class ArtifactUseSerializer(serializers.Serializer):
    artifact = serializers.CharField(help_text='"org/project/name:version-or-alias".')

class RunArtifactsSerializer(serializers.Serializer):
    inputs = ArtifactVersionSerializer(many=True)
    outputs = ArtifactVersionSerializer(many=True)

class LineageRegistryNodeSerializer(serializers.Serializer):
    org = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    version = serializers.CharField(help_text="The registry's version (`vN`), not the artifact's.")
    path = serializers.CharField(help_text="`org/registry/name`.")
    aliases = serializers.ListField(child=serializers.CharField())

class ArtifactLineageNodeSerializer(serializers.Serializer):
    id = serializers.CharField(
        help_text="`run:org/project/run_id`, `artifact:org/project/name:vN` or `registry:org/registry/name:vN`."
    )
    kind = serializers.ChoiceField(choices=["run", "artifact", "registry"])
    run = ArtifactRunRefSerializer(required=False)
    artifact = ArtifactVersionSerializer(required=False)
    registry = LineageRegistryNodeSerializer(required=False)

class ArtifactLineageEdgeSerializer(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment]
    target = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["logged", "used", "linked"],
        help_text="run -> artifact (logged), artifact -> run (used), artifact -> registered model's version (linked).",
    )

class ArtifactLineageSerializer(serializers.Serializer):
    root = serializers.CharField()  # type: ignore[assignment]
    nodes = ArtifactLineageNodeSerializer(many=True)
    edges = ArtifactLineageEdgeSerializer(many=True)
    truncated = serializers.BooleanField(help_text="More nodes than the limit: the walk stopped early.")


class ArtifactDiffEntrySerializer(serializers.Serializer):
    path = serializers.CharField()
    digest = serializers.CharField()
    size = serializers.IntegerField()

class ArtifactDiffChangeSerializer(serializers.Serializer):
    path = serializers.CharField()
    old_digest = serializers.CharField()
    new_digest = serializers.CharField()
    old_size = serializers.IntegerField()
    new_size = serializers.IntegerField()

class ArtifactDiffFilesSerializer(serializers.Serializer):
    added = ArtifactDiffEntrySerializer(many=True)
    removed = ArtifactDiffEntrySerializer(many=True)
    changed = ArtifactDiffChangeSerializer(many=True, help_text="The same path, another digest.")
    unchanged = serializers.IntegerField(help_text="How many files are the same in both.")

class ArtifactDiffMetadataSerializer(serializers.Serializer):
    added = serializers.DictField(help_text="Top-level keys only in the target, with their values.")
    removed = serializers.DictField(help_text="Top-level keys only in the base, with their values.")
    changed = serializers.DictField(help_text='key -> {"old": ..., "new": ...}.')

class ArtifactDiffSerializer(serializers.Serializer):
    base = ArtifactVersionSerializer()
    target = ArtifactVersionSerializer()
    files = ArtifactDiffFilesSerializer()
    size_change = serializers.IntegerField(help_text="target.size - base.size, in bytes.")
    file_count_change = serializers.IntegerField()
    metadata = ArtifactDiffMetadataSerializer()
