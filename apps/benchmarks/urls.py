from django.urls import URLPattern, path

from apps.benchmarks import api

_b = "benchmarks/<str:owner>/<str:slug>"
_s = f"{_b}/submissions/<int:submission_id>"

urlpatterns: list[URLPattern] = [
    path("benchmarks/", api.BenchmarkListApi.as_view(), name="benchmark-list"),
    path(_b, api.BenchmarkDetailApi.as_view(), name="benchmark-detail"),
    path(f"{_b}/invites/", api.BenchmarkInviteListApi.as_view(), name="benchmark-invites"),
    path(f"{_b}/invites/<str:org>", api.BenchmarkInviteApi.as_view(), name="benchmark-invite"),
    path(f"{_b}/leaderboard", api.LeaderboardApi.as_view(), name="leaderboard"),
    path(f"{_b}/leaderboard/best", api.BestOverTimeApi.as_view(), name="leaderboard-best"),
    path(f"{_b}/leaderboard/export.<str:fmt>", api.LeaderboardExportApi.as_view(), name="leaderboard-export"),
    path(f"{_b}/badge.svg", api.BadgeApi.as_view(), name="benchmark-badge"),
    path(f"{_b}/submissions/", api.SubmissionListApi.as_view(), name="submission-list"),
    path(_s, api.SubmissionDetailApi.as_view(), name="submission-detail"),
    path(f"{_s}/history", api.SubmissionHistoryApi.as_view(), name="submission-history"),
    path(f"{_s}/withdraw", api.SubmissionWithdrawApi.as_view(), name="submission-withdraw"),
    path(f"{_s}/moderate", api.SubmissionModerateApi.as_view(), name="submission-moderate"),
]
