from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from apps.core.errors import API_PREFIX
from apps.core.observability import metrics_view

api_v1: list[URLPattern | URLResolver] = [
    path("", include("apps.orgs.urls")),
    path("", include("apps.runs.urls")),
    path("", include("apps.reports.urls")),
    path("", include("apps.benchmarks.urls")),
    path("", include("apps.artifacts.urls")),
    path("", include("apps.alerts.urls")),
    path("", include("apps.sweeps.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view: its start-up script is a file of its own, as the CSP asks.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

urlpatterns = [
    path(API_PREFIX.lstrip("/"), include(api_v1)),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),  # Prometheus (CAIRN_METRICS_TOKEN)
    path("", include("webapp.pages")),
]

# JSON under /api/v1/, Django's pages elsewhere (webapp/errors.py).
handler400 = "webapp.errors.bad_request"
handler403 = "webapp.errors.permission_denied"
handler404 = "webapp.errors.page_not_found"
handler500 = "webapp.errors.server_error"
