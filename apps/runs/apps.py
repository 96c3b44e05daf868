from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registered by name in every process, so services can queue them by name.
        from apps.runs import tasks  # noqa: F401
