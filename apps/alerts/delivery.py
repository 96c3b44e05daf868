"""Sending one delivery: a webhook (generic or Slack's payload) or an email.

`delivery_send` is called by the `alerts.deliver` task, once per try. It is
idempotent: a delivery already sent, failed or refused is left alone, so a
task run twice (a worker lost after the send) never sends twice from here;
receivers that must be sure dedupe on the `X-Cairn-Delivery` header.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.alerts import webhooks
from apps.alerts.models import ChannelKind, Delivery, DeliveryState, Event

RETRY = "retry"
ERROR_MAX = 500


class NoAddress(Exception):
    """Nowhere to send it (a person without an email address): refused, never tried again."""


def event_url(event: Event) -> str:
    project = event.rule.project
    base = f"{settings.PUBLIC_URL}/{project.organization.slug}/{project.slug}/"
    return f"{base}runs/{event.run.run_id}" if event.run is not None else base


def generic_payload(delivery: Delivery) -> dict[str, Any]:
    event = delivery.event
    rule, run = event.rule, event.run
    project = rule.project
    return {
        "delivery_id": delivery.pk,
        "event_id": event.pk,
        "kind": rule.kind,
        "title": event.title,
        "text": event.text,
        "level": event.level,
        "created_at": event.created_at.isoformat(),
        "rule": {"id": rule.pk, "name": rule.name, "condition": rule.condition},
        "project": f"{project.organization.slug}/{project.slug}",
        "run": None if run is None else {"id": run.run_id, "name": run.name, "state": run.state},
        "url": event_url(event),
    }


def slack_payload(delivery: Delivery) -> dict[str, Any]:
    event = delivery.event
    icon = {"ERROR": ":red_circle:", "WARN": ":warning:"}.get(event.level, ":information_source:")
    text = f"{icon} *{event.title}*"
    if event.text:
        text += f"\n{event.text[:3000]}"
    return {"text": text + f"\n<{event_url(event)}|Open in Cairn>"}


def _email(delivery: Delivery) -> None:
    event = delivery.event
    if delivery.user is not None:
        to = [delivery.user.email] if delivery.user.email else []
    else:
        to = list(delivery.channel.emails) if delivery.channel else []
    if not to:
        raise NoAddress("no email address to send to (the person's account has none)")
    body = f"{event.text}\n\n{event_url(event)}\n\nRule: {event.rule.name} ({event.rule.project})\n"
    send_mail(f"[Cairn] {event.title}"[:200], body, None, to, fail_silently=False)


def _webhook(delivery: Delivery) -> webhooks.Response:
    channel = delivery.channel
    if channel is None:
        raise webhooks.WebhookRefused("the channel was deleted")
    payload = slack_payload(delivery) if channel.kind == ChannelKind.SLACK else generic_payload(delivery)
    body = json.dumps(payload, separators=(",", ":")).encode()
    return webhooks.post(channel.url, body, secret=channel.secret, delivery_id=delivery.pk)


def delivery_send(*, delivery_id: int, last_try: bool) -> str:
    """One try: the delivery's new state, or RETRY when it should be tried again."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))  # PostgreSQL locks no outer-joined row
            .select_related("event__rule__project__organization", "event__run", "channel", "user")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return delivery.state if delivery else "gone"
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    error, state, status, excerpt = "", DeliveryState.SENT, None, ""
    try:
        if delivery.kind == ChannelKind.EMAIL:
            _email(delivery)
        else:
            response = _webhook(delivery)
            status, excerpt = response.status, response.excerpt
            if not 200 <= response.status < 300:
                error = f"HTTP {response.status}" + (f": {excerpt[:200]}" if excerpt else "")
    except (webhooks.WebhookRefused, NoAddress) as e:
        error, state = f"refused: {e}", DeliveryState.REFUSED
    except Exception as e:  # noqa: BLE001 (any failure to arrive is recorded and retried)
        error = f"{type(e).__name__}: {e}"
    if error and state != DeliveryState.REFUSED:
        state = DeliveryState.FAILED if last_try else DeliveryState.PENDING
    Delivery.objects.filter(pk=delivery_id).update(
        state=state,
        last_error=error[:ERROR_MAX],
        response_status=status,
        response_excerpt=excerpt,
        sent_at=timezone.now() if state == DeliveryState.SENT else None,
    )
    return RETRY if state == DeliveryState.PENDING else state
