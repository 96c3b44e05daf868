"""The quick search of the top bar: projects, runs, reports and benchmarks by name."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core import directory

KIND_TITLES = {"projects": "Projects", "runs": "Runs", "reports": "Reports", "benchmarks": "Benchmarks"}


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[: directory.MAX_QUERY]
    if "\x00" in query:
        query = ""  # names nothing, and PostgreSQL refuses it
    found = directory.search(user=request.user, query=query)
    groups = [(KIND_TITLES.get(kind, kind), kind, items) for kind, items in found]
    return render(
        request,
        "search.html",
        {"query": query, "groups": groups, "total": sum(len(items) for _, _, items in groups),
         "limit": directory.MAX_RESULTS},
    )
