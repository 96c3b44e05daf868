"""Writes: blobs, versions, aliases and input edges (docs/artifacts.md)."""

from __future__ import annotations

import hashlib
import re
import tempfile
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max

from apps.artifacts.fingerprints import fingerprint_data_refresh
from apps.artifacts.models import (
    MAX_ALIAS_LENGTH,
    MAX_TYPE_LENGTH,
    ArtifactAlias,
    ArtifactCollection,
    ArtifactUse,
    ArtifactVersion,
    Blob,
    ManifestEntry,
)
from apps.artifacts.signals import alias_moved
from apps.core.errors import BadInput, Conflict, TooLarge
from apps.core.slugs import slug_check
from apps.core.validation import file_path_check, json_object_check, text_check
from apps.orgs.models import Organization
from apps.runs.models import Project, Run

COPY_BLOCK = 1 << 20
MAX_ALIASES = 32
MAX_MANIFEST_ENTRIES = 100_000
MAX_DIGESTS = 10_000
MAX_DESCRIPTION = 65_536
MAX_REF_LENGTH = 2048
LATEST = "latest"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_VERSION = re.compile(r"v\d+")
_REF_DIGEST = re.compile(r"[0-9A-Za-z_.:+/=-]{1,64}")


def sha256_check(value: Any, field: str) -> str:
    digest = str(value or "").strip().lower()
    if not _HEX64.fullmatch(digest):
        raise BadInput("Must be a hex SHA-256 (64 characters).", field)
    return digest


def manifest_digest(entries: list[tuple[str, str]]) -> str:
    """The version's digest: SHA-256 of `path\\ndigest\\n` for each entry, sorted by path.

    The agent computes the same (agent/_artifacts/_manifest.py), so a client
    knows a version's digest before uploading it.
    """
    h = hashlib.sha256()
    for path, digest in sorted(entries):
        h.update(f"{path}\n{digest}\n".encode())
    return h.hexdigest()


def alias_check(value: Any, field: str) -> str:
    alias = text_check(value, field, MAX_ALIAS_LENGTH)
    if not alias or "/" in alias or ":" in alias or any(ord(c) < 32 or ord(c) == 127 for c in alias):
        raise BadInput(f"An alias is 1-{MAX_ALIAS_LENGTH} characters, without '/', ':' or control characters.", field)
    if _VERSION.fullmatch(alias):
        raise BadInput("An alias may not look like a version (vN).", field)
    return alias


def aliases_check(value: Any, field: str = "aliases") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput("Must be a list of strings.", field)
    if len(value) > MAX_ALIASES:
        raise BadInput(f"At most {MAX_ALIASES} aliases.", field)
    return list(dict.fromkeys(alias_check(a, f"{field}[{i}]") for i, a in enumerate(value)))


def type_check(value: Any, field: str = "type") -> str:
    slug = str(value or "")
    if len(slug) > MAX_TYPE_LENGTH:
        raise BadInput(f"At most {MAX_TYPE_LENGTH} characters.", field)
    return slug_check(slug, field)


# --- blobs ---------------------------------------------------------------------


def blobs_missing(*, org: Organization, digests: Any) -> list[str]:
    """Which of `digests` the organisation does not hold yet."""
    if not isinstance(digests, list):
        raise BadInput("Must be a list of hex SHA-256 digests.", "digests")
    if len(digests) > MAX_DIGESTS:
        raise BadInput(f"At most {MAX_DIGESTS} digests per request.", "digests")
    wanted = list(dict.fromkeys(sha256_check(d, f"digests[{i}]") for i, d in enumerate(digests)))
    have: set[str] = set()
    for start in range(0, len(wanted), 1000):  # under SQLite's bound-parameter limit
        chunk = wanted[start : start + 1000]
        have.update(
            Blob.objects.filter(organization=org, sha256__in=chunk)
            .exclude(verification__ok=False)  # found corrupt or gone (artifacts.verify_blobs): send it again
            .values_list("sha256", flat=True)
        )
    return [d for d in wanted if d not in have]


def blob_storage_name(org: Organization, sha256: str) -> str:
    return f"artifacts/{org.pk}/{sha256[:2]}/{sha256}"


