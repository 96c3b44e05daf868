"""What the benchmarks API takes and gives, for the OpenAPI schema (apps/core/schema.py).

Only descriptions: the views build their answers as dicts (apps/benchmarks/serializers.py).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from apps.benchmarks.models import BenchmarkVisibility, Direction, SubmissionStatus
from apps.benchmarks.services import MAX_CONFIG_COLUMNS, MAX_SECONDARY
from apps.core.schema import SLUG_PATH_PATTERN, path_param, slug_path

OWNER = slug_path("owner", "The owning organisation's slug.")
SLUG = slug_path("slug", "The benchmark's slug.")
BENCHMARK_PATH = [OWNER, SLUG]
SUBMISSION_ID = path_param("submission_id", "The submission's id.", integer=True)
INVITED_ORG = slug_path("org", "The invited organisation's slug.")
EXPORT_FORMAT = OpenApiParameter(
    "fmt", {"type": "string", "enum": ["csv", "json"]}, location=OpenApiParameter.PATH, required=True,
    description="csv or json.",
)
ORG_FILTER = OpenApiParameter("org", {"type": "string"}, description="Only this organisation's entries.")
CONFIG_FILTER = OpenApiParameter(
    "config", {"type": "array", "items": {"type": "string", "pattern": "^\\s*[^=\\s\\u0000][^=\\u0000]*=[^\\u0000]*$"}}, style="form", explode=True,
    description="`key=value` on a top-level config key (the value read as JSON when it parses); repeat for several.",
)
_NONBLANK = r"\S"


class MetricSerializer(serializers.Serializer):
    name = serializers.CharField()
    key = serializers.CharField()
    direction = serializers.ChoiceField(choices=Direction.choices)


class SecondaryMetricSerializer(serializers.Serializer):
    name = serializers.CharField()
    key = serializers.CharField()


class BenchmarkSerializer(serializers.Serializer):
    owner = serializers.CharField()
    slug = serializers.CharField()
    path = serializers.CharField(help_text="`owner/slug`.")
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    rules = serializers.CharField(allow_blank=True)
    task_url = serializers.CharField(allow_blank=True)
    dataset_url = serializers.CharField(allow_blank=True)
    metric = MetricSerializer()
    precision = serializers.IntegerField(
        allow_null=True, help_text="Decimal places scores are shown with; null: six significant digits."
    )
    secondary_metrics = SecondaryMetricSerializer(many=True)
    config_columns = serializers.ListField(child=serializers.CharField())
    requires_approval = serializers.BooleanField()
    visibility = serializers.ChoiceField(choices=BenchmarkVisibility.choices)
    created_at = serializers.DateTimeField()
    url = serializers.URLField(help_text="The leaderboard page.")


class BenchmarkDetailSerializer(BenchmarkSerializer):
    can_moderate = serializers.BooleanField(help_text="Whether the caller is an admin of the owner.")


class BenchmarkListSerializer(serializers.Serializer):
    results = BenchmarkSerializer(many=True)


@extend_schema_field({
    "type": "array", "maxItems": MAX_SECONDARY,
    "items": {"oneOf": [
        {"type": "string", "pattern": _NONBLANK, "maxLength": 256},
        {"type": "object", "properties": {"name": {"type": "string", "maxLength": 200},
                                          "key": {"type": "string", "pattern": _NONBLANK, "maxLength": 256}},
         "required": ["key"]},
    ]},
})
class SecondaryMetricsField(serializers.ListField):
    pass


def _url() -> serializers.RegexField:
    return serializers.RegexField(
        r"^(\s*|\s*https?://.*)$", required=False, allow_blank=True, max_length=500, help_text="An http(s) URL, or empty."
    )


class BenchmarkFieldsSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000, help_text="Markdown.")
    rules = serializers.CharField(required=False, allow_blank=True, max_length=100_000, help_text="Markdown.")
    task_url = _url()
    dataset_url = _url()
    metric_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    precision = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=12,
        help_text="Decimal places scores are shown with (primary and secondary metrics); null: six significant digits.",
    )
    secondary_metrics = SecondaryMetricsField(required=False, help_text='Summary keys, or {"name", "key"}.')
    config_columns = serializers.ListField(
        child=serializers.RegexField(_NONBLANK, max_length=256), required=False, max_length=MAX_CONFIG_COLUMNS,
    )
    requires_approval = serializers.BooleanField(required=False)
    visibility = serializers.ChoiceField(choices=BenchmarkVisibility.choices, required=False)


class BenchmarkCreateSerializer(BenchmarkFieldsSerializer):
    org = serializers.RegexField(SLUG_PATH_PATTERN, help_text="The owning organisation (its admins only).")
    slug = serializers.RegexField(SLUG_PATH_PATTERN)
    metric_key = serializers.RegexField(_NONBLANK, max_length=256, help_text="The summary key the score is read from.")


class BenchmarkUpdateSerializer(BenchmarkFieldsSerializer):
    metric_key = serializers.RegexField(_NONBLANK, max_length=256, required=False)


class InvitesSerializer(serializers.Serializer):
    orgs = serializers.ListField(child=serializers.CharField())


class CodeSerializer(serializers.Serializer):
    commit = serializers.CharField(allow_null=True, required=False)
    dirty = serializers.BooleanField(allow_null=True, required=False)


class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_blank=True)
    org = serializers.CharField()
    submitted_by = serializers.CharField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    metrics = serializers.DictField(child=serializers.JSONField())
    config = serializers.DictField(child=serializers.JSONField())
    code = CodeSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(help_text="The shared run view.")


class LeaderboardSerializer(serializers.Serializer):
    benchmark = BenchmarkSerializer()
    count = serializers.IntegerField(min_value=0)
    offset = serializers.IntegerField(min_value=0)
    results = EntrySerializer(many=True)


class LeaderboardExportSerializer(serializers.Serializer):
    benchmark = BenchmarkSerializer()
    results = EntrySerializer(many=True)


class BestPointSerializer(serializers.Serializer):
    time = serializers.FloatField(help_text="Unix seconds.")
    score = serializers.FloatField()
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    org = serializers.CharField()


class BestOverTimeSerializer(serializers.Serializer):
    points = BestPointSerializer(many=True)


class SubmissionSerializer(EntrySerializer):
    benchmark = serializers.CharField()
    status = serializers.ChoiceField(choices=SubmissionStatus.choices)
    reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    scored_at = serializers.DateTimeField(allow_null=True)


class SubmissionListSerializer(serializers.Serializer):
    results = SubmissionSerializer(many=True)


class SharedRunSerializer(SubmissionSerializer):
    summary = serializers.DictField(child=serializers.JSONField())
    run_state = serializers.CharField(allow_blank=True)
    last_step = serializers.IntegerField(allow_null=True)


class SubmitSerializer(serializers.Serializer):
    run = serializers.RegexField(r"^/*[^/]+/[^/]+/[^/]+/*$", help_text="`org/project/run_id`; write access to it needed.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="The entry's name.")


class ModerateSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "reject", "hide", "unhide"])
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Required to hide.")
