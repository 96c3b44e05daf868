"""Alert rules, the channels they deliver through, what fired, and each delivery.

A rule belongs to a project and says when to alert (`kind`, and for metric
rules a `condition`). An organisation's admins set up shared channels
(webhooks, email lists); a rule names those it sends to. Everyone who can
read the project chooses for themselves (`Subscription`) whether its alerts
reach them in the app, by email, both or neither. What fired is an `Event`,
stored once per `dedupe_key` so that a run crashing is announced once, however
often it is reported; each of its sends is a `Delivery` with its own state.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.orgs.models import Organization
from apps.runs.models import Project, Run

MAX_SNOOZE_MINUTES = 366 * 24 * 60  # mutes and snoozes: at most a year


class RuleKind(models.TextChoices):
    RUN_FAILED = "run_failed"  # the run failed or crashed (`states` narrows it)
    RUN_STALLED = "run_stalled"  # still running, no new history for `minutes`
    METRIC = "metric"  # `condition` met by a logged value
    RUN_FINISHED = "run_finished"  # finished; with `best_key`, only when it beats the project's best
    AGENT_ALERT = "agent_alert"  # the run called `run.alert()` (`min_level` and up)
    ALIAS_MOVED = "alias_moved"  # an artifact alias of the project moved (`artifact`, `alias` narrow it)


class ChannelKind(models.TextChoices):
    WEBHOOK = "webhook"
    SLACK = "slack"  # a webhook with Slack's payload (`{"text": ...}`): Slack, Mattermost, Discord's /slack
    EMAIL = "email"


class Channel(models.Model):
    """A shared destination of an organisation, set up by its admins."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alert_channels")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    url = models.CharField(max_length=2000, blank=True)  # webhooks
    # Signs each webhook request (X-Cairn-Signature); never shown again after creation.
    secret = models.CharField(max_length=128, blank=True)
    emails = models.JSONField(default=list, blank=True)  # email channels: the addresses
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="alert_channel_name_unique")]

    def __str__(self) -> str:
        return f"{self.organization.slug}:{self.name}"


class Rule(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    condition = models.CharField(max_length=300, blank=True)  # metric rules, as the user wrote it
    # The parsed condition, so evaluation never parses: stream, key, op, value.
    stream = models.CharField(max_length=8, blank=True)
    key = models.CharField(max_length=256, blank=True)
    op = models.CharField(max_length=16, blank=True)
    value = models.FloatField(null=True, blank=True)
    minutes = models.PositiveIntegerField(null=True, blank=True)  # stalled rules
    states = models.JSONField(default=list, blank=True)  # run_failed: ["failed", "crashed"] by default
    min_level = models.CharField(max_length=8, blank=True)  # agent_alert: INFO (all), WARN or ERROR
    best_key = models.CharField(max_length=256, blank=True)  # run_finished: the summary key to beat
    best_goal = models.CharField(max_length=8, blank=True)  # "min" or "max"
    best_value = models.FloatField(null=True, blank=True)  # the best so far, kept as runs finish
    artifact = models.CharField(max_length=256, blank=True)  # alias_moved filters ("" for any)
    alias = models.CharField(max_length=256, blank=True)
    channels = models.ManyToManyField(Channel, blank=True, related_name="rules")
    enabled = models.BooleanField(default=True)  # a muted rule is not enabled
    snoozed_until = models.DateTimeField(null=True, blank=True)
    max_per_hour = models.PositiveIntegerField(default=20)  # events; beyond, recorded but not sent
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        indexes = [models.Index(fields=["project", "kind"], name="alert_rule_project_kind")]

    def __str__(self) -> str:
        return f"{self.project}:{self.name}"


class Event(models.Model):
    """A rule that fired, once per `dedupe_key` (e.g. `end:<run>:crashed`)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="events")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_events")
    dedupe_key = models.CharField(max_length=300)
    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    level = models.CharField(max_length=8, default="INFO")
    # Why nothing was sent, when nothing was: "rate limited", "snoozed", "muted for this run".
    suppressed = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "dedupe_key"], name="alert_event_once")]
        indexes = [models.Index(fields=["rule", "-created_at"], name="alert_event_rule_newest")]

    def __str__(self) -> str:
        return self.title


class DeliveryState(models.TextChoices):
    PENDING = "pending"  # queued, or waiting for its next try
    SENT = "sent"
    FAILED = "failed"  # every try failed (dead-lettered): `last_error` says why
    REFUSED = "refused"  # never tried: the address is not one Cairn may send to


class Delivery(models.Model):
    """One send of an event: to a shared channel, or by email to one person."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    response_status = models.IntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "-created_at"], name="alert_delivery_state")]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.state})"


class Subscription(models.Model):
    """One person's choice for one project: how its alerts reach them, and a snooze.

    With no row, a member is notified in the app and not by email.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscriptions")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_subscriptions")
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    snoozed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="alert_subscription_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.project_id}"


class RunMute(models.Model):
    """No alert about this run until `until` (forever when empty)."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="alert_mute")
    until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"run {self.run_id} muted"


class Notification(models.Model):
    """An event in one person's in-app list (the bell)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_once")]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.event_id}"
