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

        from django.core.signals import request_finished

        from apps.core import outbox
        from apps.core.observability import backlog_register, request_id_clear

        request_finished.connect(request_id_clear, dispatch_uid="apps.core.observability.request_id_clear")
        from webapp.celery import QUEUES

        backlog_register("cairn_queue_depth", "Messages waiting in each broker queue", "queue",
                         lambda: {q: float(outbox.queue_size(q)) for q in QUEUES})
        backlog_register("cairn_outbox_tasks", "Tasks queued and not done (waiting), or failed for good", "state",
                         lambda: {k: float(v) for k, v in outbox.pending_tasks_summary().items()})
