"""Page URLs. Organisation slugs may not take these first path segments."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from apps.orgs import views as org_views
from apps.runs import views as run_views
from webapp.search import search_page

urlpatterns = [
    # First: their patterns are more specific than the org/project catch-alls below.
    path("", include("apps.reports.page_urls")),
    path("", include("apps.benchmarks.page_urls")),
    path("", include("apps.artifacts.page_urls")),
    path("", include("apps.alerts.page_urls")),
    path("", include("apps.sweeps.page_urls")),
    path("", org_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/keys/", org_views.keys, name="keys"),
    path("settings/invitations/", org_views.invitations, name="invitations"),
    path("search/", search_page, name="search"),
    path("<str:org>/", run_views.org_home, name="org-home"),
    path("<str:org>/-/members/", org_views.org_settings, name="org-settings"),
    path("<str:org>/<str:project>/", run_views.project_page, name="project"),
    path("<str:org>/<str:project>/settings/", run_views.project_settings_page, name="project-settings"),
    path("<str:org>/<str:project>/compare/", run_views.compare_page, name="compare"),
    path("<str:org>/<str:project>/runs/<str:run_id>", run_views.run_page, name="run"),
    # A group is any text a run stored: slashes and newlines too (decoded from %2F, %0A).
    re_path(r"^(?P<org>[^/]+)/(?P<project>[^/]+)/groups/(?P<group>[\s\S]+)/\Z", run_views.group_page, name="group"),
]
