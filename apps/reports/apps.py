from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.directory import org_section_register, search_source_register
        from apps.reports import directory

        org_section_register("reports", 10, directory.org_reports_section)
        search_source_register("reports", 30, directory.report_search)
