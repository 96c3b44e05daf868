"""Accounts API: the caller, API keys, organisations and members."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError
from django.http import Http404
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.access import Access
from apps.core.apis import ScopedApi
from apps.core.errors import BadInput, Conflict
from apps.core.params import body_object
from apps.core.slugs import slug_check
from apps.orgs import selectors, services
from apps.orgs.models import Membership, Organization, Role
from apps.orgs.permissions import org_resolve


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

    def post(self, request: Request) -> Response:
        user = request.user if request.user.is_authenticated else _basic_auth_user(request)
        if user is None:
            raise NotAuthenticated("Send an API key, or a username and password with HTTP Basic.")
        name = body_object(request).get("name", "")
        if not isinstance(name, str):
            raise BadInput("Must be a string.", "name")
        key, full = services.api_key_create(user=user, name=name)
        return Response({"id": key.pk, "name": key.name, "prefix": key.prefix, "key": full}, status=201)

    def perform_authentication(self, request: Request) -> None:
        # Basic credentials are not an API key: let them through to post().
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("basic "):
            return
        super().perform_authentication(request)


class ApiKeyDetailApi(APIView):
    def delete(self, request: Request, key_id: int) -> Response:
        user = _require_user(request)
        if not services.api_key_revoke(user=user, key_id=key_id):
            raise Http404
        return Response(status=204)


class OrgListApi(APIView):
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

    def post(self, request: Request) -> Response:
        user = _require_user(request)
        data = body_object(request)
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

    def get(self, request: Request, org: str) -> Response:
        members = Membership.objects.filter(organization=self.org).select_related("user").order_by("user__username")
        return Response({"results": [_member_payload(m) for m in members]})

    def post(self, request: Request, org: str) -> Response:
        organization = self.org
        data = body_object(request)
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

    def patch(self, request: Request, org: str, username: str) -> Response:
        organization, m = self._membership(request, org, username)
        role = _role(body_object(request).get("role"))
        try:
            m = services.membership_set(org=organization, user=m.user, role=role)
        except services.LastAdmin as e:
            raise PermissionDenied(str(e)) from None
        return Response(_member_payload(m))

    def delete(self, request: Request, org: str, username: str) -> Response:
        organization, m = self._membership(request, org, username)
        try:
            services.membership_remove(org=organization, user=m.user)
        except services.LastAdmin as e:
            raise PermissionDenied(str(e)) from None
        return Response(status=204)
