"""Background work of the customers app (imports run here when started from the API)."""

from django.tasks import task

from kizuna.customers.imports import jobs


@task()
def process_customer_import(import_id: int) -> str | None:
    """Import the rows of an uploaded file from its run's last checkpoint. Safe to run again:
    a completed run is left as it is. Returns the run's status (None if there is no run)."""
    run = jobs.process_import(import_id)
    return None if run is None else run.status
