"""Referrals' part in orders and custom events, registered from `ReferralsConfig.ready()`
with the registries those apps offer (kizuna.orders.participants,
kizuna.customers.participants): a paid order attributes with its `metadata.referral_code`
and converts a pending referral of its customer; a named event converts one too. Both run
in the order's or the event's transaction.

Effects are not presented on orders and events (their schemas show loyalty's); the
referral itself says what converted it, and GET of an order or an event costs no query here."""

from collections.abc import Sequence
from typing import Any

from kizuna.customers import participants as event_participants
from kizuna.customers.services import timeline
from kizuna.orders import participants as order_participants
from kizuna.referrals.services import conversion

Effects = list[dict[str, Any]]


class ReferralsParticipant:
    name = "referrals"

    def order_paid(self, order: Any, items: Sequence[Any]) -> Effects:
        return conversion.order_paid(order)

    def order_cancelled(self, order: Any) -> Effects:
        return []

    def order_refunded(self, order: Any, refund: Any) -> Effects:
        return []

    def order_effects(self, orders: Sequence[Any]) -> dict[int, Effects]:
        return {}

    def refund_effects(self, refunds: Sequence[Any]) -> dict[int, Effects]:
        return {}

    def event_recorded(self, event: Any) -> Effects:
        return conversion.event_recorded(event)

    def event_effects(self, events: Sequence[Any]) -> dict[int, Effects]:
        return {}


PARTICIPANT = ReferralsParticipant()


def register() -> None:
    order_participants.register(PARTICIPANT)
    event_participants.register(PARTICIPANT)
    timeline.register_kind(
        "referral",
        "A referral was attributed, rejected or converted (summary: referral_id, program_id, "
        "role, status, reason).",
    )
