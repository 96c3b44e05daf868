"""What the alerts API takes and gives, for the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from apps.runs.models import ALERT_ID_PATTERN, ALERT_TEXT_MAX, ALERT_TITLE_MAX, AlertLevel


class AlertCreateSerializer(serializers.Serializer):
    id = serializers.RegexField(
        rf"^{ALERT_ID_PATTERN}$",
        max_length=64,
        help_text="Chosen by the client, unique in the run: sending it again (a retry, or a higher `count`) "
        "updates the alert instead of adding one.",
    )
    title = serializers.CharField(min_length=1, max_length=ALERT_TITLE_MAX)
    text = serializers.CharField(allow_blank=True, required=False, help_text=f"At most {ALERT_TEXT_MAX} bytes of UTF-8.")
    level = serializers.ChoiceField(choices=AlertLevel.choices, required=False, help_text="Default INFO.")
    count = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False,
        help_text="How many times it was raised (repeats the client merged); the stored count never goes down.",
    )
    created_at = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=2**35,
        help_text="Unix time in seconds; absent or null: now.",
    )


class AlertSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    level = serializers.ChoiceField(choices=AlertLevel.choices)
    count = serializers.IntegerField(min_value=1)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AlertListSerializer(serializers.Serializer):
    results = AlertSerializer(many=True, help_text="Newest first; at most 500.")
