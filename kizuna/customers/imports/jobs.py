"""Import runs: a file checked at once, then its rows imported in batches, each committed
with the run's checkpoint (processed_rows, counts, errors), so that a run that stops resumes
after its last checkpoint and the counts stay exact.

An upload (`submit_import`) is stored in the database with a queued run, which a worker
imports (`tasks.process_customer_import`). The command line imports in its own process
(`import_customers`). Both go through `ImportJob`."""

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from django.db import DatabaseError, transaction
from django.db.models import F, Q

from kizuna.core.clock import now
from kizuna.core.errors import KizunaError, NotFound
from kizuna.core.imports.readers import (
    Cells,
    FileFormat,
    ImportLimits,
    check_file_format,
    count_rows,
    file_error,
    is_blank_row,
    open_table,
    too_large,
    upload_limits,
)
from kizuna.core.imports.workbooks import scan_workbook
from kizuna.core.models import Workspace
from kizuna.customers.imports.columns import Column, plan_columns
from kizuna.customers.imports.rows import RowImporter
from kizuna.customers.locks import lock_import_state
from kizuna.customers.models import CustomerImport, CustomerImportFile

logger = logging.getLogger(__name__)

INTERRUPTED = "import_interrupted"
# Interruptions after which the periodic sweep stops resuming a run by itself.
MAX_AUTO_RESUMES = 3
# Rows imported per transaction, through the bulk path: a batch holds its customers' row
# locks (and, on SQLite, the database's write lock) for a fraction of a second.
BATCH_SIZE = 500


_CHECKPOINT_FIELDS = (
    "status",
    "total_rows",
    "processed_rows",
    "created_count",
    "updated_count",
    "unchanged_count",
    "rejected_count",
    "errors",
    "errors_truncated",
    "finished_at",
    "checkpoint_at",
)
_RESUMABLE = (CustomerImport.Status.QUEUED, CustomerImport.Status.FAILED)


@dataclass(frozen=True)
class CheckedFile:
    file_format: FileFormat
    columns: list[Column]
    total_rows: int


def check_file(stream: IO[bytes], *, filename: str, size: int, limits: ImportLimits) -> CheckedFile:
    """Everything that refuses a whole file, in one bounded read through it: its size,
    format, encoding, header and number of rows. Nothing is written.

    A CSV file is read whole (at most `max_bytes`, and refused at the first row past
    `max_rows`). A workbook's cells are not parsed here (`workbooks.scan_workbook`): its
    parts, declared sizes and header are checked, and its rows counted by their tags; the
    worker parses the cells."""
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise too_large(limits.max_bytes)
    stream.seek(0)
    head = stream.read(8)
    file_format = check_file_format(filename, head)
    if not head:
        raise file_error("The file is empty.", code="empty_file")
    if file_format is FileFormat.XLSX:
        scanned = scan_workbook(stream, limits)
        return CheckedFile(file_format, plan_columns(scanned.header), scanned.data_rows)
    table = open_table(file_format, stream)
    try:
        with closing(table.records()) as records:
            first = next(records, None)
        if first is None:
            raise file_error("The file is empty.", code="empty_file")
        columns = plan_columns(first[1])
        total = count_rows(table, limits.max_rows)
    finally:
        table.close()
    return CheckedFile(file_format, columns, total)


def _new_run(
    workspace: Workspace,
    checked: CheckedFile,
    *,
    filename: str,
    size: int,
    source: str,
    status: str,
) -> CustomerImport:
    return CustomerImport.objects.create(
        workspace=workspace,
        filename=filename[-255:],
        file_format=checked.file_format,
        file_size=size,
        source=source,
        columns=[column.name for column in checked.columns],
        total_rows=checked.total_rows,
        status=status,
    )


