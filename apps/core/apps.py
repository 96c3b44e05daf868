from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The plumbing every app shares; its only models are the task outbox's."""

    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        # Bind @shared_task to our Celery app wherever Django starts (web,
        # worker, shell). Not in webapp/__init__.py: the `make run` supervisor
        # imports webapp and must stay light.
        import webapp.celery  # noqa: F401
        from apps.core.db import connection_prepare

        # Every new database connection: RE2 for SQLite's REGEXP, the query time limit.
        connection_created.connect(connection_prepare, dispatch_uid="apps.core.db.connection_prepare")
