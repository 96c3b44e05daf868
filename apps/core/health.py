from __future__ import annotations

from django.db import connection
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthApi(APIView):
    """Anonymous callers (load balancers) get the answer; a wrong or revoked key
    gets 401, as everywhere."""

    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as e:  # the database is the one thing we cannot work without
            return Response({"status": "unavailable", "error": str(e)}, status=503)
        return Response({"status": "ok"})
