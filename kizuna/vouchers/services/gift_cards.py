"""Gift cards and store credit: issued, topped up, read (docs/vouchers.md, Gift cards).
A gift card is spendable by whoever holds its code; store credit belongs to one customer.
Both are stored value in one currency with their own ledger (`balances`)."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from kizuna.core import audit
from kizuna.core import events as outbox
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.money import check_amount, check_currency, format_amount
from kizuna.core.upsert import insert_once
from kizuna.customers.selectors import get_customer
from kizuna.vouchers.errors import GiftCardExists, GiftCardNotFound
from kizuna.vouchers.events import GiftCardIssued
from kizuna.vouchers.models import REASON_MAX_LENGTH, EntryType, GiftCard, GiftCardEntry
from kizuna.vouchers.services import balances, codes

KINDS = ("gift_card", "store_credit")
PREFIXES = {"gift_card": "GC-", "store_credit": "SC-"}


def _reason(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            f"A reason is text of at most {REASON_MAX_LENGTH} characters.",
            code="invalid_reason",
            field="reason",
        )
    return value.strip()


def check_issue(workspace: Workspace, data: Mapping[str, Any]) -> dict[str, Any]:
    kind = data.get("kind", "gift_card")
    if kind not in KINDS:
        raise ValidationFailed(
            "kind is gift_card or store_credit.", code="invalid_kind", field="kind"
        )
    currency = check_currency(data.get("currency"))
    clean: dict[str, Any] = {"kind": kind, "currency": currency}
    clean["amount"] = balances.check_positive(data.get("amount"), currency)
    if data.get("code") is not None:
        clean["code"] = codes.check_code(data["code"])
    customer_id = data.get("customer_id")
    if customer_id is None and kind == "store_credit":
        raise ValidationFailed(
            "Store credit belongs to a customer: give customer_id.",
            code="required",
            field="customer_id",
        )
    clean["customer"] = None if customer_id is None else get_customer(workspace, customer_id)
    expires_at = data.get("expires_at")
    if expires_at is not None and expires_at <= now():
        raise ValidationFailed(
            "expires_at is in the future.", code="invalid_expires_at", field="expires_at"
        )
    clean["expires_at"] = expires_at
    clean["reason"] = _reason(data.get("reason"))
    return clean


def snapshot(card: GiftCard) -> dict[str, Any]:
    customer = card.customer
    return {
        "code": card.code,
        "kind": card.kind,
        "currency": card.currency,
        "balance": format_amount(card.balance, card.currency),
        "customer_id": customer.external_id if customer is not None else None,
        "expires_at": card.expires_at,
    }


def issue(workspace: Workspace, data: Mapping[str, Any], actor: Actor) -> GiftCard:
    """A new card with its `issue` entry; a code given that the workspace holds is 409."""
    clean = check_issue(workspace, data)
    with transaction.atomic():
        card = None
        for _ in range(5):  # a drawn code that exists is drawn again
            code = (
                clean.get("code")
                or PREFIXES[clean["kind"]] + codes.draw(codes.GIFT_CARD_SPEC, 1).pop()
            )
            candidate = GiftCard(
                workspace=workspace,
                code=code,
                kind=clean["kind"],
                currency=clean["currency"],
                initial_amount=clean["amount"],
                balance=Decimal(0),
                customer=clean["customer"],
                expires_at=clean["expires_at"],
            )
            stored, created = insert_once(candidate, workspace=workspace, code=code)
            if created:
                card = stored
                break
            if "code" in clean:
                raise GiftCardExists(f"A gift card {code!r} exists already.", field="code")
        if card is None:
            raise RuntimeError("Could not draw a free gift card code.")
        balances.post(card, EntryType.ISSUE, clean["amount"], reason=clean["reason"])
        outbox.emit(
            workspace,
            GiftCardIssued(
                code=card.code,
                kind=card.kind,
                currency=card.currency,
                amount=format_amount(clean["amount"], card.currency),
                customer_id=clean["customer"].external_id if clean["customer"] else None,
                expires_at=card.expires_at.isoformat() if card.expires_at else None,
            ),
        )
        audit.record(
            workspace,
            actor,
            "gift_card.issued",
            "gift_card",
            card.code,
            after=audit.jsonable(snapshot(card)),
        )
    return card


def get_card(workspace: Workspace, code: str) -> GiftCard:
    card = None
    if codes.is_code(code):
        card = one_or_none(
            GiftCard.objects.for_workspace(workspace)
            .filter(code=codes.normalize(code))
            .select_related("customer")
        )
    if card is None:
        raise GiftCardNotFound(f"No gift card {codes.normalize(code)!r}.", field="code")
    return card


def top_up(
    workspace: Workspace, code: str, data: Mapping[str, Any], actor: Actor
) -> tuple[GiftCard, GiftCardEntry]:
    with transaction.atomic():
        card = balances.locked_card(workspace, code)
        currency = data.get("currency")
        if currency is not None and currency != card.currency:
            raise ValidationFailed(
                f"The card is in {card.currency}.", code="currency_mismatch", field="currency"
            )
        amount = balances.check_positive(data.get("amount"), card.currency)
        reason = _reason(data.get("reason"))
        balances.check_usable(card, now())
        before = audit.jsonable(snapshot(card))
        entry = balances.post(card, EntryType.TOP_UP, amount, reason=reason)
        audit.record(
            workspace,
            actor,
            "gift_card.topped_up",
            "gift_card",
            card.code,
            before=before,
            after=audit.jsonable(snapshot(card)),
            reason=reason,
        )
    return get_card(workspace, card.code), entry


def adjust(
    workspace: Workspace, code: str, data: Mapping[str, Any], actor: Actor
) -> tuple[GiftCard, GiftCardEntry]:
    """A correction by an operator: a signed amount, with the reason it is needed (both
    audited). It may not take the balance below zero, nor move an expired card."""
    with transaction.atomic():
        card = balances.locked_card(workspace, code)
        amount = check_amount(
            data.get("amount"), card.currency, field="amount", allow_negative=True
        )
        if amount == 0:
            raise ValidationFailed(
                "An adjustment moves the balance.", code="invalid_amount", field="amount"
            )
        reason = _reason(data.get("reason"))
        if not reason:
            raise ValidationFailed(
                "Say why the balance is adjusted.", code="required", field="reason"
            )
        balances.check_usable(card, now())
        before = audit.jsonable(snapshot(card))
        entry = balances.post(card, EntryType.ADJUST, amount, reason=reason)
        audit.record(
            workspace,
            actor,
            "gift_card.adjusted",
            "gift_card",
            card.code,
            before=before,
            after=audit.jsonable(snapshot(card)),
            reason=reason,
        )
    return get_card(workspace, card.code), entry
