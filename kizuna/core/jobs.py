"""The shared kernel's periodic jobs, registered with the scheduler at start-up."""

from io import StringIO

from django.apps import apps
from django.core.management import call_command

from kizuna.core import dispatcher, idempotency
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
