from django.urls import URLPattern, path

from apps.sweeps import api

_p = "projects/<str:org>/<str:project>/sweeps"
_s = f"{_p}/<str:sweep_id>"

urlpatterns: list[URLPattern] = [
    path(f"{_p}/", api.SweepListApi.as_view(), name="sweep-list"),
    path(_s, api.SweepDetailApi.as_view(), name="sweep-detail"),
    path(f"{_s}/next", api.SweepNextApi.as_view(), name="sweep-next"),
    path(f"{_s}/runs", api.TrialListApi.as_view(), name="sweep-runs"),
    path(f"{_s}/runs/<str:run_id>/stop", api.TrialStopApi.as_view(), name="sweep-run-stop"),
    path(f"{_s}/importance", api.ImportanceApi.as_view(), name="sweep-importance"),
    path(
        f"{_s}/agents/<str:agent_id>/heartbeat",
        api.AgentHeartbeatApi.as_view(),
        name="sweep-agent-heartbeat",
    ),
    path(f"{_s}/control/<str:action>", api.SweepControlApi.as_view(), name="sweep-control"),
]
