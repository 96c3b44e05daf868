"""The runs API (docs/protocol.md): thin views over services and selectors,
one module per area; `base` holds what they share."""

from .base import ProjectScopedApi, run_id_check, stream_param

__all__ = ["ProjectScopedApi", "run_id_check", "stream_param"]
