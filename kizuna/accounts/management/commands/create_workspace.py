import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.accounts import services
from kizuna.core.errors import KizunaError


class Command(BaseCommand):
    help = "Create a workspace with a server and a publishable API key; prints one JSON line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", default=None)
        parser.add_argument("--currency", default="USD")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = services.create_workspace(
                options["slug"], options["name"], currency=options["currency"]
            )
        except KizunaError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            json.dumps(
                {
                    "workspace": created.workspace.slug,
                    "server_key": created.server_key,
                    "publishable_key": created.publishable_key,
                }
            )
        )
