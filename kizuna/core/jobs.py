"""The shared kernel's periodic jobs, registered with the scheduler at start-up."""

from datetime import timedelta
from io import StringIO

from django.apps import apps
from django.core.management import call_command

from kizuna.core import dispatcher, idempotency
from kizuna.core.imports import runs
from kizuna.core.schedule import register_job


def sweep_outbox() -> str:
    """Try every pending outbox event once, due or not: the safety net behind the
    dispatcher process."""
    counts = dispatcher.drain(due=False)
    return f"dispatched {counts.dispatched} event(s), {counts.failed} failure(s)"


def purge_idempotency_keys() -> str:
    return f"deleted {idempotency.purge_expired()} expired key(s)"


def prune_task_results() -> str:
    """Finished results of the database task backend older than 14 days."""
    if not apps.is_installed("django_tasks_db"):
        return "the database task backend is not installed"
    out = StringIO()
    call_command("prune_db_task_results", stdout=out)
    return out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else "pruned"


def resume_bulk_imports() -> str:
    """Finish the order and event imports whose task was lost or whose worker died (no
    progress for 10 minutes), from their last checkpoint, in this process."""
    ids = runs.stalled_ids(timedelta(minutes=10))
    failed = []
    for import_id in ids:
        try:
            runs.process(import_id)
        except Exception:  # recorded on the run (import_interrupted) and logged
            failed.append(import_id)
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(ids)} stalled import(s) failed: {failed}")
    return f"resumed {len(ids)} stalled import(s)"


def register() -> None:
    register_job(
        "outbox_sweep",
        sweep_outbox,
        "5m",
        "Tries every pending outbox event once (failed ones before their backoff is over too): "
        "the sweep behind the dispatcher process.",
    )
    register_job(
        "idempotency_purge",
        purge_idempotency_keys,
        "1h",
        "Deletes Idempotency-Key records older than KIZUNA_IDEMPOTENCY_TTL_HOURS.",
    )
    register_job(
        "task_results_prune",
        prune_task_results,
        "1d@03:30",
        "Deletes finished results of the database task backend older than 14 days.",
    )
    register_job(
        "bulk_import_resume",
        resume_bulk_imports,
        "5m",
        "Finishes order and event imports whose task was lost or whose worker died (no "
        "progress for 10 minutes), from their last checkpoint.",
    )
