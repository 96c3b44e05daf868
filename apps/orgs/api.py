"""Accounts API: the caller, API keys, organisations and members."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth import authenticate
from django.db import IntegrityError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.access import Access, access_require
from apps.core.apis import ScopedApi
from apps.core.errors import BadInput, Conflict
from apps.core.params import body_object
from apps.core.schema import errors
from apps.core.slugs import slug_check
from apps.core.validation import text_check
from apps.orgs import selectors, services
from apps.orgs.lockout import sign_in_succeeded
from apps.orgs.models import ApiKey, Invitation, Membership, Organization, Role
from apps.orgs.permissions import org_resolve
from apps.orgs.schemas import (
    ORG_PATH,
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeyListSerializer,
    InvitationAcceptedSerializer,
    InvitationListSerializer,
    MemberAddSerializer,
    MemberInvitedSerializer,
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
    # Throttled by django-axes (apps/orgs/lockout.py), like the sign-in page.
    user = authenticate(request._request, username=username, password=password)
    if user is not None:
        sign_in_succeeded(request._request, username)
    return user


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
        # Not with a key: a stolen key must not mint keys that outlive its revocation.
        if isinstance(request.auth, ApiKey):
            raise PermissionDenied(
                "A key cannot make another key: sign in, or send a username and password with HTTP Basic."
            )
        user = request.user if request.user.is_authenticated else _basic_auth_user(request)
        if user is None:
            raise NotAuthenticated("Sign in, or send a username and password with HTTP Basic.")
        request.user = user  # signed in by password now: a compressed body may be read
        name = body_object(request).get("name", "")
        name = text_check(name, "name", 100)
        key, full = services.api_key_create(user=user, name=name)
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
        data = body_object(request)
        slug = slug_check(data.get("slug"))
        try:
            org = services.org_create(slug=slug, name=text_check(data.get("name", ""), "name", 200) or slug, owner=user)
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


def _invitation_payload(i: Invitation) -> dict[str, Any]:
    return {
        "id": i.pk,
        "org": i.organization.slug,
        "org_name": i.organization.name,
        "username": i.username,
        "role": i.role,
        "invited_by": i.invited_by.get_username() if i.invited_by else None,
        "created_at": i.created_at,
    }


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
        return Response({"results": [_member_payload(m) for m in selectors.member_list(org=self.org)]})

    @extend_schema(
        operation_id="member_add", summary="Invite a user to the organisation",
        description="Admins only. The user becomes a member with this role when they accept "
        "(`POST /invitations/{id}/accept`). The same 202 whether or not the username exists; "
        "409 when they are a member already or too many invitations are pending.",
        parameters=[ORG_PATH], request=MemberAddSerializer, responses={202: MemberInvitedSerializer},
    )
    def post(self, request: Request, org: str) -> Response:
        """Invite a user: they become a member when they accept. The same
        answer whether or not the username exists."""
        data = body_object(request)
        username = data.get("username")
        if not isinstance(username, str):
            raise BadInput("Must be a string.", "username")
        role = _role(data.get("role", "member"))
        try:
            services.invitation_create(org=self.org, username=username, role=role, invited_by=_require_user(request))
        except services.BadUsername as e:
            raise BadInput(str(e), "username") from None
        except (services.AlreadyMember, services.TooManyInvitations) as e:
            raise Conflict(str(e)) from None
        return Response({"username": username, "role": role, "status": "invited"}, status=202)


class MemberDetailApi(OrgScopedApi):
    # Admins only, reading too; but any member may remove themselves (leave).
    needs = {"DELETE": Access.READ}
    unlisted_needs = Access.ADMIN

    def _membership(self, username: str) -> Membership:
        m = selectors.member_get(org=self.org, username=username)
        if m is None:
            raise Http404
        return m

    @extend_schema(
        operation_id="member_update", summary="Change a member's role",
        description="Admins only. 403 for demoting the last admin.",
        parameters=[ORG_PATH], request=MemberRoleSerializer, responses=MemberSerializer,
    )
    def patch(self, request: Request, org: str, username: str) -> Response:
        m = self._membership(username)
        role = _role(body_object(request).get("role"))
        try:
            m = services.membership_set(org=self.org, user=m.user, role=role)
        except services.LastAdmin as e:
            raise PermissionDenied(str(e)) from None
        return Response(_member_payload(m))

    @extend_schema(
        operation_id="member_remove", summary="Remove a member, or leave",
        description="Admins remove anyone; any member may remove themselves (leave). 403 for the last admin.",
        parameters=[ORG_PATH], responses={204: None, **errors(403)},
    )
    def delete(self, request: Request, org: str, username: str) -> Response:
        if username != request.user.get_username():
            access_require(user=request.user, have=self.org_access, need=Access.ADMIN)
        m = self._membership(username)
        try:
            services.membership_remove(org=self.org, user=m.user)
        except services.LastAdmin as e:
            raise PermissionDenied(str(e)) from None
        return Response(status=204)


class OrgInvitationListApi(OrgScopedApi):
    needs = {}  # admins only, reading too
    unlisted_needs = Access.ADMIN

    @extend_schema(
        operation_id="org_invitation_list", summary="Pending invitations of an organisation",
        description="Admins only: the invitations not yet accepted or declined.",
        parameters=[ORG_PATH], responses=InvitationListSerializer,
    )
    def get(self, request: Request, org: str) -> Response:
        return Response({"results": [_invitation_payload(i) for i in selectors.invitation_list_for_org(org=self.org)]})


class OrgInvitationDetailApi(OrgScopedApi):
    needs = {}
    unlisted_needs = Access.ADMIN

    @extend_schema(
        operation_id="org_invitation_cancel", summary="Cancel an invitation",
        description="Admins only. 404 for an invitation of another organisation.",
        parameters=[ORG_PATH], responses={204: None},
    )
    def delete(self, request: Request, org: str, invitation_id: int) -> Response:
        invitation = selectors.invitation_get_for_org(org=self.org, invitation_id=invitation_id)
        if invitation is None:
            raise Http404
        services.invitation_delete(invitation=invitation)
        return Response(status=204)


class InvitationListApi(APIView):
    @extend_schema(
        operation_id="invitation_list", summary="The caller's invitations",
        description="Invitations to organisations waiting for the caller to accept or decline.",
        responses=InvitationListSerializer,
    )
    def get(self, request: Request) -> Response:
        user = _require_user(request)
        return Response({"results": [_invitation_payload(i) for i in selectors.invitation_list_for_user(user=user)]})


def _own_invitation(request: Request, invitation_id: int) -> tuple[Any, Invitation]:
    """The caller's invitation, or 404: another's is as good as none."""
    user = _require_user(request)
    invitation = selectors.invitation_get_for_user(user=user, invitation_id=invitation_id)
    if invitation is None:
        raise Http404
    return user, invitation


class InvitationAcceptApi(APIView):
    @extend_schema(
        operation_id="invitation_accept", summary="Accept an invitation",
        description="The caller becomes a member with the invited role. 404 for another's invitation.",
        request=None, responses=InvitationAcceptedSerializer,
    )
    def post(self, request: Request, invitation_id: int) -> Response:
        user, invitation = _own_invitation(request, invitation_id)
        m = services.invitation_accept(invitation=invitation, user=user)
        return Response({"org": m.organization.slug, "role": m.role})


class InvitationDeclineApi(APIView):
    @extend_schema(
        operation_id="invitation_decline", summary="Decline an invitation",
        description="The invitation is gone. 404 for another's invitation.",
        request=None, responses={204: None},
    )
    def post(self, request: Request, invitation_id: int) -> Response:
        _, invitation = _own_invitation(request, invitation_id)
        services.invitation_delete(invitation=invitation)
        return Response(status=204)
