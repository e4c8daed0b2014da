"""`POST /redemptions` and its rollback (docs/checkout.md, ADR 0036): the stack is checked
again inside one transaction, and each line's kind takes what it needs (a code use, points,
gift-card value), or holds it for `reserve_for`; with `record_order` the order is recorded in
the same transaction, paid with the points and gift cards of the stack and discounted by its
discounts, so points are spent and earned in one commit.

Failure changes nothing: under `all_or_nothing` when any redeemable does not apply, under
`partial` when none does, and under both when a kind can no longer give what a line needs
(a race lost to another redemption): 422 `redemption_failed` with the verdicts in `details`."""

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction

from kizuna.core import audit
from kizuna.core import events as outbox
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import Conflict, ValidationFailed
from kizuna.core.models import Workspace, one_or_none, set_prefetched
from kizuna.core.money import format_amount
from kizuna.orders.services.orders import change_order_status, record_order
from kizuna.rewards import redeemables, redemption_events
from kizuna.rewards.models import Claim, Redemption, RedemptionLine
from kizuna.rewards.models.redemptions import LineState, RedemptionStatus
from kizuna.rewards.redeemables import Cart
from kizuna.rewards.redemption_errors import RedemptionFailed, RedemptionNotFound, Unavailable
from kizuna.rewards.redemption_locks import lock_redemption
from kizuna.rewards.services import checkout, stacking, validations
from kizuna.rewards.services.checkout import Outcome
from kizuna.vouchers.services import codes
from kizuna.vouchers.services.lookup import find_voucher

MAX_RESERVATION = timedelta(days=7)
# Code uses, then claims, then loyalty accounts, then gift cards (docs/concepts.md, Locking).
TAKE_ORDER = {"voucher": 0, "reward": 1, "points": 2, "gift_card": 3}


def new_id() -> str:
    return f"red_{secrets.token_hex(10)}"


def check_reservation(seconds: Any) -> timedelta | None:
    """`reserve_for` in seconds (the schema turns "PT15M" into them); None: no hold."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        raise ValidationFailed(
            "reserve_for is a positive duration.", code="invalid_reservation", field="reserve_for"
        )
    if seconds > MAX_RESERVATION.total_seconds():
        raise ValidationFailed(
            "A reservation holds for 7 days at most.",
            code="invalid_reservation",
            field="reserve_for",
        )
    return timedelta(seconds=seconds)


def failed(outcome: Outcome, message: str) -> RedemptionFailed:
    return RedemptionFailed(
        message,
        field="redeemables",
        details=[outcome.verdict_answer(v) for v in outcome.verdicts],
    )


def order_to_record(data: Mapping[str, Any], outcome: Outcome) -> dict[str, Any]:
    """The order as it is recorded: the stack's discounts added to its own, its total the
    total after them, paid with the stack's points and gift cards."""
    order = dict(data["order"])
    if not order.get("external_id"):
        raise ValidationFailed(
            "An order that is recorded has an external_id.",
            code="required",
            field="order.external_id",
        )
    currency = outcome.currency
    checked = outcome.cart.order
    order["customer_id"] = order.get("customer_id") or data.get("customer_id")
    order["discount_total"] = format_amount(
        checked.discount_total + outcome.discount_total, currency
    )
    order["subtotal"] = format_amount(checked.subtotal, currency)
    order["total"] = format_amount(outcome.total_after_discounts, currency)
    payments = list(order.get("payments") or [])
    for v in outcome.applied:
        if v.amount <= 0:
            continue
        payment: dict[str, Any] = {"method": v.type, "amount": format_amount(v.amount, currency)}
        if v.type == "points":
            payment.update(points=v.points, program_id=v.ref)
        payments.append(payment)
    order["payments"] = payments
    return order


def _take(cart: Cart, redemption: Redemption, outcome: Outcome, hold: bool) -> None:
    """Each applied line's kind takes what it needs, in one fixed order whatever the request
    order (by kind, then by code), so that two redemptions never lock the same rows in
    opposite orders; the lines are stored together."""
    lines = []
    for verdict in sorted(
        outcome.applied, key=lambda v: (TAKE_ORDER.get(v.type, 9), v.ref.upper())
    ):
        kind = redeemables.kind(verdict.type)
        assert kind is not None and verdict.resolved is not None
        line = RedemptionLine(
            redemption=redemption,
            position=verdict.index,
            type=verdict.type,
            ref=verdict.ref,
            discount=verdict.discount,
            amount=verdict.amount,
            points=verdict.points,
            state=LineState.HELD if hold else LineState.USED,
        )
        try:
            line.data = kind.take(cart, verdict.resolved, line, hold)
        except Unavailable as exc:
            verdict.refuse(exc.code, exc.message)
            raise failed(outcome, "A redeemable could not be taken: " + exc.message) from exc
        lines.append(line)
    set_prefetched(redemption, "lines", RedemptionLine.objects.bulk_create(lines))


