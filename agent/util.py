"""W&B's ``wandb.util`` helpers that scripts use."""

from __future__ import annotations

import secrets
import string

__all__ = ["generate_id"]

_ALPHABET = string.ascii_lowercase + string.digits


def generate_id(length: int = 8) -> str:
    """A random run id: ``length`` lowercase letters and digits (W&B's ``wandb.util.generate_id``).

    >>> len(generate_id()), len(generate_id(12))
    (8, 12)
    """
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