def blob_store(*, org: Organization, sha256: str, body: IO[bytes], declared_size: int | None) -> tuple[Blob, bool]:
    """Stream a blob to storage, verifying its SHA-256 on the way; (blob, created)."""
    sha256 = sha256_check(sha256, "sha256")
    limit = settings.CAIRN_MAX_FILE_SIZE
    if declared_size is not None and declared_size > limit:
        raise TooLarge(f"File is {declared_size} bytes; the limit is {limit}.")
    existing = Blob.objects.filter(organization=org, sha256=sha256).select_related("verification").first()
    if existing is not None and not blob_needs_repair(existing):
        return existing, False
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile() as tmp:
        while True:
            block = body.read(COPY_BLOCK)
            if not block:
                break
            size += len(block)
            if size > limit:
                raise TooLarge(f"File is over the limit of {limit} bytes.")
            digest.update(block)
            tmp.write(block)
        if declared_size is not None and size != declared_size:
            raise BadInput(f"Received {size} bytes, Content-Length said {declared_size}.", "Content-Length")
        if digest.hexdigest() != sha256:
            raise BadInput("Content does not match its SHA-256; nothing was stored.", "sha256")
        name = blob_storage_name(org, sha256)
        if default_storage.exists(name):  # left by an upload that raced this one, or a failed commit
            default_storage.delete(name)
        tmp.seek(0)
        stored = default_storage.save(name, File(tmp))
    if existing is not None:  # repaired: the verified bytes replace the corrupt ones
        existing.verification.delete()
        Blob.objects.filter(pk=existing.pk).update(storage_name=stored)
        return existing, True
    try:
        with transaction.atomic():
            return Blob.objects.create(organization=org, sha256=sha256, size=size, storage_name=stored), True
    except IntegrityError:  # the same blob, uploaded at the same time
        return Blob.objects.get(organization=org, sha256=sha256), False


def blob_needs_repair(blob: Blob) -> bool:
    check = getattr(blob, "verification", None)
    return check is not None and not check.ok


# --- versions ------------------------------------------------------------------


