"""What the artifacts app announces. Higher apps (alerts) listen; artifacts never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# An alias or registry stage moved to a version. Sent after the transaction commits, with
# `org_id`, `project_id` (None for a registry link), `artifact` (the collection's name),
# `alias`, `version_id`, `previous_version_id` (None when new) and `actor_id` (None for the agent).
alias_moved = Signal()
