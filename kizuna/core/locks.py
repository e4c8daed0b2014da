"""Row locks of the shared kernel (see docs/concepts.md, Locking)."""

from kizuna.core.models import BulkImport, OutboxEvent, one_or_none


def lock_pending_event(event_id: str, *, skip_locked: bool = False) -> OutboxEvent | None:
    """The event, locked, if it is still pending; with `skip_locked`, None also when another
    dispatcher holds it (it is being dispatched)."""
    return one_or_none(
        OutboxEvent.objects.select_for_update(skip_locked=skip_locked).filter(
            pk=event_id, dispatched_at__isnull=True
        )
    )


def lock_bulk_import_state(import_id: int) -> tuple[str, int] | None:
    """The (status, processed_rows) of a bulk import run, its row locked: one process at a
    time moves a run on."""
    state: tuple[str, int] | None = (
        BulkImport.objects.select_for_update()
        .filter(pk=import_id)
        .values_list("status", "processed_rows")
        .first()
    )
    return state
