"""Accounts API: the caller, API keys, organisations and members."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.access import Access
from apps.core.apis import ScopedApi
from apps.core.errors import BadInput, Conflict
from apps.core.schema import errors
from apps.core.slugs import slug_check
from apps.orgs import selectors, services
from apps.orgs.models import Membership, Organization, Role
from apps.orgs.permissions import org_resolve
from apps.orgs.schemas import (
    ORG_PATH,
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeyListSerializer,
    MemberAddSerializer,
    MemberListSerializer,
    MemberRoleSerializer,
    MemberSerializer,
    OrgCreateSerializer,
    OrgListSerializer,
    OrgSerializer,
    ViewerSerializer,
)


def _require_user(request: Request) -> Any:
    if not request.user.is_authenticated:
        raise NotAuthenticated("Send an API key (Authorization: Bearer ...).")
    return request.user


def _basic_auth_user(request: Request) -> Any:
    """HTTP Basic, accepted only to create a key (how `cairn login` gets one)."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return authenticate(request._request, username=username, password=password)


class ViewerApi(APIView):
    @extend_schema(
        operation_id="viewer_get", summary="The caller",
        description="Who the key (or session) belongs to, their organisations and roles, and the default one.",
        responses=ViewerSerializer,
    )
    def get(self, request: Request) -> Response:
        user = _require_user(request)
        memberships = selectors.org_list_for_user(user=user)
        default = selectors.user_default_org(user=user)
        return Response(
            {
                "username": user.get_username(),
                "orgs": [{"slug": m.organization.slug, "role": m.role} for m in memberships],
                "default_org": default.slug if default else None,
            }
        )


class ApiKeyListApi(APIView):
    def get_authenticators(self) -> list[Any]:
        return super().get_authenticators()

    @extend_schema(
        operation_id="api_key_list", summary="The caller's API keys",
        description="Every key of the caller that is not revoked; never the secret.",
        responses=ApiKeyListSerializer,
    )
    def get(self, request: Request) -> Response:
        user = _require_user(request)
        keys = selectors.api_key_list(user=user)
        return Response(
            {
                "results": [
                    {
                        "id": k.pk,
                        "name": k.name,
                        "prefix": k.prefix,
                        "created_at": k.created_at,
                        "last_used_at": k.last_used_at,
                    }
                    for k in keys
                ]
            }
        )

    @extend_schema(
        operation_id="api_key_create", summary="Create an API key",
        description="A new key for the caller, shown this once. Besides a key or a session, "
        "this one operation also takes HTTP Basic (username and password): how `cairn login` gets a key.",
        request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer},
        auth=[{"bearerAuth": []}, {"basicAuth": []}, {"cookieAuth": []}],  # type: ignore[list-item]
    )
    def post(self, request: Request) -> Response:
        user = request.user if request.user.is_authenticated else _basic_auth_user(request)
        if user is None:
            raise NotAuthenticated("Send an API key, or a username and password with HTTP Basic.")
        name = request.data.get("name", "") if isinstance(request.data, dict) else ""
        key, full = services.api_key_create(user=user, name=str(name))
        return Response({"id": key.pk, "name": key.name, "prefix": key.prefix, "key": full}, status=201)

    def perform_authentication(self, request: Request) -> None:
        # Basic credentials are not an API key: let them through to post().
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("basic "):
            return
        super().perform_authentication(request)


class ApiKeyDetailApi(APIView):
    @extend_schema(
        operation_id="api_key_revoke", summary="Revoke an API key",
        description="The key stops working at once (401 with it from then on). 404 for a key that is not the caller's.",
        responses={204: None},
    )
    def delete(self, request: Request, key_id: int) -> Response:
        user = _require_user(request)
        if not services.api_key_revoke(user=user, key_id=key_id):
            raise Http404
        return Response(status=204)


