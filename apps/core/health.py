from __future__ import annotations

from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthApi(APIView):
    """Anonymous callers (load balancers) get the answer; a wrong or revoked key
    gets 401, as everywhere."""

    @extend_schema(
        operation_id="health", summary="Whether the server can work",
        description="200 once the server reaches its database, else 503: for load balancers' checks.",
        responses={
            200: inline_serializer("Health", {"status": serializers.ChoiceField(choices=["ok"])}),
            503: inline_serializer("Unhealthy", {
                "status": serializers.ChoiceField(choices=["unavailable"]), "error": serializers.CharField(),
            }),
        },
    )
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as e:  # the database is the one thing we cannot work without
            return Response({"status": "unavailable", "error": str(e)}, status=503)
        return Response({"status": "ok"})
