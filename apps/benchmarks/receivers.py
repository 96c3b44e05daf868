"""What benchmarks do when runs announce something (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser

from apps.benchmarks import services
from apps.runs.models import Run


def enter_on_upsert(*, run: Run, user: Any, data: dict[str, Any], **_: Any) -> None:
    """`agent.init(benchmark=...)`: the run is entered when it finishes."""
    if data.get("benchmark") is not None:
        services.submission_request_on_finish(
            run=run, user=user if user is not None else AnonymousUser(), benchmark_path=data["benchmark"]
        )


def score_on_finish(*, run_pk: int, **_: Any) -> None:
    """Entries waiting for the run are frozen and scored (or refused, if it crashed)."""
    services.submissions_run_finished(run_pk=run_pk)
