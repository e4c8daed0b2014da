from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.accounts import services
from kizuna.accounts.models import Role
from kizuna.core.errors import KizunaError
from kizuna.core.models import Workspace


class Command(BaseCommand):
    help = "Create a staff user with a role in a workspace; prints a one-time password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace {options['workspace']!r}.")
        try:
            user, password = services.create_staff(options["email"], workspace, options["role"])
        except KizunaError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{user.email} {password}")
