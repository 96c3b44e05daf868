from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and every stored file into a new folder (docs/deploy.md, Backups)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_create(dest=options["folder"])
        except BackupError as e:
            raise CommandError(str(e)) from e
        size = sum(f["size"] for f in manifest["files"])
        self.stdout.write(f"backed up the database and {len(manifest['files'])} files ({size} bytes) "
                          f"into {options['folder']}; {len(manifest['missing'])} deleted while copying")
