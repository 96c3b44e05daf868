"""What an organisation holds and what a search finds, gathered from the apps that hold it.

Lower layers announce, higher layers listen: the organisation page (in
runs) cannot import reports or benchmarks, so each app registers, in its
``AppConfig.ready()``, a section of the organisation page and a source of
search results. Every function is given the caller and answers only with
what that caller may read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apps.core.access import Access

MAX_QUERY = 200  # characters of a search
MAX_RESULTS = 20  # per kind of thing found


@dataclass(frozen=True)
class Item:
    title: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class Section:
    """A titled list on the organisation page; ``id`` is its anchor (``/<org>/#reports``)."""

    id: str
    title: str
    items: list[Item] = field(default_factory=list)
    empty: str = ""  # what to say when there is nothing
    more_url: str = ""


# (order, function(user, org, access) -> Section or None)
OrgSection = Callable[[Any, Any, Access], "Section | None"]
# (kind, function(user, query, limit) -> items)
SearchSource = Callable[[Any, str, int], list[Item]]

_org_sections: dict[str, tuple[int, OrgSection]] = {}
_search_sources: dict[str, tuple[int, SearchSource]] = {}


def org_section_register(name: str, order: int, section: OrgSection) -> None:
    _org_sections[name] = (order, section)


def search_source_register(kind: str, order: int, source: SearchSource) -> None:
    _search_sources[kind] = (order, source)


def org_sections(*, user: Any, org: Any, access: Access) -> list[Section]:
    out = []
    for _, fn in sorted(_org_sections.values(), key=lambda pair: pair[0]):
        section = fn(user, org, access)
        if section is not None:
            out.append(section)
    return out


def search(*, user: Any, query: str, limit: int = MAX_RESULTS) -> list[tuple[str, list[Item]]]:
    """``[(kind, items)]`` of every source, in their order; a blank query finds nothing."""
    query = query.strip()[:MAX_QUERY]
    if not query:
        return []
    ranked = sorted(_search_sources.items(), key=lambda pair: pair[1][0])
    return [(kind, fn(user, query, limit)) for kind, (_, fn) in ranked]
