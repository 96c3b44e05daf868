"""Writes of the model registry: link a version, move or remove an alias, each move audited (docs/artifacts.md)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.http import Http404

from apps.artifacts.models import (
    ArtifactVersion,
    RegisteredModel,
    RegistryAlias,
    RegistryAliasEvent,
    RegistryVersion,
)
from apps.artifacts.services import (
    LATEST,
    MAX_DESCRIPTION,
    alias_check,
    alias_moved_announce,
    aliases_check,
)
from apps.core.errors import BadInput, Conflict
from apps.core.slugs import slug_check
from apps.core.validation import text_check
from apps.orgs.models import Organization


def registry_name_check(value: Any, field: str = "name") -> str:
    return slug_check(value, field)


def _explicit_alias(value: Any, field: str) -> str:
    alias = alias_check(value, field)
    if alias == LATEST:
        raise BadInput("'latest' moves by itself to the newest linked version.", field)
    return alias


def registry_link(
    *, org: Organization, user: Any, name: str, version: ArtifactVersion, aliases: Any = None, description: Any = None
) -> tuple[RegistryVersion, bool]:
    """Link `version` into the registered model `name` (made on first link); (link, created).

    Linking a version linked already gives its link back and only moves the aliases.
    """
    name = registry_name_check(name)
    wanted = [a for a in aliases_check(aliases) if a != LATEST]
    text = text_check(description or "", "description", MAX_DESCRIPTION)
    source = version.collection
    if source.project.organization_id != org.pk:
        raise BadInput("A registry links versions of its own organisation's projects.", "artifact")
    with transaction.atomic():
        model, _ = RegisteredModel.objects.get_or_create(
            organization=org, name=name, defaults={"type": source.type, "description": text}
        )
        model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
        if model.type != source.type:
            raise Conflict(f"{name!r} holds artifacts of type {model.type!r}, not {source.type!r}.", field="artifact")
        link = RegistryVersion.objects.filter(registered_model=model, artifact_version=version).first()
        created = link is None
        if link is None:
            last = model.versions.aggregate(m=Max("index"))["m"]
            link = RegistryVersion.objects.create(
                registered_model=model, index=0 if last is None else last + 1, artifact_version=version,
                linked_by=user if getattr(user, "is_authenticated", False) else None,
            )
            wanted.append(LATEST)
        _move(model=model, link=link, aliases=wanted, user=user)
    return link, created


def _move(*, model: RegisteredModel, link: RegistryVersion, aliases: list[str], user: Any) -> None:
    for alias in aliases:
        current = RegistryAlias.objects.select_related("version").filter(registered_model=model, alias=alias).first()
        if current is not None and current.version_id == link.pk:
            continue  # already there: nothing moved, nothing to record
        if current is None:
            RegistryAlias.objects.create(registered_model=model, version=link, alias=alias)
        else:
            RegistryAlias.objects.filter(pk=current.pk).update(version=link)
        _record(model=model, alias=alias, from_index=current.version.index if current else None, to_index=link.index, user=user)
        alias_moved_announce(  # version ids are the registry's versions (RegistryVersion), as the audit's
            sender=RegistryAlias, org_id=model.organization_id, project_id=None, artifact=model.name, alias=alias,
            version_id=link.pk, previous_version_id=current.version_id if current else None,
            actor_id=user.pk if getattr(user, "is_authenticated", False) else None,
        )


def _record(*, model: RegisteredModel, alias: str, from_index: int | None, to_index: int | None, user: Any) -> None:
    known = getattr(user, "is_authenticated", False)
    RegistryAliasEvent.objects.create(
        registered_model=model, alias=alias, from_index=from_index, to_index=to_index,
        user=user if known else None, username=user.get_username() if known else "",
    )


def registry_alias_move(*, model: RegisteredModel, alias: Any, link: RegistryVersion, user: Any) -> None:
    """Put `alias` on `link`, taking it off whichever version had it; the move is audited."""
    alias = _explicit_alias(alias, "alias")
    with transaction.atomic():
        RegisteredModel.objects.select_for_update().get(pk=model.pk)
        _move(model=model, link=link, aliases=[alias], user=user)


def registry_alias_remove(*, model: RegisteredModel, alias: Any, user: Any) -> None:
    alias = _explicit_alias(alias, "alias")
    with transaction.atomic():
        RegisteredModel.objects.select_for_update().get(pk=model.pk)
        current = RegistryAlias.objects.select_related("version").filter(registered_model=model, alias=alias).first()
        if current is None:
            raise Http404
        current.delete()
        _record(model=model, alias=alias, from_index=current.version.index, to_index=None, user=user)
