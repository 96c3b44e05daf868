"""API key format: `cairn_<prefix>_<secret>`; we store the prefix and SHA-256.

Keys are 190 bits of randomness, so a fast hash is enough: there is nothing
for a slow password hash to protect against.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "cairn"


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str

    @property
    def full(self) -> str:
        return f"{KEY_PREFIX}_{self.prefix}_{self.secret}"

    @property
    def hash(self) -> str:
        return key_hash(self.full)


def key_generate() -> NewKey:
    return NewKey(prefix=secrets.token_hex(4), secret=secrets.token_urlsafe(24))


def key_hash(full_key: str) -> str:
    return hashlib.sha256(full_key.encode()).hexdigest()


def key_split(full_key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    parts = full_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def key_matches(full_key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(full_key), stored_hash)
