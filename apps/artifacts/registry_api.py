"""The model registry's API: an organisation's registered models (docs/artifacts.md, "Model registry").

The registry is the organisation's: its members read it (viewers too), members
and admins link versions and move aliases (viewers get 403), outsiders get 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.artifacts import registry_selectors, registry_services, selectors
from apps.artifacts.models import (
    MAX_ALIAS_LENGTH,
    RegisteredModel,
    RegistryAliasEvent,
    RegistryVersion,
)
from apps.artifacts.schemas import REF, ArtifactVersionDetailSerializer, ArtifactVersionSerializer
from apps.artifacts.serializers import entry_payload, run_ref, version_payload
from apps.artifacts.services import MAX_ALIASES, MAX_DESCRIPTION
from apps.core.access import Access
from apps.core.params import body_object
from apps.core.schema import errors, path_param, slug_path
from apps.orgs.api import OrgScopedApi
from apps.orgs.schemas import ORG_PATH
from apps.runs.permissions import project_resolve

MODEL = slug_path("name", "The registered model's name (any case).")
ALIAS = path_param(
    "alias", "An alias or stage (`staging`, `production`...); not `latest`, which moves by itself.",
    r"^[^/:\u0000-\u001f\u007f]{1," + str(MAX_ALIAS_LENGTH) + "}$", max_length=MAX_ALIAS_LENGTH,
)
_MODEL_PATH = [ORG_PATH, MODEL]
WRITES = {"POST": Access.WRITE, "PUT": Access.WRITE, "DELETE": Access.WRITE}


# --- payloads and their schema -------------------------------------------------


def model_payload(m: RegisteredModel) -> dict[str, Any]:
    return {
        "name": m.name, "type": m.type, "description": m.description, "created_at": m.created_at,
        "path": f"{m.organization.slug}/registry/{m.name}",
        "version_count": getattr(m, "version_count", None),
    }


def link_payload(link: RegistryVersion) -> dict[str, Any]:
    return {
        "version": link.version, "index": link.index,
        "aliases": [a.alias for a in link.aliases.all()],
        "linked_by": link.linked_by.get_username() if link.linked_by else None,
        "created_at": link.created_at,
        "artifact": version_payload(link.artifact_version),
    }


def event_payload(e: RegistryAliasEvent) -> dict[str, Any]:
    return {
        "alias": e.alias,
        "from_version": None if e.from_index is None else f"v{e.from_index}",
        "to_version": None if e.to_index is None else f"v{e.to_index}",
        "user": e.username or None, "created_at": e.created_at,
    }


class RegisteredModelSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    path = serializers.CharField(help_text="`org/registry/name`: add `:alias` for `Api().artifact(...)`.")
    version_count = serializers.IntegerField(allow_null=True)


class RegisteredModelListSerializer(serializers.Serializer):
    results = RegisteredModelSerializer(many=True)


class RegistryVersionSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The registry's own `vN`.")
    index = serializers.IntegerField()
    aliases = serializers.ListField(child=serializers.CharField())
    linked_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    artifact = ArtifactVersionSerializer(help_text="The artifact version linked (in its own project).")


class RegistryVersionDetailSerializer(RegistryVersionSerializer):
    artifact = ArtifactVersionDetailSerializer(help_text="The artifact version linked, with its manifest.")


class RegistryEventSerializer(serializers.Serializer):
    alias = serializers.CharField()
    from_version = serializers.CharField(allow_null=True, help_text="Where it was; null: newly set.")
    to_version = serializers.CharField(allow_null=True, help_text="Where it went; null: removed.")
    user = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class RegisteredModelDetailSerializer(RegisteredModelSerializer):
    versions = RegistryVersionSerializer(many=True)
    audit = RegistryEventSerializer(many=True, help_text="Alias moves, newest first (the last 200).")


class RegistryLinkSerializer(serializers.Serializer):
    artifact = serializers.CharField(help_text='"org/project/name:version-or-alias", a project of this organisation.')
    aliases = serializers.ListField(child=serializers.CharField(max_length=MAX_ALIAS_LENGTH), required=False, max_length=MAX_ALIASES)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_DESCRIPTION,
                                        help_text="The registered model's, when this link creates it.")


class RegistryAliasMoveSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The registry version (`v2`) or another alias to put it on.")


# --- views -----------------------------------------------------------------------


class RegistryListApi(OrgScopedApi):
    @extend_schema(
        operation_id="registry_list", summary="An organisation's registered models",
        description="Members of the organisation (viewers too).", parameters=[ORG_PATH],
        responses=RegisteredModelListSerializer,
    )
    def get(self, request: Request, org: str) -> Response:
        return Response({"results": [model_payload(m) for m in registry_selectors.registered_model_list(org=self.org)]})


class RegisteredModelApi(OrgScopedApi):
    needs = {**OrgScopedApi.needs, **WRITES}

    @extend_schema(
        operation_id="registered_model_get", summary="A registered model",
        description="Its versions (newest first), each with the artifact version it links, and the audit of alias moves.",
        parameters=_MODEL_PATH, responses=RegisteredModelDetailSerializer,
    )
    def get(self, request: Request, org: str, name: str) -> Response:
        model = registry_selectors.registered_model_get(org=self.org, name=name)
        links = registry_selectors.registry_version_list(model=model)
        return Response({
            **model_payload(model), "version_count": len(links),
            "versions": [link_payload(v) for v in links],
            "audit": [event_payload(e) for e in registry_selectors.alias_events(model=model)],
        })

    @extend_schema(
        operation_id="registered_model_link", summary="Link an artifact version into a registered model",
        description="Members and admins (W&B's `link_artifact`). Creates the registered model on first link. A "
        "version linked already gives its registry version back (200) and only moves the aliases; else 201. "
        "`latest` moves to a new link by itself; each alias moved is audited.",
        parameters=_MODEL_PATH, request=RegistryLinkSerializer,
        responses={200: RegistryVersionSerializer, 201: RegistryVersionSerializer, **errors(409)},
    )
    def post(self, request: Request, org: str, name: str) -> Response:
        data = body_object(request)
        a_org, a_project, a_name, ref = selectors.qualified_parse(data.get("artifact"))
        source, _ = project_resolve(user=request.user, org_slug=a_org, project_slug=a_project, need=Access.READ)
        version = selectors.version_get(project=source, name=a_name, ref=ref)
        link, created = registry_services.registry_link(
            org=self.org, user=request.user, name=name, version=version,
            aliases=data.get("aliases"), description=data.get("description"),
        )
        link = registry_selectors.registry_version_get(model=link.registered_model, ref=link.version)
        return Response(link_payload(link), status=201 if created else 200)


class RegistryVersionApi(OrgScopedApi):
    @extend_schema(
        operation_id="registry_version_get", summary="A registered model's version",
        description="By registry version or alias (`org/registry/name:production`), with the linked artifact "
        "version's manifest, to download it.",
        parameters=[*_MODEL_PATH, REF], responses=RegistryVersionDetailSerializer,
    )
    def get(self, request: Request, org: str, name: str, ref: str) -> Response:
        model = registry_selectors.registered_model_get(org=self.org, name=name)
        link = registry_selectors.registry_version_get(model=model, ref=ref)
        out = link_payload(link)
        out["artifact"]["manifest"] = [entry_payload(e) for e in selectors.entries_of(link.artifact_version)]
        out["artifact"]["used_by"] = [run_ref(r) for r in selectors.consumers_of(link.artifact_version)]
        return Response(out)


class RegistryAliasApi(OrgScopedApi):
    needs = {**OrgScopedApi.needs, **WRITES}

    @extend_schema(
        operation_id="registry_alias_move", summary="Move an alias to a version",
        description="Members and admins; viewers get 403. Takes the alias off the version that had it; the move "
        "(who, when, from, to) goes in the audit.",
        parameters=[*_MODEL_PATH, ALIAS], request=RegistryAliasMoveSerializer, responses=RegistryVersionSerializer,
    )
    def put(self, request: Request, org: str, name: str, alias: str) -> Response:
        model = registry_selectors.registered_model_get(org=self.org, name=name)
        target = body_object(request).get("version")
        link = registry_selectors.registry_version_get(model=model, ref=str(target or ""))
        registry_services.registry_alias_move(model=model, alias=alias, link=link, user=request.user)
        return Response(link_payload(registry_selectors.registry_version_get(model=model, ref=link.version)))

    @extend_schema(
        operation_id="registry_alias_remove", summary="Remove an alias",
        description="Members and admins; audited like a move.", parameters=[*_MODEL_PATH, ALIAS], responses={204: None},
    )
    def delete(self, request: Request, org: str, name: str, alias: str) -> Response:
        model = registry_selectors.registered_model_get(org=self.org, name=name)
        registry_services.registry_alias_remove(model=model, alias=alias, user=request.user)
        return Response(status=204)
