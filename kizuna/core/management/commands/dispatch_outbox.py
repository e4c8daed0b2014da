from typing import Any

from django.core.management.base import BaseCommand

from kizuna.core import events


class Command(BaseCommand):
    help = "Dispatch outbox events that were not dispatched (after a crash or a failed enqueue)."

    def handle(self, *args: Any, **options: Any) -> None:
        done = failed = 0
        while True:
            ids = events.pending_event_ids()
            if not ids:
                break
            progressed = False
            for event_id in ids:
                try:
                    if events.dispatch(event_id):
                        done += 1
                        progressed = True
                except Exception as exc:
                    failed += 1
                    self.stderr.write(f"event {event_id}: {exc}")
            if not progressed:
                break
        self.stdout.write(f"dispatched {done} event(s), {failed} failure(s)")
