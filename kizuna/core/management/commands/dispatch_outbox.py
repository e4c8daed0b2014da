from typing import Any

from django.core.management.base import BaseCommand

from kizuna.core import events


class Command(BaseCommand):
    help = (
        "Dispatch outbox events that are still pending (after a crash or a lost enqueue). "
        "Each pending event is tried at most once per run; run it periodically."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = failed = 0
        tried: set[str] = set()
        while True:
            ids = [event_id for event_id in events.pending_event_ids() if event_id not in tried]
            if not ids:
                break
            for event_id in ids:
                tried.add(event_id)
                try:
                    if events.dispatch(event_id):
                        done += 1
                except Exception as exc:
                    failed += 1
                    self.stderr.write(f"event {event_id}: {exc}")
        self.stdout.write(f"dispatched {done} event(s), {failed} failure(s)")
