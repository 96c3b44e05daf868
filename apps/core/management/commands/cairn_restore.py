from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup into an empty database and file storage (docs/deploy.md, Backups)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_restore(source=options["folder"])
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"restored the database and {len(manifest['files'])} files from {options['folder']}")
