from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kizuna.accounts import services


class Command(BaseCommand):
    help = (
        "Lift a staff sign-in lock-out: the account's (by email), and the client address's "
        "with --address. Clears their counted failures too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--address", help="Also lift the lock-out of this client address.")

    def handle(self, *args: Any, **options: Any) -> None:
        lifted = services.lift_lockouts(
            email=options["email"], address=options["address"], by="manage.py unlock_staff"
        )
        if lifted:
            self.stdout.write(f"lifted {lifted} lock-out{'s' if lifted > 1 else ''}")
        else:
            self.stdout.write("no lock-out in force; counted failures cleared")
