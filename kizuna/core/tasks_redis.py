"""The production task backend: Django's tasks framework on RQ and Redis (ADR 0021).

Application code declares tasks with `@task()` from `django.tasks` and enqueues them with
`.enqueue(...)`, whatever the backend; `KIZUNA_TASKS_BACKEND=redis` selects this one. A task
becomes an RQ job whose function is `run_task` with the task's dotted path and arguments, so
a worker (`manage.py task_worker`) needs nothing but the code and the settings.

- **Enqueued on commit.** Inside a transaction the job is pushed to Redis when the
  transaction commits, never before (a worker could otherwise run it before its rows are
  visible) and never for a rolled-back change.
- **Retried with backoff.** A task that raises is tried again after each of
  `RETRY_INTERVALS` seconds (RQ's `Retry`, run by the worker's scheduler), `RETRIES` times,
  then stays in RQ's failed registry with its traceback.
- **Run again when its worker dies.** A job's entry in the started registry lives as long as
  its worker's heartbeat renews it; when the worker is killed, the entry lapses and RQ's
  registry maintenance (every worker runs it) treats the job as abandoned: it is retried
  while retries are left. Tasks take ids and are safe to run twice.
- **Results and failures are visible** through `get_result` (status, errors with their
  tracebacks, the workers that ran it, the return value), `manage.py task_worker --stats`
  and `/metrics`."""

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property, partial
from traceback import format_exception
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.tasks import TaskResult, TaskResultStatus
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import Task, TaskError
from django.tasks.exceptions import TaskResultDoesNotExist
from django.tasks.signals import task_enqueued
from django.utils.json import normalize_json
from django.utils.module_loading import import_string
from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.results import Result

logger = logging.getLogger(__name__)

_STATUS = {
    JobStatus.QUEUED: TaskResultStatus.READY,
    JobStatus.DEFERRED: TaskResultStatus.READY,
    JobStatus.SCHEDULED: TaskResultStatus.READY,
    JobStatus.STARTED: TaskResultStatus.RUNNING,
    JobStatus.FINISHED: TaskResultStatus.SUCCESSFUL,
    JobStatus.FAILED: TaskResultStatus.FAILED,
    JobStatus.STOPPED: TaskResultStatus.FAILED,
    JobStatus.CANCELED: TaskResultStatus.FAILED,
}


def run_task(module_path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """What a worker runs for every job: the task named by `module_path`, with its
    arguments. Database connections are handled as around a request."""
    task = import_string(module_path)
    if not isinstance(task, Task):
        raise TypeError(f"{module_path} is not a task.")
    # Every attempt is kept in the job's meta (RQ keeps only the last failure's result).
    job = get_current_job()
    if job is not None:
        job.meta.setdefault("workers", []).append(job.worker_name or "")
        job.save_meta()
    close_old_connections()
    try:
        return normalize_json(task.call(*args, **kwargs))
    except Exception as exc:
        if job is not None:
            job.meta.setdefault("errors", []).append(
                {
                    "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
                    "traceback": "".join(format_exception(exc)),
                }
            )
            job.save_meta()
        raise
    finally:
        close_old_connections()


class RedisTaskBackend(BaseTaskBackend):
    """OPTIONS: URL (redis://...), RETRIES (3), RETRY_INTERVALS ([10, 60, 300] seconds),
    TIMEOUT (seconds a task may run, 3600), RESULT_TTL (seconds results are kept, 7 days),
    FAILURE_TTL (seconds failures are kept, 30 days), ENQUEUE_ON_COMMIT (True)."""

    supports_defer = True
    supports_get_result = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        options = self.options
        self.url: str = options.get("URL", "redis://127.0.0.1:6379/0")
        self.retries = int(options.get("RETRIES", 3))
        self.retry_intervals = [int(s) for s in options.get("RETRY_INTERVALS", [10, 60, 300])]
        self.timeout = int(options.get("TIMEOUT", 3600))
        self.result_ttl = int(options.get("RESULT_TTL", 7 * 86400))
        self.failure_ttl = int(options.get("FAILURE_TTL", 30 * 86400))
        self.enqueue_on_commit = bool(options.get("ENQUEUE_ON_COMMIT", True))

    @cached_property
    def connection(self) -> Redis:
        return Redis.from_url(self.url, socket_timeout=10, health_check_interval=30)

    def queue(self, name: str) -> Queue:
        return Queue(name, connection=self.connection)

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        result: TaskResult[Any, Any] = TaskResult(
            task=task,
            id=uuid.uuid4().hex,
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            finished_at=None,
            last_attempted_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        push: Callable[[], None] = partial(self._push, result)
        if self.enqueue_on_commit and connection.in_atomic_block:
            transaction.on_commit(push)
        else:
            push()
        task_enqueued.send(type(self), task_result=result)
        return result

    def _push(self, result: TaskResult) -> None:
        task = result.task
        queue = self.queue(task.queue_name)
        job = queue.create_job(
            run_task,
            args=(task.module_path, result.args, result.kwargs),
            job_id=result.id,
            timeout=self.timeout,
            result_ttl=self.result_ttl,
            failure_ttl=self.failure_ttl,
            retry=Retry(max=self.retries, interval=self.retry_intervals) if self.retries else None,
            description=task.module_path,
            status=JobStatus.SCHEDULED if task.run_after else JobStatus.QUEUED,
        )
        if task.run_after is not None:
            queue.schedule_job(job, task.run_after)
        else:
            queue.enqueue_job(job)

    def get_result(self, result_id: str) -> TaskResult:
        try:
            job = Job.fetch(result_id, connection=self.connection)
        except NoSuchJobError:
            raise TaskResultDoesNotExist(result_id) from None
        module_path, args, kwargs = job.args
        task = import_string(module_path)
        results = job.results()
        status = _STATUS.get(job.get_status(), TaskResultStatus.READY)
        result: TaskResult[Any, Any] = TaskResult(
            task=task if task.queue_name == job.origin else task.using(queue_name=job.origin),
            id=job.id,
            status=status,
            enqueued_at=_aware(job.enqueued_at),
            started_at=_aware(job.started_at),
            finished_at=_aware(job.ended_at),
            last_attempted_at=_aware(job.started_at),
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[TaskError(**error) for error in job.meta.get("errors", [])],
            worker_ids=list(job.meta.get("workers", [])),
        )
        successful = next((r for r in results if r.type == Result.Type.SUCCESSFUL), None)
        if successful is not None:
            object.__setattr__(result, "_return_value", successful.return_value)
        return result

    def stats(self) -> dict[str, dict[str, int]]:
        """Per queue: jobs waiting, running, scheduled (retries and deferred) and failed."""
        out = {}
        for name in sorted(self.queues):
            queue = self.queue(name)
            out[name] = {
                "queued": queue.count,
                "started": StartedJobRegistry(queue=queue).count,
                "scheduled": ScheduledJobRegistry(queue=queue).count,
                "failed": FailedJobRegistry(queue=queue).count,
            }
        return out


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
