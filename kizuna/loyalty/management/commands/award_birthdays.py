from typing import Any

from django.core.management.base import BaseCommand

from kizuna.loyalty import tasks


class Command(BaseCommand):
    help = tasks.award_birthdays.func.__doc__ or ""

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"award_birthdays: {tasks.award_birthdays.call()}")
