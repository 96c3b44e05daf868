"""Page URLs (included before the organisation/project catch-alls)."""

from django.urls import URLPattern, path

from apps.artifacts import registry_views, views

urlpatterns: list[URLPattern] = [
    path("<str:org>/<str:project>/artifacts/<str:name>/", views.artifact_page, name="artifact-page"),
    path("<str:org>/<str:project>/artifacts/<str:name>/<str:ref>", views.version_page, name="artifact-version-page"),
    # "-" is no project's slug: these are the organisation's own pages, as <org>/-/members/.
    path("<str:org>/-/registry/", registry_views.registry_page, name="registry-page"),
    path("<str:org>/-/registry/<str:name>/", registry_views.registered_model_page, name="registered-model-page"),
]
