"""What the accounts API takes and gives, for the OpenAPI schema (apps/core/schema.py).

Only descriptions: the views build their answers as dicts (apps/orgs/api.py).
Importing this module also registers the `Authorization: Bearer <key>`
security scheme.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers

from apps.core.schema import SLUG_PATH_PATTERN, slug_path
from apps.orgs.models import Role
from apps.orgs.services import RESERVED_ORG_SLUGS


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.orgs.authentication.ApiKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cairn_<8 characters>_<32 characters>",
            "description": "An API key (`POST /api/v1/keys`, or the web app's settings). A wrong or revoked key is 401 everywhere.",
        }


ORG_PATH = slug_path("org", "The organisation's slug (any case).")


class OrgRoleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class ViewerSerializer(serializers.Serializer):
    username = serializers.CharField()
    orgs = OrgRoleSerializer(many=True)
    default_org = serializers.CharField(allow_null=True, help_text="Where `agent.init` logs without an `entity`.")


class ApiKeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    prefix = serializers.CharField(help_text="The key's public part; the secret is never shown again.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class ApiKeyListSerializer(serializers.Serializer):
    results = ApiKeySerializer(many=True)


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="A name to tell keys apart.")


class ApiKeyCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    prefix = serializers.CharField()
    key = serializers.CharField(help_text="The whole key, shown this once: `Authorization: Bearer <key>`.")


class OrgSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices, help_text="The caller's role.")


class OrgListSerializer(serializers.Serializer):
    results = OrgSerializer(many=True)


class OrgCreateSerializer(serializers.Serializer):
    slug = serializers.RegexField(
        SLUG_PATH_PATTERN,
        help_text="1-64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit (stored lower case); "
        f"not one of the names the web app's pages use: {', '.join(sorted(RESERVED_ORG_SLUGS))}.",
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Default: the slug.")


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class MemberListSerializer(serializers.Serializer):
    results = MemberSerializer(many=True)


class MemberAddSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="Default: member.")


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org = serializers.CharField(help_text="The organisation's slug.")
    org_name = serializers.CharField()
    username = serializers.CharField(help_text="As the admin typed it.")
    role = serializers.ChoiceField(choices=Role.choices)
    invited_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class InvitationListSerializer(serializers.Serializer):
    results = InvitationSerializer(many=True)


class InvitationAcceptedSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="The organisation joined.")
    role = serializers.ChoiceField(choices=Role.choices)


class MemberInvitedSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.ChoiceField(choices=["invited"])


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
