"""Pages for accounts: home, an organisation's members, invitations, API keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.core.access import Access
from apps.core.rendering import unstorable_text_find
from apps.orgs import people, selectors, services
from apps.orgs.models import Organization, Role
from apps.orgs.permissions import page_org


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    org = selectors.user_default_org(user=request.user)
    if org is not None:
        return redirect("org-home", org=org.slug)
    return render(request, "orgs/no_org.html", {"invitations": selectors.invitation_list_for_user(user=request.user)})


def _members_change(request: HttpRequest, organization: Organization) -> str:
    """An admin's form on the members page: invite, cancel an invitation,
    change a role, remove. The error to show, or ""."""
    action = request.POST.get("action", "role")
    if action in ("link", "revoke-link"):
        return _link_change(request, organization, action)
    if action == "cancel":
        invitation = selectors.invitation_get_for_org(org=organization, invitation_id=_int(request.POST.get("invitation_id")))
        if invitation is not None:
            services.invitation_delete(invitation=invitation)
        return ""
    username, role = request.POST.get("username", ""), request.POST.get("role", "member")
    if role not in Role.values:
        return "Choose admin, member or viewer."
    if action == "invite":
        try:
            services.invitation_create(org=organization, username=username, role=Role(role), invited_by=request.user)  # type: ignore[arg-type]
        except (services.BadUsername, services.AlreadyMember, services.TooManyInvitations) as e:
            return str(e)
        # The same words whether or not the username exists.
        messages.success(request, f"Invited {username} as {role}: they become a member when they accept.")
        return ""
    m = selectors.member_get(org=organization, username=username)
    if m is None:
        return f"{username} is not a member."
    try:
        if action == "remove":
            services.membership_remove(org=organization, user=m.user)
        else:
            services.membership_set(org=organization, user=m.user, role=Role(role))
    except services.LastAdmin as e:
        return str(e)
    return ""


def _link_change(request: HttpRequest, organization: Organization, action: str) -> str:
    """Make an invitation link (shown once, mailed when asked) or revoke one."""
    if action == "revoke-link":
        people.invite_link_revoke(org=organization, link_id=_int(request.POST.get("link_id")))
        return ""
    role, email = request.POST.get("role", "member"), request.POST.get("email", "").strip()
    days = _int(request.POST.get("days")) if request.POST.get("days") else settings.CAIRN_INVITE_DAYS
    if role not in Role.values:
        return "Choose admin, member or viewer."
    if email:
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            return f"{email[:100]} is not an email address."
    join_url = (settings.PUBLIC_URL + "/join/") if settings.PUBLIC_URL else request.build_absolute_uri("/join/")
    try:
        new = people.invite_link_create(
            org=organization, role=Role(role), invited_by=request.user, days=days, email=email, join_url=join_url,  # type: ignore[arg-type]
        )
    except (ValueError, people.TooManyLinks) as e:
        return str(e)
    # Shown on the next page only, like a new API key: only its hash is kept.
    request.session["new_invite_link"] = join_url + new.token + "/"
    if email and settings.CAIRN_EMAIL_ENABLED:
        messages.success(request, f"Invitation link made and mailed to {email}.")
    return ""


def _int(raw: str | None) -> int:
    # A form field is text: only a short run of ASCII digits is an id (int() refuses 4,300+ digits).
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0


@require_http_methods(["GET", "POST"])
def org_settings(request: HttpRequest, org: str) -> HttpResponse:
    organization, access = page_org(request, org, Access.READ)
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "leave":  # any member, for themselves
            try:
                services.membership_remove(org=organization, user=request.user)  # type: ignore[arg-type]
            except services.LastAdmin as e:
                error = str(e)
            else:
                return redirect("home")
        else:
            page_org(request, org, Access.ADMIN)
            error = _members_change(request, organization)
        if not error:
            return redirect("org-settings", org=organization.slug)
    is_admin = access >= Access.ADMIN
    return render(
        request,
        "orgs/org_settings.html",
        {
            "org": organization,
            "members": selectors.member_list(org=organization),
            "invitations": selectors.invitation_list_for_org(org=organization) if is_admin else [],
            "links": people.invite_link_list(org=organization) if is_admin else [],
            "new_link": request.session.pop("new_invite_link", "") if is_admin else "",
            "invite_days": settings.CAIRN_INVITE_DAYS,
            "email_enabled": settings.CAIRN_EMAIL_ENABLED,
            "now": timezone.now(),
            "is_admin": is_admin,
            "roles": Role.values,
            "error": error,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest) -> HttpResponse:
    """The signed-in user's invitations, to accept or decline."""
    user = request.user
    if request.method == "POST":
        invitation = selectors.invitation_get_for_user(user=user, invitation_id=_int(request.POST.get("invitation_id")))  # type: ignore[arg-type]
        if invitation is not None:
            if request.POST.get("action") == "accept":
                m = services.invitation_accept(invitation=invitation, user=user)  # type: ignore[arg-type]
                return redirect("org-home", org=m.organization.slug)
            services.invitation_delete(invitation=invitation)
        return redirect("invitations")
    return render(request, "orgs/invitations.html", {"invitations": selectors.invitation_list_for_user(user=user)})  # type: ignore[arg-type]


@login_required
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    user = request.user
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            key_id = request.POST.get("key_id", "")
            # A form field is text: only a key's own id (digits, within a database integer) names one.
            if not (key_id.isascii() and key_id.isdigit() and len(key_id) <= 18):
                error = "No such key."
            else:
                services.api_key_revoke(user=user, key_id=int(key_id))  # type: ignore[arg-type]
        else:
            name = request.POST.get("name", "")
            found = unstorable_text_find(name)
            if found is not None:
                error = found[1]
            else:
                _, key = services.api_key_create(user=user, name=name)  # type: ignore[arg-type]
                # Shown on the next page only: a reload neither repeats the POST nor shows it again.
                request.session["new_api_key"] = key
        if not error:
            return redirect("keys")
    new_key = request.session.pop("new_api_key", "")
    context = {"keys": selectors.api_key_list(user=user), "new_key": new_key, "error": error}  # type: ignore[arg-type]
    return render(request, "orgs/keys.html", context, status=400 if error else 200)
