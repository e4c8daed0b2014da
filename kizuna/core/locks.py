"""Row locks of the shared kernel (see docs/concepts.md, Locking)."""

from kizuna.core.models import OutboxEvent, one_or_none


def lock_pending_event(event_id: str, *, skip_locked: bool = False) -> OutboxEvent | None:
    """The event, locked, if it is still pending; with `skip_locked`, None also when another
    dispatcher holds it (it is being dispatched)."""
    return one_or_none(
        OutboxEvent.objects.select_for_update(skip_locked=skip_locked).filter(
            pk=event_id, dispatched_at__isnull=True
        )
    )
