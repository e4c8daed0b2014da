"""The customers app's periodic jobs, registered with the scheduler at start-up."""

from datetime import timedelta

from kizuna.core.schedule import register_job
from kizuna.customers.imports import jobs as imports

# A queued or running import that has not moved for this long lost its task or its worker.
IMPORT_IDLE = timedelta(minutes=10)


def resume_stalled_imports() -> str:
    """Finish the uploads whose task was lost or whose worker died, from their last
    checkpoint, in this process (as `manage.py resume_imports`)."""
    ids = imports.stalled_import_ids(IMPORT_IDLE)
    failed = []
    for import_id in ids:
        try:
            imports.process_import(import_id)
        except Exception:  # recorded on the run (import_interrupted) and logged
            failed.append(import_id)
    if failed:
        raise RuntimeError(
            f"{len(failed)} of {len(ids)} stalled import(s) failed: "
            + ", ".join(str(import_id) for import_id in failed)
        )
    return f"resumed {len(ids)} stalled import(s)"


def register() -> None:
    register_job(
        "customer_import_resume",
        resume_stalled_imports,
        "5m",
        "Finishes customer imports whose task was lost or whose worker died (no progress for "
        "10 minutes), from their last checkpoint.",
    )
