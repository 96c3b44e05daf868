from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_outbox"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScanCursor",
            fields=[
                ("name", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("position", models.CharField(blank=True, max_length=500)),
            ],
        ),
    ]
