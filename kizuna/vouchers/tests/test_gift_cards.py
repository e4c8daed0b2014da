"""Gift cards and store credit: issued, topped up (Idempotency-Key honoured), spent through
the service, expired by the job; the ledger explains every balance, the liability report
reconciles with the balances, and verify_ledger finds a tampered balance."""

import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.core.models import AuditEntry, OutboxEvent
from kizuna.vouchers import jobs
from kizuna.vouchers.errors import CurrencyMismatch, GiftCardExpired, InsufficientBalance
from kizuna.vouchers.models import GiftCard, GiftCardEntry
from kizuna.vouchers.services import balances, expiry
from kizuna.vouchers.services.balances import Source
from kizuna.vouchers.services.verify import verify_gift_cards
from kizuna.vouchers.tests.support import make_customer, state


def issue(api: ApiClient, **body: Any) -> dict[str, Any]:
    response = api.post("/gift-cards", {"amount": "50.00", "currency": "USD", **body})
    assert response.status_code == 201, response.data
    return dict(response.data)


def test_a_gift_card_is_issued_with_its_issue_entry(api: ApiClient) -> None:
    card = issue(api, code="gift 2026 aa", reason="Welcome")
    assert (card["code"], card["kind"], card["balance"], card["initial_amount"]) == (
        "GIFT2026AA",
        "gift_card",
        "50.00",
        "50.00",
    )
    assert (card["status"], card["customer_id"], card["expires_at"]) == ("active", None, None)
    assert api.get("/gift-cards/gift2026aa").data == card
    [entry] = api.get("/gift-cards/GIFT2026AA/transactions").data["data"]
    assert (entry["type"], entry["amount"], entry["balance_after"], entry["reason"]) == (
        "issue",
        "50.00",
        "50.00",
        "Welcome",
    )
    assert AuditEntry.objects.filter(action="gift_card.issued", object_id="GIFT2026AA").exists()
    [event] = OutboxEvent.objects.filter(type="gift_card.issued")
    assert event.payload == {
        "code": "GIFT2026AA",
        "kind": "gift_card",
        "currency": "USD",
        "amount": "50.00",
        "customer_id": None,
        "expires_at": None,
    }


def test_a_drawn_code_and_store_credit_for_a_customer(api: ApiClient) -> None:
    make_customer(api, "cust-1")
    card = issue(api)
    assert re.fullmatch(r"GC-[A-HJKMNP-Z2-9]{4}(-[A-HJKMNP-Z2-9]{4}){3}", card["code"])
    credit = issue(api, kind="store_credit", customer_id="cust-1", amount="1200", currency="JPY")
    assert credit["code"].startswith("SC-")
    assert (credit["kind"], credit["customer_id"], credit["balance"]) == (
        "store_credit",
        "cust-1",
        "1200",
    )


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"amount": "0"}, "invalid_amount", "amount"),
        ({"amount": "5.001"}, "too_many_decimal_places", "amount"),
        ({"amount": "-5"}, "validation_error", "amount"),
        ({"currency": "XXX"}, "invalid_currency", "currency"),
        ({"kind": "store_credit"}, "required", "customer_id"),
        ({"kind": "voucher"}, "invalid_choice", "kind"),
        ({"code": "GC_1!"}, "invalid_characters", "code"),
        ({"code": "AB"}, "invalid_code", "code"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "invalid_expires_at", "expires_at"),
        ({"balance": "5"}, "unknown_field", "balance"),
    ],
)
def test_a_bad_card_is_refused_and_changes_nothing(
    api: ApiClient, body: dict[str, Any], code: str, field: str
) -> None:
    before = state()
    response = api.post("/gift-cards", {"amount": "50.00", "currency": "USD", **body})
    assert response.status_code == 422, response.data
    assert (response.data["code"], response.data["field"]) == (code, field)
    assert state() == before


def test_a_code_is_issued_once(api: ApiClient) -> None:
    issue(api, code="GIFT-1")
    before = state()
    response = api.post("/gift-cards", {"code": "gift-1", "amount": "5.00", "currency": "USD"})
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        409,
        "gift_card_exists",
        "code",
    )
    assert state() == before


