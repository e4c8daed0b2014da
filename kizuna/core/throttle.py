"""Counting attempts in the cache over a sliding window: API rate limits and staff sign-in
failures share it.

A rate is (count, seconds). The window is approximated, as most limiters do, from two fixed
windows: the current one's count plus the previous one's, weighted by how much of it still
lies within the last `seconds`. So a burst at the end of one fixed window and another at
the start of the next are counted together, and at most about `count` attempts pass in any
span of `seconds`. Counters move with the cache's atomic `incr` (Redis: one round trip with
its expiry); the local-memory cache counts per process, the database cache without
atomicity (ADR 0019)."""

import math
import time
from contextlib import suppress
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

Rate = tuple[int, int]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Seconds until an attempt would be allowed again (0 when allowed).
    retry_after: int


def _keys(key: str, seconds: int, now: float) -> tuple[str, str, float]:
    window = int(now // seconds)
    return (
        f"throttle:{key}:{seconds}:{window}",
        f"throttle:{key}:{seconds}:{window - 1}",
        (now % seconds) / seconds,
    )


def _estimate(previous: int, current: int, elapsed: float) -> float:
    return previous * (1 - elapsed) + current


def _retry_after(rate: Rate, previous: int, attempt: int, kept: int, now: float) -> int:
    """Seconds until an attempt would pass: `attempt` is the current window's count with that
    attempt in it, `kept` the count the window keeps (the refused attempt taken back or not).
    Within this window only the previous window's weight can shrink; after it, the kept
    count becomes the previous window's and shrinks in turn."""
    count, seconds = rate
    into = now % seconds
    left = seconds - into
    if attempt <= count:
        # previous * (1 - (into + t) / seconds) + attempt <= count
        needed = (1 - (count - attempt) / previous) * seconds - into if previous else 0.0
        return max(1, math.ceil(needed))
    # After the window: kept * (1 - t / seconds) + 1 <= count
    later = (1 - (count - 1) / kept) * seconds if kept > count - 1 else 0.0
    return max(1, math.ceil(left + later))


def _count(key: str, seconds: int) -> int:
    """Add one to `key`, which expires after two windows; the new count. With the Redis
    cache, INCR and EXPIRE go in one round trip (Django's incr takes two and is not atomic
    with the expiry)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        real_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(real_key, write=True)
        pipeline = client.pipeline()
        pipeline.incr(real_key)
        pipeline.expire(real_key, 2 * seconds, nx=True)
        return int(pipeline.execute()[0])
    cache.add(key, 0, timeout=2 * seconds)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired in between, or a cache that keeps nothing
        cache.add(key, 1, timeout=2 * seconds)
        return 1


def hit(key: str, rate: Rate | None, *, refund_refused: bool = True) -> Verdict:
    """Count an attempt against `rate`. A refused attempt is taken back (unless
    `refund_refused` is false), so that a client that waits for Retry-After is let in."""
    if rate is None:
        return Verdict(True, 0)
    count, seconds = rate
    now = time.time()
    current_key, previous_key, elapsed = _keys(key, seconds, now)
    current = _count(current_key, seconds)
    previous = int(cache.get(previous_key) or 0)
    if _estimate(previous, current, elapsed) <= count:
        return Verdict(True, 0)
    kept = current
    if refund_refused:
        with suppress(ValueError):  # expired in between
            cache.decr(current_key)
            kept -= 1
    return Verdict(False, _retry_after(rate, previous, current, kept, now))


def peek(key: str, rate: Rate | None) -> Verdict:
    """Whether one more attempt would be allowed, without counting one."""
    if rate is None:
        return Verdict(True, 0)
    count, seconds = rate
    now = time.time()
    current_key, previous_key, elapsed = _keys(key, seconds, now)
    values = cache.get_many([current_key, previous_key])
    current = int(values.get(current_key) or 0)
    previous = int(values.get(previous_key) or 0)
    if _estimate(previous, current + 1, elapsed) <= count:
        return Verdict(True, 0)
    return Verdict(False, _retry_after(rate, previous, current + 1, current, now))


def forget(key: str, rate: Rate | None) -> None:
    """Drop the counts of `key` (a successful sign-in clears its failures)."""
    if rate is None:
        return
    current_key, previous_key, _ = _keys(key, rate[1], time.time())
    cache.delete_many([current_key, previous_key])
