"""Test data: the people of every permission test, and their projects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from apps.orgs.models import Organization, Role
from apps.orgs.services import api_key_create, membership_set, org_create
from apps.runs.models import Project, Run, Visibility


@dataclass
class Person:
    name: str
    user: Any
    key: str | None

    def client(self) -> APIClient:
        c = APIClient()
        if self.key:
            c.credentials(HTTP_AUTHORIZATION=f"Bearer {self.key}")
        return c

    def browser(self) -> Client:
        """A client with the person's session, as pages see them (pages ignore API keys)."""
        c = Client()
        if self.user is not None:
            c.force_login(self.user)
        return c


@dataclass
class World:
    org: Organization
    other_org: Organization
    owner: Person  # admin of org
    member: Person
    viewer: Person
    outsider: Person  # admin of other_org, nothing in org
    anonymous: Person
    private: Project
    public: Project

    def everyone(self) -> list[Person]:
        return [self.owner, self.member, self.viewer, self.outsider, self.anonymous]


def person(username: str) -> Person:
    user = get_user_model().objects.create_user(username=username, password=f"{username}-password")
    _, key = api_key_create(user=user, name="test")
    return Person(username, user, key)


def world_create() -> World:
    owner, member, viewer, outsider = (person(n) for n in ("alice", "bob", "carol", "mallory"))
    org = org_create(slug="acme", name="Acme", owner=owner.user)
    membership_set(org=org, user=member.user, role=Role.MEMBER)
    membership_set(org=org, user=viewer.user, role=Role.VIEWER)
    other = org_create(slug="evil", name="Evil", owner=outsider.user)
    private = Project.objects.create(organization=org, slug="secret", name="secret")
    public = Project.objects.create(organization=org, slug="open", name="open", visibility=Visibility.PUBLIC)
    return World(org, other, owner, member, viewer, outsider, Person("anonymous", None, None), private, public)


def run_create(project: Project, run_id: str = "r1", **fields: Any) -> Run:
    return Run.objects.create(project=project, run_id=run_id, **fields)
