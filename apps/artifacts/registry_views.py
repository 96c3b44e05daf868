"""Pages of the model registry: an organisation's registered models, and one with its versions and audit."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.artifacts import registry_selectors, registry_services
from apps.core.access import Access
from apps.core.errors import BadInput
from apps.orgs.permissions import page_org


def registry_page(request: HttpRequest, org: str) -> HttpResponse:
    organization, _access = page_org(request, org, Access.READ)
    return render(request, "artifacts/registry.html", {
        "org": organization, "models": registry_selectors.registered_model_list(org=organization),
    })


@require_http_methods(["GET", "POST"])
def registered_model_page(request: HttpRequest, org: str, name: str) -> HttpResponse:
    organization, access = page_org(request, org, Access.READ)
    model = registry_selectors.registered_model_get(org=organization, name=name)
    error = ""
    if request.method == "POST":  # the move-an-alias form
        page_org(request, org, Access.WRITE)
        try:
            link = registry_selectors.registry_version_get(model=model, ref=request.POST.get("version", ""))
            registry_services.registry_alias_move(model=model, alias=request.POST.get("alias", ""), link=link, user=request.user)
        except BadInput as e:
            error = str(e.detail)
        else:
            return redirect("registered-model-page", org=organization.slug, name=model.name)
    links = registry_selectors.registry_version_list(model=model)
    return render(request, "artifacts/registered_model.html", {
        "org": organization, "model": model, "links": links, "error": error,
        "events": registry_selectors.alias_events(model=model), "can_write": access >= Access.WRITE,
    })
