"""On PostgreSQL, keep chunk payloads out of TOAST compression: they are
compressed already, and pglz would spend CPU to gain nothing."""

from django.db import migrations


def set_storage(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE runs_historychunk ALTER COLUMN payload SET STORAGE EXTERNAL")
    schema_editor.execute("ALTER TABLE runs_historyseries ALTER COLUMN summary SET STORAGE EXTERNAL")


class Migration(migrations.Migration):
    dependencies = [("runs", "0001_initial")]
    operations = [migrations.RunPython(set_storage, migrations.RunPython.noop)]
