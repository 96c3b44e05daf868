from django.urls import URLPattern, path

from apps.alerts import api

_p = "projects/<str:org>/<str:project>"

urlpatterns: list[URLPattern] = [
    path("orgs/<str:org>/alert-channels", api.ChannelListApi.as_view(), name="alert-channel-list"),
    path("orgs/<str:org>/alert-channels/<int:channel_id>", api.ChannelDetailApi.as_view(), name="alert-channel"),
    path(f"{_p}/alert-rules", api.RuleListApi.as_view(), name="alert-rule-list"),
    path(f"{_p}/alert-rules/<int:rule_id>", api.RuleDetailApi.as_view(), name="alert-rule"),
    path(f"{_p}/alert-deliveries", api.DeliveryListApi.as_view(), name="alert-delivery-list"),
    path(f"{_p}/alert-deliveries/<int:delivery_id>/retry", api.DeliveryRetryApi.as_view(), name="alert-delivery-retry"),
    path(f"{_p}/alert-subscription", api.SubscriptionApi.as_view(), name="alert-subscription"),
    path(f"{_p}/runs/<str:run_id>/alert-mute", api.RunMuteApi.as_view(), name="alert-run-mute"),
    path("notifications", api.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/read", api.NotificationsReadApi.as_view(), name="notifications-read"),
]