def test_a_top_up_adds_to_the_balance_and_a_retry_replays_it(api: ApiClient) -> None:
    issue(api, code="GIFT-1")
    body = {"amount": "25.50", "reason": "Birthday"}
    first = api.post("/gift-cards/GIFT-1/top-ups", body, **{"Idempotency-Key": "top-1"})
    assert first.status_code == 201, first.data
    assert first.data["card"]["balance"] == "75.50"
    assert (first.data["transaction"]["type"], first.data["transaction"]["amount"]) == (
        "top_up",
        "25.50",
    )
    again = api.post("/gift-cards/GIFT-1/top-ups", body, **{"Idempotency-Key": "top-1"})
    assert (again.status_code, again.content) == (201, first.content)
    assert GiftCard.objects.get().balance == Decimal("75.50")
    assert GiftCardEntry.objects.count() == 2
    reused = api.post(
        "/gift-cards/GIFT-1/top-ups", {"amount": "1.00"}, **{"Idempotency-Key": "top-1"}
    )
    assert (reused.status_code, reused.data["code"]) == (422, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"amount": "0.00"}, "invalid_amount", "amount"),
        ({"amount": "1.00", "currency": "EUR"}, "currency_mismatch", "currency"),
        ({"amount": "1.005"}, "too_many_decimal_places", "amount"),
        ({}, "required", "amount"),
    ],
)
def test_a_bad_top_up_is_refused_and_changes_nothing(
    api: ApiClient, body: dict[str, Any], code: str, field: str
) -> None:
    issue(api, code="GIFT-1")
    before = state()
    response = api.post("/gift-cards/GIFT-1/top-ups", body)
    assert response.status_code == 422, response.data
    assert (response.data["code"], response.data["field"]) == (code, field)
    assert state() == before


def test_a_balance_past_what_a_card_can_hold_is_refused(api: ApiClient) -> None:
    issue(api, code="GIFT-1", amount="90000000000000.00")
    before = state()
    response = api.post("/gift-cards/GIFT-1/top-ups", {"amount": "10000000000000.00"})
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        422,
        "amount_too_large",
        "amount",
    )
    assert state() == before


@pytest.mark.parametrize("at", ["9999-12-31", "0001-01-01T00:00:00+01:00", "2026-13-01", "now"])
def test_a_moment_the_liability_cannot_read_is_refused(api: ApiClient, at: str) -> None:
    response = api.get(f"/gift-cards/liability?at={at}")
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        422,
        "invalid_datetime",
        "at",
    )


def test_an_adjustment_is_signed_audited_and_never_overdraws(api: ApiClient) -> None:
    issue(api, code="GIFT-1", amount="20.00")
    response = api.post("/gift-cards/GIFT-1/adjustments", {"amount": "-5.50", "reason": "Typo"})
    assert response.status_code == 201, response.data
    assert (response.data["card"]["balance"], response.data["transaction"]["type"]) == (
        "14.50",
        "adjust",
    )
    assert response.data["transaction"]["amount"] == "-5.50"
    entry = AuditEntry.objects.get(action="gift_card.adjusted")
    assert (entry.reason, entry.after["balance"] if entry.after else None) == ("Typo", "14.50")
    before = state()
    for body, code, field in [
        ({"amount": "-14.51", "reason": "Too much"}, "insufficient_balance", "amount"),
        ({"amount": "0", "reason": "Nothing"}, "invalid_amount", "amount"),
        ({"amount": "1.00", "reason": ""}, "required", "reason"),
        ({"amount": "1.001", "reason": "x"}, "too_many_decimal_places", "amount"),
    ]:
        refused = api.post("/gift-cards/GIFT-1/adjustments", body)
        assert refused.status_code == 422, body
        assert (refused.data["code"], refused.data["field"]) == (code, field), body
    assert state() == before
    assert verify_gift_cards() == []


