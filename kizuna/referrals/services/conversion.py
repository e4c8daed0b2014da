"""Conversion: a pending referral turns `converted` once, when the referee's paid order
qualifies (the program's `first_order` conversion, above `min_total` in its currency) or
when the referee's named event is recorded; the rewards of both sides are granted in the
same transaction (the order's or the event's).

Once means once: a conditional UPDATE from `pending` decides, so two paid orders of the
referee at the same moment convert the referral one time (the second UPDATE waits on the
first's row lock and then finds the referral converted)."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.models import Workspace
from kizuna.customers.models import CustomEvent
from kizuna.orders.models import Order
from kizuna.referrals import events
from kizuna.referrals.models import ProgramStatus, Referral, ReferralStatus
from kizuna.referrals.services.attribution import add_timeline, attribute_order
from kizuna.referrals.services.granting import grant_rewards


def pending_of(customer_id: int) -> QuerySet[Referral]:
    return Referral.objects.filter(
        referee_id=customer_id, status=ReferralStatus.PENDING
    ).select_related("program", "program__loyalty_program", "referrer", "referee", "code")


def order_qualifies(referral: Referral, order: Order) -> bool:
    conversion = referral.program.conversion
    if conversion.get("type") != "first_order":
        return False
    if conversion.get("min_total") is None:
        return True
    return order.currency == conversion["currency"] and order.total >= Decimal(
        conversion["min_total"]
    )


def event_qualifies(referral: Referral, event: CustomEvent) -> bool:
    conversion = referral.program.conversion
    return conversion.get("type") == "event" and conversion.get("event") == event.name


def order_paid(order: Order) -> list[dict[str, Any]]:
    """The referrals part in a paid order: attribute with its code, then convert what
    qualifies. Runs in the order's transaction; one query when the order has no code and
    its customer no pending referral."""
    attributed = attribute_order(order)
    effects = []
    if attributed is not None:
        effects.append({"referral_id": str(attributed.pk), "status": attributed.status})
    for referral in pending_of(order.customer_id):
        live = referral.program.status == ProgramStatus.ACTIVE
        if (
            live
            and order_qualifies(referral, order)
            and convert(referral, "order", order.external_id)
        ):
            effects.append({"referral_id": str(referral.pk), "status": referral.status})
    return effects


def event_recorded(event: CustomEvent) -> list[dict[str, Any]]:
    effects = []
    for referral in pending_of(event.customer_id):
        live = referral.program.status == ProgramStatus.ACTIVE
        if (
            live
            and event_qualifies(referral, event)
            and convert(referral, "event", event.client_id)
        ):
            effects.append({"referral_id": str(referral.pk), "status": referral.status})
    return effects


def convert(referral: Referral, source_type: str, source_id: str) -> bool:
    """Convert the referral and grant its rewards, unless it converted already. Runs in
    the caller's transaction."""
    moment = now()
    changed = Referral.objects.filter(pk=referral.pk, status=ReferralStatus.PENDING).update(
        status=ReferralStatus.CONVERTED,
        converted_at=moment,
        conversion_type=source_type,
        conversion_id=source_id,
    )
    if not changed:
        return False
    referral.status = ReferralStatus.CONVERTED
    referral.converted_at = moment
    referral.conversion_type, referral.conversion_id = source_type, source_id
    referral.rewards = grant_rewards(referral)
    Referral.objects.filter(pk=referral.pk).update(rewards=referral.rewards)
    add_timeline(referral, moment)
    outbox.emit(
        Workspace(pk=referral.workspace_id),
        events.ReferralConverted(
            referral_id=str(referral.pk),
            program_id=referral.program.key,
            referrer_id=referral.referrer.external_id,
            referee_id=referral.referee.external_id,
            source_type=source_type,
            source_id=source_id,
            rewards=referral.rewards,
        ),
    )
    return True
