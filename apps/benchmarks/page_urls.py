"""Page URLs (included before the organisation/project catch-alls)."""

from django.urls import URLPattern, path

from apps.benchmarks import edit_views, views

urlpatterns: list[URLPattern] = [
    path("benchmarks/", views.benchmark_list_page, name="benchmark-list-page"),
    path("benchmarks/new/", edit_views.benchmark_new_page, name="benchmark-new-page"),
    path("benchmarks/<str:owner>/<str:slug>/edit/", edit_views.benchmark_edit_page, name="benchmark-edit-page"),
    path("benchmarks/<str:owner>/<str:slug>/", views.leaderboard_page, name="leaderboard-page"),
    path("benchmarks/<str:owner>/<str:slug>/entries/<int:submission_id>/", views.entry_page, name="entry-page"),
]
