"""Writes: channels, rules, people's choices, mutes, notifications read, retries."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.alerts import evaluation, webhooks
from apps.alerts.conditions import MAX_KEY, condition_parse
from apps.alerts.firing import DELIVER_TASK
from apps.alerts.models import (
    MAX_SNOOZE_MINUTES,
    Channel,
    ChannelKind,
    Delivery,
    DeliveryState,
    Notification,
    Rule,
    RuleKind,
    RunMute,
    Subscription,
)
from apps.core.errors import BadInput, Conflict
from apps.core.tasks import enqueue_on_commit
from apps.core.validation import text_check
from apps.orgs.models import Organization
from apps.runs.models import AlertLevel, Project, Run, RunState

MAX_EMAILS = 50
MAX_RULES_PER_PROJECT = 500
MAX_CHANNELS_PER_ORG = 100


def _bool(data: dict[str, Any], field: str, default: bool) -> bool:
    value = data.get(field, default)
    if not isinstance(value, bool):
        raise BadInput("Must be true or false.", field)
    return value


def _int(data: dict[str, Any], field: str, lo: int, hi: int) -> int:
    value = data[field]
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise BadInput(f"Must be an integer from {lo} to {hi}.", field)
    return value


def snooze_until(data: dict[str, Any], field: str = "snooze_minutes") -> datetime | None:
    """`snooze_minutes`: 0 or null ends a snooze; N snoozes for N minutes from now."""
    if data.get(field) is None:
        return None
    minutes = _int(data, field, 0, MAX_SNOOZE_MINUTES)
    return timezone.now() + timedelta(minutes=minutes) if minutes else None


# --- Channels (an organisation's admins) --------------------------------------


def _emails_check(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_EMAILS:
        raise BadInput(f"Must be a list of 1 to {MAX_EMAILS} email addresses.", "emails")
    for i, e in enumerate(value):
        try:
            if not isinstance(e, str) or len(e) > 254:
                raise ValidationError("bad")
            validate_email(e)
        except ValidationError:
            raise BadInput("Not an email address.", f"emails[{i}]") from None
    return list(dict.fromkeys(value))


def _channel_fields(channel: Channel, data: dict[str, Any]) -> None:
    if "name" in data:
        channel.name = text_check(data["name"], "name", 100).strip()
        if not channel.name:
            raise BadInput("Must not be empty.", "name")
    if channel.kind == ChannelKind.EMAIL:
        if "emails" in data or not channel.emails:
            channel.emails = _emails_check(data.get("emails"))
    elif "url" in data or not channel.url:
        webhooks.url_check(data.get("url"))
        channel.url = data["url"]


def channel_create(*, org: Organization, user: AbstractBaseUser, data: dict[str, Any]) -> Channel:
    kind = data.get("kind")
    if kind not in ChannelKind.values:
        raise BadInput("Use webhook, slack or email.", "kind")
    if "name" not in data:
        raise BadInput("Required.", "name")
    if Channel.objects.filter(organization=org).count() >= MAX_CHANNELS_PER_ORG:
        raise BadInput(f"An organisation has at most {MAX_CHANNELS_PER_ORG} channels.", "name")
    channel = Channel(organization=org, kind=kind, created_by=user)  # type: ignore[misc]
    _channel_fields(channel, data)
    if kind != ChannelKind.EMAIL:
        channel.secret = secrets.token_hex(32)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        raise Conflict(f"A channel named {channel.name!r} exists.") from None
    return channel


def channel_update(*, channel: Channel, data: dict[str, Any]) -> Channel:
    _channel_fields(channel, data)
    if data.get("new_secret") is True and channel.kind != ChannelKind.EMAIL:
        channel.secret = secrets.token_hex(32)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        raise Conflict(f"A channel named {channel.name!r} exists.") from None
    return channel


def channel_delete(*, channel: Channel) -> None:
    channel.delete()


# --- Rules (a project's members) -----------------------------------------------


def _channels_check(org_id: int, value: Any) -> list[Channel]:
    if not isinstance(value, list) or len(value) > MAX_CHANNELS_PER_ORG:
        raise BadInput("Must be a list of channel ids.", "channels")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise BadInput("Must be a list of channel ids.", "channels")
    found = list(Channel.objects.filter(organization_id=org_id, pk__in=value))
    if len(found) != len(set(value)):
        raise BadInput("Each must be a channel of the project's organisation.", "channels")
    return found


# Fields that belong to one kind of rule: sent with another kind, they are a 400, not ignored.
KIND_FIELDS = {
    "condition": RuleKind.METRIC, "minutes": RuleKind.RUN_STALLED, "states": RuleKind.RUN_FAILED,
    "min_level": RuleKind.AGENT_ALERT, "best_key": RuleKind.RUN_FINISHED, "best_goal": RuleKind.RUN_FINISHED,
    "artifact": RuleKind.ALIAS_MOVED, "alias": RuleKind.ALIAS_MOVED,
}


def _kind_fields(rule: Rule, data: dict[str, Any]) -> None:
    for field, kind in KIND_FIELDS.items():
        if field in data and rule.kind != kind:
            raise BadInput(f"Only for {kind} rules.", field)
    if rule.kind == RuleKind.METRIC and ("condition" in data or not rule.condition):
        cond = condition_parse(data.get("condition"))
        rule.condition = data["condition"].strip()
        rule.stream, rule.key, rule.op, rule.value = cond.stream, cond.key, cond.op, cond.value
    if rule.kind == RuleKind.RUN_STALLED and ("minutes" in data or not rule.minutes):
        if "minutes" not in data:
            raise BadInput("Required for a stalled rule.", "minutes")
        rule.minutes = _int(data, "minutes", 1, 7 * 24 * 60)
    if rule.kind == RuleKind.RUN_FAILED and "states" in data:
        states = data["states"]
        ends = [RunState.FAILED.value, RunState.CRASHED.value]
        if not isinstance(states, list) or not states or any(s not in ends for s in states):
            raise BadInput("A list of failed and/or crashed.", "states")
        rule.states = sorted(set(states))
    if rule.kind == RuleKind.AGENT_ALERT and "min_level" in data:
        if data["min_level"] not in AlertLevel.values:
            raise BadInput("Use INFO, WARN or ERROR.", "min_level")
        rule.min_level = data["min_level"]
    if rule.kind == RuleKind.RUN_FINISHED and "best_key" in data:
        rule.best_key = text_check(data["best_key"] or "", "best_key", MAX_KEY)
        goal = data.get("best_goal", rule.best_goal or "min")
        if goal not in ("min", "max"):
            raise BadInput("Use min or max.", "best_goal")
        rule.best_goal, rule.best_value = goal, None
    if rule.kind == RuleKind.ALIAS_MOVED:
        for field in ("artifact", "alias"):
            if field in data:
                setattr(rule, field, text_check(data[field] or "", field, 256))


def _rule_fields(rule: Rule, data: dict[str, Any]) -> list[Channel] | None:
    if "name" in data:
        rule.name = text_check(data["name"], "name", 200).strip()
    if not rule.name:
        raise BadInput("Must not be empty.", "name")
    _kind_fields(rule, data)
    if "enabled" in data:
        rule.enabled = _bool(data, "enabled", True)
    if "snooze_minutes" in data:
        rule.snoozed_until = snooze_until(data)
    if "max_per_hour" in data:
        rule.max_per_hour = _int(data, "max_per_hour", 1, 10_000)
    if "channels" in data:
        return _channels_check(rule.project.organization_id, data["channels"])
    return None


def rule_create(*, project: Project, user: AbstractBaseUser, data: dict[str, Any]) -> Rule:
    kind = data.get("kind")
    if kind not in RuleKind.values:
        raise BadInput("Use " + ", ".join(RuleKind.values) + ".", "kind")
    if Rule.objects.filter(project=project).count() >= MAX_RULES_PER_PROJECT:
        raise BadInput(f"A project has at most {MAX_RULES_PER_PROJECT} rules.", "kind")
    rule = Rule(project=project, kind=kind, created_by=user, name=data.get("name") or "")  # type: ignore[misc]
    channels = _rule_fields(rule, {**data, "name": data.get("name") or kind.replace("_", " ")})
    with transaction.atomic():
        rule.save()
        if channels is not None:
            rule.channels.set(channels)
    evaluation.rules_changed(project_id=project.pk)
    return rule


def rule_update(*, rule: Rule, data: dict[str, Any]) -> Rule:
    channels = _rule_fields(rule, data)
    with transaction.atomic():
        rule.save()
        if channels is not None:
            rule.channels.set(channels)
    evaluation.rules_changed(project_id=rule.project_id)
    return rule


def rule_delete(*, rule: Rule) -> None:
    project_id = rule.project_id
    rule.delete()
    evaluation.rules_changed(project_id=project_id)


# --- People's choices, run mutes, notifications ----------------------------------


def subscription_set(*, user: AbstractBaseUser, project: Project, data: dict[str, Any]) -> Subscription:
    sub = Subscription.objects.filter(user_id=user.pk, project=project).first() or Subscription(
        user_id=user.pk, project=project
    )
    sub.in_app = _bool(data, "in_app", sub.in_app)
    sub.email = _bool(data, "email", sub.email)
    if "snooze_minutes" in data:
        sub.snoozed_until = snooze_until(data)
    sub.save()
    return sub


def run_mute_set(*, run: Run, user: AbstractBaseUser, data: dict[str, Any]) -> RunMute:
    """`minutes`: how long; absent or null, until unmuted."""
    until = None
    if data.get("minutes") is not None:
        until = timezone.now() + timedelta(minutes=_int(data, "minutes", 1, MAX_SNOOZE_MINUTES))
    mute, _ = RunMute.objects.update_or_create(run=run, defaults={"until": until, "created_by_id": user.pk})
    return mute


def run_mute_clear(*, run: Run) -> None:
    RunMute.objects.filter(run=run).delete()


def notifications_read(*, user: AbstractBaseUser, ids: Any) -> int:
    """Mark the user's notifications read: these ids, or all when `ids` is None."""
    rows = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if ids is not None:
        if not isinstance(ids, list) or len(ids) > 1000 or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise BadInput("Must be a list of at most 1000 notification ids.", "ids")
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


def delivery_retry(*, delivery: Delivery) -> Delivery:
    """A failed delivery tried again from the start (its attempts counted on)."""
    if delivery.state != DeliveryState.FAILED:
        raise Conflict(f"Only a failed delivery is retried; this one is {delivery.state}.")
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.PENDING, last_error="")
    enqueue_on_commit(DELIVER_TASK, delivery.pk)
    delivery.refresh_from_db()
    return delivery
