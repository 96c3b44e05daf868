"""What alerts do when runs and artifacts announce something (connected in apps.py).

Each runs after the sender's transaction committed: a failure here is logged,
never raised into the request or task that announced it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from apps.alerts import evaluation

log = logging.getLogger(__name__)


def _logged(fn: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> None:
        try:
            fn(**kwargs)
        except Exception:
            log.exception("alerts: %s failed", fn.__name__)

    return wrapper


@_logged
def on_history(*, run_pk: int, project_id: int, stream: str, numeric: dict[str, Any], **_: Any) -> None:
    evaluation.history_check(run_pk=run_pk, project_id=project_id, stream=stream, numeric=numeric)


@_logged
def on_run_finished(*, run_pk: int, **_: Any) -> None:
    evaluation.run_finished_check(run_pk=run_pk)


@_logged
def on_alert(*, alert_pk: int, created: bool, **_: Any) -> None:
    if created:  # a count raised is a repeat merged within wait_duration: not alerted again
        evaluation.agent_alert_check(alert_pk=alert_pk)


@_logged
def on_alias_moved(*, project_id: int | None, artifact: str, alias: str, version_id: int, **_: Any) -> None:
    evaluation.alias_moved_check(project_id=project_id, artifact=artifact, alias=alias, version_id=version_id)
