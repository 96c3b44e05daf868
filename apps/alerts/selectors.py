"""Reads: channels, rules, deliveries and notifications, each in one batch."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.alerts.models import Channel, Delivery, Notification, Rule, RunMute, Subscription
from apps.orgs.models import Organization
from apps.runs.models import Project

PAGE = 200


def channel_list(*, org: Organization) -> QuerySet[Channel]:
    return Channel.objects.filter(organization=org).order_by("name")


def channel_get(*, org: Organization, channel_id: int) -> Channel:
    channel = Channel.objects.filter(organization=org, pk=channel_id).first()
    if channel is None:
        raise Http404
    return channel


def rule_list(*, project: Project) -> QuerySet[Rule]:
    return Rule.objects.filter(project=project).prefetch_related("channels").order_by("pk")


def rule_get(*, project: Project, rule_id: int) -> Rule:
    rule = rule_list(project=project).filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def delivery_list(*, project: Project, state: str | None = None, limit: int = PAGE) -> list[Delivery]:
    rows = Delivery.objects.filter(event__rule__project=project).select_related(
        "event__rule", "event__run", "channel", "user"
    )
    if state:
        rows = rows.filter(state=state)
    return list(rows.order_by("-pk")[:limit])


def delivery_get(*, project: Project, delivery_id: int) -> Delivery:
    delivery = Delivery.objects.filter(event__rule__project=project, pk=delivery_id).first()
    if delivery is None:
        raise Http404
    return delivery


def notification_list(*, user: AbstractBaseUser, unread_only: bool = False, limit: int = PAGE) -> list[Notification]:
    rows = Notification.objects.filter(user_id=user.pk).select_related(
        "event__rule__project__organization", "event__run"
    )
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.order_by("-pk")[:limit])


def unread_count(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def subscription_of(*, user: AbstractBaseUser, project: Project) -> Subscription:
    """The person's choice for the project; the default (in the app, no email) when unset."""
    return Subscription.objects.filter(user_id=user.pk, project=project).first() or Subscription(
        user_id=user.pk, project=project
    )


def run_mutes(*, project: Project) -> list[RunMute]:
    """The project's runs muted now (a mute past its time is over)."""
    live = Q(until__isnull=True) | Q(until__gt=timezone.now())
    return list(RunMute.objects.filter(live, run__project=project).select_related("run").order_by("run__run_id")[:PAGE])
