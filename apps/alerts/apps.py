from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    label = "alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.alerts import receivers, tasks  # noqa: F401  (tasks: registered by name)
        from apps.artifacts.signals import alias_moved
        from apps.runs.signals import alert_recorded, history_appended, run_finished

        history_appended.connect(receivers.on_history, dispatch_uid="alerts.on_history")
        run_finished.connect(receivers.on_run_finished, dispatch_uid="alerts.on_run_finished")
        alert_recorded.connect(receivers.on_alert, dispatch_uid="alerts.on_alert")
        alias_moved.connect(receivers.on_alias_moved, dispatch_uid="alerts.on_alias_moved")
