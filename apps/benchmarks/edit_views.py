"""Pages that make and change a benchmark: one form, for the owner's admins.

The form feeds the same services as the API (`benchmark_create`,
`benchmark_update`, `invite_set`), so the rules are checked once.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.benchmarks import services
from apps.benchmarks.models import Benchmark, BenchmarkVisibility, Direction
from apps.benchmarks.permissions import benchmark_resolve
from apps.core.access import Access
from apps.core.errors import BadInput, Conflict
from apps.core.pages import page_resolve
from apps.orgs.models import Membership, Organization, Role

MAX_INVITED = 100


class BenchmarkForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Shown as the title; the short name when empty.")
    metric_name = forms.CharField(max_length=200, required=False, label="Metric label", help_text="e.g. Top-1 accuracy.")
    metric_key = forms.CharField(max_length=256, label="Metric key", help_text="The run summary key the score is read from, e.g. val/acc.")
    direction = forms.ChoiceField(choices=[(Direction.HIGHER, "higher is better"), (Direction.LOWER, "lower is better")])
    precision = forms.IntegerField(
        min_value=0, max_value=services.MAX_PRECISION, required=False, label="Decimal places",
        help_text="Scores are shown rounded to this many decimal places; empty: six significant digits.",
    )
    secondary_metrics = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Other metrics",
        help_text="One a line: a summary key, or label=key. Shown as columns; required like the main metric.",
    )
    config_columns = forms.CharField(max_length=6000, required=False, label="Config columns", help_text="Config keys shown as columns, comma-separated.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=100_000, required=False, help_text="Markdown.")
    rules = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=100_000, required=False, help_text="Markdown.")
    task_url = forms.URLField(max_length=500, required=False, label="Task URL", assume_scheme="https")
    dataset_url = forms.URLField(max_length=500, required=False, label="Dataset URL", assume_scheme="https")
    requires_approval = forms.BooleanField(required=False, label="Entries wait for an admin's approval")
    visibility = forms.ChoiceField(choices=[(BenchmarkVisibility.PUBLIC, "public: anyone sees it"),
                                            (BenchmarkVisibility.LIMITED, "limited: the owner and invited organisations")])
    invited = forms.CharField(
        max_length=6600, required=False, label="Invited organisations",
        help_text="Short names, comma-separated: their members see it when limited, and may submit.",
    )

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        secondary = []
        for line in d["secondary_metrics"].splitlines()[: services.MAX_SECONDARY + 1]:
            if line.strip():
                name, _, key = line.rpartition("=")
                secondary.append({"name": name.strip() or key.strip(), "key": key.strip()})
        return {
            **{k: d[k] for k in ("name", "metric_name", "metric_key", "direction", "precision", "description", "rules",
                                 "task_url", "dataset_url", "requires_approval", "visibility")},
            "secondary_metrics": secondary,
            "config_columns": _split(d["config_columns"]),
        }


class BenchmarkCreateForm(BenchmarkForm):
    org = forms.ChoiceField(label="Owner", help_text="An organisation you are an admin of.")
    slug = forms.CharField(max_length=64, label="Short name", help_text="In its address: a-z, 0-9, '_', '.', '-'.")
    field_order = ["org", "slug"]

    def __init__(self, *args: Any, admin_of: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(s, s) for s in admin_of]  # type: ignore[attr-defined]


def _split(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,\s]+", text) if p.strip()]


def _form_error(form: forms.Form, e: BadInput | Conflict) -> None:
    field = re.split(r"[\[.]", getattr(e, "field", None) or "", maxsplit=1)[0]
    form.add_error(field if field in form.fields else None, str(e.detail))


def _invites_apply(benchmark: Benchmark, wanted: list[str]) -> None:
    if len(wanted) > MAX_INVITED:
        raise BadInput(f"At most {MAX_INVITED} organisations.", "invited")
    have = set(benchmark.invites.values_list("organization__slug", flat=True))
    wanted_set = {w.lower() for w in wanted} - {benchmark.organization.slug}
    for slug in sorted(wanted_set - have):
        services.invite_set(benchmark=benchmark, org_slug=slug, invited=True)
    for slug in sorted(have - wanted_set):
        services.invite_set(benchmark=benchmark, org_slug=slug, invited=False)


@login_required
@require_http_methods(["GET", "POST"])
def benchmark_new_page(request: HttpRequest) -> HttpResponse:
    admin_of = list(
        Membership.objects.filter(user=request.user, role=Role.ADMIN)  # type: ignore[misc]
        .order_by("organization__slug").values_list("organization__slug", flat=True)
    )
    initial = {"direction": Direction.HIGHER, "visibility": BenchmarkVisibility.PUBLIC, "org": request.GET.get("org")}
    form = BenchmarkCreateForm(request.POST if request.method == "POST" else None, admin_of=admin_of, initial=initial)
    if request.method == "POST" and form.is_valid():
        org = Organization.objects.get(slug=form.cleaned_data["org"])
        try:
            with transaction.atomic():
                data = {**form.service_data(), "slug": form.cleaned_data["slug"]}
                benchmark = services.benchmark_create(org=org, user=request.user, data=data)
                _invites_apply(benchmark, _split(form.cleaned_data["invited"]))
        except (BadInput, Conflict) as e:
            _form_error(form, e)
        else:
            return redirect("leaderboard-page", benchmark.organization.slug, benchmark.slug)
    context = {"form": form, "creating": True, "admin_of": admin_of}
    return render(request, "benchmarks/form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def benchmark_edit_page(request: HttpRequest, owner: str, slug: str) -> HttpResponse:
    benchmark, _ = page_resolve(benchmark_resolve, user=request.user, owner=owner, slug=slug, need=Access.ADMIN)
    initial = {
        **{f: getattr(benchmark, f) for f in BenchmarkForm.base_fields if hasattr(benchmark, f)},
        "secondary_metrics": "\n".join(f"{m['name']}={m['key']}" for m in benchmark.secondary_metrics),
        "config_columns": ", ".join(benchmark.config_columns),
        "invited": ", ".join(benchmark.invites.order_by("organization__slug").values_list("organization__slug", flat=True)),
    }
    form = BenchmarkForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.benchmark_update(benchmark=benchmark, data=form.service_data())
                _invites_apply(benchmark, _split(form.cleaned_data["invited"]))
        except (BadInput, Conflict) as e:
            _form_error(form, e)
        else:
            return redirect("leaderboard-page", benchmark.organization.slug, benchmark.slug)
    context = {"form": form, "benchmark": benchmark, "has_entries": benchmark.submissions.exists()}
    return render(request, "benchmarks/form.html", context, status=400 if form.errors else 200)
