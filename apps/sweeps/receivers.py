"""What sweeps do when runs announce something (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from apps.runs.models import Run
from apps.sweeps import services


def attach_on_upsert(*, run: Run, data: dict[str, Any], **_: Any) -> None:
    """A run an agent started names its sweep (`sweep` in its create): it joins its trial."""
    if data.get("sweep") is not None:
        services.trial_attach(run=run, sweep_id=data["sweep"])


def record_on_finish(*, run_pk: int, **_: Any) -> None:
    services.trial_record_end(run_pk=run_pk)
