"""The Redis task backend against the real Redis and real worker processes: a task is pushed
when its transaction commits, a worker in another process runs it, a failing task is tried
again after its backoff, and the task of a worker killed mid-run is run again."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.registry import StartedJobRegistry

from kizuna.core.tasks_redis import RedisTaskBackend
from kizuna.core.tests import redis_tasks

# The backend does not touch the database: its tests run once, in the SQLite pass.
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="runs once, in the SQLite pass (no database involved)"
)

ROOT = Path(__file__).resolve().parents[3]
URL = os.environ.get("KIZUNA_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _redis_or_skip() -> Redis:
    connection = Redis.from_url(URL, socket_timeout=5)
    try:
        connection.ping()
    except RedisConnectionError:
        if os.environ.get("KIZUNA_REQUIRE_REDIS"):
            raise
        pytest.skip(f"Redis is not reachable at {URL} (KIZUNA_REQUIRE_REDIS=1 fails instead)")
    return connection


@pytest.fixture
def redis(settings: Any) -> Iterator[Redis]:
    connection = _redis_or_skip()
    connection.flushdb()
    settings.KIZUNA_REDIS_URL = URL
    yield connection
    connection.flushdb()


def _backend(**options: Any) -> RedisTaskBackend:
    return RedisTaskBackend(
        "redis", {"QUEUES": ["default"], "OPTIONS": {"URL": URL, "RETRY_INTERVALS": [1]} | options}
    )


def _start_worker(*extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KIZUNA_TASKS_BACKEND": "redis",
        "KIZUNA_REDIS_URL": URL,
        "KIZUNA_LOG_LEVEL": "WARNING",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "task_worker", *extra],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: killed with the jobs it forked
        stdout=subprocess.DEVNULL,
    )


def _stop(worker: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
    worker.wait(60)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 90
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


def test_a_task_is_pushed_when_its_transaction_commits(
    db: None, redis: Redis, django_capture_on_commit_callbacks: Any
) -> None:
    backend = _backend()
    queue = Queue("default", connection=redis)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        backend.enqueue(redis_tasks.record, ["rolled-back"], {})
        raise RuntimeError("the change is rolled back")
    assert callbacks == [] and queue.count == 0
    with django_capture_on_commit_callbacks() as callbacks:
        result = backend.enqueue(redis_tasks.record, ["committed"], {})
        assert queue.count == 0, "nothing is pushed before the commit"
    for callback in callbacks:
        callback()
    assert queue.job_ids == [result.id]
    assert backend.get_result(result.id).status == TaskResultStatus.READY


def test_a_worker_in_another_process_runs_the_task(db: None, redis: Redis) -> None:
    backend = _backend(ENQUEUE_ON_COMMIT=False)
    result = backend.enqueue(redis_tasks.record, ["hello"], {})
    worker = _start_worker("--burst")
    assert worker.wait(90) == 0
    done = backend.get_result(result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == "recorded hello"
    assert len(done.worker_ids) == 1 and done.errors == []
    assert redis.lrange(redis_tasks.PREFIX + "runs", 0, -1) == [b"hello"]


def test_a_failing_task_is_retried_after_its_backoff_then_fails_visibly(
    db: None, redis: Redis
) -> None:
    backend = _backend(ENQUEUE_ON_COMMIT=False, RETRIES=2, RETRY_INTERVALS=[1, 1])
    recovers = backend.enqueue(redis_tasks.fail_first, ["recovers", 1], {})
    never = backend.enqueue(redis_tasks.fail_first, ["never", 99], {})
    worker = _start_worker()
    try:
        _wait_for(
            lambda: (
                backend.get_result(recovers.id).is_finished
                and backend.get_result(never.id).is_finished
            ),
            "both tasks to finish",
        )
    finally:
        _stop(worker)
    ok = backend.get_result(recovers.id)
    assert ok.status == TaskResultStatus.SUCCESSFUL and ok.return_value == 2
    assert [e.exception_class_path for e in ok.errors] == ["builtins.RuntimeError"]
    failed = backend.get_result(never.id)
    assert failed.status == TaskResultStatus.FAILED
    assert len(failed.errors) == 3, "the first run and two retries"
    assert "fails on purpose" in failed.errors[-1].traceback
    assert backend.stats()["default"]["failed"] == 1


def test_the_task_of_a_killed_worker_is_run_again(db: None, redis: Redis) -> None:
    backend = _backend(ENQUEUE_ON_COMMIT=False, RETRY_INTERVALS=[0])
    result = backend.enqueue(redis_tasks.stall_first, ["kill"], {})
    first = _start_worker()
    try:
        _wait_for(lambda: redis.exists(redis_tasks.PREFIX + "started:kill") == 1, "the run")
    finally:
        _stop(first, signal.SIGKILL)  # the worker and the job it forked, mid-task
    registry = StartedJobRegistry(queue=Queue("default", connection=redis))
    assert registry.get_job_ids() == [result.id], "the job is still marked as running"
    # The job's entry lapses once the dead worker stops renewing it (about a minute) and the
    # next registry maintenance retries it; here the maintenance looks an hour ahead.
    registry.cleanup(timestamp=time.time() + 3600)
    second = _start_worker("--burst")
    assert second.wait(90) == 0
    done = backend.get_result(result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL and done.return_value == "finished"
    assert redis.get(redis_tasks.PREFIX + "attempts:kill") == b"2"
