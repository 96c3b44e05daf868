"""Lone UTF-16 surrogates, which older versions stored in SQLite's JSON columns
and which broke every read of their row, replaced by U+FFFD (apps/core/repair.py)."""

from typing import Any

from django.db import migrations

from apps.core.repair import lone_surrogates_repair

JSON_FIELDS = {
    "Benchmark": ["secondary_metrics", "config_columns"],
    "Submission": ["metrics", "summary", "config", "code"],
}


def repair(apps: Any, schema_editor: Any) -> None:
    for model, fields in JSON_FIELDS.items():
        lone_surrogates_repair(apps.get_model("benchmarks", model), fields, vendor=schema_editor.connection.vendor)


class Migration(migrations.Migration):
    dependencies = [
        ("benchmarks", "0001_initial"),
    ]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop, elidable=True)]
