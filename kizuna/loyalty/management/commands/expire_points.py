from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kizuna.loyalty import tasks


class Command(BaseCommand):
    help = tasks.expire_points.func.__doc__ or ""

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Threads on PostgreSQL, each on its share of the accounts "
            "(default KIZUNA_EXPIRY_WORKERS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"]
        if workers is not None and not 1 <= workers <= 16:
            raise CommandError("--workers is between 1 and 16.")
        self.stdout.write(f"expire_points: {tasks.expire_points.call(workers)}")
