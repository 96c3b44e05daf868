"""Pages for accounts: home, an organisation's projects and members, API keys."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.orgs import selectors, services
from apps.orgs.models import Membership, Role
from apps.runs import services as run_services
from apps.runs.errors import BadInput, Conflict
from apps.runs.models import Visibility
from apps.runs.pages import page_org
from apps.runs.permissions import Access


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    org = selectors.user_default_org(user=request.user)
    if org is not None:
        return redirect("org-home", org=org.slug)
    return render(request, "orgs/no_org.html")


@require_http_methods(["GET", "POST"])
def org_home(request: HttpRequest, org: str) -> HttpResponse:
    organization, access = page_org(request, org, Access.NONE)
    error = ""
    if request.method == "POST":
        page_org(request, org, Access.WRITE)
        try:
            project = run_services.project_create(
                org=organization,
                slug=request.POST.get("slug", ""),
                name=request.POST.get("name", ""),
                visibility=request.POST.get("visibility", Visibility.PRIVATE),
            )
        except (BadInput, Conflict) as e:
            error = str(e.detail)
        else:
            return redirect("project", org=organization.slug, project=project.slug)
    projects = organization.projects.all() if access >= Access.READ else organization.projects.filter(visibility=Visibility.PUBLIC)
    if access == Access.NONE and not projects.exists():
        from django.http import Http404

        raise Http404
    projects = projects.annotate(run_count=Count("runs"), last_run=Max("runs__heartbeat_at")).order_by("slug")
    return render(
        request,
        "orgs/org_home.html",
        {"org": organization, "projects": projects, "can_create": access >= Access.WRITE,
         "is_admin": access >= Access.ADMIN, "error": error},
    )


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
        elif action == "remove":
            if _last_admin(organization.pk, target):
                error = "An organisation keeps at least one admin."
            else:
                services.membership_remove(org=organization, user=target)
        else:
            role = request.POST.get("role", "member")
            if role not in Role.values:
                error = "Choose admin, member or viewer."
            elif role != Role.ADMIN and _last_admin(organization.pk, target):
                error = "An organisation keeps at least one admin."
            else:
                services.membership_set(org=organization, user=target, role=Role(role))
        if not error:
            return redirect("org-settings", org=organization.slug)
    members = Membership.objects.filter(organization=organization).select_related("user").order_by("user__username")
    return render(
        request,
        "orgs/org_settings.html",
        {"org": organization, "members": members, "is_admin": access >= Access.ADMIN, "roles": Role.values, "error": error},
    )


def _last_admin(org_id: int, user: User) -> bool:
    admins = list(Membership.objects.filter(organization_id=org_id, role=Role.ADMIN).values_list("user_id", flat=True))
    return admins == [user.pk]


@login_required
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.api_key_revoke(user=user, key_id=int(request.POST.get("key_id", "0") or 0))  # type: ignore[arg-type]
        else:
            _, key = services.api_key_create(user=user, name=request.POST.get("name", ""))  # type: ignore[arg-type]
            # Shown on the next page only: a reload neither repeats the POST nor shows it again.
            request.session["new_api_key"] = key
        return redirect("keys")
    new_key = request.session.pop("new_api_key", "")
    return render(request, "orgs/keys.html", {"keys": selectors.api_key_list(user=user), "new_key": new_key})  # type: ignore[arg-type]
