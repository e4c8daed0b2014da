import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.core.imports.readers import FileFormat
from kizuna.core.models import Workspace
from kizuna.customers import exports


class Command(BaseCommand):
    help = (
        "Export a workspace's customers as CSV or XLSX, with the columns an import takes. "
        "The format follows --format, or else the output's extension (csv by default)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument("--format", choices=[f.value for f in FileFormat])
        parser.add_argument("-o", "--output", required=True, help="The file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace {options['workspace']!r}.")
        target = Path(options["output"])
        file_format = options["format"] or (
            FileFormat.XLSX if target.suffix.lower() == ".xlsx" else FileFormat.CSV
        )
        if not target.parent.is_dir():
            raise CommandError(f"No directory {str(target.parent)!r}.")
        export = exports.export_customers(workspace, file_format)
        # Written beside the target and moved over it at the end: never half a file.
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in export.chunks:
                    out.write(chunk)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        self.stdout.write(f"Exported {export.rows:,} customers to {target} ({file_format}).")
