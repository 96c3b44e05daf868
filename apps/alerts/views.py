"""Pages: a project's alert rules and deliveries, an organisation's channels, your notifications.

Plain forms, each POST one service call; errors come back on the page with a 400.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from rest_framework.exceptions import APIException

from apps.alerts import selectors, services
from apps.alerts.models import ChannelKind, DeliveryState, RuleKind
from apps.core.access import Access
from apps.orgs.permissions import page_org
from apps.runs.permissions import page_project
from apps.runs.selectors import run_get

_ID_MAX = 18


def _id(text: str) -> int | None:
    """A form field naming a row: digits only, within a database integer."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= _ID_MAX else None


def _rule_data(post: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": post.get("kind", ""), "name": post.get("name", "")}
    for field in ("condition", "min_level", "best_key", "best_goal", "artifact", "alias"):
        if post.get(field):
            data[field] = post[field]
    if post.get("minutes"):
        data["minutes"] = _id(post["minutes"]) if _id(post["minutes"]) is not None else post["minutes"]
    data["channels"] = [_id(c) if _id(c) is not None else c for c in post.getlist("channels")]
    return data


def _error(e: APIException) -> str:
    field = getattr(e, "field", None)
    return f"{field}: {e.detail}" if field else str(e.detail)


def _subscription_data(post: Any) -> dict[str, Any]:
    snooze = post.get("snooze_minutes", "")
    data: dict[str, Any] = {"in_app": post.get("in_app") == "on", "email": post.get("email") == "on"}
    if snooze:
        data["snooze_minutes"] = _id(snooze) if _id(snooze) is not None else snooze
    return data


def project_alerts_page(request: HttpRequest, org: str, project: str) -> HttpResponse:
    proj, access = page_project(request, org, project, need=Access.READ)
    error = ""
    member = request.user.is_authenticated and proj.organization.memberships.filter(user_id=request.user.pk).exists()
    if request.method == "POST" and request.POST.get("action") == "subscribe" and member:
        # Anyone of the organisation chooses for themselves, viewers too.
        try:
            services.subscription_set(user=request.user, project=proj, data=_subscription_data(request.POST))  # type: ignore[arg-type]
        except APIException as e:
            error = _error(e)
        else:
            return redirect("alerts-page", org=proj.organization.slug, project=proj.slug)
    elif request.method == "POST":
        proj, access = page_project(request, org, project, need=Access.WRITE)
        action, post = request.POST.get("action", ""), request.POST
        try:
            if action == "create":
                services.rule_create(project=proj, user=request.user, data=_rule_data(post))  # type: ignore[arg-type]
            elif action in ("delete", "mute", "unmute") and _id(post.get("rule_id", "")) is not None:
                rule = selectors.rule_get(project=proj, rule_id=int(post["rule_id"]))
                if action == "delete":
                    services.rule_delete(rule=rule)
                else:
                    services.rule_update(rule=rule, data={"enabled": action == "unmute"})
            elif action in ("mute_run", "unmute_run"):
                run = run_get(project=proj, run_id=post.get("run_id", "")[:64])
                if action == "mute_run":
                    minutes = post.get("minutes", "")
                    data = {"minutes": _id(minutes) if _id(minutes) is not None else minutes} if minutes else {}
                    services.run_mute_set(run=run, user=request.user, data=data)  # type: ignore[arg-type]
                else:
                    services.run_mute_clear(run=run)
            elif action == "retry" and _id(post.get("delivery_id", "")) is not None:
                delivery = selectors.delivery_get(project=proj, delivery_id=int(post["delivery_id"]))
                services.delivery_retry(delivery=delivery)
            else:
                error = "Unknown action."
        except APIException as e:
            error = _error(e)
        if not error:
            return redirect("alerts-page", org=proj.organization.slug, project=proj.slug)
    context = {
        "org": proj.organization, "project": proj, "can_write": access >= Access.WRITE, "error": error,
        "rules": selectors.rule_list(project=proj), "kinds": RuleKind.values,
        "channels": selectors.channel_list(org=proj.organization),
        "deliveries": selectors.delivery_list(project=proj, limit=100) if access >= Access.WRITE else [],
        "failed": DeliveryState.FAILED,
        "muted_runs": selectors.run_mutes(project=proj),
        "subscription": selectors.subscription_of(user=request.user, project=proj) if member else None,  # type: ignore[arg-type]
    }
    return render(request, "alerts/project.html", context, status=400 if error else 200)


def channels_page(request: HttpRequest, org: str) -> HttpResponse:
    organization, access = page_org(request, org, need=Access.ADMIN)
    error, secret = "", ""
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("action") == "delete" and _id(post.get("channel_id", "")) is not None:
                services.channel_delete(channel=selectors.channel_get(org=organization, channel_id=int(post["channel_id"])))
            elif post.get("action") == "create":
                data: dict[str, Any] = {"name": post.get("name", ""), "kind": post.get("kind", "")}
                if data["kind"] == ChannelKind.EMAIL:
                    data["emails"] = [e.strip() for e in post.get("emails", "").split(",") if e.strip()]
                else:
                    data["url"] = post.get("url", "")
                channel = services.channel_create(org=organization, user=request.user, data=data)  # type: ignore[arg-type]
                # Shown on the next page only, as a new API key is.
                request.session["new_channel_secret"] = channel.secret
            else:
                error = "Unknown action."
        except APIException as e:
            error = _error(e)
        if not error:
            return redirect("alert-channels-page", org=organization.slug)
    secret = request.session.pop("new_channel_secret", "")
    context = {
        "org": organization, "channels": selectors.channel_list(org=organization), "kinds": ChannelKind.values,
        "error": error, "secret": secret,
    }
    return render(request, "alerts/channels.html", context, status=400 if error else 200)


def notifications_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        one = _id(request.POST.get("notification_id", ""))
        services.notifications_read(user=request.user, ids=[one] if one is not None else None)
        return redirect("notifications-page")
    rows = selectors.notification_list(user=request.user)
    return render(request, "alerts/notifications.html", {"notifications": rows})


