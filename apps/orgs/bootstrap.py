"""First start of an embedded server: a local admin, an org and an API key."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from apps.orgs.models import Organization
from apps.orgs.services import api_key_create, org_create

LOCAL_ORG = "local"
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class LocalAccount:
    username: str
    password: str
    api_key: str
    created: bool


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)


def local_account_ensure(*, data_dir: Path) -> LocalAccount:
    """Create the admin, the `local` org and a key once; later, read them back."""
    key_file, password_file = data_dir / "api-key", data_dir / "admin-password"
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(username=ADMIN_USERNAME).first()
        if user is not None and key_file.exists() and password_file.exists():
            return LocalAccount(
                ADMIN_USERNAME, password_file.read_text().strip(), key_file.read_text().strip(), False
            )
        password = secrets.token_urlsafe(12)
        if user is None:
            user = User.objects.create_superuser(username=ADMIN_USERNAME, email="", password=password)
        else:
            user.set_password(password)
            user.save()
        if not Organization.objects.filter(slug=LOCAL_ORG).exists():
            org_create(slug=LOCAL_ORG, name="Local", owner=user)
        _, key = api_key_create(user=user, name="make run")
    _write_secret(key_file, key)
    _write_secret(password_file, password)
    return LocalAccount(ADMIN_USERNAME, password, key, True)
