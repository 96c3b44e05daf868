"""A rule fires: the event is stored once, then sent to its channels and people.

Called by the evaluation (apps/alerts/evaluation.py) once it has found a rule
met. Everything here is one transaction; the deliveries are queued as tasks
when it commits.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.alerts.models import (
    Channel,
    ChannelKind,
    Delivery,
    Event,
    Notification,
    Rule,
    RunMute,
    Subscription,
)
from apps.core.tasks import enqueue_on_commit
from apps.orgs.models import Membership
from apps.runs.models import Run

DELIVER_TASK = "alerts.deliver"


def _suppressed(rule: Rule, run: Run | None, now: object) -> str:
    if not rule.enabled:
        return "rule muted"
    if rule.snoozed_until and rule.snoozed_until > now:  # type: ignore[operator]
        return "rule snoozed"
    if run is not None:
        mute = RunMute.objects.filter(run=run).first()
        if mute is not None and (mute.until is None or mute.until > now):  # type: ignore[operator]
            return "run muted"
    hour_ago = now - timedelta(hours=1)  # type: ignore[operator]
    sent = Event.objects.filter(rule=rule, created_at__gte=hour_ago, suppressed="").count()
    if sent >= rule.max_per_hour:
        return "rate limited"
    return ""


def _people(rule: Rule) -> tuple[list[int], list[int]]:
    """(user ids notified in the app, user ids emailed): the project's org members, by their choices."""
    now = timezone.now()
    members = list(Membership.objects.filter(organization_id=rule.project.organization_id).values_list("user_id", flat=True))
    choices = {s.user_id: s for s in Subscription.objects.filter(project=rule.project, user_id__in=members)}
    in_app, email = [], []
    for uid in members:
        s = choices.get(uid)
        if s is None:
            in_app.append(uid)
            continue
        if s.snoozed_until and s.snoozed_until > now:
            continue
        if s.in_app:
            in_app.append(uid)
        if s.email:
            email.append(uid)
    return in_app, email


def event_fire(*, rule: Rule, run: Run | None, dedupe_key: str, title: str, text: str, level: str = "INFO") -> Event | None:
    """Store the event unless one with this key exists; then notify and queue its deliveries.

    Returns the new event, or None when the rule had already fired for this key.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            suppressed = _suppressed(rule, run, now)
            event = Event.objects.create(
                rule=rule, run=run, dedupe_key=dedupe_key[:300], title=title[:300], text=text[:10_000],
                level=level, suppressed=suppressed,
            )
            if not suppressed:
                _fan_out(rule, event)
    except IntegrityError:
        return None  # fired before: by another process, or an earlier report of the same thing
    return event


def _fan_out(rule: Rule, event: Event) -> None:
    in_app, email = _people(rule)
    Notification.objects.bulk_create([Notification(user_id=u, event=event) for u in in_app])
    deliveries = [Delivery(event=event, kind=ChannelKind.EMAIL, user_id=u) for u in email]
    channels: list[Channel] = list(rule.channels.all())
    deliveries += [Delivery(event=event, kind=c.kind, channel=c) for c in channels]
    for d in deliveries:
        d.save()
        enqueue_on_commit(DELIVER_TASK, d.pk)
