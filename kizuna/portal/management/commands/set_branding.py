"""`manage.py set_branding <workspace slug> [--logo-url URL] [--color #RRGGBB]`: the logo and
primary colour of a workspace's survey pages. An empty value clears it."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.core.models import Workspace


class Command(BaseCommand):
    help = "Set the logo URL and the primary colour of a workspace's survey pages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", help="The workspace's slug.")
        parser.add_argument("--logo-url", dest="logo_url", default=None)
        parser.add_argument("--color", default=None, help="#RRGGBB")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace {options['workspace']!r}.")
        if options["logo_url"] is not None:
            workspace.brand_logo_url = options["logo_url"]
        if options["color"] is not None:
            workspace.brand_color = options["color"]
        try:
            workspace.full_clean(validate_unique=False)
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        workspace.save(update_fields=["brand_logo_url", "brand_color"])
        self.stdout.write(
            f"{workspace.slug}: logo {workspace.brand_logo_url or '(none)'}, "
            f"colour {workspace.brand_color or '(default)'}"
        )
