from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.accounts import services
from kizuna.accounts.models import ApiKey


class Command(BaseCommand):
    help = (
        "Revoke a workspace's API key, named by its first characters (sk_... or pk_..., as "
        "many as tell it apart). Requests with it get 401 from then on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")
        parser.add_argument("--workspace", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"]
        if len(prefix) < 6:
            raise CommandError("Give at least the first 6 characters of the key.")
        keys = ApiKey.objects.filter(
            workspace__slug=options["workspace"],
            prefix__startswith=prefix[:10],
            revoked_at__isnull=True,
        )
        found = list(keys[:2])
        if len(found) != 1:
            raise CommandError(
                "No live key starts with that." if not found else "Several keys start with that."
            )
        services.revoke_api_key(found[0])
        self.stdout.write(f"revoked {found[0].prefix}… ({found[0].kind})")
