"""Bulk import runs (ADR 0023): a file of facts (orders, events) checked whole, then written
in checkpointed batches through the owning app's bulk path, with progress and a per-row
error report, as the customer import does (ADR 0010).

A file is CSV or XLSX (row 1 names the columns: the fields of the body that the single
endpoint takes; JSON columns such as `items` hold JSON) or JSON lines (one body per line,
exactly as the single endpoint takes it). An upload (`submit`) is stored with a queued run
and a task (`kizuna.core.tasks.process_bulk_import`) writes it; `import_file` writes a file
in this process (the command line, benchmarks). Each batch is one transaction that also
commits the run's checkpoint; a run that stops resumes after it, and a batch commits only
from the checkpoint it started at, so no row is written twice."""

import io
import logging
from datetime import timedelta
from typing import IO, Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q

from kizuna.core.clock import now
from kizuna.core.errors import KizunaError, NotFound
from kizuna.core.imports.kinds import KINDS, Problem, rejected
from kizuna.core.imports.readers import FileFormat, ImportLimits, file_error
from kizuna.core.imports.rows import Refused, Row, check_file, records
from kizuna.core.locks import lock_bulk_import_state
from kizuna.core.models import BulkImport, BulkImportFile, Workspace

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
BATCH_SIZE = 1000
MAX_REPORTED_ERRORS = 1_000
MAX_AUTO_RESUMES = 3
INTERRUPTED = "import_interrupted"
UPLOAD_LIMITS = ImportLimits(max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_ROWS)
_CHECKPOINT = (
    "status",
    "processed_rows",
    "created_count",
    "unchanged_count",
    "rejected_count",
    "errors",
    "errors_truncated",
    "finished_at",
    "checkpoint_at",
)


# ------------------------------------------------------------------ running


class Job:
    """A run's rows from its checkpoint on, written batch by batch."""

    def __init__(self, run: BulkImport, stream: IO[bytes]) -> None:
        self.run = run
        self.kind = KINDS[run.kind]
        self.superseded = False
        self.first_row_of: dict[str, int] = {}
        self._rows = records(self.kind, FileFormat(run.file_format), stream)
        for _ in range(run.processed_rows):  # rows before the checkpoint: ids only
            done = next(self._rows, None)
            if done is None:
                raise file_error(
                    "The file has fewer rows than the import has processed already.",
                    code="malformed_file",
                )
            self._duplicate(*done)

    def close(self) -> None:
        self._rows.close()

    def _duplicate(self, number: int, body: Row) -> Problem | None:
        key = None if isinstance(body, Refused) else body.get(self.kind.id_field)
        if not isinstance(key, str) or not key:
            return None
        first = self.first_row_of.setdefault(key, number)
        if first == number:
            return None
        return {
            "field": self.kind.id_field,
            "code": f"duplicate_{self.kind.id_field}",
            "message": f"{self.kind.id_field} {key!r} is also on row {first}; each appears "
            "once per file.",
        }

    def start(self) -> None:
        with transaction.atomic():
            state = lock_bulk_import_state(self.run.pk)
            if state is None or state[0] == BulkImport.Status.COMPLETED:
                return
            run = self.run
            run.started_at = run.started_at or now()
            run.status = BulkImport.Status.RUNNING
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

    def process_batch(self, size: int = BATCH_SIZE) -> bool:
        """Write up to `size` rows with the run's checkpoint; returns whether rows remain."""
        run = self.run
        batch: list[tuple[int, Row]] = []
        for row in self._rows:
            batch.append(row)
            if len(batch) >= size:
                break
        more = len(batch) == size
        with transaction.atomic():
            state = lock_bulk_import_state(run.pk)
            if state is None or state[0] == BulkImport.Status.COMPLETED:
                self.superseded = True
                return False
            if state[1] != run.processed_rows:
                self.superseded = True
                return False
            self._write(batch)
            run.processed_rows += len(batch)
            run.status = BulkImport.Status.RUNNING
            if not more:
                run.status = BulkImport.Status.COMPLETED
                run.finished_at = now()
                BulkImportFile.objects.filter(run_id=run.pk).delete()
            run.checkpoint_at = now()
            run.save(update_fields=_CHECKPOINT)
        return more

    def _write(self, batch: list[tuple[int, Row]]) -> None:
        run = self.run
        results: dict[int, Any] = {}
        good: list[tuple[int, dict[str, Any]]] = []
        for number, body in batch:
            problem = body.problem if isinstance(body, Refused) else self._duplicate(number, body)
            if problem is not None:
                results[number] = rejected(problem)
            elif not isinstance(body, Refused):
                good.append((number, body))
        for attempt in range(2):
            try:
                with transaction.atomic():  # a savepoint: a lost race is tried once more
                    written = self.kind.ingest(run.workspace, good, run.options)
                break
            except IntegrityError:
                if attempt:
                    raise
        results.update({number: result for (number, _), result in zip(good, written, strict=True)})
        for number, body in batch:
            result = results[number]
            if result.outcome == "created":
                run.created_count += 1
            elif result.outcome == "unchanged":
                run.unchanged_count += 1
            else:
                run.rejected_count += 1
                key = None if isinstance(body, Refused) else body.get(self.kind.id_field)
                for problem in result.problems:
                    if len(run.errors) >= MAX_REPORTED_ERRORS:
                        run.errors_truncated = True
                        break
                    run.errors.append(
                        {"row": number, "id": key if isinstance(key, str) else None, **problem}
                    )


