"""Backups: the database and every stored file, and a restore into a fresh place.

A backup folder holds the database (`pg_dump`'s custom format, or a copy of
the SQLite file made with SQLite's backup API), the stored files under
`files/` and `manifest.json`: each file's name, size and SHA-256. The database
is dumped first and the files copied after, so every file the dump refers to
is in the backup unless it was deleted in between (listed as `missing`);
files written after the dump are extra and harmless.

A restore goes into an empty database and storage only, never over data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """What a person must fix before a backup or restore can run: said in one sentence."""


def _database() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _walk(prefix: str = "") -> Iterator[str]:
    """Every name in the default storage (local folders or a bucket alike)."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:  # a local storage's folder not made yet: empty
        return
    for name in files:
        yield f"{prefix}{name}"
    for folder in dirs:
        yield from _walk(f"{prefix}{folder}/")


def _copy_hashing(source: Any, target: Any) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        target.write(chunk)
    return size, digest.hexdigest()


def backup_create(*, dest: Path) -> dict[str, Any]:
    """Write a backup into `dest`, a folder that must not exist yet. Returns the manifest."""
    if dest.exists():
        raise BackupError(f"{dest} exists: a backup goes into a new folder")
    dest.mkdir(parents=True)
    db = _database()
    if db["ENGINE"].endswith("postgresql"):
        database = "database.pgdump"
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dest / database)],
                              env=_pg_env(db), capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
    elif db["ENGINE"].endswith("sqlite3"):
        database = "database.sqlite3"
        with sqlite3.connect(str(db["NAME"])) as source, sqlite3.connect(str(dest / database)) as target:
            source.backup(target)  # a consistent copy while the server writes
    else:
        raise BackupError(f"cannot back up a {db['ENGINE']} database")
    files, missing = [], []
    for name in sorted(_walk()):
        path = dest / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with default_storage.open(name, "rb") as source, open(path, "wb") as target:
                size, sha256 = _copy_hashing(source, target)
        except FileNotFoundError:
            missing.append(name)  # deleted since it was listed
            continue
        files.append({"name": name, "size": size, "sha256": sha256})
    manifest = {"format": FORMAT, "created_at": timezone.now().isoformat(), "database": database,
                "files": files, "missing": missing}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def _database_empty() -> bool:
    return "django_migrations" not in connection.introspection.table_names()


def backup_restore(*, source: Path) -> dict[str, Any]:
    """Restore the backup in `source` into this configuration's database and storage, both empty."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        raise BackupError(f"{source} is not a Cairn backup: {e}") from e
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r}: this version reads {FORMAT}")
    for entry in manifest["files"]:  # all checked before anything is written
        with open(source / "files" / entry["name"], "rb") as f:
            if hashlib.file_digest(f, "sha256").hexdigest() != entry["sha256"]:
                raise BackupError(f"{entry['name']} in the backup does not match its SHA-256: the backup is damaged")
    if not _database_empty():
        raise BackupError("the database is not empty: restore into a new database")
    if next(_walk(), None) is not None:
        raise BackupError("the file storage is not empty: restore into a new bucket or data folder")
    db = _database()
    dump = source / manifest["database"]
    if db["ENGINE"].endswith("postgresql") and dump.suffix == ".pgdump":
        connection.close()
        done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", str(db["NAME"]), str(dump)],
                              env=_pg_env(db), capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")
    elif db["ENGINE"].endswith("sqlite3") and dump.suffix == ".sqlite3":
        connection.close()
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dump, db["NAME"])
    else:
        raise BackupError(f"a {dump.suffix} dump cannot be restored into a {db['ENGINE']} database")
    for entry in manifest["files"]:
        with open(source / "files" / entry["name"], "rb") as f:
            saved = default_storage.save(entry["name"], f)
        if saved != entry["name"]:
            raise BackupError(f"storage saved {entry['name']} as {saved}")
    return manifest