def test_the_ledger_pages_newest_first(api: ApiClient) -> None:
    issue(api, code="GIFT-1")
    for amount in ["1.00", "2.00", "3.00"]:
        api.post("/gift-cards/GIFT-1/top-ups", {"amount": amount})
    first = api.get("/gift-cards/GIFT-1/transactions?limit=3").data
    assert [e["amount"] for e in first["data"]] == ["3.00", "2.00", "1.00"]
    assert [e["balance_after"] for e in first["data"]] == ["56.00", "53.00", "51.00"]
    rest = api.get(f"/gift-cards/GIFT-1/transactions?limit=3&cursor={first['next_cursor']}").data
    assert ([e["type"] for e in rest["data"]], rest["next_cursor"]) == (["issue"], None)


def test_spend_takes_refuses_overdraw_and_refunds_once(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    issue(api, code="GIFT-1", amount="30.00")
    ws = workspace.workspace
    entry = balances.spend(ws, "gift-1", "12.50", currency="USD", source=Source("order", "o1"))
    assert (entry.amount, entry.balance_after) == (Decimal("-12.50"), Decimal("17.50"))
    again = balances.spend(ws, "GIFT-1", "12.50", currency="USD", source=Source("order", "o1"))
    assert again.pk == entry.pk, "a source spends once"
    before = state()
    with pytest.raises(InsufficientBalance) as refused:
        balances.spend(ws, "GIFT-1", "17.51", currency="USD")
    assert (refused.value.code, refused.value.field) == ("insufficient_balance", "amount")
    with pytest.raises(CurrencyMismatch):
        balances.spend(ws, "GIFT-1", "1.00", currency="EUR")
    assert state() == before
    refund = balances.refund_spend(ws, "GIFT-1", Source("order", "o1"))
    assert (refund.amount, refund.balance_after) == (Decimal("12.50"), Decimal("30.00"))
    assert balances.refund_spend(ws, "GIFT-1", Source("order", "o1")).pk == refund.pk
    assert verify_gift_cards() == []


def test_expiry_writes_an_expire_entry_and_stops_spending(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    soon = now() + timedelta(hours=1)
    issue(api, code="GIFT-1", expires_at=soon.isoformat())
    issue(api, code="GIFT-2")
    assert expiry.expire_due(now()) == 0
    assert jobs.expire_gift_cards() == "expired 0 gift card(s)"
    assert expiry.expire_due(soon + timedelta(minutes=1)) == 1
    card = GiftCard.objects.get(code="GIFT-1")
    assert (card.status, card.balance) == ("expired", Decimal("0"))
    entry = GiftCardEntry.objects.filter(card=card).latest("pk")
    assert (entry.type, entry.amount, entry.balance_after, entry.occurred_at) == (
        "expire",
        Decimal("-50.00"),
        Decimal("0"),
        soon,
    )
    assert expiry.expire_due(soon + timedelta(minutes=2)) == 0, "once"
    [event] = OutboxEvent.objects.filter(type="gift_card.expired")
    assert (event.payload["code"], event.payload["amount"]) == ("GIFT-1", "50.00")
    with pytest.raises(GiftCardExpired):
        balances.spend(workspace.workspace, "GIFT-1", "1.00", currency="USD")
    response = api.post("/gift-cards/GIFT-1/top-ups", {"amount": "1.00"})
    assert (response.status_code, response.data["code"]) == (422, "gift_card_expired")
    assert GiftCard.objects.get(code="GIFT-2").status == "active"
    assert verify_gift_cards() == []


def test_the_liability_reconciles_with_the_balances(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    make_customer(api, "cust-1")
    ws = workspace.workspace
    soon = now() + timedelta(hours=1)
    issue(api, code="GIFT-1", amount="100.00")
    issue(api, code="GIFT-2", amount="40.00", expires_at=soon.isoformat())
    issue(api, code="CREDIT-1", kind="store_credit", customer_id="cust-1", amount="15.00")
    issue(api, code="YEN-1", amount="5000", currency="JPY")
    api.post("/gift-cards/GIFT-1/top-ups", {"amount": "10.00"})
    balances.spend(ws, "GIFT-1", "30.00", currency="USD", source=Source("order", "o1"))
    balances.spend(ws, "GIFT-2", "15.00", currency="USD")
    balances.spend(ws, "YEN-1", "1200", currency="JPY")
    balances.refund_spend(ws, "GIFT-1", Source("order", "o1"))
    balances.spend(ws, "GIFT-1", "20.00", currency="USD")
    before_expiry = api.get("/gift-cards/liability").data
    expiry.expire_due(soon + timedelta(seconds=1))
    until = (soon + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    after = api.get(f"/gift-cards/liability?at={until}").data

    by_key = {(row["currency"], row["kind"]): row for row in after["data"]}
    assert by_key[("USD", "gift_card")]["outstanding"] == "90.00"
    assert by_key[("USD", "gift_card")]["movements"] == {
        "issued": "140.00",
        "topped_up": "10.00",
        "spent": "65.00",
        "refunded": "30.00",
        "expired": "25.00",
        "adjusted": "0.00",
    }
    assert by_key[("USD", "store_credit")]["outstanding"] == "15.00"
    assert by_key[("JPY", "gift_card")]["outstanding"] == "3800"
    # The report from the ledger equals the sum of the cached balances, per currency and kind.
    for (currency, kind), row in by_key.items():
        cached = sum(
            GiftCard.objects.filter(currency=currency, kind=kind).values_list("balance", flat=True),
            Decimal(0),
        )
        assert Decimal(row["outstanding"]) == cached
    usd_before = {r["kind"]: r for r in before_expiry["data"] if r["currency"] == "USD"}
    assert usd_before["gift_card"]["outstanding"] == "115.00", "before the expiry: 90 + 25"
    # At a date before anything happened, nothing was owed.
    assert api.get("/gift-cards/liability?at=2020-01-01").data["data"] == []
    # The movements of a period: since the expiry, only the expiry.
    since = (soon - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    window = api.get(f"/gift-cards/liability?since={since}&at={until}").data
    usd = {r["kind"]: r for r in window["data"] if r["currency"] == "USD"}
    assert usd["gift_card"]["movements"]["expired"] == "25.00"
    assert usd["gift_card"]["movements"]["issued"] == "0.00"
    assert usd["gift_card"]["outstanding"] == "90.00"
    bad = api.get("/gift-cards/liability?at=yesterday")
    assert (bad.status_code, bad.data["code"], bad.data["field"]) == (
        422,
        "invalid_datetime",
        "at",
    )


def test_verify_ledger_finds_a_tampered_balance(api: ApiClient) -> None:
    issue(api, code="GIFT-1")
    issue(api, code="GIFT-2")
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "agree" in out.getvalue()

    GiftCard.objects.filter(code="GIFT-2").update(balance=Decimal("500.00"))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)
    card = GiftCard.objects.get(code="GIFT-2")
    assert (
        f"gift_cards: gift card {card.pk} ({card.workspace_id}/GIFT-2): balance is 500.00, "
        "the ledger says 50.00"
    ) in err.getvalue()
    assert "GIFT-1" not in err.getvalue()


def test_the_customer_data_export_holds_their_cards_and_codes(api: ApiClient) -> None:
    make_customer(api, "cust-1")
    issue(api, code="CREDIT-1", kind="store_credit", customer_id="cust-1", amount="15.00")
    api.post("/gift-cards/CREDIT-1/adjustments", {"amount": "-5.00", "reason": "Said on the phone"})
    issue(api, code="BEARER-1")
    export = api.get("/customers/cust-1/data-export").data
    [card] = export["gift_cards"]
    assert (card["code"], card["balance"]) == ("CREDIT-1", "10.00")
    assert [(t["type"], t["amount"]) for t in card["transactions"]] == [
        ("issue", "15.00"),
        ("adjust", "-5.00"),
    ]
    assert export["vouchers"] == []
    assert api.post("/customers/cust-1/erase").status_code == 200
    assert GiftCardEntry.objects.get(type="adjust").reason == "", "staff notes go"
    assert GiftCard.objects.get(code="CREDIT-1").balance == Decimal("10.00"), "value stays"
