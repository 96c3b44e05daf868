"""What the alerts API takes and gives, for the OpenAPI schema."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from apps.alerts.models import MAX_SNOOZE_MINUTES, ChannelKind, DeliveryState, RuleKind
from apps.core.schema import path_param
from apps.runs.models import AlertLevel

CHANNEL_ID = path_param("channel_id", "The channel's id.", integer=True)
RULE_ID = path_param("rule_id", "The rule's id.", integer=True)
DELIVERY_ID = path_param("delivery_id", "The delivery's id.", integer=True)
STATE_QUERY = OpenApiParameter(
    "state", str, enum=DeliveryState.values, description="Only deliveries in this state (e.g. failed)."
)


class ChannelInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ChannelKind.choices, help_text="Fixed once created.")
    url = serializers.CharField(
        required=False, max_length=2000,
        help_text="webhook and slack: an http(s) URL. Private and loopback addresses are refused unless "
        "CAIRN_ALERT_WEBHOOK_ALLOW lists them.",
    )
    emails = serializers.ListField(child=serializers.EmailField(), required=False, max_length=50)
    new_secret = serializers.BooleanField(required=False, help_text="On update: replace the signing secret.")


class ChannelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    url = serializers.CharField(allow_null=True, help_text="Admins only (a webhook URL is often a secret).")
    emails = serializers.ListField(child=serializers.CharField(), allow_null=True, help_text="Admins only.")
    secret = serializers.CharField(
        required=False, help_text="Only in the answer that created it (or `new_secret`): signs X-Cairn-Signature."
    )
    created_at = serializers.DateTimeField()


class ChannelListSerializer(serializers.Serializer):
    results = ChannelSerializer(many=True)


class RuleInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=RuleKind.choices, help_text="Fixed once created.")
    condition = serializers.CharField(
        required=False, max_length=300,
        help_text='metric: "KEY OP NUMBER" (OP: > >= < <= == !=), "KEY is NaN" or "KEY is not finite"; '
        '`system/` keys are system metrics ("system/gpu.0.temp > 85").',
    )
    minutes = serializers.IntegerField(required=False, min_value=1, max_value=10080, help_text="run_stalled.")
    states = serializers.ListField(
        child=serializers.ChoiceField(choices=["failed", "crashed"]), required=False, help_text="run_failed."
    )
    min_level = serializers.ChoiceField(choices=AlertLevel.choices, required=False, help_text="agent_alert.")
    best_key = serializers.CharField(
        required=False, allow_blank=True, max_length=256,
        help_text="run_finished: only runs whose summary value of this key beats the project's best.",
    )
    best_goal = serializers.ChoiceField(choices=["min", "max"], required=False)
    artifact = serializers.CharField(required=False, allow_blank=True, max_length=256, help_text="alias_moved.")
    alias = serializers.CharField(required=False, allow_blank=True, max_length=256, help_text="alias_moved.")
    channels = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=100)
    enabled = serializers.BooleanField(required=False, help_text="false mutes the rule.")
    snooze_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_SNOOZE_MINUTES,
        help_text="Snooze for this many minutes; 0 or null ends it."
    )
    max_per_hour = serializers.IntegerField(required=False, min_value=1, max_value=10000)


class RuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    condition = serializers.CharField(allow_blank=True)
    minutes = serializers.IntegerField(allow_null=True)
    states = serializers.ListField(child=serializers.CharField())
    min_level = serializers.CharField(allow_blank=True)
    best_key = serializers.CharField(allow_blank=True)
    best_goal = serializers.CharField(allow_blank=True)
    artifact = serializers.CharField(allow_blank=True)
    alias = serializers.CharField(allow_blank=True)
    channels = serializers.ListField(child=serializers.IntegerField())
    enabled = serializers.BooleanField()
    snoozed_until = serializers.DateTimeField(allow_null=True)
    max_per_hour = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class RuleListSerializer(serializers.Serializer):
    results = RuleSerializer(many=True)


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=DeliveryState.choices)
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    channel = serializers.CharField(allow_null=True, help_text="The channel's name; null for a person's email.")
    user = serializers.CharField(allow_null=True, help_text="Whose email, for a person's delivery.")
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(allow_blank=True)
    response_status = serializers.IntegerField(allow_null=True)
    response_excerpt = serializers.CharField(allow_blank=True)
    event = serializers.DictField(help_text="id, title, level, rule, run")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class DeliveryListSerializer(serializers.Serializer):
    results = DeliverySerializer(many=True, help_text="Newest first; at most 200.")


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    level = serializers.CharField()
    project = serializers.CharField()
    run = serializers.CharField(allow_null=True)
    url = serializers.CharField()
    read = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class NotificationListSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    results = NotificationSerializer(many=True, help_text="Newest first; at most 200.")


class NotificationsReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_null=True, max_length=1000,
        help_text="Absent or null: all of them.",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class SubscriptionSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    snooze_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_SNOOZE_MINUTES, write_only=True
    )
    snoozed_until = serializers.DateTimeField(allow_null=True, read_only=True)


class RunMuteInSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_SNOOZE_MINUTES, help_text="Absent: until unmuted."
    )


class RunMuteSerializer(serializers.Serializer):
    muted = serializers.BooleanField()
    until = serializers.DateTimeField(allow_null=True)
