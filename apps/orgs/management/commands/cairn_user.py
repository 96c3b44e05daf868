"""Create a user (or reset their password), optionally adding them to an organisation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from apps.orgs.models import Organization, Role
from apps.orgs.services import (
    ReservedSlug,
    api_key_create,
    membership_set,
    org_create,
    user_create,
    user_password_set,
)


class Command(BaseCommand):
    help = (
        "Create USERNAME with a password, or set the password of an existing one. "
        "With --org, add them to it with --role (default member); an organisation "
        "that does not exist is created with them as its admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--org", help="organisation slug")
        parser.add_argument("--role", choices=[r.value for r in Role], default=Role.MEMBER.value)
        parser.add_argument("--api-key", action="store_true", help="also create an API key and print it")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username: str = options["username"]
        with transaction.atomic():
            user = User.objects.filter(username=username).first()
            created = user is None
            try:
                if user is None:
                    user = user_create(username=username, password=options["password"])
                else:
                    user_password_set(user=user, password=options["password"])
            except ValidationError as e:
                raise CommandError(f"password refused: {' '.join(e.messages)}") from None
            slug = options["org"]
            if slug:
                org = Organization.objects.filter(slug=slug.lower()).first()
                if org is None:
                    try:
                        org = org_create(slug=slug, owner=user)
                    except ReservedSlug as e:
                        raise CommandError(str(e)) from None
                    self.stdout.write(f"created organisation {org.slug} with {username} as admin")
                else:
                    membership_set(org=org, user=user, role=Role(options["role"]))
                    self.stdout.write(f"{username} is {options['role']} of {org.slug}")
            key = api_key_create(user=user, name="cairn_user")[1] if options["api_key"] else None
        self.stdout.write(f"{'created' if created else 'updated'} user {username}")
        if key:
            self.stdout.write(f"api key: {key}")
