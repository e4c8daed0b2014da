from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kizuna.core.ledgers import run_ledger_checks
from kizuna.loyalty.services.verify import verify


class Command(BaseCommand):
    help = (
        "Check every loyalty account: cached balances against the ledger, the lots against the "
        "balances, each lot against its allocations; then the ledgers other apps register "
        "(gift cards: each balance against its entries). Exits 0 only when all agree; otherwise "
        "names each account that differs."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--accounts",
            default="",
            help="Check only these accounts (primary keys, comma-separated).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = [int(pk) for pk in options["accounts"].split(",") if pk.strip()]
        problems: list[object] = list(verify(chosen or None))
        if not chosen:  # the other apps' ledgers (gift cards...), registered at start-up
            problems += run_ledger_checks()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                f"{len(problems)} difference(s) between the ledger and the balances."
            )
        self.stdout.write("The ledger and every balance agree.")
