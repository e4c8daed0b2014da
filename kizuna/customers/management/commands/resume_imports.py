from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.customers.imports import jobs


class Command(BaseCommand):
    help = (
        "Finish customer imports whose task was lost or whose worker died: queued or running "
        "runs that have not moved for --idle-minutes resume from their last checkpoint, in "
        "this process. Safe beside live workers (a batch commits only from the checkpoint it "
        "started at). An import that fails is reported and the others still run; the command "
        "then exits non-zero. Run it periodically."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--idle-minutes", type=int, default=10)

    def handle(self, *args: Any, **options: Any) -> None:
        ids = jobs.stalled_import_ids(timedelta(minutes=options["idle_minutes"]))
        failed: list[int] = []
        for import_id in ids:
            try:
                run = jobs.process_import(import_id)
            except Exception as exc:
                # The run is marked failed with its file kept (see process_import), and the
                # error is logged with its traceback; the other runs still get their turn.
                failed.append(import_id)
                self.stdout.write(f"import {import_id}: error {str(exc) or type(exc).__name__}")
                continue
            status = run.status if run is not None else "gone"
            self.stdout.write(f"import {import_id}: {status}")
        self.stdout.write(f"resumed {len(ids) - len(failed)} stalled import(s)")
        if failed:
            raise CommandError(
                f"{len(failed)} stalled import(s) failed: "
                + ", ".join(str(import_id) for import_id in failed)
            )
