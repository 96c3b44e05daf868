"""Pages for accounts: home, an organisation's members, API keys."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.core.access import Access
from apps.core.rendering import unstorable_text_find
from apps.orgs import selectors, services
from apps.orgs.models import Membership, Role
from apps.orgs.permissions import page_org


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    org = selectors.user_default_org(user=request.user)
    if org is not None:
        return redirect("org-home", org=org.slug)
    return render(request, "orgs/no_org.html")


@require_http_methods(["GET", "POST"])
def org_settings(request: HttpRequest, org: str) -> HttpResponse:
    organization, access = page_org(request, org, Access.READ)
    error = ""
    if request.method == "POST":
        page_org(request, org, Access.ADMIN)
        username = request.POST.get("username", "")
        action = request.POST.get("action", "set")
        target = get_user_model().objects.filter(username=username).first()
        if target is None:
            error = f"No user named {username!r}."
        else:
            role = request.POST.get("role", "member")
            try:
                if action == "remove":
                    services.membership_remove(org=organization, user=target)
                elif role not in Role.values:
                    error = "Choose admin, member or viewer."
                else:
                    services.membership_set(org=organization, user=target, role=Role(role))
            except services.LastAdmin as e:
                error = str(e)
        if not error:
            return redirect("org-settings", org=organization.slug)
    members = Membership.objects.filter(organization=organization).select_related("user").order_by("user__username")
    return render(
        request,
        "orgs/org_settings.html",
        {"org": organization, "members": members, "is_admin": access >= Access.ADMIN, "roles": Role.values, "error": error},
    )


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
