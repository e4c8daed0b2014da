"""The one source of 'now'. Always aware UTC.

`at(moment)` sets it for the code inside, in this thread or task only: a replay of history
(the demo's loyalty history) runs the services as they ran then, so what they write carries
the moment it happened, not the moment of the replay."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_AT: ContextVar[datetime | None] = ContextVar("kizuna_clock_at", default=None)


def now() -> datetime:
    moment = _AT.get()
    return moment if moment is not None else datetime.now(UTC)


@contextmanager
def at(moment: datetime) -> Iterator[datetime]:
    """'Now' is `moment` (aware) inside the block."""
    if moment.tzinfo is None:
        raise ValueError("The clock is set to aware times only.")
    token = _AT.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _AT.reset(token)
