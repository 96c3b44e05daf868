"""Page URLs (included before the organisation/project catch-alls)."""

from django.urls import URLPattern, path

from apps.alerts import views

urlpatterns: list[URLPattern] = [
    path("notifications/", views.notifications_page, name="notifications-page"),
    path("<str:org>/-/alert-channels/", views.channels_page, name="alert-channels-page"),
    path("<str:org>/<str:project>/alerts/", views.project_alerts_page, name="alerts-page"),
]
