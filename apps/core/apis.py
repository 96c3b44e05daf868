"""The one base of API views that act inside a scope (an organisation, a
project, a report, a benchmark): the scope is resolved from the URL and the
caller's access checked before any handler runs, so no endpoint can forget.

Each scope's base (`OrgScopedApi`, `ProjectScopedApi`, `ReportScopedApi`,
`BenchmarkScopedApi`) says how to resolve it; its views say what each HTTP
method `needs`. A method not listed needs `unlisted_needs`, the scope's
highest bar for writes, so a new method cannot be left open by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.views import APIView

from apps.core.access import Access
from apps.core.params import request_text_check

READS: Mapping[str, Any] = {"GET": Access.READ, "HEAD": Access.READ, "OPTIONS": Access.READ}


class ScopedApi(APIView):
    needs: ClassVar[Mapping[str, Any]] = READS
    unlisted_needs: ClassVar[Any] = Access.WRITE

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        request_text_check(request, kwargs)
        super().initial(request, *args, **kwargs)
        if not hasattr(self, (request.method or "").lower()):
            return  # no handler: dispatch answers 405, whoever asks
        self.resolve_scope(request, self.needs.get(request.method or "GET", self.unlisted_needs), **kwargs)

    def resolve_scope(self, request: Request, need: Any, **kwargs: Any) -> None:
        """Load the scope named by the URL's `kwargs` onto self, or raise 404/401/403."""
        raise NotImplementedError
