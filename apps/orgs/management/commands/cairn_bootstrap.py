from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.orgs.bootstrap import local_account_ensure


class Command(BaseCommand):
    help = "Create the local admin, the 'local' organisation and an API key (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        account = local_account_ensure(data_dir=settings.DATA_DIR)
        self.stdout.write(f"login: {account.username}\npassword: {account.password}\napi key: {account.api_key}")
