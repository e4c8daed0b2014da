from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.core.errors import KizunaError
from kizuna.core.imports import readers
from kizuna.core.models import Workspace
from kizuna.customers.imports import jobs
from kizuna.customers.models import CustomerImport

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import customers from a CSV (UTF-8) or XLSX file into a workspace, in this process. "
        "Prints progress, then the counts and the rejected rows. The file's size and rows are "
        "not capped as an upload's are, unless --max-rows is given. With --resume, finishes "
        "an uploaded import whose worker stopped, from its last checkpoint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", help="A .csv or .xlsx file; row 1 names the columns."
        )
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument(
            "--resume",
            type=int,
            default=None,
            metavar="IMPORT_ID",
            help="Resume this uploaded import (its file is stored) instead of reading a file.",
        )
        parser.add_argument(
            "--every",
            type=int,
            default=1000,
            help="Report progress every N rows (default 1000).",
        )
        parser.add_argument(
            "--max-rows", type=int, default=None, help="Refuse a file with more rows than this."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace {options['workspace']!r}.")
        if options["every"] < 1:
            raise CommandError("--every must be at least 1.")
        self.interactive = self.stdout.isatty()
        self.workspace_slug = workspace.slug
        if options["resume"] is not None:
            if options["file"]:
                raise CommandError("Give a file or --resume, not both.")
            self.resume(workspace, options["resume"], options["every"])
            return
        if not options["file"]:
            raise CommandError("Give the file to import (or --resume IMPORT_ID).")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {str(path)!r}.")
        try:
            with path.open("rb") as stream:
                run = jobs.import_customers(
                    workspace,
                    stream,
                    filename=path.name,
                    size=path.stat().st_size,
                    source=CustomerImport.Source.COMMAND,
                    limits=readers.ImportLimits(max_bytes=None, max_rows=options["max_rows"]),
                    progress=self.show_progress,
                    progress_every=options["every"],
                )
        except KizunaError as exc:
            lines = [f"{exc.code}: {exc.message}"]
            lines += [
                f"  {item.get('field')}: {item.get('code')}: {item.get('message')}"
                for item in exc.details[1:]
            ]
            raise CommandError("\n".join(lines)) from exc
        self.report(run)

    def resume(self, workspace: Workspace, import_id: int, every: int) -> None:
        try:
            run = jobs.get_import(workspace, str(import_id))
        except KizunaError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if run.status != CustomerImport.Status.COMPLETED:
            self.stdout.write(
                f"Resuming import {run.pk} ({run.filename}) at {run.processed_rows:,}/"
                f"{run.total_rows:,} rows."
            )
        resumed = jobs.process_import(run.pk, progress=self.show_progress, progress_every=every)
        assert resumed is not None
        self.report(resumed)
        if resumed.status == CustomerImport.Status.FAILED:
            raise CommandError(f"{resumed.failure_code}: {resumed.failure_message}")

    def show_progress(self, run: CustomerImport) -> None:
        total, done = run.total_rows, run.processed_rows
        if done == 0:
            self.stdout.write(
                f"Importing {run.filename} into {self.workspace_slug}: {total:,} rows "
                f"(import {run.pk})."
            )
            if total == 0 or not self.interactive:
                return
        percent = 100 * done // total if total else 100
        if self.interactive:
            filled = BAR_WIDTH * done // total if total else BAR_WIDTH
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stdout.write(f"\r[{bar}] {percent:3d}% {done:,}/{total:,} rows", ending="")
            if done == total:
                self.stdout.write("")
            self.stdout.flush()
        else:
            self.stdout.write(f"{done:,}/{total:,} rows ({percent}%)")

    def report(self, run: CustomerImport) -> None:
        self.stdout.write(
            f"Import {run.pk} {run.status}: {run.created_count:,} created, "
            f"{run.updated_count:,} updated, {run.unchanged_count:,} unchanged, "
            f"{run.rejected_count:,} rejected."
        )
        if not run.errors:
            return
        self.stdout.write("Rejected rows:")
        for error in run.errors:
            who = f" ({error['external_id']})" if error.get("external_id") else ""
            column = f" {error['field']}:" if error.get("field") else ""
            self.stdout.write(
                f"  row {error['row']}{who}:{column} {error['code']}: {error['message']}"
            )
        if run.errors_truncated:
            self.stdout.write(
                f"  ... and more: only the first {len(run.errors):,} errors are kept."
            )
