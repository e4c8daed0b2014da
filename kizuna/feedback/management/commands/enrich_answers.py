from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kizuna.core.models import Workspace
from kizuna.feedback.services import enrichment


class Command(BaseCommand):
    help = (
        "Analyse the sentiment of every open survey answer not analysed yet (of one workspace, "
        "of one survey), with progress. Safe to stop and run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", help="A workspace's slug (default: every workspace).")
        parser.add_argument("--survey", help="A survey's id (with --workspace).")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = None
        if options["workspace"]:
            workspace = Workspace.objects.filter(slug=options["workspace"]).first()
            if workspace is None:
                raise CommandError(f"No workspace {options['workspace']!r}.")
        elif options["survey"]:
            raise CommandError("--survey names a survey of the workspace given by --workspace.")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  answers {done}/{total} ({done * 100 // max(total, 1)}%)")

        stored = enrichment.enrich_waiting(workspace, options["survey"], progress)
        self.stdout.write(f"enrich_answers: analysed {stored} answer(s)")
