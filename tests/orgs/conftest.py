"""The organisation tests' people: acme's admin alice, member bob and viewer
carol; mallory, admin of another organisation; an anonymous visitor."""

from __future__ import annotations

import pytest

from tests.factories import World, world_create


@pytest.fixture
def world() -> World:
    return world_create()
