"""What an in-memory evaluation reads: 'now', the workspace's time zone, and named facts.

The facts are whatever the apps that registered the fields put there, under names they agree
on: the customers app reads `customer` and `customer_events`, the orders app `order`, `item`
and `customer_orders`; later apps add theirs (`answers`, `hidden`, `variables`). A fact may be
given as `Lazy(loader)`: it is loaded the first time a field reads it, once, so a condition
that never reads the order history never loads it."""

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from kizuna.core.clock import now as clock_now


class _Missing:
    """The marker of a value that is not there. Falsy, and equal only to itself."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class Lazy:
    __slots__ = ("loader",)

    def __init__(self, loader: Callable[[], Any]) -> None:
        self.loader = loader


class Context:
    __slots__ = ("_facts", "_today", "now", "tz")

    def __init__(self, *, now: datetime | None = None, tz: tzinfo = UTC, **facts: Any) -> None:
        self.now = now if now is not None else clock_now()
        if self.now.utcoffset() is None:
            raise ValueError("Context.now must be an aware datetime.")
        self.tz = tz
        self._facts = facts
        self._today: date | None = None

    @property
    def today(self) -> date:
        """The date of `now` in the workspace's time zone."""
        if self._today is None:
            self._today = self.now.astimezone(self.tz).date()
        return self._today

    def get(self, name: str) -> Any:
        """The fact, or MISSING. A lazy fact is loaded now, once."""
        value = self._facts.get(name, MISSING)
        if type(value) is Lazy:
            value = self._facts[name] = value.loader()
        return value

    def with_facts(self, **facts: Any) -> "Context":
        """A context with the same time and facts, some replaced (one order item, say)."""
        return Context(now=self.now, tz=self.tz, **{**self._facts, **facts})