def _manifest_check(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise BadInput("Must be a list of {path, digest, size, ref?}.", "manifest")
    if len(value) > MAX_MANIFEST_ENTRIES:
        raise BadInput(f"At most {MAX_MANIFEST_ENTRIES} entries.", "manifest")
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(value):
        field = f"manifest[{i}]"
        if not isinstance(item, dict):
            raise BadInput("Must be an object {path, digest, size, ref?}.", field)
        try:
            raw = item.get("path")
            path = file_path_check(raw if isinstance(raw, str) else "")
        except BadInput as exc:
            raise BadInput(str(exc.detail), f"{field}.path") from None
        if path in out:
            raise BadInput("A path appears twice.", f"{field}.path")
        size = item.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BadInput("Must be an integer >= 0.", f"{field}.size")
        ref = item.get("ref") or ""
        if ref:
            ref = text_check(ref, f"{field}.ref", MAX_REF_LENGTH)
            if "://" not in ref:
                raise BadInput("A reference is a URI (file://, s3://...).", f"{field}.ref")
            digest = str(item.get("digest") or "")
            if not _REF_DIGEST.fullmatch(digest):
                raise BadInput("A reference's checksum is 1-64 characters.", f"{field}.digest")
        else:
            digest = sha256_check(item.get("digest"), f"{field}.digest")
        out[path] = {"path": path, "digest": digest, "size": size, "ref": ref}
    return list(out.values())


def _removed_check(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput("Must be a list of paths.", "removed")
    if len(value) > MAX_MANIFEST_ENTRIES:
        raise BadInput(f"At most {MAX_MANIFEST_ENTRIES} paths.", "removed")
    out = []
    for i, raw in enumerate(value):
        try:
            out.append(file_path_check(raw if isinstance(raw, str) else ""))
        except BadInput as exc:
            raise BadInput(str(exc.detail), f"removed[{i}]") from None
    return list(dict.fromkeys(out))


def version_commit(*, project: Project, run: Run | None, data: dict[str, Any]) -> tuple[ArtifactVersion, bool]:
    """Commit a version from its manifest; (version, created). The same content again is the same version.

    `incremental: true`: the manifest holds only what changes; the new version is
    the artifact's `latest` version, less the paths in `removed` (a folder: every
    path under it), plus the manifest's entries (docs/artifacts.md).
    """
    name = slug_check(data.get("name"), "name")
    if name == "blobs":  # artifacts/blobs/... are the files' URLs
        raise BadInput("'blobs' is reserved; choose another name.", "name")
    type_ = type_check(data.get("type"))
    description = text_check(data.get("description") or "", "description", MAX_DESCRIPTION)
    metadata = json_object_check(data.get("metadata") or {}, "metadata")
    aliases = [a for a in aliases_check(data.get("aliases")) if a != LATEST]
    incremental = data.get("incremental", False)
    if not isinstance(incremental, bool):
        raise BadInput("Must be true or false.", "incremental")
    removed = _removed_check(data.get("removed"))
    if removed and not incremental:
        raise BadInput("Only an incremental version removes paths; send the whole manifest otherwise.", "removed")
    entries = _manifest_check(data.get("manifest"))
    org = project.organization
    stored = [e["digest"] for e in entries if not e["ref"]]
    blobs: dict[str, tuple[int, int]] = {}  # sha256 -> (pk, size): tuples, not 10,000 model instances
    for start in range(0, len(stored), 1000):
        chunk = stored[start : start + 1000]
        rows = Blob.objects.filter(organization=org, sha256__in=chunk).values_list("sha256", "pk", "size")
        blobs.update((sha, (pk, size)) for sha, pk, size in rows)
    missing = sorted(set(stored) - set(blobs))
    if missing:
        raise Conflict("Upload these blobs first.", missing=missing[:MAX_DIGESTS])
    for e in entries:
        if not e["ref"] and blobs[e["digest"]][1] != e["size"]:
            raise BadInput("The size does not match the stored file's.", "manifest")
        e["blob_id"] = None if e["ref"] else blobs[e["digest"]][0]
    change = _Change(entries=entries, incremental=incremental, removed=removed)
    for attempt in range(3):
        try:
            return _version_write(project, run, name, type_, description, metadata, aliases, change)
        except IntegrityError:  # a commit racing this one took the index or the digest: look again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


class _Change:
    """A commit's manifest: whole, or (incremental) what changes on top of `latest`."""

    def __init__(self, *, entries: list[dict[str, Any]], incremental: bool, removed: list[str]) -> None:
        self.entries = entries
        self.incremental = incremental
        self.removed = removed

    def apply(self, collection: ArtifactCollection) -> list[dict[str, Any]]:
        if not self.incremental:
            return self.entries
        base = ArtifactAlias.objects.filter(collection=collection, alias=LATEST).values_list("version_id", flat=True).first()
        rows = ManifestEntry.objects.filter(version_id=base).values("path", "digest", "size", "ref", "blob_id")
        merged = {r["path"]: dict(r) for r in rows} if base is not None else {}
        for gone in self.removed:
            merged = {p: e for p, e in merged.items() if p != gone and not p.startswith(gone + "/")}
        merged.update((e["path"], e) for e in self.entries)
        if len(merged) > MAX_MANIFEST_ENTRIES:
            raise BadInput(f"At most {MAX_MANIFEST_ENTRIES} entries.", "manifest")
        return list(merged.values())


def _version_write(
    project: Project, run: Run | None, name: str, type_: str, description: str, metadata: dict[str, Any],
    aliases: list[str], change: _Change,
) -> tuple[ArtifactVersion, bool]:
    """The commit's writes, in one transaction under the artifact's row lock."""
    with transaction.atomic():
        collection, _ = ArtifactCollection.objects.get_or_create(
            project=project, name=name, defaults={"type": type_, "description": description}
        )
        collection = ArtifactCollection.objects.select_for_update().get(pk=collection.pk)
        if collection.type != type_:
            raise Conflict(f"{name!r} is an artifact of type {collection.type!r}, not {type_!r}.", field="type")
        entries = change.apply(collection)  # under the lock: an incremental commit builds on the latest
        digest = manifest_digest([(e["path"], e["digest"]) for e in entries])
        version = ArtifactVersion.objects.filter(collection=collection, digest=digest).first()
        created = version is None
        if version is None:
            last = collection.versions.aggregate(m=Max("index"))["m"]
            version = ArtifactVersion.objects.create(
                collection=collection,
                index=0 if last is None else last + 1,
                digest=digest,
                size=sum(e["size"] for e in entries),
                file_count=len(entries),
                metadata=metadata,
                description=description,
                created_by=run,
            )
            ManifestEntry.objects.bulk_create(
                [
                    ManifestEntry(  # version_id, not version: the descriptor's checks cost 10,000 times
                        version_id=version.pk, path=e["path"], digest=e["digest"], size=e["size"], ref=e["ref"],
                        blob_id=e["blob_id"],
                    )
                    for e in entries
                ],
                batch_size=1000,
            )
            aliases = [*aliases, LATEST]
        aliases_move(collection=collection, version=version, aliases=aliases)
    return version, created


def aliases_move(*, collection: ArtifactCollection, version: ArtifactVersion, aliases: list[str]) -> None:
    """Point each alias at `version`, taking it from whichever version had it; each move is
    announced (signals.alias_moved) once the transaction commits."""
    held = dict(
        ArtifactAlias.objects.filter(collection=collection, alias__in=aliases).values_list("alias", "version_id")
    )
    for alias in aliases:
        previous = held.get(alias)
        if previous == version.pk:
            continue  # already there: nothing moves
        ArtifactAlias.objects.update_or_create(collection=collection, alias=alias, defaults={"version": version})
        alias_moved_announce(
            sender=ArtifactAlias, org_id=collection.project.organization_id, project_id=collection.project_id,
            artifact=collection.name, alias=alias, version_id=version.pk, previous_version_id=previous, actor_id=None,
        )


def alias_moved_announce(*, sender: type, **kwargs: Any) -> None:
    """Send `alias_moved` after the transaction commits (not at all if it rolls back)."""
    transaction.on_commit(lambda: alias_moved.send(sender=sender, **kwargs))


def use_record(*, run: Run, version: ArtifactVersion) -> None:
    """The run used the version (an input edge); recording it twice keeps one."""
    _, created = ArtifactUse.objects.get_or_create(run=run, version=version)
    if created:
        fingerprint_data_refresh(run=run)