def _drive(job: Job, batch_size: int | None = None) -> BulkImport:
    job.start()
    while job.process_batch(batch_size or BATCH_SIZE):
        pass
    if job.superseded:
        job.run.refresh_from_db()
    return job.run


def _record_failure(run: BulkImport, code: str, message: str, *, keep_file: bool) -> None:
    try:
        with transaction.atomic():
            BulkImport.objects.filter(pk=run.pk).exclude(status=BulkImport.Status.COMPLETED).update(
                status=BulkImport.Status.FAILED,
                failure_code=code,
                failure_message=message,
                finished_at=now(),
                checkpoint_at=now(),
                interruptions=F("interruptions") + (1 if code == INTERRUPTED else 0),
            )
            if not keep_file:
                BulkImportFile.objects.filter(run_id=run.pk).delete()
        run.refresh_from_db()
    except DatabaseError:
        logger.exception("Could not record the failure of bulk import %s", run.pk)


def submit(
    workspace: Workspace,
    kind_name: str,
    stream: IO[bytes],
    *,
    filename: str,
    size: int,
    options: dict[str, Any],
) -> BulkImport:
    """Check an uploaded file and store it with a queued run; a worker writes its rows
    (the task is enqueued when the caller's transaction commits)."""
    kind = KINDS[kind_name]
    checked = check_file(kind, stream, filename=filename, size=size, limits=UPLOAD_LIMITS)
    stream.seek(0)
    content = stream.read()
    with transaction.atomic():
        run = BulkImport.objects.create(
            workspace=workspace,
            kind=kind.name,
            filename=filename[-255:],
            file_format=checked.file_format,
            file_size=size,
            options=options,
            total_rows=checked.total_rows,
        )
        BulkImportFile.objects.create(workspace=workspace, run=run, content=content)
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(import_id: int) -> None:
    from kizuna.core.tasks import process_bulk_import

    try:
        process_bulk_import.enqueue(import_id)
    except Exception:  # the run stays queued with its file; the resume job takes it
        logger.exception("Could not enqueue bulk import %s", import_id)


def process(import_id: int, *, batch_size: int | None = None) -> BulkImport | None:
    """Write the rows of a stored upload from its run's last checkpoint: what the worker
    runs, safe to run again. A problem with the file fails the run with its code; any
    other error fails it as `import_interrupted`, keeps the file, and is raised again."""
    run = BulkImport.objects.select_related("workspace").filter(pk=import_id).first()
    if run is None or run.status == BulkImport.Status.COMPLETED:
        return run
    content = BulkImportFile.objects.filter(run_id=run.pk).values_list("content", flat=True).first()
    if content is None:
        if run.status != BulkImport.Status.FAILED:
            _record_failure(
                run, "import_file_missing", "The file is no longer stored.", keep_file=False
            )
        return run
    try:
        job = Job(run, io.BytesIO(bytes(content)))
        try:
            return _drive(job, batch_size)
        finally:
            job.close()
    except KizunaError as exc:
        _record_failure(run, exc.code, exc.message, keep_file=False)
        return run
    except Exception:
        logger.exception("Bulk import %s stopped", run.pk)
        _record_failure(
            run,
            INTERRUPTED,
            "The import stopped because of an internal error; the rows before its last "
            "checkpoint are kept, and it resumes from there when it runs again.",
            keep_file=True,
        )
        raise


def import_file(
    workspace: Workspace,
    kind_name: str,
    stream: IO[bytes],
    *,
    filename: str,
    size: int,
    options: dict[str, Any],
    limits: ImportLimits | None = None,
    batch_size: int | None = None,
) -> BulkImport:
    """Write a file in this process, in the same batches as a worker (the command line)."""
    kind = KINDS[kind_name]
    checked = check_file(kind, stream, filename=filename, size=size, limits=limits or UPLOAD_LIMITS)
    run = BulkImport.objects.create(
        workspace=workspace,
        kind=kind.name,
        filename=filename[-255:],
        file_format=checked.file_format,
        file_size=size,
        source="command",
        options=options,
        total_rows=checked.total_rows,
        status=BulkImport.Status.RUNNING,
    )
    job = Job(run, stream)
    try:
        return _drive(job, batch_size)
    except KizunaError as exc:
        _record_failure(run, exc.code, exc.message, keep_file=False)
        raise
    except Exception:
        _record_failure(run, INTERRUPTED, "The import stopped: internal error.", keep_file=False)
        raise
    finally:
        job.close()


def stalled_ids(idle: timedelta) -> list[int]:
    """Uploads that have not moved for `idle` (lost task, dead worker) and interrupted ones
    (up to MAX_AUTO_RESUMES times)."""
    moving = Q(status__in=[BulkImport.Status.QUEUED, BulkImport.Status.RUNNING])
    interrupted = Q(
        status=BulkImport.Status.FAILED,
        failure_code=INTERRUPTED,
        interruptions__lt=MAX_AUTO_RESUMES,
    )
    return list(
        BulkImport.objects.filter(
            moving | interrupted, checkpoint_at__lt=now() - idle, upload__isnull=False
        )
        .order_by("checkpoint_at", "pk")
        .values_list("pk", flat=True)
    )


def get_run(workspace: Workspace, kind_name: str, import_id: str) -> BulkImport:
    run = None
    if import_id.isascii() and import_id.isdigit() and len(import_id) <= 18:
        run = (
            BulkImport.objects.for_workspace(workspace)
            .filter(pk=int(import_id), kind=kind_name)
            .first()
        )
    if run is None:
        raise NotFound(f"No import {import_id!r}.", code="import_not_found", field="import_id")
    return run
