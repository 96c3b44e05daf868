"""Runs started without a name get a readable one (``brave-otter-12``), as new runs now do."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from apps.runs.names import run_name_new


def name_unnamed_runs(apps: Any, schema_editor: Any) -> None:
    Run = apps.get_model("runs", "Run")
    counts: dict[int, int] = {}
    for run in Run.objects.order_by("project_id", "created_at", "pk").only("pk", "project_id", "name"):
        counts[run.project_id] = counts.get(run.project_id, 0) + 1
        if not run.name:
            Run.objects.filter(pk=run.pk).update(name=run_name_new(counts[run.project_id]))


class Migration(migrations.Migration):
    dependencies = [("runs", "0014_run_fingerprint_art")]

    operations = [migrations.RunPython(name_unnamed_runs, migrations.RunPython.noop)]
