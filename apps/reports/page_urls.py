"""Page URLs (included before the organisation/project catch-alls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
