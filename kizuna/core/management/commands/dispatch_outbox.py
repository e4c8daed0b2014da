from typing import Any

from django.core.management.base import BaseCommand

from kizuna.core import events


class Command(BaseCommand):
    help = (
        "Dispatch outbox events that are still pending (after a crash or a lost enqueue), "
        "oldest first. Each pending event is tried once a run; run it periodically."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = failed = 0
        page = events.pending_events()
        while page:
            for _, event_id in page:
                try:
                    if events.dispatch(event_id):
                        done += 1
                except Exception as exc:
                    failed += 1
                    self.stderr.write(f"event {event_id}: {exc}")
            page = events.pending_events(after=page[-1])
        self.stdout.write(f"dispatched {done} event(s), {failed} failure(s)")
