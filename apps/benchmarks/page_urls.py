"""Page URLs (included before the organisation/project catch-alls)."""

from django.urls import URLPattern, path

from apps.benchmarks import views

urlpatterns: list[URLPattern] = [
    path("benchmarks/", views.benchmark_list_page, name="benchmark-list-page"),
    path("benchmarks/<str:owner>/<str:slug>/", views.leaderboard_page, name="leaderboard-page"),
    path("benchmarks/<str:owner>/<str:slug>/entries/<int:submission_id>/", views.entry_page, name="entry-page"),
]
