"""What the reports API takes and gives, for the OpenAPI schema (apps/core/schema.py).

Only descriptions: the views build their answers as dicts (apps/reports/selectors.py).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from apps.core.schema import flag_query, path_param, text_query
from apps.reports.blocks import MAX_BLOCKS, MAX_TEXT, PANEL_KINDS
from apps.reports.models import ReportVisibility
from apps.reports.services import MAX_COMMENT

KEY = path_param("key", "The report's id (16 characters).", r"^[\w-]+$")
BLOCK = path_param("block", "A block's id.", r"^[^/]+$")
DRAFT = flag_query("draft", "1: the draft instead of the published version (editors; 404 for others).")
BLOCKS_QUERY = text_query("blocks", "Comma-separated block ids; default every panel.")
MEDIA_ID = path_param("media_id", "The media item's id.", integer=True)
NUMBER = path_param("number", "The version's number.", integer=True)
WHAT = OpenApiParameter(
    "what", {"type": "string", "enum": ["thumbnail", "file"]}, location=OpenApiParameter.PATH, required=True,
    description="The thumbnail, or the file (images, video, audio).",
)
EXPORT_FORMAT = OpenApiParameter(
    "fmt", {"type": "string", "enum": ["html", "pdf"]}, location=OpenApiParameter.PATH, required=True,
    description="html: one self-contained file; pdf: made from it by WeasyPrint.",
)

_PANEL = {
    "type": "object",
    "description": f"`kind` ({', '.join(PANEL_KINDS)}), `title`, a `runset` and the kind's fields (docs/protocol.md, Reports).",
    "properties": {"kind": {"type": "string", "enum": list(PANEL_KINDS)}, "title": {"type": "string"}},
    "required": ["kind"],
}
_BLOCK_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_TEXT_BLOCK = {
    "type": "object", "title": "TextBlock",
    "properties": {"id": _BLOCK_ID, "type": {"type": "string", "enum": ["text"]},
                   "text": {"type": "string", "maxLength": MAX_TEXT, "description": "Markdown."}},
    "required": ["type"], "additionalProperties": False,
}

_PANEL_BLOCK = {
    "type": "object", "title": "PanelBlock",
    "properties": {"id": _BLOCK_ID, "type": {"type": "string", "enum": ["panel"]}, "panel": _PANEL},
    "required": ["type", "panel"], "additionalProperties": False,
}
BLOCK_SCHEMA = {"oneOf": [_TEXT_BLOCK, _PANEL_BLOCK]}
_BLOCK_OUT = {
    "type": "object",
    "description": "A text block (`html`: its sanitised rendering) or a panel block (`error` while incomplete).",
    "properties": {
        "id": {"type": "string"}, "type": {"type": "string", "enum": ["text", "panel"]}, "text": {"type": "string"},
        "html": {"type": "string"}, "panel": {"type": "object", "additionalProperties": {}},
        "error": {"type": "object", "properties": {"message": {"type": "string"}, "field": {"type": "string", "nullable": True}}},
    },
    "required": ["id", "type"],
}


@extend_schema_field({"type": "array", "items": BLOCK_SCHEMA, "maxItems": MAX_BLOCKS})
class BlocksField(serializers.ListField):
    pass


@extend_schema_field({"type": "array", "items": _BLOCK_OUT})
class BlocksOutField(serializers.ListField):
    pass


@extend_schema_field(BLOCK_SCHEMA)
class BlockField(serializers.JSONField):
    pass


class ReportSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    project = serializers.CharField(help_text="`org/project`.")
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    visibility = serializers.ChoiceField(choices=ReportVisibility.choices)
    allow_indexing = serializers.BooleanField()
    author = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    published_version = serializers.IntegerField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    frozen = serializers.BooleanField()
    url = serializers.CharField(help_text="The report's page: `/r/{id}/` when public.")


class ReportListSerializer(serializers.Serializer):
    results = ReportSummarySerializer(many=True)


class VersionContentSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    description_html = serializers.CharField(allow_blank=True)
    blocks = BlocksOutField()
    frozen = serializers.BooleanField()
    published_at = serializers.DateTimeField()
    published_by = serializers.CharField(allow_null=True)


class DraftContentSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    description_html = serializers.CharField(allow_blank=True)
    blocks = BlocksOutField()
    frozen = serializers.BooleanField()
    updated_at = serializers.DateTimeField()
    updated_by = serializers.CharField(allow_null=True)


class ReportSerializer(ReportSummarySerializer):
    published = VersionContentSerializer(allow_null=True)
    can_edit = serializers.BooleanField()
    draft = DraftContentSerializer(required=False, help_text="Editors only.")


_TITLE = r"\S"  # not only white space


class ReportCreateSerializer(serializers.Serializer):
    title = serializers.RegexField(_TITLE, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000, help_text="Markdown.")
    blocks = BlocksField(required=False, help_text="Checked strictly: every panel complete.")


class ReportUpdateSerializer(serializers.Serializer):
    title = serializers.RegexField(_TITLE, max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    blocks = BlocksField(required=False, help_text="Autosave: an incomplete panel is kept with an `error`.")
    visibility = serializers.ChoiceField(
        choices=ReportVisibility.choices, required=False,
        help_text="Back to draft (the author only), or between org and public once published.",
    )
    allow_indexing = serializers.BooleanField(required=False)


class BlockAppendSerializer(serializers.Serializer):
    block = BlockField(help_text="Checked strictly; without an `id` it gets one.")


class PublishSerializer(serializers.Serializer):
    visibility = serializers.ChoiceField(choices=["org", "public"], required=False, help_text="Default: org.")
    frozen = serializers.BooleanField(required=False, help_text="Compute every panel's data now and keep it with the version.")


PANEL_DATA = {
    "type": "object", "additionalProperties": {}, "properties": {"kind": {"type": "string", "enum": list(PANEL_KINDS)}},
    "description": "What the panel shows (docs/protocol.md, Reports); non-finite numbers as strings.",
}


@extend_schema_field(PANEL_DATA)
class PanelDataField(serializers.JSONField):
    pass


class PanelsDataSerializer(serializers.Serializer):
    panels = serializers.DictField(child=PanelDataField(), help_text="By block id; unknown ids are left out.")


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    frozen = serializers.BooleanField()
    published_at = serializers.DateTimeField()
    published_by = serializers.CharField(allow_null=True)
    current = serializers.BooleanField()


class VersionListSerializer(serializers.Serializer):
    results = VersionSerializer(many=True)


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(allow_null=True)
    body = serializers.CharField()
    html = serializers.CharField()
    created_at = serializers.DateTimeField()


class CommentListSerializer(serializers.Serializer):
    results = CommentSerializer(many=True)


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.RegexField(_TITLE, max_length=MAX_COMMENT, help_text="Markdown.")
