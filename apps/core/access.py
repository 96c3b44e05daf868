"""The levels of access every app checks, and the one way a shortfall is answered.

Outsiders get 404 for anything private, so a private thing's existence does
not leak; someone who can see it but not change it gets 403 (401 when
anonymous). Each app resolves its own scope (organisation, project, report,
benchmark) to an `Access` and asks `access_require`.
"""

from __future__ import annotations

from enum import IntEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.models import User as DjangoUser
from django.http import Http404
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

User = AbstractBaseUser | DjangoUser | AnonymousUser


class Access(IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    ADMIN = 3


def access_require(*, user: User, have: Access, need: Access) -> None:
    """Raise the right error when `have` falls short of `need`."""
    if have >= need:
        return
    if have == Access.NONE:
        raise Http404
    if not user.is_authenticated:
        raise NotAuthenticated("Sign in or send an API key to do this.")
    raise PermissionDenied("Your role does not allow this.")
