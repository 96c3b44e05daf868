"""GIN indexes on config and summary (PostgreSQL): equality filters such as
`config.optimizer = "adam"` become index lookups instead of a scan of every run."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE INDEX IF NOT EXISTS run_config_gin ON runs_run USING gin (config jsonb_path_ops)")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS run_summary_gin ON runs_run USING gin (summary jsonb_path_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS run_config_gin")
    schema_editor.execute("DROP INDEX IF EXISTS run_summary_gin")


class Migration(migrations.Migration):
    dependencies = [("runs", "0004_workspace")]
    operations = [migrations.RunPython(create, drop)]
