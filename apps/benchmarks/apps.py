from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    name = "apps.benchmarks"
    label = "benchmarks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.benchmarks import directory, receivers, tasks  # noqa: F401  (tasks: registered by name)
        from apps.core.directory import org_section_register, search_source_register

        org_section_register("benchmarks", 20, directory.org_benchmarks_section)
        search_source_register("benchmarks", 40, directory.benchmark_search)
        from apps.runs.signals import run_finished, run_upserted

        run_upserted.connect(receivers.enter_on_upsert, dispatch_uid="benchmarks.enter_on_upsert")
        run_finished.connect(receivers.score_on_finish, dispatch_uid="benchmarks.score_on_finish")
