from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kizuna.core.models import Workspace
from kizuna.orders.services import stats


class Command(BaseCommand):
    help = (
        "Recompute the per-customer order aggregates (orders, spend, first and last order) "
        "from the orders, for every workspace or one. Needed after orders are loaded in bulk "
        "or the workspace's default currency changes; the order services keep them up to date "
        "otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="Only this workspace (its slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = Workspace.objects.order_by("pk")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace {options['workspace']!r}.")
        for workspace in workspaces:
            with transaction.atomic():
                customers = stats.rebuild(workspace)
            self.stdout.write(f"{workspace.slug}: {customers} customer(s) with paid orders")