class ImportJob:
    """The rows of a run's file, imported from where the run's checkpoint says it stopped.

    `process_batch` imports the next rows in one transaction together with the checkpoint.
    Opening a job reads the file's header again and the rows before the checkpoint, without
    writing, so that a customer repeated across a checkpoint is still reported as a
    duplicate. Problems with the file raise `ValidationFailed`; close the job when done."""

    def __init__(
        self,
        run: CustomerImport,
        stream: IO[bytes],
        *,
        progress: Callable[[CustomerImport], None] | None = None,
        progress_every: int = 1_000,
    ) -> None:
        self.run = run
        # Set when another process moved the run on (or completed it) since this job read it.
        self.superseded = False
        file_format = FileFormat(run.file_format)
        self._table = open_table(file_format, stream)
        self._records = self._table.records()
        try:
            first = next(self._records, None)
            if first is None:
                raise file_error("The file is empty.", code="empty_file")
            self._importer = RowImporter(
                run.workspace,
                run,
                plan_columns(first[1]),
                file_format,
                progress,
                progress_every,
            )
            self._rows = self._data_rows()
            for _ in range(run.processed_rows):
                done = next(self._rows, None)
                if done is None:
                    raise file_error(
                        "The file has fewer rows than the import has processed already.",
                        code="malformed_file",
                    )
                self._importer.parse(*done)
            self._next = next(self._rows, None)
        except BaseException:
            self.close()
            raise

    def _data_rows(self) -> Iterator[tuple[int, Cells]]:
        for number, cells in self._records:
            if not is_blank_row(cells):
                yield number, cells

    def close(self) -> None:
        self._records.close()
        self._table.close()

    def start(self) -> None:
        """Mark the run running: a queued run starts, a failed one resumes."""
        run = self.run
        with transaction.atomic():
            state = lock_import_state(self.run.pk)
            if state is None or state[0] not in _RESUMABLE:
                return
            if state[0] == CustomerImport.Status.QUEUED:
                run.started_at = now()
            run.status = CustomerImport.Status.RUNNING
            run.failure_code = run.failure_message = ""
            run.finished_at = None
            run.checkpoint_at = now()
            run.save(
                update_fields=[
                    "status",
                    "started_at",
                    "failure_code",
                    "failure_message",
                    "finished_at",
                    "checkpoint_at",
                ]
            )

    def process_batch(self, batch_size: int) -> bool:
        """Import up to `batch_size` rows and commit them with the run's checkpoint; when the
        file ends, the run completes and its stored file is deleted in the same transaction.
        Returns whether rows remain. If the run's stored checkpoint is not this job's (another
        process moved it on, or completed it), nothing is written and `superseded` is set."""
        run = self.run
        with transaction.atomic():
            state = lock_import_state(self.run.pk)
            if (
                state is None
                or state[0] == CustomerImport.Status.COMPLETED
                or state[1] != run.processed_rows
            ):
                self.superseded = True
                return False
            run.status = CustomerImport.Status.RUNNING
            batch = []
            for _ in range(max(1, batch_size)):
                if self._next is None:
                    break
                batch.append(self._next)
                self._next = next(self._rows, None)
            self._importer.process_many(batch)
            if self._next is None:
                run.status = CustomerImport.Status.COMPLETED
                # Exact now that every row was read (a workbook's rows were counted by
                # their tags when it was uploaded).
                run.total_rows = run.processed_rows
                run.finished_at = now()
                CustomerImportFile.objects.filter(run_id=run.pk).delete()
            run.checkpoint_at = now()
            run.save(update_fields=_CHECKPOINT_FIELDS)
        return self._next is not None


def _drive(
    job: ImportJob,
    *,
    batch_size: int | None,
    max_batches: int | None,
    progress: Callable[[CustomerImport], None] | None,
    progress_every: int,
) -> CustomerImport:
    run = job.run
    job.start()
    if progress is not None:
        progress(run)
    size = batch_size or BATCH_SIZE
    batches = 0
    more = True
    while more and (max_batches is None or batches < max_batches):
        more = job.process_batch(size)
        batches += 1
    if job.superseded:
        run.refresh_from_db()
    elif (
        progress is not None
        and run.status == CustomerImport.Status.COMPLETED
        and run.processed_rows % max(1, progress_every) != 0
    ):
        progress(run)
    return run


