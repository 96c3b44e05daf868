from django.urls import path

from apps.core.health import HealthApi
from apps.runs import api, chart_api, media_api, table_api

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

# Charts: the project workspace and the run page (apps/runs/chart_api.py).
_project = "projects/<str:org>/<str:project>"
urlpatterns += [
    path(f"{_project}/keys", chart_api.ProjectKeysApi.as_view(), name="project-keys"),
    path(f"{_project}/history", chart_api.ProjectHistoryApi.as_view(), name="project-history"),
    path(f"{_project}/workspace", chart_api.WorkspaceApi.as_view(), name="project-workspace"),
]

# The web app's runs table (apps/runs/table_api.py).
_table = "projects/<str:org>/<str:project>/table"
urlpatterns += [
    path(f"{_table}/rows", table_api.TableRowsApi.as_view(), name="table-rows"),
    path(f"{_table}/keys", table_api.TableKeysApi.as_view(), name="table-keys"),
    path(f"{_table}/view", table_api.TableViewApi.as_view(), name="table-view"),
    path(f"{_table}/groups", table_api.TableGroupsApi.as_view(), name="table-groups"),
    path(f"{_table}/export.csv", table_api.TableExportApi.as_view(), name="table-export"),
    path(f"{_table}/bulk", table_api.TableBulkApi.as_view(), name="table-bulk"),
]

# Media panels: the run page and the workspace (apps/runs/media_api.py).
urlpatterns += [
    path(f"{_run}/media", media_api.RunMediaListApi.as_view(), name="run-media"),
    path(f"{_run}/media/keys", media_api.RunMediaKeysApi.as_view(), name="run-media-keys"),
    path(f"{_run}/media/steps", media_api.RunMediaStepsApi.as_view(), name="run-media-steps"),
    path(f"{_run}/media/<int:media_id>/thumbnail", media_api.MediaThumbnailApi.as_view(), name="media-thumbnail"),
    path(f"{_run}/media/<int:media_id>/html", media_api.MediaHtmlApi.as_view(), name="media-html"),
    path(f"{_run}/histograms", media_api.RunHistogramsApi.as_view(), name="run-histograms"),
    path(f"{_project}/media", media_api.ProjectMediaApi.as_view(), name="project-media"),
    path(f"{_project}/media/keys", media_api.ProjectMediaKeysApi.as_view(), name="project-media-keys"),
]
