"""Shared fixtures of the artifacts tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def local_files(settings: Any, tmp_path: Path) -> Path:
    """Django's default storage in a folder of this test's own: artifact files counted there."""
    root = tmp_path / "files"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}
    return root
