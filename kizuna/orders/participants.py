"""The registry through which apps above orders act inside an order's transaction (ARCHITECTURE
section 1): loyalty earns points when an order is paid, takes them back when it is refunded
or cancelled; cashback and referrals will register the same way. Orders never import them.

A participant registers once, from its `AppConfig.ready()`. Each hook runs in the order's
transaction, after the order's own writes, and returns the participant's effects for the
response (a list of objects); the order is presented with them under the participant's name
(`"loyalty": [...]`). `effects_of` reads the effects of stored orders for GET, in one go."""

from collections.abc import Sequence
from typing import Any, Protocol

Effects = list[dict[str, Any]]


class Participant(Protocol):
    name: str

    def order_paid(self, order: Any, items: Sequence[Any]) -> Effects: ...

    def order_cancelled(self, order: Any) -> Effects: ...

    def order_refunded(self, order: Any, refund: Any) -> Effects: ...

    def order_effects(self, orders: Sequence[Any]) -> dict[int, Effects]: ...

    def refund_effects(self, refunds: Sequence[Any]) -> dict[int, Effects]: ...


_PARTICIPANTS: dict[str, Participant] = {}


def register(participant: Participant) -> None:
    existing = _PARTICIPANTS.get(participant.name)
    if existing is not None and existing is not participant:
        raise RuntimeError(f"Order participant {participant.name} is registered twice.")
    _PARTICIPANTS[participant.name] = participant


def _set(obj: Any, effects: dict[str, Effects]) -> None:
    current = getattr(obj, "effects", None) or {}
    obj.effects = {**current, **effects}


def order_paid(order: Any, items: Sequence[Any]) -> None:
    _set(order, {name: p.order_paid(order, items) for name, p in _PARTICIPANTS.items()})


def order_cancelled(order: Any) -> None:
    _set(order, {name: p.order_cancelled(order) for name, p in _PARTICIPANTS.items()})


def order_refunded(order: Any, refund: Any) -> None:
    _set(refund, {name: p.order_refunded(order, refund) for name, p in _PARTICIPANTS.items()})


def attach(orders: Sequence[Any]) -> None:
    """Give stored orders (and their prefetched refunds) their effects, one query set per
    participant whatever the number of orders."""
    refunds = [r for order in orders for r in order.refunds.all()]
    for name, participant in _PARTICIPANTS.items():
        by_order = participant.order_effects(orders)
        by_refund = participant.refund_effects(refunds) if refunds else {}
        for order in orders:
            _set(order, {name: by_order.get(order.pk, [])})
        for refund in refunds:
            _set(refund, {name: by_refund.get(refund.pk, [])})


def attach_refunds(refunds: Sequence[Any]) -> None:
    for name, participant in _PARTICIPANTS.items():
        by_refund = participant.refund_effects(refunds)
        for refund in refunds:
            _set(refund, {name: by_refund.get(refund.pk, [])})


def effects(obj: Any, name: str) -> Effects:
    """The effects presented under `name` (empty when no participant of that name)."""
    return list((getattr(obj, "effects", None) or {}).get(name, []))
