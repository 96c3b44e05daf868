"""Page URLs (included before the organisation/project catch-alls)."""

from django.urls import URLPattern, path

from apps.artifacts import views

urlpatterns: list[URLPattern] = [
    path("<str:org>/<str:project>/artifacts/<str:name>/", views.artifact_page, name="artifact-page"),
    path("<str:org>/<str:project>/artifacts/<str:name>/<str:ref>", views.version_page, name="artifact-version-page"),
]
