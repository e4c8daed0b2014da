"""The outbox dispatcher: runs the subscribers of committed events, oldest first.

`follow()` is the long-running loop (`manage.py dispatch_outbox --follow`, started by
`make demo` beside the web server). It dispatches every event that is due, then waits: on
PostgreSQL for the notification that a committed insert into the outbox sends (a trigger,
migration core.0002), so that an event is dispatched within milliseconds of its commit;
elsewhere, and whatever happens, for at most `idle_seconds`. Several dispatchers may run at
once: each event is taken with SKIP LOCKED, so two never run the same event together."""

import logging
import select
import threading
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from django.db import connection

from kizuna.core import events

logger = logging.getLogger(__name__)

CHANNEL = "kizuna_outbox"


@dataclass
class Counts:
    dispatched: int = 0
    failed: int = 0


def drain(*, due: bool = True, report: Callable[[str], None] | None = None) -> Counts:
    """Dispatch the pending events (only those due for an attempt, with `due`), each once,
    oldest first."""
    counts = Counts()
    page = events.pending_events(due=due)
    while page:
        for _, event_id in page:
            try:
                if events.dispatch(event_id, skip_locked=True):
                    counts.dispatched += 1
            except Exception as exc:
                counts.failed += 1
                logger.warning("Outbox event %s failed: %s", event_id, exc)
                if report is not None:
                    report(f"event {event_id}: {exc}")
        page = events.pending_events(after=page[-1], due=due)
    return counts


class _Listener:
    """A connection of its own that LISTENs to the outbox channel (PostgreSQL only)."""

    def __init__(self) -> None:
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        self.connection = psycopg.connect(**params, autocommit=True)
        self.connection.execute(f"LISTEN {CHANNEL}")

    def wait(self, seconds: float) -> None:
        """Return when a notification arrives, or after `seconds`."""
        for _ in self.connection.notifies(timeout=seconds, stop_after=1):
            pass
        # Several commits may have notified at once: one drain serves them all.
        while True:
            ready, _, _ = select.select([self.connection.fileno()], [], [], 0)
            if not ready:
                return
            for _ in self.connection.notifies(timeout=0, stop_after=100):
                pass

    def close(self) -> None:
        self.connection.close()


def follow(
    *,
    idle_seconds: float = 5.0,
    stop: threading.Event | None = None,
    report: Callable[[str], None] | None = None,
) -> None:
    """Dispatch events as they are committed, until `stop` is set."""
    stop = stop or threading.Event()
    listener = _Listener() if connection.vendor == "postgresql" else None
    try:
        while not stop.is_set():
            counts = drain(report=report)
            if counts.dispatched or counts.failed:
                logger.info(
                    "Dispatched %d outbox event(s), %d failure(s)",
                    counts.dispatched,
                    counts.failed,
                )
            # Between two drains the Django connection is closed, as between two requests.
            connection.close()
            if listener is not None:
                listener.wait(idle_seconds)
            else:
                stop.wait(idle_seconds)
    finally:
        if listener is not None:
            listener.close()
        connection.close()
