"""What the runs app announces. Higher apps (benchmarks, alerts) listen;
runs never imports them.

Every one is sent after the transaction that made the change commits.
"""

from __future__ import annotations

from django.dispatch import Signal

# A run reached an end state (finished, failed, or marked crashed). Sent with `run_pk`.
# It may be sent more than once for one run (a run declared crashed that comes back
# and ends again): listeners that must act once keep their own record.
run_finished = Signal()

# A run was created or updated by its writer (`PUT .../runs/<id>`). Sent with
# `run`, `user` and `data` (the request's body, e.g. its `benchmark`).
run_upserted = Signal()

# Rows were appended to a run's history or system stream. Sent with `run_pk`,
# `project_id`, `stream` ("history" or "system") and `numeric`: every number the
# batch held, by key, as `(steps, values)` numpy arrays (NaN and infinities
# included). Listeners must be cheap: this is sent on every batch.
history_appended = Signal()

# A run sent an alert (`run.alert()`), or raised the count of one it sent before
# (a repeat the agent merged within `wait_duration`). Sent with `alert_pk`,
# `run_pk` and `created` (False for a count raised).
alert_recorded = Signal()
