from django.urls import path

from apps.runs import api
from apps.runs.health import HealthApi

_run = "projects/<str:org>/<str:project>/runs/<str:run_id>"

urlpatterns = [
    path("health", HealthApi.as_view(), name="health"),
    path("orgs/<str:org>/projects", api.ProjectListApi.as_view(), name="project-list"),
    path("projects/<str:org>/<str:project>", api.ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<str:org>/<str:project>/runs/", api.RunListApi.as_view(), name="run-list"),
    path(_run, api.RunDetailApi.as_view(), name="run-detail"),
    path(f"{_run}/heartbeat", api.RunHeartbeatApi.as_view(), name="run-heartbeat"),
    path(f"{_run}/finish", api.RunFinishApi.as_view(), name="run-finish"),
    path(f"{_run}/streams/<str:stream>", api.StreamAppendApi.as_view(), name="stream-append"),
    path(f"{_run}/history", api.HistorySampledApi.as_view(), name="history-sampled"),
    path(f"{_run}/history/export", api.HistoryExportApi.as_view(), name="history-export"),
    path(f"{_run}/console", api.ConsoleApi.as_view(), name="console"),
    path(f"{_run}/files/", api.FileListApi.as_view(), name="file-list"),
    path(f"{_run}/files/<path:path>", api.FileDetailApi.as_view(), name="file-detail"),
]
