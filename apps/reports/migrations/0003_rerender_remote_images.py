"""Published versions keep their text blocks rendered; those rendered before
Markdown images were limited to this server's run files and data: URIs
(apps/core/markdown.py) are rendered again, so their readers' browsers stop
loading images from elsewhere."""

from typing import Any

from django.db import migrations

from apps.core.markdown import markdown_render


def rerender(apps: Any, schema_editor: Any) -> None:
    ReportVersion = apps.get_model("reports", "ReportVersion")
    for version in ReportVersion.objects.only("pk", "blocks", "html").iterator(chunk_size=200):
        if not any("<img" in html for html in (version.html or {}).values()):
            continue
        texts = {b["id"]: b["text"] for b in version.blocks if b.get("type") == "text"}
        html = {i: markdown_render(text=t) for i, t in texts.items()}
        if html != version.html:
            ReportVersion.objects.filter(pk=version.pk).update(html=html)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_repair_lone_surrogates"),
    ]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True)]
