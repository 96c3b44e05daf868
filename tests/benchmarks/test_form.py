"""The benchmark form's permissions and fields, in process (the Chromium test
in tests/web/test_benchmark_form.py drives it end to end)."""

from __future__ import annotations

import pytest

from apps.benchmarks.models import Benchmark
from tests.benchmarks.conftest import Lab, benchmark_create

pytestmark = pytest.mark.django_db

FORM = {"org": "lab", "slug": "mnist", "metric_key": "acc", "direction": "higher", "visibility": "limited"}


def test_an_admin_creates_a_limited_benchmark_with_invited_orgs(lab: Lab) -> None:
    r = lab.olivia.browser().post("/benchmarks/new/", {**FORM, "invited": "acme, lab", "precision": "4",
                                                       "secondary_metrics": "Loss=val/loss\nsteps"})
    assert r.status_code == 302 and r["Location"] == "/benchmarks/lab/mnist/"
    b = Benchmark.objects.get(slug="mnist")
    assert list(b.invites.values_list("organization__slug", flat=True)) == ["acme"]  # the owner needs no invitation
    assert b.precision == 4 and b.secondary_metrics == [{"name": "Loss", "key": "val/loss"}, {"name": "steps", "key": "steps"}]
    # acme's members see it now; a stranger does not.
    assert lab.member.browser().get("/benchmarks/lab/mnist/").status_code == 200
    assert lab.outsider.browser().get("/benchmarks/lab/mnist/").status_code == 404


def test_a_member_cannot_create_for_an_org_they_do_not_administer(lab: Lab) -> None:
    r = lab.oscar.browser().post("/benchmarks/new/", FORM)
    assert r.status_code == 400
    assert not Benchmark.objects.filter(slug="mnist").exists()


def test_only_the_owners_admins_edit(lab: Lab) -> None:
    benchmark_create(lab, visibility="limited")
    edit = "/benchmarks/lab/imagenet/edit/"
    assert lab.oscar.browser().post(edit, {**FORM, "name": "Hijacked"}).status_code == 403
    assert lab.outsider.browser().get(edit).status_code == 404
    assert lab.anonymous.browser().get(edit).status_code == 404  # limited: not even its existence
    assert Benchmark.objects.get(slug="imagenet").name == "Imagenet"


def test_an_unknown_invited_org_is_an_error_on_its_field(lab: Lab) -> None:
    r = lab.olivia.browser().post("/benchmarks/new/", {**FORM, "invited": "nobody-here"})
    assert r.status_code == 400 and b"No organisation" in r.content
    assert not Benchmark.objects.filter(slug="mnist").exists()  # nothing half-made
