"""Page URLs (included before the organisation/project catch-alls)."""

from django.urls import URLPattern, path

from apps.sweeps import views

urlpatterns: list[URLPattern] = [
    path("<str:org>/<str:project>/sweeps/", views.sweep_list_page, name="sweep-list-page"),
    path("<str:org>/<str:project>/sweeps/<str:sweep_id>/", views.sweep_page, name="sweep-page"),
]
