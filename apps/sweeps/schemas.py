"""What the sweeps API takes and gives, for the OpenAPI schema (apps/core/schema.py).

Only descriptions: the views build their answers as dicts (apps/sweeps/serializers.py).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from apps.core.schema import path_param
from apps.runs.models import RUN_ID_PATTERN
from apps.runs.schemas import PROJECT_PATH
from apps.sweeps.config import MAX_YAML_BYTES
from apps.sweeps.models import SWEEP_ID_PATTERN, SweepState, TrialState
from apps.sweeps.services import AGENT_ID_PATTERN

SWEEP_ID = path_param(
    "sweep_id", "The sweep's id (8 lower-case letters and digits).", SWEEP_ID_PATTERN, max_length=64
)
SWEEP_PATH = [*PROJECT_PATH, SWEEP_ID]
ACTION = OpenApiParameter(
    "action",
    {"type": "string", "enum": ["pause", "resume", "stop", "cancel"]},
    location=OpenApiParameter.PATH,
    required=True,
    description="W&B's controls: pause and resume handing out runs; stop (no new runs, the running "
    "ones finish: the sweep is finished); cancel (the running ones are stopped too).",
)
AGENT_ID = path_param("agent_id", "The agent's id, chosen by the agent.", AGENT_ID_PATTERN)
TRIAL_RUN_ID = path_param("run_id", "The id of one of the sweep's runs.", RUN_ID_PATTERN)


class SweepCreateSerializer(serializers.Serializer):
    config = serializers.DictField(
        required=False,
        help_text="The sweep's configuration, W&B's keys (docs/sweeps.md). Give it or `config_yaml`.",
    )
    config_yaml = serializers.CharField(
        required=False,
        max_length=MAX_YAML_BYTES,
        help_text="The sweep file's text (YAML or JSON), read on the server.",
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Default: the config's `name`."
    )


class SweepSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The sweep's id (W&B: sweep id).")
    path = serializers.CharField(help_text="`org/project/id`: what `cairn agent` takes.")
    name = serializers.CharField(allow_blank=True)
    state = serializers.ChoiceField(choices=SweepState.choices)
    method = serializers.CharField()
    metric = serializers.DictField(
        allow_null=True, help_text="{name, goal, target}; null when not set."
    )
    config = serializers.DictField()
    run_cap = serializers.IntegerField(allow_null=True)
    run_count = serializers.IntegerField()
    runs_by_state = serializers.DictField(child=serializers.IntegerField())
    best_run_id = serializers.CharField(allow_blank=True)
    best_value = serializers.FloatField(allow_null=True)
    created_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="The sweep's page.")


class SweepListSerializer(serializers.Serializer):
    results = SweepSerializer(many=True)


class TrialSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    state = serializers.ChoiceField(choices=TrialState.choices)
    params = serializers.DictField(
        help_text="The parameters the run was given (nested parameters nested)."
    )
    metric = serializers.FloatField(
        allow_null=True, help_text="The metric in the run's summary when it ended."
    )
    run_state = serializers.CharField(
        allow_null=True, help_text="The run's own state; null before it starts."
    )
    stop_requested = serializers.BooleanField()
    stop_reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)


class TrialListSerializer(serializers.Serializer):
    results = TrialSerializer(many=True)


class NextRequestSerializer(serializers.Serializer):
    agent = serializers.RegexField(
        AGENT_ID_PATTERN, required=False, allow_null=True, help_text="The asking agent's id."
    )
    host = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=255)


class NextSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["run", "wait", "done"],
        help_text="run: start `run_id` with `params`; wait: the sweep is paused, ask again later; done: exit.",
    )
    reason = serializers.CharField(
        allow_blank=True,
        help_text="Why wait or done: paused, finished, cancelled, run_cap, exhausted.",
    )
    run_id = serializers.CharField(required=False)
    params = serializers.DictField(required=False)
    program = serializers.CharField(required=False, allow_null=True)
    command = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)


class HeartbeatRequestSerializer(serializers.Serializer):
    runs = serializers.ListField(
        child=serializers.RegexField(RUN_ID_PATTERN),
        max_length=100,
        help_text="The runs it runs now.",
    )
    host = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=255)


class HeartbeatSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=SweepState.choices)
    stop = serializers.ListField(
        child=serializers.CharField(), help_text="Its runs to stop now (SIGTERM, then SIGKILL)."
    )


class ImportanceEntrySerializer(serializers.Serializer):
    name = serializers.CharField()
    importance = serializers.FloatField()
    correlation = serializers.FloatField(allow_null=True)


class ImportanceSerializer(serializers.Serializer):
    runs = serializers.IntegerField(required=False)
    metric = serializers.CharField(required=False)
    params = ImportanceEntrySerializer(many=True, required=False)
