from typing import Any

from django.core.management.base import BaseCommand

from kizuna.loyalty import tasks


class Command(BaseCommand):
    help = tasks.expire_points.func.__doc__ or ""

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"expire_points: {tasks.expire_points.call()}")