def redeem(
    workspace: Workspace,
    data: Mapping[str, Any],
    actor: Actor,
    *,
    channel: str = "api",
    location: str = "",
) -> tuple[Redemption, Outcome]:
    policy = validations.check_policy(data.get("policy"))
    hold_for = check_reservation(data.get("reserve_for"))
    requests = validations.check_requests(data.get("redeemables"))
    record = bool(data.get("record_order"))
    if record and (hold_for is not None or data.get("order") is None):
        raise ValidationFailed(
            "record_order needs an order, and records it at once (not with reserve_for).",
            code="invalid_record_order",
            field="record_order",
        )
    with transaction.atomic(savepoint=False):
        cart = validations.cart_of(workspace, data)
        outcome = checkout.check(cart, requests, policy, stacking.rules_of(workspace))
        if not outcome.applied:
            raise failed(outcome, "The redeemables cannot be used on this order.")
        moment = now()
        redemption = Redemption(
            workspace=workspace,
            public_id=new_id(),
            customer=cart.customer,
            status=RedemptionStatus.RESERVED if hold_for else RedemptionStatus.REDEEMED,
            policy=policy,
            currency=outcome.currency,
            order_id=(cart.order.external_id or "") if cart.order is not None else "",
            order_recorded=record,
            result=outcome.answer(),
            channel=channel,
            location=location,
            actor_type=actor.type,
            actor_id=actor.id,
            expires_at=moment + hold_for if hold_for else None,
            created_at=moment,
            confirmed_at=None if hold_for else moment,
        )
        order = order_to_record(data, outcome) if record else None
        redemption.save(force_insert=True)
        _take(cart, redemption, outcome, hold=hold_for is not None)
        if order is not None:
            _, created = record_order(workspace, order)
            if not created:
                raise Conflict(
                    f"The order {order['external_id']!r} is recorded already.",
                    code="order_exists",
                    field="order.external_id",
                )
        outbox.emit(
            workspace, redemption_events.RedemptionCreated(**redemption_events.payload(redemption))
        )
        if channel != "api":
            audit.record(
                workspace,
                actor,
                "redemption.scanned",
                "redemption",
                redemption.public_id,
                after={"location": location, "redeemables": redemption.result["redeemables"]},
            )
    return redemption, outcome


def get_redemption(workspace: Workspace, public_id: str) -> Redemption:
    redemption = one_or_none(
        Redemption.objects.for_workspace(workspace)
        .filter(public_id=public_id)
        .select_related("customer")
        .prefetch_related("lines")
    )
    if redemption is None:
        raise RedemptionNotFound(f"No redemption {public_id!r}.", field="redemption_id")
    return redemption


def locked(workspace: Workspace, public_id: str) -> Redemption:
    redemption = lock_redemption(workspace, public_id)
    if redemption is None:
        raise RedemptionNotFound(f"No redemption {public_id!r}.", field="redemption_id")
    redemption.workspace = workspace
    return redemption


def lines_of(redemption: Redemption) -> list[RedemptionLine]:
    lines = sorted(redemption.lines.all(), key=lambda x: (TAKE_ORDER.get(x.type, 9), x.ref.upper()))
    for line in lines:
        line.redemption = redemption
    return lines


def rollback(workspace: Workspace, public_id: str, actor: Actor) -> Redemption:
    """Undo a redemption: holds let go, uses given back, and a recorded order cancelled (its
    points and gift-card value returned by their owners). Once: a second call changes
    nothing and answers the same."""
    with transaction.atomic(savepoint=False):
        redemption = locked(workspace, public_id)
        if redemption.status in (RedemptionStatus.ROLLED_BACK, RedemptionStatus.RELEASED):
            return get_redemption(workspace, public_id)
        before = redemption.status
        if redemption.order_recorded:
            change_order_status(workspace, redemption.order_id, "cancelled")
        for line in lines_of(redemption):
            kind = redeemables.kind(line.type)
            assert kind is not None
            if line.state == LineState.HELD:
                kind.release(line)
            elif line.state == LineState.USED:
                kind.give_back(line)
            else:
                continue
            RedemptionLine.objects.filter(pk=line.pk).update(
                state=LineState.RELEASED if line.state == LineState.HELD else LineState.GIVEN_BACK
            )
        redemption.status = RedemptionStatus.ROLLED_BACK
        redemption.rolled_back_at = now()
        redemption.save(update_fields=["status", "rolled_back_at"])
        outbox.emit(
            workspace,
            redemption_events.RedemptionRolledBack(**redemption_events.payload(redemption)),
        )
        audit.record(
            workspace,
            actor,
            "redemption.rolled_back",
            "redemption",
            public_id,
            before={"status": before},
            after={"status": redemption.status},
        )
    return get_redemption(workspace, public_id)


def scan(workspace: Workspace, data: Mapping[str, Any], actor: Actor) -> Redemption:
    """A code scanned at a store (`location`) by a staff user or a key: a voucher code, or a
    claimed reward's code (the claim's owner is then the customer unless one is named; a
    claim needs the order it applies to). The actor and the place are kept on the
    redemption and in the audit log."""
    code = str(data.get("code") or "")
    location = str(data.get("location") or "").strip()
    if not location:
        raise ValidationFailed("Say where the code is scanned.", code="required", field="location")
    request: dict[str, Any] = {"type": "voucher", "code": code}
    customer_id = data.get("customer_id")
    claim = claim_of_code(workspace, code) if find_voucher(workspace, code) is None else None
    if claim is not None:
        if data.get("order") is None:
            raise ValidationFailed(
                "A claimed reward is redeemed on an order: send the order.",
                code="required",
                field="order",
            )
        request = {"type": "reward", "claim_id": claim.public_id}
        customer_id = customer_id or claim.customer.external_id
    body = {
        "customer_id": customer_id,
        "order": data.get("order"),
        "redeemables": [request],
        "policy": checkout.ALL_OR_NOTHING,
    }
    redemption, _ = redeem(workspace, body, actor, channel="scan", location=location)
    return redemption


def claim_of_code(workspace: Workspace, code: str) -> Claim | None:
    """The workspace's claim with this code (compared as voucher codes are), if any."""
    if not codes.is_code(code):
        return None
    return one_or_none(
        Claim.objects.for_workspace(workspace)
        .filter(code=codes.normalize(code))
        .select_related("customer")
    )