def _record_failure(
    run: CustomerImport, code: str, message: str, *, keep_file: bool = False
) -> None:
    """Mark the run failed; its counts stay those of its last checkpoint. The stored file is
    deleted unless the run can resume."""
    try:
        with transaction.atomic():
            CustomerImport.objects.filter(pk=run.pk).exclude(
                status=CustomerImport.Status.COMPLETED
            ).update(
                status=CustomerImport.Status.FAILED,
                failure_code=code,
                failure_message=message,
                finished_at=now(),
                checkpoint_at=now(),
                interruptions=F("interruptions") + (1 if code == INTERRUPTED else 0),
            )
            if not keep_file:
                CustomerImportFile.objects.filter(run_id=run.pk).delete()
        run.refresh_from_db()
    except DatabaseError:
        logger.exception("Could not record the failure of customer import %s", run.pk)


def _record_interruption(run: CustomerImport, *, resumable: bool) -> None:
    """An error that is not the file's stopped the run: the batch it was in was rolled back;
    the rows before it are kept."""
    logger.exception("Customer import %s stopped", run.pk)
    try:
        done = (
            CustomerImport.objects.filter(pk=run.pk)
            .values_list("processed_rows", flat=True)
            .first()
        )
    except DatabaseError:
        done = None
    where = f" after {done:,} of {run.total_rows:,} rows" if done is not None else ""
    if resumable:
        then = (
            "; the rows before are kept, and the import resumes from there when it runs again "
            f"(manage.py import_customers --resume {run.pk} --workspace {run.workspace.slug})."
        )
    else:
        then = "; the rows before are kept. Import the file again to finish: rows already "
        then += "imported are reported unchanged."
    _record_failure(
        run,
        INTERRUPTED,
        f"The import stopped{where} because of an internal error{then}",
        keep_file=True,
    )


def submit_import(
    workspace: Workspace, stream: IO[bytes], *, filename: str, size: int
) -> CustomerImport:
    """Check an uploaded file and store it with a queued run, whose rows a worker imports
    (`tasks.process_customer_import`, enqueued once the caller's transaction commits).

    Problems with the file raise (422, or 413 when it is too large) before anything is
    written."""
    checked = check_file(stream, filename=filename, size=size, limits=upload_limits())
    stream.seek(0)
    content = stream.read()
    with transaction.atomic():
        run = _new_run(
            workspace,
            checked,
            filename=filename,
            size=size,
            source=CustomerImport.Source.API,
            status=CustomerImport.Status.QUEUED,
        )
        CustomerImportFile.objects.create(workspace=workspace, run=run, content=content)
        import_id = run.pk
        transaction.on_commit(lambda: _enqueue_import(import_id))
    return run


def _enqueue_import(import_id: int) -> None:
    from kizuna.customers.tasks import process_customer_import

    try:
        process_customer_import.enqueue(import_id)
    except Exception:
        # The run stays queued with its file; `manage.py import_customers --resume` runs it.
        logger.exception("Could not enqueue customer import %s", import_id)


