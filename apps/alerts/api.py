"""The alerts API: channels (org admins), rules and deliveries (per project), people's choices, notifications."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.alerts import selectors, services
from apps.alerts.delivery import event_url
from apps.alerts.models import Channel, Delivery, DeliveryState, Notification, Rule, Subscription
from apps.alerts.schemas import (
    CHANNEL_ID,
    DELIVERY_ID,
    RULE_ID,
    STATE_QUERY,
    ChannelInSerializer,
    ChannelListSerializer,
    ChannelSerializer,
    DeliveryListSerializer,
    DeliverySerializer,
    MarkedSerializer,
    NotificationListSerializer,
    NotificationsReadSerializer,
    RuleInSerializer,
    RuleListSerializer,
    RuleSerializer,
    RunMuteInSerializer,
    RunMuteSerializer,
    SubscriptionSerializer,
)
from apps.core.access import Access
from apps.core.apis import READS
from apps.core.errors import BadInput
from apps.core.params import body_object
from apps.orgs.api import OrgScopedApi
from apps.orgs.schemas import ORG_PATH
from apps.runs.api.base import ProjectScopedApi
from apps.runs.schemas import PROJECT_PATH, RUN_PATH

# --- payloads -------------------------------------------------------------------


def channel_payload(channel: Channel, *, admin: bool, secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": channel.pk, "name": channel.name, "kind": channel.kind,
        "url": channel.url if admin else None, "emails": channel.emails if admin else None,
        "created_at": channel.created_at,
    }
    if secret and channel.secret:
        out["secret"] = channel.secret
    return out


def rule_payload(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.pk, "name": rule.name, "kind": rule.kind, "condition": rule.condition, "minutes": rule.minutes,
        "states": rule.states, "min_level": rule.min_level, "best_key": rule.best_key, "best_goal": rule.best_goal,
        "artifact": rule.artifact, "alias": rule.alias, "channels": sorted(c.pk for c in rule.channels.all()),
        "enabled": rule.enabled, "snoozed_until": rule.snoozed_until, "max_per_hour": rule.max_per_hour,
        "created_at": rule.created_at,
    }


def delivery_payload(d: Delivery) -> dict[str, Any]:
    event = d.event
    return {
        "id": d.pk, "state": d.state, "kind": d.kind, "channel": d.channel.name if d.channel else None,
        "user": d.user.get_username() if d.user else None, "attempts": d.attempts, "last_error": d.last_error,
        "response_status": d.response_status, "response_excerpt": d.response_excerpt,
        "event": {
            "id": event.pk, "title": event.title, "level": event.level, "rule": event.rule.name,
            "run": event.run.run_id if event.run else None,
        },
        "created_at": d.created_at, "sent_at": d.sent_at,
    }


def notification_payload(n: Notification) -> dict[str, Any]:
    event = n.event
    project = event.rule.project
    return {
        "id": n.pk, "title": event.title, "text": event.text, "level": event.level,
        "project": f"{project.organization.slug}/{project.slug}", "run": event.run.run_id if event.run else None,
        "url": event_url(event), "read": n.read_at is not None, "created_at": n.created_at,
    }


def subscription_payload(s: Subscription) -> dict[str, Any]:
    return {"in_app": s.in_app, "email": s.email, "snoozed_until": s.snoozed_until}


# --- channels -------------------------------------------------------------------


class ChannelListApi(OrgScopedApi):
    needs = {**READS, "POST": Access.ADMIN}

    @extend_schema(
        operation_id="alert_channel_list", summary="An organisation's alert channels",
        description="Members see each channel's name and kind (to pick it in a rule); admins see where it sends.",
        parameters=[ORG_PATH], responses=ChannelListSerializer,
    )
    def get(self, request: Request, org: str) -> Response:
        admin = self.org_access >= Access.ADMIN
        return Response({"results": [channel_payload(c, admin=admin) for c in selectors.channel_list(org=self.org)]})

    @extend_schema(
        operation_id="alert_channel_create", summary="Add a shared alert channel (admins)",
        description="A webhook (generic JSON), a Slack-compatible webhook, or an email list. A webhook's signing "
        "secret is in this answer only.",
        parameters=[ORG_PATH], request=ChannelInSerializer, responses={201: ChannelSerializer},
    )
    def post(self, request: Request, org: str) -> Response:
        channel = services.channel_create(org=self.org, user=request.user, data=body_object(request))  # type: ignore[arg-type]
        return Response(channel_payload(channel, admin=True, secret=True), status=201)


class ChannelDetailApi(OrgScopedApi):
    needs = {**READS, "GET": Access.ADMIN, "PATCH": Access.ADMIN, "DELETE": Access.ADMIN}

    @extend_schema(
        operation_id="alert_channel_get", summary="An alert channel (admins)",
        parameters=[ORG_PATH, CHANNEL_ID], responses=ChannelSerializer,
    )
    def get(self, request: Request, org: str, channel_id: int) -> Response:
        return Response(channel_payload(selectors.channel_get(org=self.org, channel_id=channel_id), admin=True))

    @extend_schema(
        operation_id="alert_channel_update", summary="Change an alert channel (admins)",
        parameters=[ORG_PATH, CHANNEL_ID], request=ChannelInSerializer, responses=ChannelSerializer,
    )
    def patch(self, request: Request, org: str, channel_id: int) -> Response:
        data = body_object(request)
        channel = services.channel_update(channel=selectors.channel_get(org=self.org, channel_id=channel_id), data=data)
        return Response(channel_payload(channel, admin=True, secret=data.get("new_secret") is True))

    @extend_schema(
        operation_id="alert_channel_delete", summary="Delete an alert channel (admins)",
        parameters=[ORG_PATH, CHANNEL_ID], responses={204: None},
    )
    def delete(self, request: Request, org: str, channel_id: int) -> Response:
        services.channel_delete(channel=selectors.channel_get(org=self.org, channel_id=channel_id))
        return Response(status=204)


# --- rules --------------------------------------------------------------------


class RuleListApi(ProjectScopedApi):
    @extend_schema(
        operation_id="alert_rule_list", summary="A project's alert rules",
        parameters=PROJECT_PATH, responses=RuleListSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        return Response({"results": [rule_payload(r) for r in selectors.rule_list(project=self.project)]})

    @extend_schema(
        operation_id="alert_rule_create", summary="Add an alert rule (members)",
        description="When to alert (`kind`) and through which of the organisation's channels. Members of the "
        "organisation are also notified in the app, or by email, as each of them chose.",
        parameters=PROJECT_PATH, request=RuleInSerializer, responses={201: RuleSerializer},
    )
    def post(self, request: Request, org: str, project: str) -> Response:
        rule = services.rule_create(project=self.project, user=request.user, data=body_object(request))  # type: ignore[arg-type]
        return Response(rule_payload(rule), status=201)


class RuleDetailApi(ProjectScopedApi):
    @extend_schema(
        operation_id="alert_rule_get", summary="An alert rule", parameters=[*PROJECT_PATH, RULE_ID],
        responses=RuleSerializer,
    )
    def get(self, request: Request, org: str, project: str, rule_id: int) -> Response:
        return Response(rule_payload(selectors.rule_get(project=self.project, rule_id=rule_id)))

    @extend_schema(
        operation_id="alert_rule_update", summary="Change, mute or snooze an alert rule (members)",
        parameters=[*PROJECT_PATH, RULE_ID], request=RuleInSerializer, responses=RuleSerializer,
    )
    def patch(self, request: Request, org: str, project: str, rule_id: int) -> Response:
        data = body_object(request)
        if "kind" in data:
            raise BadInput("A rule's kind is fixed; make a new rule.", "kind")
        rule = services.rule_update(rule=selectors.rule_get(project=self.project, rule_id=rule_id), data=data)
        return Response(rule_payload(rule))

    @extend_schema(
        operation_id="alert_rule_delete", summary="Delete an alert rule (members)",
        parameters=[*PROJECT_PATH, RULE_ID], responses={204: None},
    )
    def delete(self, request: Request, org: str, project: str, rule_id: int) -> Response:
        services.rule_delete(rule=selectors.rule_get(project=self.project, rule_id=rule_id))
        return Response(status=204)


# --- deliveries -----------------------------------------------------------------


class DeliveryListApi(ProjectScopedApi):
    needs = {**READS, "GET": Access.WRITE}

    @extend_schema(
        operation_id="alert_delivery_list", summary="A project's alert deliveries (members)",
        description="Each send of each alert: its state, tries, and the last error (a failed one is dead-lettered "
        "after its last try and can be retried).",
        parameters=[*PROJECT_PATH, STATE_QUERY], responses=DeliveryListSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        state = request.query_params.get("state")
        if state is not None and state not in DeliveryState.values:
            raise BadInput("Use " + ", ".join(DeliveryState.values) + ".", "state")
        rows = selectors.delivery_list(project=self.project, state=state)
        return Response({"results": [delivery_payload(d) for d in rows]})


class DeliveryRetryApi(ProjectScopedApi):
    @extend_schema(
        operation_id="alert_delivery_retry", summary="Try a failed delivery again (members)",
        parameters=[*PROJECT_PATH, DELIVERY_ID], request=None, responses=DeliverySerializer,
    )
    def post(self, request: Request, org: str, project: str, delivery_id: int) -> Response:
        delivery = selectors.delivery_get(project=self.project, delivery_id=delivery_id)
        delivery = services.delivery_retry(delivery=delivery)
        return Response(delivery_payload(selectors.delivery_get(project=self.project, delivery_id=delivery.pk)))


# --- a person's own -------------------------------------------------------------


class SubscriptionApi(ProjectScopedApi):
    needs = {**READS, "PUT": Access.READ}

    def _member_check(self, request: Request) -> None:
        if not request.user.is_authenticated:
            raise NotAuthenticated("Sign in or send an API key to do this.")
        if self.project_access == Access.READ and self.project.is_public and not self._is_member(request):
            raise PermissionDenied("Only members of the project's organisation get its alerts.")

    def _is_member(self, request: Request) -> bool:
        return self.project.organization.memberships.filter(user_id=int(request.user.pk or 0)).exists()

    @extend_schema(
        operation_id="alert_subscription_get", summary="How this project's alerts reach you",
        description="Unset: in the app, not by email.", parameters=PROJECT_PATH, responses=SubscriptionSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        self._member_check(request)
        return Response(subscription_payload(selectors.subscription_of(user=request.user, project=self.project)))  # type: ignore[arg-type]

    @extend_schema(
        operation_id="alert_subscription_set", summary="Choose how this project's alerts reach you, or snooze them",
        parameters=PROJECT_PATH, request=SubscriptionSerializer, responses=SubscriptionSerializer,
    )
    def put(self, request: Request, org: str, project: str) -> Response:
        self._member_check(request)
        sub = services.subscription_set(user=request.user, project=self.project, data=body_object(request))  # type: ignore[arg-type]
        return Response(subscription_payload(sub))


class RunMuteApi(ProjectScopedApi):
    @extend_schema(
        operation_id="alert_run_mute", summary="Mute a run's alerts (members)",
        parameters=RUN_PATH, request=RunMuteInSerializer, responses=RunMuteSerializer,
    )
    def put(self, request: Request, org: str, project: str, run_id: str) -> Response:
        mute = services.run_mute_set(run=self.get_run(run_id), user=request.user, data=body_object(request))  # type: ignore[arg-type]
        return Response({"muted": True, "until": mute.until})

    @extend_schema(
        operation_id="alert_run_unmute", summary="Unmute a run's alerts (members)",
        parameters=RUN_PATH, request=None, responses={200: RunMuteSerializer},
    )
    def delete(self, request: Request, org: str, project: str, run_id: str) -> Response:
        services.run_mute_clear(run=self.get_run(run_id))
        return Response({"muted": False, "until": None})


def _signed_in(request: Request) -> None:
    if not request.user.is_authenticated:
        raise NotAuthenticated("Sign in or send an API key to do this.")


class NotificationListApi(APIView):
    @extend_schema(
        operation_id="notification_list", summary="Your notifications",
        description="Alerts of the projects you follow, newest first, with how many are unread.",
        parameters=[], responses=NotificationListSerializer,
    )
    def get(self, request: Request) -> Response:
        _signed_in(request)
        rows = selectors.notification_list(user=request.user)  # type: ignore[arg-type]
        unread = selectors.unread_count(user=request.user)  # type: ignore[arg-type]
        return Response({"unread": unread, "results": [notification_payload(n) for n in rows]})


class NotificationsReadApi(APIView):
    @extend_schema(
        operation_id="notifications_read", summary="Mark your notifications read",
        request=NotificationsReadSerializer, responses=MarkedSerializer,
    )
    def post(self, request: Request) -> Response:
        _signed_in(request)
        marked = services.notifications_read(user=request.user, ids=body_object(request).get("ids"))  # type: ignore[arg-type]
        return Response({"marked": marked})
