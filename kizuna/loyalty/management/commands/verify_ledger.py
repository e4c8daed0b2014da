from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kizuna.loyalty.services.verify import verify


class Command(BaseCommand):
    help = (
        "Check every loyalty account: cached balances against the ledger, the lots against the "
        "balances, each lot against its allocations. Exits 0 only when all agree; otherwise "
        "names each account that differs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"{len(problems)} difference(s) between the ledger and the balances."
            )
        self.stdout.write("The ledger and every balance agree.")
