"""Reads of the model registry: an organisation's registered models, their versions and the audit of alias moves."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from apps.artifacts.models import (
    ArtifactAlias,
    RegisteredModel,
    RegistryAlias,
    RegistryAliasEvent,
    RegistryVersion,
)
from apps.orgs.models import Organization

MAX_EVENTS = 200
_VERSION = re.compile(r"v(\d{1,9})")


def registered_model_list(*, org: Organization) -> list[RegisteredModel]:
    qs = RegisteredModel.objects.filter(organization=org).annotate(version_count=Count("versions"))
    return list(qs.prefetch_related(
        Prefetch("aliases", queryset=RegistryAlias.objects.select_related("version").order_by("alias"))
    ).order_by("name"))


def registered_model_get(*, org: Organization, name: str) -> RegisteredModel:
    model = RegisteredModel.objects.filter(organization=org, name=name.lower()).first()
    if model is None:
        raise Http404
    return model


def _links() -> QuerySet[RegistryVersion]:
    return RegistryVersion.objects.select_related(
        "linked_by",
        "artifact_version__collection__project__organization",
        "artifact_version__created_by__project__organization",
    ).prefetch_related(
        Prefetch("aliases", queryset=RegistryAlias.objects.order_by("alias")),
        Prefetch("artifact_version__aliases", queryset=ArtifactAlias.objects.order_by("alias")),
    )


def registry_version_list(*, model: RegisteredModel) -> list[RegistryVersion]:
    return list(_links().filter(registered_model=model).order_by("-index"))


def registry_version_get(*, model: RegisteredModel, ref: str) -> RegistryVersion:
    """`ref` is a registry version (`v2`) or an alias (`production`, `latest`)."""
    qs = _links().filter(registered_model=model)
    match = _VERSION.fullmatch(ref)
    link = (qs.filter(index=int(match.group(1))) if match else qs.filter(aliases__alias=ref)).first()
    if link is None:
        raise Http404
    return link


def alias_events(*, model: RegisteredModel, limit: int = MAX_EVENTS) -> list[RegistryAliasEvent]:
    """The newest moves first."""
    return list(model.alias_events.order_by("-created_at", "-pk")[:limit])


def links_of_versions(*, version_ids: set[int], user: Any) -> list[RegistryVersion]:
    """The registry versions linking these artifact versions, of the registries `user` may read
    (the organisations they are a member of): a lineage's registered-model nodes, in one query."""
    if not version_ids or not getattr(user, "is_authenticated", False):
        return []
    return list(
        RegistryVersion.objects.filter(
            artifact_version_id__in=version_ids,
            registered_model__organization__memberships__user_id=user.pk,
        )
        .select_related("registered_model__organization")
        .prefetch_related(Prefetch("aliases", queryset=RegistryAlias.objects.order_by("alias")))
        .order_by("registered_model__name", "index")
    )