class OrgListApi(APIView):
    @extend_schema(
        operation_id="org_list", summary="The caller's organisations", description="With the caller's role in each.",
        responses=OrgListSerializer,
    )
    def get(self, request: Request) -> Response:
        user = _require_user(request)
        return Response(
            {
                "results": [
                    {"slug": m.organization.slug, "name": m.organization.name, "role": m.role}
                    for m in selectors.org_list_for_user(user=user)
                ]
            }
        )

    @extend_schema(
        operation_id="org_create", summary="Create an organisation",
        description="The caller becomes its admin. 409 when the slug is taken.",
        request=OrgCreateSerializer, responses={201: OrgSerializer, **errors(409)},
    )
    def post(self, request: Request) -> Response:
        user = _require_user(request)
        data = request.data if isinstance(request.data, dict) else {}
        slug = slug_check(data.get("slug"))
        try:
            org = services.org_create(slug=slug, name=str(data.get("name") or slug), owner=user)
        except services.ReservedSlug as e:
            raise BadInput(str(e), "slug") from None
        except IntegrityError:
            raise Conflict(f"Organisation {slug} exists.") from None
        return Response({"slug": org.slug, "name": org.name, "role": Role.ADMIN}, status=201)


def _member_payload(m: Membership) -> dict[str, Any]:
    return {"username": m.user.get_username(), "role": m.role}


def _role(value: Any) -> Role:
    if value not in Role.values:
        raise BadInput("Use admin, member or viewer.", "role")
    return Role(value)


class OrgScopedApi(ScopedApi):
    """An organisation from the URL (`org`), with the caller's access to it."""

    org: Organization
    org_access: Access

    def resolve_scope(self, request: Request, need: Any, **kwargs: Any) -> None:
        self.org, self.org_access = org_resolve(user=request.user, org_slug=kwargs["org"], need=need)


class MemberListApi(OrgScopedApi):
    needs = {**OrgScopedApi.needs, "POST": Access.ADMIN}

    @extend_schema(
        operation_id="member_list", summary="Members of an organisation",
        description="Every member with their role, by username; members of the organisation only.",
        parameters=[ORG_PATH], responses=MemberListSerializer,
    )
    def get(self, request: Request, org: str) -> Response:
        members = Membership.objects.filter(organization=self.org).select_related("user").order_by("user__username")
        return Response({"results": [_member_payload(m) for m in members]})

    @extend_schema(
        operation_id="member_add", summary="Add a member, or set a member's role",
        description="Admins only; for an existing member, the role is set. 403 when that would leave the "
        "organisation without an admin.",
        parameters=[ORG_PATH], request=MemberAddSerializer, responses={201: MemberSerializer},
    )
    def post(self, request: Request, org: str) -> Response:
        organization = self.org
        data = request.data if isinstance(request.data, dict) else {}
        user = get_user_model().objects.filter(username=data.get("username")).first()
        if user is None:
            raise BadInput("No such user.", "username")
        try:
            m = services.membership_set(org=organization, user=user, role=_role(data.get("role", "member")))
        except services.LastAdmin as e:
            raise PermissionDenied(str(e)) from None
        return Response(_member_payload(m), status=201)


class MemberDetailApi(OrgScopedApi):
    needs = {}  # admins only, reading too
    unlisted_needs = Access.ADMIN

    def _membership(self, request: Request, org: str, username: str) -> tuple[Organization, Membership]:
        organization = self.org
        m = Membership.objects.filter(organization=organization, user__username=username).select_related("user").first()
        if m is None:
            raise Http404
        return organization, m

    @extend_schema(
        operation_id="member_update", summary="Change a member's role",
        description="Admins only. 403 for demoting the last admin.",
        parameters=[ORG_PATH], request=MemberRoleSerializer, responses=MemberSerializer,
    )
    def patch(self, request: Request, org: str, username: str) -> Response:
        organization, m = self._membership(request, org, username)
        role = _role((request.data or {}).get("role"))
        try:
            m = services.membership_set(org=organization, user=m.user, role=role)
        except services.LastAdmin as e:
            raise PermissionDenied(str(e)) from None
        return Response(_member_payload(m))

    @extend_schema(
        operation_id="member_remove", summary="Remove a member",
        description="Admins only. 403 for the last admin.",
        parameters=[ORG_PATH], responses={204: None},
    )
    def delete(self, request: Request, org: str, username: str) -> Response:
        organization, m = self._membership(request, org, username)
        try:
            services.membership_remove(org=organization, user=m.user)
        except services.LastAdmin as e:
            raise PermissionDenied(str(e)) from None
        return Response(status=204)
