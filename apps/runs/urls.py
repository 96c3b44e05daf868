from django.urls import path, re_path

from apps.core.health import HealthApi, ReadyApi
from apps.runs.api import alerts, charts, media, runs, table

_run = "projects/<str:org>/<str:project>/runs/<str:run_id>"

urlpatterns = [
    path("health", HealthApi.as_view(), name="health"),
    path("ready", ReadyApi.as_view(), name="ready"),
    path("orgs/<str:org>/projects", runs.ProjectListApi.as_view(), name="project-list"),
    path("projects/<str:org>/<str:project>", runs.ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<str:org>/<str:project>/runs/", runs.RunListApi.as_view(), name="run-list"),
    path(_run, runs.RunDetailApi.as_view(), name="run-detail"),
    path(f"{_run}/heartbeat", runs.RunHeartbeatApi.as_view(), name="run-heartbeat"),
    path(f"{_run}/writers", runs.RunWritersApi.as_view(), name="run-writers"),
    path(f"{_run}/finish", runs.RunFinishApi.as_view(), name="run-finish"),
    path(f"{_run}/alerts", alerts.RunAlertsApi.as_view(), name="run-alerts"),
    # Each stream its own operation in the schema (its records differ); any other name is a 400.
    path(f"{_run}/streams/history", runs.HistoryAppendApi.as_view(), {"stream": "history"}, name="history-append"),
    path(f"{_run}/streams/system", runs.SystemAppendApi.as_view(), {"stream": "system"}, name="system-append"),
    path(f"{_run}/streams/console", runs.ConsoleAppendApi.as_view(), {"stream": "console"}, name="console-append"),
    path(f"{_run}/streams/<str:stream>", runs.StreamAppendApi.as_view(), name="stream-append"),
    path(f"{_run}/history", runs.HistorySampledApi.as_view(), name="history-sampled"),
    path(f"{_run}/history/export", runs.HistoryExportApi.as_view(), name="history-export"),
    path(f"{_run}/console", runs.ConsoleApi.as_view(), name="console"),
    path(f"{_run}/files/", runs.FileListApi.as_view(), name="file-list"),
    # Any characters, newlines too, so that file_path_check answers a bad
    # path with its 400 (`<path:>` stops at a newline: an HTML 404).
    re_path(
        r"^projects/(?P<org>[^/]+)/(?P<project>[^/]+)/runs/(?P<run_id>[^/]+)/files/(?P<path>[\s\S]+)\Z",
        runs.FileDetailApi.as_view(),
        name="file-detail",
    ),
]

# Charts: the project workspace, the run page and the group page (apps/runs/api/charts.py).
_project = "projects/<str:org>/<str:project>"
urlpatterns += [
    path(f"{_project}/keys", charts.ProjectKeysApi.as_view(), name="project-keys"),
    path(f"{_project}/history", charts.ProjectHistoryApi.as_view(), name="project-history"),
    path(f"{_project}/workspace", charts.WorkspaceApi.as_view(), name="project-workspace"),
    # A group is any text a run stored: slashes and newlines too (decoded from %2F, %0A).
    re_path(
        r"^projects/(?P<org>[^/]+)/(?P<project>[^/]+)/groups/(?P<group>[\s\S]+)/history\Z",
        charts.GroupHistoryApi.as_view(),
        name="group-history",
    ),
]

# The web app's runs table (apps/runs/api/table.py).
_table = "projects/<str:org>/<str:project>/table"
urlpatterns += [
    path(f"{_table}/rows", table.TableRowsApi.as_view(), name="table-rows"),
    path(f"{_table}/keys", table.TableKeysApi.as_view(), name="table-keys"),
    path(f"{_table}/view", table.TableViewApi.as_view(), name="table-view"),
    path(f"{_table}/groups", table.TableGroupsApi.as_view(), name="table-groups"),
    path(f"{_table}/export.csv", table.TableExportApi.as_view(), name="table-export"),
    path(f"{_table}/bulk", table.TableBulkApi.as_view(), name="table-bulk"),
]

# Media panels: the run page and the workspace (apps/runs/media.py).
urlpatterns += [
    path(f"{_run}/media", media.RunMediaListApi.as_view(), name="run-media"),
    path(f"{_run}/media/keys", media.RunMediaKeysApi.as_view(), name="run-media-keys"),
    path(f"{_run}/media/steps", media.RunMediaStepsApi.as_view(), name="run-media-steps"),
    path(f"{_run}/media/<int:media_id>/thumbnail", media.MediaThumbnailApi.as_view(), name="media-thumbnail"),
    path(f"{_run}/media/<int:media_id>/html", media.MediaHtmlApi.as_view(), name="media-html"),
    path(f"{_run}/histograms", media.RunHistogramsApi.as_view(), name="run-histograms"),
    path(f"{_project}/media", media.ProjectMediaApi.as_view(), name="project-media"),
    path(f"{_project}/media/keys", media.ProjectMediaKeysApi.as_view(), name="project-media-keys"),
]
