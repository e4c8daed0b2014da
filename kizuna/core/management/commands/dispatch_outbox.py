from contextlib import suppress
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kizuna.core import dispatcher


class Command(BaseCommand):
    help = (
        "Dispatch the outbox events that are pending, oldest first; each pending event is "
        "tried once a run, failed ones included. With --follow, keep dispatching events as "
        "they are committed (woken at once on PostgreSQL), retrying failed ones with backoff."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--follow",
            action="store_true",
            help="Run until stopped, dispatching events as they are committed.",
        )
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=5.0,
            help="With --follow: the longest wait between two looks at the outbox (default 5).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["follow"]:
            self.stdout.write("Dispatching outbox events as they are committed (Ctrl-C stops)")
            with suppress(KeyboardInterrupt):
                dispatcher.follow(idle_seconds=options["idle_seconds"], report=self.stderr.write)
            return
        counts = dispatcher.drain(due=False, report=self.stderr.write)
        self.stdout.write(f"dispatched {counts.dispatched} event(s), {counts.failed} failure(s)")
