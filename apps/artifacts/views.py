"""Pages: an artifact's versions, and one version with its files, metadata and lineage."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.artifacts import selectors
from apps.runs.permissions import page_project


def artifact_page(request: HttpRequest, org: str, project: str, name: str) -> HttpResponse:
    p, _access = page_project(request, org, project)
    collection = selectors.collection_get(project=p, name=name)
    return render(request, "artifacts/artifact.html", {
        "org": p.organization, "project": p, "collection": collection,
        "versions": selectors.version_list(collection=collection),
    })


def version_page(request: HttpRequest, org: str, project: str, name: str, ref: str) -> HttpResponse:
    p, _access = page_project(request, org, project)
    version = selectors.version_get(project=p, name=name, ref=ref)
    collection = version.collection
    api = f"/api/v1/projects/{p.organization.slug}/{p.slug}/artifacts/{quote(collection.name)}/{version.version}"
    return render(request, "artifacts/version.html", {
        "page_data": {
            "lineage": f"{api}/lineage", "diff": f"{api}/diff", "version": version.version,
            "versions": [f"v{i}" for i in selectors.version_indexes(collection=collection)],
        },
        "org": p.organization, "project": p, "version": version, "collection": version.collection,
        "entries": selectors.entries_of(version), "consumers": selectors.consumers_of(version),
        "metadata": json.dumps(version.metadata, indent=2, sort_keys=True, default=str),
    })
