"""The base of the runs API's views, and the URL parts every one of them reads."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.request import Request

from apps.core.access import Access
from apps.core.apis import ScopedApi
from apps.core.errors import BadInput
from apps.orgs.permissions import org_resolve
from apps.runs import selectors, services
from apps.runs.models import (
    RUN_ID_PATTERN,
    STREAM_BY_NAME,
    WRITER_ID_PATTERN,
    Project,
    Run,
    RunWriter,
    Stream,
)
from apps.runs.permissions import project_resolve

_RUN_ID = re.compile(RUN_ID_PATTERN)
_WRITER = re.compile(WRITER_ID_PATTERN)


def run_id_check(value: str) -> str:
    if not _RUN_ID.fullmatch(value):
        raise BadInput("A run id is 1-64 of A-Z, a-z, 0-9, '_' and '-'.", "run_id")
    return value


class ProjectScopedApi(ScopedApi):
    """A project from the URL (`org`, `project`), with the caller's access to it."""

    project: Project
    project_access: Access

    def resolve_scope(self, request: Request, need: Any, **kwargs: Any) -> None:
        if self.creates_project(request) and not Project.objects.filter(
            organization__slug=kwargs["org"].lower(), slug=kwargs["project"].lower()
        ).exists():
            # Logging the first run of a project creates it, as W&B does.
            org, _ = org_resolve(user=request.user, org_slug=kwargs["org"], need=Access.WRITE)
            services.project_get_or_create(org=org, slug=kwargs["project"])
        self.project, self.project_access = project_resolve(
            user=request.user, org_slug=kwargs["org"], project_slug=kwargs["project"], need=need
        )

    def creates_project(self, request: Request) -> bool:
        return False

    def get_run(self, run_id: str) -> Run:
        return selectors.run_get(project=self.project, run_id=run_id)


def stream_param(name: str, allow_console: bool = True) -> Stream:
    stream = STREAM_BY_NAME.get(name)
    if stream is None or (stream == Stream.CONSOLE and not allow_console):
        raise BadInput("Unknown stream: use history, system" + (" or console." if allow_console else "."), "stream")
    return stream


def writer_param(request: Request, run: Run) -> RunWriter | None:
    """`?writer=`: one writer of the run by id or label; absent, None (every writer)."""
    raw = request.query_params.get("writer")
    if raw is None:
        return None
    if len(request.query_params.getlist("writer")) > 1 or not _WRITER.fullmatch(raw):
        raise BadInput(f"Must match {WRITER_ID_PATTERN}, once.", "writer")
    return selectors.writer_get(run=run, name=raw)
