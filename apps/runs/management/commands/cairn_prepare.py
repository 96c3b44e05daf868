from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.orgs.bootstrap import local_account_ensure


class Command(BaseCommand):
    help = "Migrate, and on first start create the local admin, the 'local' organisation and an API key."

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        for folder in settings.CELERY_BROKER_TRANSPORT_OPTIONS.values():
            if isinstance(folder, str):
                settings.DATA_DIR.joinpath(folder).mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        local_account_ensure(data_dir=settings.DATA_DIR)
