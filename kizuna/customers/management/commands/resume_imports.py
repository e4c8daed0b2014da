from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kizuna.customers import transfer


class Command(BaseCommand):
    help = (
        "Finish customer imports whose task was lost or whose worker died: queued or running "
        "runs that have not moved for --idle-minutes resume from their last checkpoint, in "
        "this process. Safe beside live workers (a batch commits only from the checkpoint it "
        "started at). Run it periodically."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--idle-minutes", type=int, default=10)

    def handle(self, *args: Any, **options: Any) -> None:
        ids = transfer.stalled_import_ids(timedelta(minutes=options["idle_minutes"]))
        for import_id in ids:
            run = transfer.process_import(import_id)
            status = run.status if run is not None else "gone"
            self.stdout.write(f"import {import_id}: {status}")
        self.stdout.write(f"resumed {len(ids)} stalled import(s)")
