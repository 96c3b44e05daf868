"""What the runs app announces. Higher apps (benchmarks, later alerts) listen;
runs never imports them.

Both are sent after the transaction that made the change commits.
"""

from __future__ import annotations

from django.dispatch import Signal

# A run reached an end state (finished, failed, or marked crashed). Sent with `run_pk`.
run_finished = Signal()

# A run was created or updated by its writer (`PUT .../runs/<id>`). Sent with
# `run`, `user` and `data` (the request's body, e.g. its `benchmark`).
run_upserted = Signal()
