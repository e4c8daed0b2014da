"""Tasks that the Redis backend's tests enqueue and a worker process runs. They keep their
traces in Redis (the test database may be in the test process's memory)."""

import time

from django.conf import settings
from django.tasks import task
from redis import Redis

PREFIX = "kizuna-test:"


def redis() -> Redis:
    return Redis.from_url(settings.KIZUNA_REDIS_URL)


@task()
def record(tag: str) -> str:
    redis().rpush(PREFIX + "runs", tag)
    return f"recorded {tag}"


@task()
def fail_first(tag: str, failures: int) -> int:
    """Raise on the first `failures` runs, then succeed; returns the number of runs."""
    runs = int(redis().incr(PREFIX + "attempts:" + tag))
    if runs <= failures:
        raise RuntimeError(f"run {runs} of {tag} fails on purpose")
    return runs


@task()
def stall_first(tag: str) -> str:
    """The first run says it started, then waits to be killed; later runs finish."""
    connection = redis()
    if connection.incr(PREFIX + "attempts:" + tag) == 1:
        connection.set(PREFIX + "started:" + tag, "1")
        time.sleep(120)
    connection.rpush(PREFIX + "runs", tag)
    return "finished"
