import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.core.errors import KizunaError
from kizuna.core.imports import runs
from kizuna.core.imports.kinds import KINDS
from kizuna.core.imports.readers import ImportLimits
from kizuna.core.models import Workspace


class Command(BaseCommand):
    help = (
        "Import orders or events from a CSV, XLSX or JSON lines file into a workspace, in this "
        "process, through the same checks and bulk path as POST /orders/import and "
        "/events/import; no size or row limit unless --max-rows. Prints the counts, the rate "
        "and the rejected rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument(
            "--emit-events",
            action="store_true",
            help="Emit outbox events for what is created (off: a history import is not news).",
        )
        parser.add_argument("--max-rows", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=runs.BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace {options['workspace']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {str(path)!r}.")
        started = time.perf_counter()
        try:
            with path.open("rb") as stream:
                run = runs.import_file(
                    workspace,
                    options["kind"],
                    stream,
                    filename=path.name,
                    size=path.stat().st_size,
                    options={"emit_events": options["emit_events"]},
                    limits=ImportLimits(max_bytes=None, max_rows=options["max_rows"]),
                    batch_size=options["batch_size"],
                )
        except KizunaError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Import {run.pk} {run.status}: {run.created_count:,} created, "
            f"{run.unchanged_count:,} unchanged, {run.rejected_count:,} rejected in "
            f"{seconds:.1f} s ({run.processed_rows / seconds:,.0f} rows/s)."
        )
        for error in run.errors:
            field = f" {error['field']}:" if error.get("field") else ""
            self.stdout.write(
                f"  row {error['row']} ({error['id']}):{field} {error['code']}: {error['message']}"
            )
