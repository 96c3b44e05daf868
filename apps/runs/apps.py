from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registered by name in every process, so services can queue them by name.
        from apps.core.directory import search_source_register
        from apps.core.observability import backlog_register
        from apps.runs import (
            directory,
            tasks,  # noqa: F401
        )
        from apps.runs.models import Media, MediaStatus

        search_source_register("projects", 10, directory.project_search)
        search_source_register("runs", 20, directory.run_search)
        backlog_register("cairn_media_backlog", "Media items uploaded and not yet processed", "status",
                         lambda: {"pending": float(Media.objects.filter(status=MediaStatus.PENDING).count())})
