"""Page URLs (included before the organisation/project catch-alls)."""

from django.urls import path

from apps.reports import views

_reports = "<str:org>/<str:project>/reports/"

urlpatterns = [
    path("r/<str:key>/", views.report_public_page, name="report-public"),
    path(_reports, views.report_list_page, name="report-list-page"),
    path(f"{_reports}<str:key>/", views.report_page, name="report-page"),
    path(f"{_reports}<str:key>/edit", views.report_edit_page, name="report-edit"),
]
