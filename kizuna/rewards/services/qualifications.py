"""`POST /qualifications` (docs/checkout.md): what this customer can use on this cart, best
value first. Pure.

The candidates: the vouchers tied to the customer (their own codes, and the codes of
campaigns for them), their gift cards and store credit with a balance, all their active
points in every program they belong to, what a kind offers itself (`candidates(cart)`, such
as the claimed rewards of the `reward` kind) and any redeemables named in the body. They are
gathered in a fixed few queries, resolved together (one `resolve` per type), and each is then
valued alone on the cart by the engine's arithmetic, without a query per candidate."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Q

from kizuna.core.models import Workspace
from kizuna.core.money import format_amount
from kizuna.loyalty.models import Account, ProgramStatus
from kizuna.rewards import redeemables
from kizuna.rewards.redeemables import Cart
from kizuna.rewards.services import checkout, validations
from kizuna.rewards.services.checkout import Outcome, Verdict
from kizuna.vouchers.models import CampaignStatus, GiftCard, GiftCardStatus, Voucher

MAX_CANDIDATES = 200


def candidates(cart: Cart) -> list[dict[str, Any]]:
    customer = cart.customer
    found: list[dict[str, Any]] = []
    codes = (
        Voucher.objects.for_workspace(cart.workspace)
        .filter(Q(customer=customer) | Q(campaign__customer=customer))
        .filter(campaign__status=CampaignStatus.ACTIVE)
        .order_by("pk")
        .values_list("code", flat=True)[:MAX_CANDIDATES]
    )
    found += [{"type": "voucher", "code": code} for code in codes]
    cards = (
        GiftCard.objects.for_workspace(cart.workspace)
        .filter(customer=customer, status=GiftCardStatus.ACTIVE, balance__gt=0)
        .order_by("pk")
        .values_list("code", flat=True)[:MAX_CANDIDATES]
    )
    found += [{"type": "gift_card", "code": code} for code in cards]
    accounts = (
        Account.objects.for_workspace(cart.workspace)
        .filter(customer=customer, active__gt=0, program__status=ProgramStatus.ACTIVE)
        .order_by("pk")
        .values_list("program__key", "active")
    )
    found += [{"type": "points", "program_id": key, "points": active} for key, active in accounts]
    for type_ in redeemables.types():
        kind = redeemables.kind(type_)
        lister = getattr(kind, "candidates", None)
        if lister is not None:
            found += list(lister(cart))
    return found


def _value(cart: Cart, verdict: Verdict) -> None:
    """Value one resolved candidate alone on the cart (no query: the offer is in hand)."""
    alone = Outcome(cart, checkout.PARTIAL, [verdict], currency=cart.order.currency)
    checkout.apply(cart, [verdict], alone)


def _answer(verdict: Verdict, currency: str) -> dict[str, Any]:
    resolved = verdict.resolved
    details = resolved.details if resolved is not None else {}
    return {
        "type": verdict.type,
        "id": str(details.get("id") or verdict.ref),
        "code": verdict.request.get("code"),
        "program_id": verdict.request.get("program_id"),
        "claim_id": verdict.request.get("claim_id"),
        "status": "applicable" if verdict.applicable else "inapplicable",
        "discount": format_amount(verdict.discount, currency),
        "amount": format_amount(verdict.amount, currency),
        "value": format_amount(verdict.discount + verdict.amount, currency),
        "points_cost": verdict.points or None,
        "reason": verdict.reason,
        "message": verdict.message or None,
    }


def qualify(workspace: Workspace, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    cart = validations.cart_of(workspace, data)
    currency = cart.order.currency if cart.order is not None else workspace.default_currency
    requests = candidates(cart) + validations.check_requests(
        data.get("redeemables") or [], required=False
    )
    verdicts = checkout.resolve(cart, requests)
    seen: set[tuple[str, str]] = set()
    out = []
    for verdict in verdicts:
        key = (verdict.type, verdict.ref.upper())
        if key in seen:
            continue
        seen.add(key)
        if verdict.applicable and cart.order is not None:
            _value(cart, verdict)
        out.append(verdict)
    out.sort(key=lambda v: (not v.applicable, -(v.discount + v.amount), v.index))
    return [_answer(v, currency) for v in out]
