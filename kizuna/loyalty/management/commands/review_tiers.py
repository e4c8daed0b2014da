from typing import Any

from django.core.management.base import BaseCommand

from kizuna.loyalty import tasks


class Command(BaseCommand):
    help = tasks.review_tiers.func.__doc__ or ""

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"review_tiers: {tasks.review_tiers.call()}")
