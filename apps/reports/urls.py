from django.urls import path, re_path

from apps.reports import api

_report = "reports/<str:key>"

urlpatterns = [
    path("projects/<str:org>/<str:project>/reports", api.ReportListApi.as_view(), name="report-list"),
    path(_report, api.ReportDetailApi.as_view(), name="report-detail"),
    path(f"{_report}/blocks", api.ReportBlocksApi.as_view(), name="report-blocks"),
    path(f"{_report}/publish", api.ReportPublishApi.as_view(), name="report-publish"),
    path(f"{_report}/data", api.ReportDataApi.as_view(), name="report-data"),
    path(f"{_report}/panels/<str:block>/data", api.ReportPanelDataApi.as_view(), name="report-panel-data"),
    re_path(r"^reports/(?P<key>[\w-]+)/panels/(?P<block>[^/]+)/media/(?P<media_id>[0-9]+)/(?P<what>thumbnail|file)$",
            api.ReportMediaApi.as_view(), name="report-media"),
    path(f"{_report}/versions", api.ReportVersionListApi.as_view(), name="report-versions"),
    path(f"{_report}/versions/<int:number>", api.ReportVersionApi.as_view(), name="report-version"),
    path(f"{_report}/comments", api.ReportCommentsApi.as_view(), name="report-comments"),
    re_path(r"^reports/(?P<key>[\w-]+)/export\.(?P<fmt>html|pdf)$", api.ReportExportApi.as_view(), name="report-export"),
]
