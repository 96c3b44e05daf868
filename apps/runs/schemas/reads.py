"""What the web app's reads take and give (charts, the runs table, media), for the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.validation import MAX_TAG_LENGTH, MAX_TAGS
from apps.runs import groups, table, workspace
from apps.runs import media as run_media
from apps.runs.models import (
    MediaKind,
    MediaStatus,
    RunState,
)
from apps.runs.schemas import (
    SeriesSerializer,
)

# --- Charts --------------------------------------------------------------------


class KeyInfoSerializer(serializers.Serializer):
    key = serializers.CharField()
    numeric = serializers.BooleanField()
    runs = serializers.IntegerField(min_value=0, help_text="Runs that logged it.")


class KeyListSerializer(serializers.Serializer):
    keys = KeyInfoSerializer(many=True)


class RunSeriesSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    state = serializers.ChoiceField(choices=RunState.choices)
    last_step = serializers.IntegerField(allow_null=True)
    series = serializers.DictField(child=SeriesSerializer())


class ProjectHistorySerializer(serializers.Serializer):
    runs = serializers.DictField(child=RunSeriesSerializer(), help_text="By run id; runs that do not exist are left out.")


class AggregateSerializer(serializers.Serializer):
    steps = serializers.ListField(child=serializers.IntegerField(), help_text="Each point's first step on the common grid.")
    mean = serializers.ListField(child=serializers.FloatField())
    min = serializers.ListField(child=serializers.FloatField())
    max = serializers.ListField(child=serializers.FloatField())
    runs = serializers.ListField(child=serializers.IntegerField(min_value=1), help_text="Runs with a value at the point.")


class GroupHistorySerializer(serializers.Serializer):
    group = serializers.CharField()
    run_count = serializers.IntegerField(min_value=1, help_text="The group's runs.")
    aggregated = serializers.IntegerField(min_value=1, help_text=f"The first runs created, at most {groups.MAX_RUNS}.")
    max_runs = serializers.IntegerField(min_value=1)
    series = serializers.DictField(child=AggregateSerializer(), help_text="By key.")


class WorkspacePanelSerializer(serializers.Serializer):
    id = serializers.CharField(min_length=1, max_length=64)
    type = serializers.ChoiceField(
        choices=list(workspace.PANEL_TYPES), required=False,
        help_text="line (default): metrics over steps; scatter, parallel, importance: the runs' config and summary.",
    )
    key = serializers.CharField(min_length=1, max_length=256, help_text="The panel's title and first key.")
    keys = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=256), required=False,
        max_length=workspace.MAX_PANEL_KEYS,
        help_text="Line: the metrics drawn; others: table column ids (config.lr, summary.loss).",
    )
    regex = serializers.CharField(
        min_length=1, max_length=256, required=False,
        help_text="Line: draw every numeric key this (JavaScript) regular expression matches.",
    )
    x = serializers.RegexField(
        rf"^(step|time|relative|metric:.{{1,{workspace.MAX_METRIC_KEY}}})$", required=False,
        help_text="step (default), time, relative or metric:<key>.",
    )
    smoothing = serializers.FloatField(required=False, min_value=0, max_value=0.999999)
    log = serializers.BooleanField(required=False)
    size = serializers.ChoiceField(choices=list(workspace.PANEL_SIZES), required=False)


class WorkspaceSaveSerializer(serializers.Serializer):
    panels = WorkspacePanelSerializer(  # type: ignore[call-arg]  # passed on to the ListSerializer
        many=True, required=False, max_length=workspace.MAX_PANELS, help_text="Ids unique.",
    )
    hidden = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=256), required=False, max_length=workspace.MAX_KEYS,
        help_text="Keys whose automatic panel was removed.",
    )
    sections = serializers.DictField(
        child=serializers.BooleanField(), required=False,
        help_text="Open (true) or collapsed (false), by section name: a key's prefix before '/', '' for none.",
    )


class WorkspaceSerializer(serializers.Serializer):
    panels = WorkspacePanelSerializer(many=True)
    hidden = serializers.ListField(child=serializers.CharField())
    sections = serializers.DictField(child=serializers.BooleanField())
    saved = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField(allow_null=True)
    can_write = serializers.BooleanField()


class WorkspaceWithKeysSerializer(WorkspaceSerializer):
    keys = KeyInfoSerializer(many=True)


# --- The runs table --------------------------------------------------------------


class ColumnSerializer(serializers.Serializer):
    id = serializers.CharField()
    source = serializers.ChoiceField(choices=["run", "config", "summary"])  # type: ignore[assignment]
    path = serializers.ListField(child=serializers.CharField())
    label = serializers.CharField()  # type: ignore[assignment]
    sortable = serializers.BooleanField()


class TableRowSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    state = serializers.ChoiceField(choices=RunState.choices)
    values = serializers.DictField(child=serializers.JSONField(), help_text="By column id.")
    duplicate_of = serializers.CharField(
        allow_null=True, help_text="Another finished run of the project with the same experiment fingerprint "
        "(the first to finish), or null: this run repeats it.",
    )


class TablePageSerializer(serializers.Serializer):
    count = serializers.IntegerField(required=False, min_value=0, help_text="Not with `ids`.")
    offset = serializers.IntegerField(required=False, min_value=0)
    limit = serializers.IntegerField(required=False, min_value=1)
    columns = ColumnSerializer(many=True)
    results = TableRowSerializer(many=True)


class TableKeysSerializer(serializers.Serializer):
    run = ColumnSerializer(many=True)
    config = ColumnSerializer(many=True)
    summary = ColumnSerializer(many=True)


class TableViewSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField(), max_length=table.MAX_COLUMNS, help_text="Column ids.")


class GroupStatsSerializer(serializers.Serializer):
    n = serializers.IntegerField(min_value=0, help_text="Finite values counted.")
    mean = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


class GroupSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="The group's value (null: none).")
    count = serializers.IntegerField(min_value=0)
    filter = serializers.CharField(allow_null=True, help_text="The filter selecting the group's runs, when one can spell it.")
    metrics = serializers.DictField(child=GroupStatsSerializer())


class TableGroupsSerializer(serializers.Serializer):
    by = serializers.CharField()
    metrics = ColumnSerializer(many=True)
    groups = GroupSerializer(many=True)


class TableBulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["tag", "untag", "delete"])
    runs = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=table.MAX_BULK)
    tags = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=MAX_TAG_LENGTH), required=False, max_length=MAX_TAGS,
        help_text="For tag and untag: at least one.",
    )


class TableBulkDoneSerializer(serializers.Serializer):
    updated = serializers.IntegerField(required=False, min_value=0)
    deleted = serializers.IntegerField(required=False, min_value=0)


# --- Media -------------------------------------------------------------------------


class MediaCellSerializer(serializers.Serializer):
    thumbnail_url = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=MediaStatus.choices)
    error = serializers.CharField(allow_blank=True)


class MediaItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    run = serializers.CharField()
    key = serializers.CharField()
    step = serializers.IntegerField()
    index = serializers.IntegerField(min_value=0)
    kind = serializers.ChoiceField(choices=MediaKind.choices)
    path = serializers.CharField()
    caption = serializers.CharField(allow_blank=True)
    meta = serializers.DictField(child=serializers.JSONField())
    status = serializers.ChoiceField(choices=MediaStatus.choices)
    error = serializers.CharField(allow_blank=True)
    content_type = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    duration = serializers.FloatField(allow_null=True)
    processed_at = serializers.DateTimeField(allow_null=True)
    file_url = serializers.CharField()
    thumbnail_url = serializers.CharField(allow_null=True)
    html_url = serializers.CharField(allow_null=True)
    cells = serializers.DictField(child=MediaCellSerializer(), required=False, help_text="Tables: their image cells, by path.")


class MediaPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)
    offset = serializers.IntegerField(min_value=0)
    next_offset = serializers.IntegerField(allow_null=True)
    step = serializers.IntegerField(allow_null=True)
    results = MediaItemSerializer(many=True)


class MediaKeySerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=[*MediaKind.values, run_media.HISTOGRAM])
    count = serializers.IntegerField(min_value=0)
    steps = serializers.IntegerField(allow_null=True)
    min_step = serializers.IntegerField(allow_null=True)
    max_step = serializers.IntegerField(allow_null=True)
    first = MediaPageSerializer(required=False, help_text="With `first`: the newest step's first items.")


class MediaKeyListSerializer(serializers.Serializer):
    keys = MediaKeySerializer(many=True)


class MediaStepsSerializer(serializers.Serializer):
    steps = serializers.ListField(child=serializers.IntegerField())
    count = serializers.IntegerField(min_value=0)
    sampled = serializers.BooleanField()


class HistogramsSerializer(serializers.Serializer):
    key = serializers.CharField()
    count = serializers.IntegerField(min_value=0)
    sampled = serializers.BooleanField()
    steps = serializers.ListField(child=serializers.IntegerField())
    edges = serializers.ListField(child=serializers.FloatField())
    counts = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    max = serializers.FloatField()
    skipped = serializers.IntegerField(min_value=0)


class RunMediaAtStepSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    step = serializers.IntegerField(allow_null=True)
    items = MediaItemSerializer(many=True)


class ProjectMediaSerializer(serializers.Serializer):
    key = serializers.CharField()
    steps = serializers.ListField(child=serializers.IntegerField())
    runs = serializers.DictField(child=RunMediaAtStepSerializer(), help_text="By run id.")
