from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Bind @shared_task to our Celery app wherever Django starts (web,
        # worker, shell). Not in webapp/__init__.py: the `make run` supervisor
        # imports webapp and must stay light.
        import webapp.celery  # noqa: F401
