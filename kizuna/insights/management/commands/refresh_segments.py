from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.core.conditions import InvalidCondition
from kizuna.core.models import Workspace
from kizuna.insights.models import SegmentRefresh
from kizuna.insights.services import refresh


class Command(BaseCommand):
    help = (
        "Refresh every materialized segment (of one workspace with --workspace): record who "
        "entered and who left, and emit segment.entered and segment.left. Run it periodically."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="Only this workspace's segments (its slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = None
        if options["workspace"]:
            workspace = Workspace.objects.filter(slug=options["workspace"]).first()
            if workspace is None:
                raise CommandError(f"No workspace {options['workspace']!r}.")
        done = failed = 0
        for segment_pk in refresh.materialized_segments(workspace):
            try:
                result = refresh.refresh_segment_by_pk(segment_pk, SegmentRefresh.Trigger.SCHEDULE)
            except InvalidCondition as exc:
                failed += 1
                self.stderr.write(f"segment {segment_pk}: {exc.message}")
                continue
            if result is None:
                continue
            done += 1
            segment = result.segment
            self.stdout.write(
                f"{segment.workspace.slug}/{segment.key}: {result.size} member(s), "
                f"{result.entered} entered, {result.left} left, {result.duration_ms} ms"
            )
        self.stdout.write(f"refreshed {done} segment(s), {failed} failure(s)")
