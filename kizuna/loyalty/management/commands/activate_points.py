from typing import Any

from django.core.management.base import BaseCommand

from kizuna.loyalty import tasks


class Command(BaseCommand):
    help = tasks.activate_points.func.__doc__ or ""

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"activate_points: {tasks.activate_points.call()}")