def process_import(
    import_id: int,
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    progress: Callable[[CustomerImport], None] | None = None,
    progress_every: int = 1_000,
) -> CustomerImport | None:
    """Import the rows of a stored upload from the run's last checkpoint: what the worker
    runs, safe to run again. Returns the run, or None if there is none.

    A completed run is left as it is, and so is a failed run whose file is gone. A problem
    with the file fails the run with the problem's code and message and deletes the file.
    Any other error fails the run as `import_interrupted`, keeps the file so that running
    the import again resumes it, and is raised again. `max_batches` stops early (the run
    stays running), `batch_size` defaults to BATCH_SIZE."""
    run = CustomerImport.objects.select_related("workspace").filter(pk=import_id).first()
    if run is None or run.status == CustomerImport.Status.COMPLETED:
        return run
    content = (
        CustomerImportFile.objects.filter(run_id=run.pk).values_list("content", flat=True).first()
    )
    if content is None:
        if run.status != CustomerImport.Status.FAILED:
            _record_failure(
                run,
                "import_file_missing",
                "The uploaded file is no longer stored; upload it again.",
            )
        return run
    try:
        job = ImportJob(
            run, io.BytesIO(bytes(content)), progress=progress, progress_every=progress_every
        )
        try:
            return _drive(
                job,
                batch_size=batch_size,
                max_batches=max_batches,
                progress=progress,
                progress_every=progress_every,
            )
        finally:
            job.close()
    except KizunaError as exc:
        _record_failure(run, exc.code, exc.message)
        return run
    except Exception:
        _record_interruption(run, resumable=True)
        raise


def stalled_import_ids(idle: timedelta) -> list[int]:
    """Uploads that have not moved for `idle`: queued or running ones (their task was lost or
    their worker died) and ones an internal error interrupted, up to MAX_AUTO_RESUMES
    interruptions (beyond that an operator looks at the error and resumes it by hand).
    Running them again resumes them from their last checkpoint."""
    moving = Q(status__in=[CustomerImport.Status.QUEUED, CustomerImport.Status.RUNNING])
    interrupted = Q(
        status=CustomerImport.Status.FAILED,
        failure_code=INTERRUPTED,
        interruptions__lt=MAX_AUTO_RESUMES,
    )
    return list(
        CustomerImport.objects.filter(
            moving | interrupted,
            checkpoint_at__lt=now() - idle,
            upload__isnull=False,
        )
        .order_by("checkpoint_at", "pk")
        .values_list("pk", flat=True)
    )


def process_import_batch(import_id: int, *, batch_size: int | None = None) -> CustomerImport | None:
    """Import one batch of a stored upload (the run completes if it was the last)."""
    return process_import(import_id, batch_size=batch_size, max_batches=1)


def import_customers(
    workspace: Workspace,
    stream: IO[bytes],
    *,
    filename: str,
    size: int,
    source: str = CustomerImport.Source.COMMAND,
    limits: ImportLimits | None = None,
    progress: Callable[[CustomerImport], None] | None = None,
    progress_every: int = 1_000,
    batch_size: int | None = None,
) -> CustomerImport:
    """Import a CSV or XLSX file in this process, in the same batches as a worker, and
    return the completed run with its report (the command line; nothing is stored but the
    run).

    Problems with the file raise (422, or 413 when it is too large) before anything is
    written. `progress` is called with the run once the rows are counted, then every
    `progress_every` rows, and once at the end."""
    checked = check_file(stream, filename=filename, size=size, limits=limits or upload_limits())
    run = _new_run(
        workspace,
        checked,
        filename=filename,
        size=size,
        source=source,
        status=CustomerImport.Status.RUNNING,
    )
    try:
        job = ImportJob(run, stream, progress=progress, progress_every=progress_every)
        try:
            return _drive(
                job,
                batch_size=batch_size,
                max_batches=None,
                progress=progress,
                progress_every=progress_every,
            )
        finally:
            job.close()
    except KizunaError as exc:
        _record_failure(run, exc.code, exc.message)
        raise
    except Exception:
        _record_interruption(run, resumable=False)
        raise


def get_import(workspace: Workspace, import_id: str) -> CustomerImport:
    run = None
    if import_id.isascii() and import_id.isdigit() and len(import_id) <= 18:
        run = CustomerImport.objects.for_workspace(workspace).filter(pk=int(import_id)).first()
    if run is None:
        raise NotFound(f"No import {import_id!r}.", code="import_not_found", field="import_id")
    return run
