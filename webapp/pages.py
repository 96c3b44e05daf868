"""Page URLs. Organisation slugs may not take these first path segments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path, reverse_lazy

from apps.orgs import people_views
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
    path("login/", auth_views.LoginView.as_view(
        template_name="login.html", extra_context={"signup_open": settings.CAIRN_SIGNUP == "open"}), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/keys/", org_views.keys, name="keys"),
    path("settings/invitations/", org_views.invitations, name="invitations"),
    path("settings/profile/", people_views.profile, name="profile"),
    path("settings/orgs/new/", people_views.org_new, name="org-new"),
    path("settings/password/", auth_views.PasswordChangeView.as_view(
        template_name="orgs/password_change.html", success_url=reverse_lazy("password_change_done")), name="password_change"),
    path("settings/password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="orgs/password_change_done.html"), name="password_change_done"),
    path("password-reset/", people_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="orgs/password_reset_done.html"), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="orgs/password_reset_confirm.html", success_url=reverse_lazy("password_reset_complete")),
        name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="orgs/password_reset_complete.html"), name="password_reset_complete"),
    path("signup/", people_views.signup, name="signup"),
    path("join/<str:token>/", people_views.join, name="join"),
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
