"""What the integrations share: the step rule and a safe way to log a checkpoint."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


def step_fits(run: Any, step: int) -> bool:
    """Whether ``run.log(..., step=step)`` keeps the row: steps never go back (W&B's rule).

    The row pending, or else the last row, may take more keys.
    """
    floor = run.step if run._pending else run.step - 1
    return step >= floor


def log_at(run: Any, row: dict[str, Any], step: int) -> None:
    """``run.log(row, step=step)`` as a framework reports it: at its step when that fits.

    A step below the last row's (the script logged rows of its own in
    between) is still logged, on the next row: nothing the framework reports
    is dropped. When ``step`` is the run's next one, as it is when the
    framework alone logs, the row takes ``log()``'s hot path (no ``step=``):
    the same row at the same step, without the checked path's cost.
    """
    if step == run.step and not run._pending:
        run.log(row)
    else:
        run.log(row, step=step if step_fits(run, step) else None)


@contextlib.contextmanager
def staging(run: Any) -> Iterator[str]:
    """A fresh folder in the run's, removed afterwards, for a copy of what an artifact holds.

    Frameworks write a checkpoint over the one before in place (Lightning's
    ``last.ckpt``, Keras's ``model.keras``), and a logged file is uploaded
    later: logging a copy keeps the version's bytes what they were (W&B's
    ``mutable`` policy copies too). The copy is linked into the upload
    area when logged, so removing the folder loses nothing.
    """
    folder = tempfile.mkdtemp(prefix="integration-", dir=run.dir)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def save_text(run: Any, name: str, text: str) -> None:
    """A text the integration makes (a model summary) as the run's file ``name``."""
    from .._code import save_file

    with staging(run) as folder:
        path = os.path.join(folder, os.path.basename(name))
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        save_file(run, path, name)
