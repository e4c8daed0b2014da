"""Background work of the shared kernel."""

from django.tasks import task

from kizuna.core.imports import runs


@task()
def process_bulk_import(import_id: int) -> str | None:
    """Write the rows of an uploaded bulk import from its run's last checkpoint. Safe to run
    again: a completed run is left as it is. Returns the run's status."""
    run = runs.process(import_id)
    return None if run is None else run.status
