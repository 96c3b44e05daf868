"""Benchmarks on the organisation page and in the quick search (apps/core/directory.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from apps.benchmarks.models import Benchmark
from apps.benchmarks.selectors import benchmark_list
from apps.core.access import Access
from apps.core.directory import Item, Section


def _item(b: Benchmark) -> Item:
    return Item(b.name or b.slug, f"/benchmarks/{b.organization.slug}/{b.slug}/", f"{b.organization.slug}/{b.slug} · {b.visibility}")


def org_benchmarks_section(user: Any, org: Any, access: Access) -> Section:
    found = benchmark_list(user=user).filter(organization=org)[:50]
    return Section(
        "benchmarks",
        "Benchmarks",
        [_item(b) for b in found],
        empty="No benchmarks of this organisation.",
        more_url="/benchmarks/",
    )


def benchmark_search(user: Any, query: str, limit: int) -> list[Item]:
    found = benchmark_list(user=user).filter(Q(name__icontains=query) | Q(slug__icontains=query))[:limit]
    return [_item(b) for b in found]
