"""What the runs API takes and gives, for the OpenAPI schema (apps/core/schema.py).

Only descriptions: the views build their answers as plain dicts
(apps/runs/serializers.py and the selectors). The limits come from the
constants the code enforces, so the schema cannot drift from them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from apps.core.schema import NO_NUL, enum_query, int_query, path_param, slug_path, text_query
from apps.core.validation import MAX_TAG_LENGTH, MAX_TAGS
from apps.runs import groups, selectors, workspace
from apps.runs.models import (
    RUN_ID_PATTERN,
    WRITER_ID_PATTERN,
    RunState,
    Visibility,
)

# --- Parameters --------------------------------------------------------------

ORG = slug_path("org", "The organisation's slug (any case).")
PROJECT = slug_path("project", "The project's slug (any case).")
RUN_ID = path_param("run_id", "The run's id, chosen by the client: 1-64 of A-Z, a-z, 0-9, '_', '-'.", RUN_ID_PATTERN)
PROJECT_PATH = [ORG, PROJECT]
RUN_PATH = [ORG, PROJECT, RUN_ID]
FILE_PATH = path_param(
    "path", "The file's path in the run, with '/' separators: no '..', '.', empty segments, "
    "backslashes, control characters or leading '/'; at most 1024 characters.",
    r"^(?![A-Za-z]:)(?!.*(^|/)\.{1,2}(/|$))[^/\\\x00-\x1f\x7f](?:[^\\\x00-\x1f\x7f]{0,1022}[^/\\\x00-\x1f\x7f])?$",
)
GROUP = path_param(
    "group", f"The group's name as its runs logged it (`init(group=...)`), URL-encoded: 1-{groups.MAX_LENGTH} characters.",
    NO_NUL, max_length=groups.MAX_LENGTH,
)
MEDIA_ID = path_param("media_id", "The media item's id (`id` in a media read).", integer=True)

FILTER = text_query("filter", "The filter language (docs/protocol.md), e.g. `config.lr < 0.001 and state = \"finished\"`.")
ORDER = text_query("order", "Comma-separated fields, `-` for descending, e.g. `-summary.acc,created_at`.")
KEYS = text_query("keys", "Comma-separated keys; default every key.")
SAMPLES = int_query("samples", "Points per series.", default=1000, minimum=1, maximum=selectors.MAX_SAMPLES)
MIN_STEP = int_query("min_step", "Zoom: the first step, inclusive.")
MAX_STEP = int_query("max_step", "Zoom: the last step, inclusive.")
EXPORT_MIN_STEP = int_query("min_step", "Only rows from this step on, inclusive.")
EXPORT_MAX_STEP = int_query("max_step", "Only rows up to this step, inclusive.")
OFFSET = int_query("offset", "Items to skip.", default=0)
WRITER = text_query(
    "writer", "One writer's lines only: its id or label (see the run's writers).", max_length=64, pattern=f"^{WRITER_ID_PATTERN}$"
)
WRITER_OFFSET = int_query(
    "writer_offset", "Start at the writer's line of this number, counting only its lines (its `streams.console` in the "
    "writers list is how many it has), instead of at `offset`; without `writer`, the same as `offset`.",
)
NUMERIC_STREAM = enum_query("stream", ("history", "system"), "The stream read.", default="history")
RUNS = text_query("runs", f"Comma-separated run ids, at most {workspace.MAX_RUNS}.", required=True)
COLUMNS = text_query("columns", "Comma-separated column ids (docs/protocol.md, the runs table); default the saved layout.")
EXPORT_FORMAT = enum_query("format", ("jsonl", "csv"), "JSON lines or CSV.", default="jsonl")
MEDIA_KEY = text_query("key", "The media key, as logged.", required=True)


def limit(default: int, maximum: int) -> OpenApiParameter:
    return int_query("limit", "Items per page.", default=default, minimum=1, maximum=maximum)


# --- Projects and runs ---------------------------------------------------------


class ProjectSerializer(serializers.Serializer):
    org = serializers.CharField()
    slug = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField(allow_null=True)
    run_count = serializers.IntegerField(required=False, help_text="In lists and single reads; not after an update.")


class ProjectListSerializer(serializers.Serializer):
    results = ProjectSerializer(many=True)


class ProjectCreateSerializer(serializers.Serializer):
    slug = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", help_text="1-64 of a-z, 0-9, '_', '.', '-' (stored lower case)."
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Default: the slug.")
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False, help_text="Default: private.")


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class StreamOffsetsSerializer(serializers.Serializer):
    history = serializers.IntegerField(min_value=0)
    system = serializers.IntegerField(min_value=0)
    console = serializers.IntegerField(min_value=0)


class RunSerializer(serializers.Serializer):
    id = serializers.CharField()
    project = serializers.CharField(help_text="`org/project`.")
    name = serializers.CharField(allow_blank=True)
    state = serializers.ChoiceField(choices=RunState.choices)
    user = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    heartbeat_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    runtime = serializers.FloatField(help_text="Seconds.")
    exit_code = serializers.IntegerField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    notes = serializers.CharField(allow_blank=True)
    group = serializers.CharField(allow_blank=True)
    job_type = serializers.CharField(allow_blank=True)
    sweep = serializers.CharField(allow_null=True, help_text="The id of the sweep that handed the run out (docs/sweeps.md).")
    config = serializers.DictField(child=serializers.JSONField())
    summary = serializers.DictField(child=serializers.JSONField())
    system = serializers.DictField(child=serializers.JSONField())
    streams = StreamOffsetsSerializer(help_text="Per stream, the offset the server expects next.")
    last_step = serializers.IntegerField(allow_null=True)
    shared = serializers.BooleanField(help_text="Written by several processes on purpose (docs/distributed.md).")
    url = serializers.URLField(help_text="The run's page.")


def _writer_id(**kwargs: Any) -> serializers.RegexField:
    kwargs.setdefault("help_text", "The writer: one id per process appending to the run (docs/protocol.md, Writers).")
    return serializers.RegexField(rf"^{WRITER_ID_PATTERN}$", max_length=64, **kwargs)


class WriterSerializer(serializers.Serializer):
    id = _writer_id()
    label = serializers.CharField(allow_blank=True)  # type: ignore[assignment]  # a field named like Field.label
    host = serializers.CharField(allow_blank=True)
    pid = serializers.IntegerField(allow_null=True)
    primary = serializers.BooleanField()
    shared = serializers.BooleanField()
    state = serializers.ChoiceField(choices=RunState.choices)
    created_at = serializers.DateTimeField()
    heartbeat_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    exit_code = serializers.IntegerField(allow_null=True)
    streams = StreamOffsetsSerializer(help_text="Per stream, the offset the server expects next from this writer.")


class WriterListSerializer(serializers.Serializer):
    results = WriterSerializer(many=True)


class RunUpsertedSerializer(RunSerializer):
    writer = WriterSerializer(required=False, help_text="When the request named a writer: it, with its offsets.")
    other_writers = WriterSerializer(
        many=True, required=False, help_text="When the request named a writer: the run's other writers heard from in the last minute."
    )


class WriterDeclarationSerializer(serializers.Serializer):
    id = _writer_id()
    label = _writer_id(  # type: ignore[assignment]  # a field named like Field.label
        required=False, allow_null=True, help_text="Shown for it: rank-0, gpu01... (the same characters as an id)."
    )
    host = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=255)
    pid = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**63 - 1)
    primary = serializers.BooleanField(required=False, allow_null=True, help_text="Its finish finishes a shared run; its death crashes it.")
    shared = serializers.BooleanField(required=False, allow_null=True, help_text="The run is written by several processes on purpose.")


class RunStorageSerializer(serializers.Serializer):
    chunks = serializers.IntegerField(min_value=0)
    bytes = serializers.IntegerField(min_value=0)


class RunDetailSerializer(RunSerializer):
    storage = RunStorageSerializer(help_text="What the run's streams take in the database.")


class RunPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    results = RunSerializer(many=True)


def _text(max_length: int, help_text: str = "") -> serializers.CharField:
    return serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=max_length, help_text=help_text)


class RunFieldsSerializer(serializers.Serializer):
    name = _text(200)
    notes = _text(100_000)
    group = _text(128)
    job_type = _text(64)
    tags = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=MAX_TAG_LENGTH), max_length=MAX_TAGS,
        required=False, allow_null=True, help_text="Replaces the stored tags.",
    )
    config = serializers.DictField(required=False, allow_null=True, child=serializers.JSONField())
    summary = serializers.DictField(
        required=False, allow_null=True, child=serializers.JSONField(),
        help_text="Keys the client sets are no longer overwritten by the last logged value.",
    )
    system = serializers.DictField(required=False, allow_null=True, child=serializers.JSONField())


class RunUpsertSerializer(RunFieldsSerializer):
    resume = serializers.ChoiceField(
        choices=["allow", "must", "never"], required=False, allow_null=True,
        help_text="allow (default): create or resume; must: 404 when it does not exist; never: 409 when it does.",
    )
    benchmark = serializers.JSONField(
        required=False, help_text="`owner/slug`: enter the run in that benchmark when it finishes. One the caller "
        "cannot see or enter (or not a string) is ignored, never failing the run.",
    )
    sweep = serializers.JSONField(
        required=False, help_text="The id of the sweep whose agent started the run (docs/sweeps.md): the sweep's "
        "suggestion of this run id takes the run. Anything else is ignored, never failing the run.",
    )
    writer = WriterDeclarationSerializer(
        required=False, allow_null=True, help_text="The process asking (docs/protocol.md, Writers)."
    )


class RunUpdateSerializer(RunFieldsSerializer):
    """`config`, `summary` and `system` are merged in (a key set to null is removed)."""


class RunStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RunState.choices)


class WriterOnlySerializer(serializers.Serializer):
    writer = _writer_id(required=False, allow_null=True)


class RunFinishSerializer(serializers.Serializer):
    writer = _writer_id(
        required=False, allow_null=True, help_text="The writer finishing. In a shared run, the run finishes with its "
        "primary writer, or with the last one when none is primary.",
    )
    exit_code = serializers.IntegerField(required=False, allow_null=True, min_value=-(2**31), max_value=2**31 - 1)
    state = serializers.ChoiceField(
        choices=["finished", "failed", "crashed"], required=False, allow_null=True,
        help_text="Default: finished for exit code 0, else failed.",
    )


class EmptySerializer(serializers.Serializer):
    """An empty object, `{}`."""

    class Meta:
        ref_name = "Empty"


# --- Streams -------------------------------------------------------------------


class HistoryRecordSerializer(serializers.Serializer):
    step = serializers.IntegerField(min_value=0, max_value=2**63 - 1)
    time = serializers.FloatField(help_text="Unix seconds.")
    data = serializers.DictField(  # type: ignore[assignment]  # a field named like Serializer.data
        child=serializers.JSONField(),
        help_text="Flat keys; a number, boolean, string, null or an object such as a media reference.",
    )


class SystemRecordSerializer(serializers.Serializer):
    step = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1, help_text="Default: the record's offset.")
    time = serializers.FloatField(help_text="Unix seconds.")
    data = serializers.DictField(child=serializers.JSONField())  # type: ignore[assignment]


class ConsoleRecordSerializer(serializers.Serializer):
    time = serializers.FloatField(help_text="Unix seconds.")
    stream = serializers.ChoiceField(choices=["stdout", "stderr"])
    line = serializers.CharField(allow_blank=True)


def _batch(name: str, record: type[serializers.Serializer]) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {
        "__doc__": "Records from `offset` on; a batch is stored whole or not at all.",
        "offset": serializers.IntegerField(min_value=0, help_text="The stream offset of the first record (the writer's own, when `writer` is given)."),
        "writer": _writer_id(required=False, allow_null=True),
        "records": record(many=True),
    })


HistoryBatchSerializer = _batch("HistoryBatchSerializer", HistoryRecordSerializer)
SystemBatchSerializer = _batch("SystemBatchSerializer", SystemRecordSerializer)
ConsoleBatchSerializer = _batch("ConsoleBatchSerializer", ConsoleRecordSerializer)


class AppendedSerializer(serializers.Serializer):
    next_offset = serializers.IntegerField(min_value=0)
    stored = serializers.IntegerField(min_value=0, help_text="0 when the batch was stored already.")


class SeriesSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0, help_text="Values logged.")
    sampled = serializers.BooleanField(help_text="True: each point stands for a bucket of steps.")
    steps = serializers.ListField(child=serializers.IntegerField())
    values = serializers.ListField(child=serializers.JSONField(), help_text="Means of finite values (numbers), or the values.")
    min = serializers.ListField(child=serializers.FloatField(allow_null=True), required=False)
    max = serializers.ListField(child=serializers.FloatField(allow_null=True), required=False)


class HistorySerializer(serializers.Serializer):
    series = serializers.DictField(child=SeriesSerializer())


class ConsoleLineSerializer(serializers.Serializer):
    offset = serializers.IntegerField(min_value=0)
    writer = serializers.CharField(allow_null=True, help_text="The label (or id) of the writer of the line; null when it sent none.")
    time = serializers.FloatField()
    stream = serializers.ChoiceField(choices=["stdout", "stderr"])
    line = serializers.CharField(allow_blank=True)


class ConsoleSerializer(serializers.Serializer):
    lines = ConsoleLineSerializer(many=True)
    next_offset = serializers.IntegerField(min_value=0)


class RunFileSerializer(serializers.Serializer):
    path = serializers.CharField()
    size = serializers.IntegerField(min_value=0)
    sha256 = serializers.CharField()
    content_type = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField()


class RunFileListSerializer(serializers.Serializer):
    results = RunFileSerializer(many=True)


SHA256_HEADER = OpenApiParameter(
    "X-Cairn-Sha256", {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}, location=OpenApiParameter.HEADER, required=True,
    description="The hex SHA-256 of the body; a mismatch is 400 and nothing is kept.",
)
BINARY = {"application/octet-stream": OpenApiTypes.BINARY}
TEXT = OpenApiResponse(OpenApiTypes.STR, "Streamed.")
REDIRECT = OpenApiResponse(None, "Object storage: a signed URL that expires, in `Location`.")
