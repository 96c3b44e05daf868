from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registered by name in every process, so services can queue them by name.
        from apps.core.directory import search_source_register
        from apps.runs import (
            directory,
            tasks,  # noqa: F401
        )

        search_source_register("projects", 10, directory.project_search)
        search_source_register("runs", 20, directory.run_search)
