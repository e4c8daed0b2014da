"""Refunds and cancellations through the REST API, by value: every refund path takes back
exactly the earned points its share of the order's value says (rounded half up, cumulative so
that it never drifts) and gives back exactly the spent points, and its response says so.

The share of a refund is the order's `refunded_total / total` after it; the points taken back
in all are `round_half_up(earned × share)`, the points given back in all
`round_half_up(spent × share)`."""

from datetime import timedelta
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.loyalty.models import LedgerEntry, PointLot
from kizuna.loyalty.services import expiry, pending
from kizuna.loyalty.services.verify import verify
from kizuna.loyalty.tests.support import (
    ONE_PER_DOLLAR,
    loyalty,
    make_program,
    order,
    points,
    transactions,
)

pytestmark = pytest.mark.django_db


def refund(
    api: ApiClient,
    order_id: str,
    refund_id: str,
    *,
    amount: str | None = None,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"external_id": refund_id}
    if amount is not None:
        body["amount"] = amount
    if items is not None:
        body["items"] = items
    response = api.post(f"/orders/{order_id}/refunds", body)
    assert response.status_code == 201, response.data
    return dict(response.data)


def effect_of(data: dict[str, Any], program: str = "tea-club") -> dict[str, Any]:
    found = [e for e in data["loyalty"] if e["program_id"] == program]
    assert len(found) == 1, data["loyalty"]
    return dict(found[0])


def place(api: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/orders", body)
    assert response.status_code == 201, response.data
    return dict(response.data)


def with_points(
    external_id: str, total: str, spent: int, paid: str, **overrides: Any
) -> dict[str, Any]:
    """An order of `total` paid `paid` in `spent` points and the rest by card."""
    rest = f"{float(total) - float(paid):.2f}"
    payments = [{"method": "points", "amount": paid, "points": spent}]
    if float(rest) > 0:
        payments.append({"method": "card", "amount": rest})
    return order(external_id, total=total, payments=payments, **overrides)


def lot_of(source_id: str) -> tuple[int, int]:
    lot = PointLot.objects.get(source_type="order", source_id=source_id)
    return lot.amount, lot.remaining


# ------------------------------------------------------------------ earned points, pro rata


def test_a_partial_refund_claws_back_pro_rata_rounded_half_up(api: ApiClient) -> None:
    make_program(api)
    assert effect_of(place(api, order("ord-1", total="45.00")))["points_earned"] == 45
    # Half of 45 is 22.5: rounded half up, 23 go.
    first = refund(api, "ord-1", "ref-1", amount="22.50")
    assert first["loyalty"] == [
        {"program_id": "tea-club", "points_clawed_back": 23, "points_returned": 0, "balance": 22}
    ]
    taken = transactions(api)[-1]
    assert (taken["type"], taken["points"], taken["pending_points"]) == ("refund_clawback", -23, 0)
    assert (taken["balance_after"], taken["source"]) == (22, {"type": "refund", "id": "ref-1"})
    assert taken["reason"] == "refund of order ord-1"
    # The other half takes the rest, 22: in all exactly the 45 earned.
    second = refund(api, "ord-1", "ref-2", amount="22.50")
    assert effect_of(second) == {
        "program_id": "tea-club",
        "points_clawed_back": 22,
        "points_returned": 0,
        "balance": 0,
    }
    assert points(api) == {
        "active": 0,
        "pending": 0,
        "lifetime_earned": 0,
        "spent": 0,
        "expired": 0,
        "expiring": [],
    }
    assert lot_of("ord-1") == (45, 0)
    assert verify() == []


@pytest.mark.parametrize(
    ("amounts", "clawed"),
    [
        # Cumulative shares 0.333, 0.666, 1 of 10 points: 3.33 -> 3, 6.66 -> 7, 10.
        (["3.33", "3.33", "3.34"], [3, 4, 3]),
        # 0.4 -> 0, 0.8 -> 1, 1.2 -> 1, 1.6 -> 2, 2.0 -> 2, 10: a refund may take nothing.
        (["0.40"] * 5 + ["8.00"], [0, 1, 0, 1, 0, 8]),
        # 1.25, 2.5 -> 3, 3.75 -> 4, 5, 6.25 -> 6, 7.5 -> 8, 8.75 -> 9, 10.
        (["1.25"] * 8, [1, 2, 1, 1, 1, 2, 1, 1]),
    ],
)
def test_partial_refunds_summing_to_the_whole_take_back_exactly_what_was_earned(
    api: ApiClient, amounts: list[str], clawed: list[int]
) -> None:
    make_program(api)
    place(api, order("ord-1", total="10.00"))
    place(api, order("ord-2", total="7.00"))
    balance = 17
    for n, amount in enumerate(amounts):
        got = effect_of(refund(api, "ord-1", f"ref-{n}", amount=amount))
        balance -= clawed[n]
        assert (got["points_clawed_back"], got["balance"]) == (clawed[n], balance)
    assert sum(clawed) == 10
    assert points(api)["active"] == 7, "the other order's points stay"
    assert points(api)["lifetime_earned"] == 7
    assert lot_of("ord-1") == (10, 0)
    assert lot_of("ord-2") == (7, 7)
    order_effect = effect_of(api.get("/orders/ord-1").data)
    assert (order_effect["points_earned"], order_effect["points_clawed_back"]) == (10, 10)
    assert verify() == []


def test_refunds_by_item_claw_back_the_items_paid_value_and_shipping_stays(
    api: ApiClient,
) -> None:
    make_program(api)
    # 30.00 listed, 5.00 off, 4.00 shipping, 2.00 tax: 31 points; the goods cost 27.00.
    assert effect_of(place(api, order("ord-1")))["points_earned"] == 31
    one = refund(api, "ord-1", "ref-1", items=[{"sku": "TEA-1", "quantity": 1}])
    # One tea listed at 10.00 of 30.00 cost 9.00 of the 27.00 goods: 9 of 31 points.
    assert one["amount"] == "9.00"
    assert effect_of(one) == {
        "program_id": "tea-club",
        "points_clawed_back": 9,
        "points_returned": 0,
        "balance": 22,
    }
    rest = refund(
        api,
        "ord-1",
        "ref-2",
        items=[{"sku": "TEA-1", "quantity": 1}, {"sku": "CUP-1", "quantity": 1}],
    )
    assert rest["amount"] == "18.00"
    assert effect_of(rest)["points_clawed_back"] == 18
    # Every item is back; the 4 points earned on the shipping stay.
    assert points(api)["active"] == 4
    shipping = refund(api, "ord-1", "ref-3", amount="4.00")
    assert (effect_of(shipping)["points_clawed_back"], effect_of(shipping)["balance"]) == (4, 0)
    assert [(t["type"], t["points"], t["source"]["id"]) for t in transactions(api)] == [
        ("earn", 31, "ord-1"),
        ("refund_clawback", -9, "ref-1"),
        ("refund_clawback", -18, "ref-2"),
        ("refund_clawback", -4, "ref-3"),
    ]
    assert verify() == []


def test_a_refund_replayed_answers_the_effects_it_had(api: ApiClient) -> None:
    make_program(api)
    place(api, order("ord-1", total="45.00"))
    first = refund(api, "ord-1", "ref-1", amount="22.50")
    again = api.post("/orders/ord-1/refunds", {"external_id": "ref-1", "amount": "22.50"})
    assert again.status_code == 200
    assert again.data["loyalty"] == first["loyalty"]
    assert points(api)["active"] == 22, "the replay took nothing more"
    stored = api.get("/orders/ord-1").data
    assert stored["refunds"][0]["loyalty"] == first["loyalty"]
    assert effect_of(stored)["points_clawed_back"] == 23


# ------------------------------------------------------------------ spent points


def test_spent_points_come_back_pro_rata_to_the_lots_they_came_from(api: ApiClient) -> None:
    make_program(api)
    place(api, order("ord-1", total="300.00"))
    # 100.00 paid with 200 points (10.00) and 90.00 by card: 90 points earned on the card part.
    paid = effect_of(place(api, with_points("ord-2", "100.00", 200, "10.00")))
    assert (paid["points_spent"], paid["points_earned"], paid["balance"]) == (200, 90, 190)
    assert lot_of("ord-1") == (300, 100)
    expected = [
        # (amount, returned, clawed, balance): cumulative shares 1/3, 2/3, 1 of 200 and 90.
        ("33.33", 67, 30, 227),  # 66.66 -> 67, 29.997 -> 30
        ("33.33", 66, 30, 263),  # 133.32 -> 133, 59.994 -> 60
        ("33.34", 67, 30, 300),  # 200, 90
    ]
    for n, (amount, returned, clawed, balance) in enumerate(expected):
        got = effect_of(refund(api, "ord-2", f"ref-{n}", amount=amount))
        assert got == {
            "program_id": "tea-club",
            "points_clawed_back": clawed,
            "points_returned": returned,
            "balance": balance,
        }
    # The 200 went back to the lot they were spent from; the 90 came out of ord-2's own lot.
    assert lot_of("ord-1") == (300, 300)
    assert lot_of("ord-2") == (90, 0)
    assert points(api) == {
        "active": 300,
        "pending": 0,
        "lifetime_earned": 300,
        "spent": 0,
        "expired": 0,
        "expiring": [],
    }
    returns = [t for t in transactions(api) if t["type"] == "refund_return"]
    assert [(t["points"], t["source"]["id"]) for t in returns] == [
        (67, "ref-0"),
        (66, "ref-1"),
        (67, "ref-2"),
    ]
    order_effect = effect_of(api.get("/orders/ord-2").data)
    assert (order_effect["points_returned"], order_effect["points_clawed_back"]) == (200, 90)
    assert verify() == []


def test_points_and_gift_card_value_earns_nothing_and_refunds_settle_on_the_share(
    api: ApiClient,
) -> None:
    make_program(api)
    place(api, order("ord-0", total="50.00"))
    body = order(
        "ord-1",
        total="100.00",
        payments=[
            {"method": "gift_card", "amount": "40.00"},
            {"method": "points", "amount": "10.00", "points": 20},
            {"method": "card", "amount": "50.00"},
        ],
    )
    paid = effect_of(place(api, body))
    # Only the 50.00 by card earns.
    assert (paid["points_earned"], paid["points_spent"], paid["balance"]) == (50, 20, 80)
    # A refund of 30.00 is 30% of the order: 15 of the 50 earned, 6 of the 20 spent.
    got = effect_of(refund(api, "ord-1", "ref-1", amount="30.00"))
    assert (got["points_clawed_back"], got["points_returned"], got["balance"]) == (15, 6, 71)
    # An order paid wholly by gift card earned nothing and has nothing to settle.
    gift = order("ord-2", total="20.00", payments=[{"method": "gift_card", "amount": "20.00"}])
    assert effect_of(place(api, gift))["points_earned"] == 0
    assert refund(api, "ord-2", "ref-2", amount="20.00")["loyalty"] == []
    assert points(api)["active"] == 71
    assert verify() == []


# ------------------------------------------------------------------ cancellations


def test_a_cancellation_reverses_all_earned_and_spent(api: ApiClient) -> None:
    make_program(api)
    place(api, order("ord-1", total="300.00"))
    before = points(api)
    place(api, with_points("ord-2", "100.00", 200, "10.00"))
    cancelled = api.post("/orders/ord-2/status", {"status": "cancelled"})
    assert cancelled.status_code == 200, cancelled.data
    assert effect_of(cancelled.data) == {
        "program_id": "tea-club",
        "points_earned": 90,
        "points_pending": 0,
        "points_clawed_back": 90,
        "points_spent": 200,
        "points_returned": 200,
        "balance": 300,
        "tier": None,
    }
    assert points(api) == before
    assert [(t["type"], t["points"], t["source"]) for t in transactions(api)][-2:] == [
        ("cancel", -90, {"type": "order", "id": "ord-2"}),
        ("refund_return", 200, {"type": "order", "id": "ord-2"}),
    ]
    assert lot_of("ord-1") == (300, 300)
    assert lot_of("ord-2") == (90, 0)
    # A second cancellation is no change: nothing moves twice.
    assert api.post("/orders/ord-2/status", {"status": "cancelled"}).status_code == 200
    assert points(api) == before
    assert verify() == []


def test_a_cancellation_after_refunds_takes_only_what_they_left(api: ApiClient) -> None:
    make_program(api)
    place(api, order("ord-1", total="300.00"))
    place(api, with_points("ord-2", "100.00", 200, "10.00"))
    refund(api, "ord-2", "ref-1", amount="25.00")  # back 50, taken 23 (22.5)
    assert points(api)["active"] == 190 + 50 - 23
    api.post("/orders/ord-2/status", {"status": "cancelled"})
    tail = transactions(api)[-2:]
    assert [(t["type"], t["points"]) for t in tail] == [("cancel", -67), ("refund_return", 150)]
    assert points(api)["active"] == 300
    assert points(api)["lifetime_earned"] == 300
    assert verify() == []


def test_cancelling_a_pending_order_moves_no_points(api: ApiClient) -> None:
    make_program(api)
    place(api, order("ord-1", total="50.00"))
    place(api, order("ord-2", total="40.00", status="pending"))
    cancelled = api.post("/orders/ord-2/status", {"status": "cancelled"})
    assert cancelled.status_code == 200
    assert cancelled.data["loyalty"] == []
    assert points(api)["active"] == 50
    assert LedgerEntry.objects.count() == 1


# ------------------------------------------------------------------ pending points


def test_a_refund_of_pending_points_lowers_the_pending_balance_first(api: ApiClient) -> None:
    make_program(api, pending={"days": 14})
    placed = effect_of(place(api, order("ord-1", total="40.00")))
    assert (placed["points_earned"], placed["points_pending"]) == (0, 40)
    got = effect_of(refund(api, "ord-1", "ref-1", amount="10.00"))
    assert got == {
        "program_id": "tea-club",
        "points_clawed_back": 10,
        "points_returned": 0,
        "balance": 0,
    }
    taken = transactions(api)[-1]
    assert (taken["type"], taken["points"], taken["pending_points"]) == (
        "refund_clawback",
        -10,
        -10,
    )
    assert (points(api)["active"], points(api)["pending"]) == (0, 30)
    assert lot_of("ord-1") == (40, 30)
    # What is left activates when the return window ends, and a later refund takes it back.
    with clock.at(clock.now() + timedelta(days=15)):
        assert pending.activate_due() == 30
        assert (points(api)["active"], points(api)["pending"]) == (30, 0)
        assert points(api)["lifetime_earned"] == 30
        rest = effect_of(refund(api, "ord-1", "ref-2", amount="30.00"))
        assert (rest["points_clawed_back"], rest["balance"]) == (30, 0)
        taken = transactions(api)[-1]
        assert (taken["type"], taken["points"], taken["pending_points"]) == (
            "refund_clawback",
            -30,
            0,
        )
    assert (points(api)["active"], points(api)["lifetime_earned"]) == (0, 0)
    assert lot_of("ord-1") == (40, 0)
    assert verify() == []


def test_cancelling_an_order_whose_points_wait_takes_the_pending_points(api: ApiClient) -> None:
    make_program(api, pending={"days": 14})
    place(api, order("ord-1", total="40.00"))
    api.post("/orders/ord-1/status", {"status": "cancelled"})
    assert (points(api)["active"], points(api)["pending"]) == (0, 0)
    assert [(t["type"], t["points"], t["pending_points"]) for t in transactions(api)] == [
        ("pending", 40, 40),
        ("cancel", -40, -40),
    ]
    with clock.at(clock.now() + timedelta(days=15)):
        assert pending.activate_due() == 0, "nothing is left to activate"
    assert verify() == []


# ------------------------------------------------------------------ points already spent


def test_without_negative_balances_what_cannot_be_taken_is_forgiven_for_good(
    api: ApiClient,
) -> None:
    make_program(api)  # returns: clawback, no negative balance
    place(api, order("ord-1", total="100.00"))
    # All 100 spent on another order, which earns nothing.
    spent = effect_of(place(api, with_points("ord-2", "100.00", 100, "100.00")))
    assert (spent["points_spent"], spent["points_earned"], spent["balance"]) == (100, 0, 0)
    half = effect_of(refund(api, "ord-1", "ref-1", amount="50.00"))
    assert (half["points_clawed_back"], half["balance"]) == (0, 0), "nothing to take: forgiven"
    place(api, order("ord-3", total="20.00"))
    # The next refund takes its own share (10% of 100), not the 50 forgiven before.
    tenth = effect_of(refund(api, "ord-1", "ref-2", amount="10.00"))
    assert (tenth["points_clawed_back"], tenth["balance"]) == (10, 10)
    # The last 40% is due, 10 are there: 10 go, 30 are forgiven.
    last = effect_of(refund(api, "ord-1", "ref-3", amount="40.00"))
    assert (last["points_clawed_back"], last["balance"]) == (10, 0)
    assert points(api)["lifetime_earned"] == 100
    assert verify() == []


def test_with_negative_balances_the_debt_is_repaid_first(api: ApiClient) -> None:
    make_program(api, returns={"clawback": True, "allow_negative": True})
    place(api, order("ord-1", total="100.00"))
    place(api, with_points("ord-2", "100.00", 100, "100.00"))
    half = effect_of(refund(api, "ord-1", "ref-1", amount="50.00"))
    assert (half["points_clawed_back"], half["balance"]) == (50, -50)
    assert points(api)["active"] == -50
    assert transactions(api)[-1]["balance_after"] == -50
    # New points repay the debt first: 30 earned, none of them spendable.
    assert effect_of(place(api, order("ord-3", total="30.00")))["balance"] == -20
    assert lot_of("ord-3") == (30, 0)
    # Cancelling the order paid with points gives back 100: 20 repay the debt, 80 go back to
    # the lot they were spent from.
    cancelled = effect_of(api.post("/orders/ord-2/status", {"status": "cancelled"}).data)
    assert (cancelled["points_returned"], cancelled["balance"]) == (100, 80)
    assert lot_of("ord-1") == (100, 80)
    # The rest of ord-1 is refunded: its last 50 come out of its own lot.
    rest = effect_of(refund(api, "ord-1", "ref-2", amount="50.00"))
    assert (rest["points_clawed_back"], rest["balance"]) == (50, 30)
    assert lot_of("ord-1") == (100, 30)
    assert points(api) == {
        "active": 30,
        "pending": 0,
        "lifetime_earned": 30,
        "spent": 0,
        "expired": 0,
        "expiring": [],
    }
    assert verify() == []


def test_without_clawback_refunds_only_give_back_spent_points(api: ApiClient) -> None:
    make_program(api, returns={"clawback": False, "allow_negative": False})
    place(api, order("ord-1", total="300.00"))
    place(api, with_points("ord-2", "100.00", 200, "10.00"))
    got = effect_of(refund(api, "ord-2", "ref-1", amount="50.00"))
    assert (got["points_clawed_back"], got["points_returned"], got["balance"]) == (0, 100, 290)
    api.post("/orders/ord-2/status", {"status": "cancelled"})
    assert points(api)["active"] == 390, "the 90 earned stay; all 200 spent came back"
    assert verify() == []


# ------------------------------------------------------------------ expired points


def test_points_that_expired_are_not_taken_again_by_a_refund(api: ApiClient) -> None:
    make_program(api, expiry={"policy": "rolling", "days": 30, "reset_on_activity": False})
    start = clock.now()
    with clock.at(start):
        place(api, order("ord-1", total="100.00"))
        # 40 of ord-1's points are spent on an order paid wholly with them.
        place(api, with_points("ord-2", "40.00", 40, "40.00"))
    with clock.at(start + timedelta(days=20)):
        place(api, order("ord-3", total="50.00"))
    with clock.at(start + timedelta(days=31)):
        assert expiry.expire_due() == 1
        assert (points(api)["active"], points(api)["expired"]) == (50, 60)
        assert lot_of("ord-1") == (100, 0)
        # Half of ord-1 is refunded: 50 of its points are due back, and 60 have expired
        # already: nothing more is taken.
        half = effect_of(refund(api, "ord-1", "ref-1", amount="50.00"))
        assert (half["points_clawed_back"], half["balance"]) == (0, 50)
        # The rest is refunded: of its 100 points 60 expired, 40 were spent; those 40 are
        # taken from the other points.
        rest = effect_of(refund(api, "ord-1", "ref-2", amount="50.00"))
        assert (rest["points_clawed_back"], rest["balance"]) == (40, 10)
        assert lot_of("ord-3") == (50, 10)
        # Earned 150, 40 taken back; the 60 that expired stay earned (and expired).
        assert (points(api)["lifetime_earned"], points(api)["expired"]) == (110, 60)
    assert verify() == []


def test_spent_points_returned_to_an_expired_lot_expire_at_once(api: ApiClient) -> None:
    make_program(api, expiry={"policy": "rolling", "days": 30, "reset_on_activity": False})
    start = clock.now()
    with clock.at(start):
        place(api, order("ord-1", total="100.00"))
        place(api, with_points("ord-2", "40.00", 40, "40.00"))
    with clock.at(start + timedelta(days=20)):
        place(api, order("ord-3", total="50.00"))
    with clock.at(start + timedelta(days=31)):
        expiry.expire_due()
        got = effect_of(refund(api, "ord-2", "ref-1", amount="40.00"))
        assert (got["points_returned"], got["points_clawed_back"], got["balance"]) == (40, 0, 50)
        assert [(t["type"], t["points"]) for t in transactions(api)][-2:] == [
            ("refund_return", 40),
            ("expire", -40),
        ]
        assert points(api) == {
            "active": 50,
            "pending": 0,
            "lifetime_earned": 150,
            "spent": 0,
            "expired": 100,
            "expiring": [{"points": 50, "expires_at": points(api)["expiring"][0]["expires_at"]}],
        }
        # Now ord-1 is refunded in full: all of its 100 points have expired, none is taken.
        whole = effect_of(refund(api, "ord-1", "ref-2", amount="100.00"))
        assert (whole["points_clawed_back"], whole["balance"]) == (0, 50)
    assert verify() == []


# ------------------------------------------------------------------ rule kinds


def test_points_of_every_rule_kind_and_a_cap_are_settled_pro_rata(api: ApiClient) -> None:
    make_program(api, id="prop")
    make_program(
        api,
        [{"id": "fifty", "name": "Fifty", "trigger": {"type": "order_paid"},
          "effect": {"type": "fixed", "points": 50}}],
        id="fixed",
    )  # fmt: skip
    make_program(
        api,
        [
            ONE_PER_DOLLAR,
            {
                "id": "double",
                "name": "Double",
                "trigger": {"type": "order_paid"},
                "effect": {"type": "multiplier", "factor": "2.0"},
            },
        ],
        id="mult",
    )
    make_program(
        api,
        [
            {
                "id": "two-capped",
                "name": "Two per dollar, 50 at most",
                "trigger": {"type": "order_paid"},
                "effect": {
                    "type": "proportional",
                    "points": 2,
                    "per": "1.00",
                    "base": "total",
                    "max_points": 50,
                },
            }
        ],
        id="capped",
    )
    placed = place(api, order("ord-1", total="40.00"))
    earned = {e["program_id"]: e["points_earned"] for e in placed["loyalty"]}
    assert earned == {"prop": 40, "fixed": 50, "mult": 80, "capped": 50}
    quarter = refund(api, "ord-1", "ref-1", amount="10.00")
    # A quarter: 10, 12.5 -> 13, 20, 12.5 -> 13.
    assert {
        e["program_id"]: (e["points_clawed_back"], e["balance"]) for e in quarter["loyalty"]
    } == {
        "prop": (10, 30),
        "fixed": (13, 37),
        "mult": (20, 60),
        "capped": (13, 37),
    }
    rest = refund(api, "ord-1", "ref-2", amount="30.00")
    assert {e["program_id"]: e["points_clawed_back"] for e in rest["loyalty"]} == {
        "prop": 30,
        "fixed": 37,
        "mult": 60,
        "capped": 37,
    }
    for program in ("prop", "fixed", "mult", "capped"):
        assert points(api, program=program)["active"] == 0
        assert points(api, program=program)["lifetime_earned"] == 0
    # The multiplier program's two entries (the rule and the multiplier) went back together.
    mult = [t for t in transactions(api, program="mult") if t["type"] == "earn"]
    assert sorted((t["rule_id"], t["points"]) for t in mult) == [("double", 40), ("per-dollar", 40)]
    assert verify() == []


def test_tier_multiplied_points_are_settled_pro_rata_and_the_tier_stays(api: ApiClient) -> None:
    make_program(api, [])
    gold = {
        "id": "gold",
        "name": "Gold",
        "rank": 1,
        "qualify": {"metric": "points_earned", "threshold": 1, "window": "lifetime"},
    }
    assert api.post("/programs/tea-club/tiers", gold).status_code == 201
    rule = {**ONE_PER_DOLLAR, "tier_multipliers": {"gold": "1.5"}}
    assert api.post("/programs/tea-club/earning-rules", rule).status_code == 201
    assert effect_of(place(api, order("ord-1", total="1.00")))["tier"] == "gold"
    assert effect_of(place(api, order("ord-2", total="40.00")))["points_earned"] == 60
    claws = [
        effect_of(refund(api, "ord-2", f"ref-{n}", amount=amount))["points_clawed_back"]
        for n, amount in enumerate(["10.00", "15.00", "15.00"])
    ]
    # Cumulative shares 1/4, 5/8, 1 of 60: 15, 37.5 -> 38, 60.
    assert claws == [15, 23, 22]
    assert points(api)["active"] == 1
    assert loyalty(api)["tier"]["id"] == "gold", "a tier reached is kept until the review"
    assert verify() == []


# ------------------------------------------------------------------ ids of several sources


def test_a_refund_named_like_another_order_settles_only_its_own_order(api: ApiClient) -> None:
    """Entries are keyed by (source type, source id): a refund whose id is another order's
    external id, or an event named like an order, must not mix their points."""
    event_rule = {
        "id": "review",
        "name": "Review",
        "trigger": {"type": "event", "event": "review_posted"},
        "effect": {"type": "fixed", "points": 25},
    }
    make_program(api, [ONE_PER_DOLLAR, event_rule])
    place(api, order("ord-0", total="300.00"))
    # Two orders paid wholly with 100 points each, from ord-0's lot.
    place(api, with_points("ord-a", "10.00", 100, "10.00"))
    place(api, with_points("ord-b", "10.00", 100, "10.00"))
    posted = {"id": "ord-b", "name": "review_posted", "customer_id": "cust-1"}
    assert api.post("/events", posted).data["loyalty"][0]["points_earned"] == 25
    assert points(api)["active"] == 125
    # ord-a is refunded in full by a refund whose id is "ord-b".
    got = effect_of(refund(api, "ord-a", "ord-b", amount="10.00"))
    assert (got["points_returned"], got["points_clawed_back"], got["balance"]) == (100, 0, 225)
    # ord-b is cancelled: its own 100 points come back too, and the event's 25 stay.
    cancelled = effect_of(api.post("/orders/ord-b/status", {"status": "cancelled"}).data)
    assert (cancelled["points_spent"], cancelled["points_returned"]) == (100, 100)
    assert cancelled["balance"] == 325
    assert lot_of("ord-0") == (300, 300)
    assert points(api)["active"] == 325
    # And the other way round: ord-a's stored effects count its refund, not ord-b's return.
    stored = effect_of(api.get("/orders/ord-a").data)
    assert (stored["points_spent"], stored["points_returned"]) == (100, 100)
    assert verify() == []


def test_a_refund_named_like_another_order_takes_back_its_own_points(api: ApiClient) -> None:
    make_program(api)
    place(api, order("ord-a", total="40.00"))
    place(api, order("ord-b", total="60.00"))
    refund(api, "ord-a", "ord-b", amount="20.00")  # half of ord-a: 20
    assert points(api)["active"] == 80
    api.post("/orders/ord-b/status", {"status": "cancelled"})
    assert points(api)["active"] == 20, "ord-b's 60 go, ord-a keeps its other half"
    refund(api, "ord-a", "ref-2", amount="20.00")
    assert points(api)["active"] == 0
    assert lot_of("ord-a") == (40, 0)
    assert lot_of("ord-b") == (60, 0)
    assert verify() == []


def test_a_paused_program_still_settles_refunds_and_cancellations(api: ApiClient) -> None:
    make_program(api)
    place(api, order("ord-1", total="300.00"))
    place(api, with_points("ord-2", "100.00", 200, "10.00"))
    assert api.patch("/programs/tea-club", {"status": "paused"}).status_code == 200
    got = effect_of(refund(api, "ord-2", "ref-1", amount="50.00"))
    assert (got["points_clawed_back"], got["points_returned"], got["balance"]) == (45, 100, 245)
    cancelled = effect_of(api.post("/orders/ord-2/status", {"status": "cancelled"}).data)
    assert (cancelled["points_clawed_back"], cancelled["points_returned"]) == (90, 200)
    assert points(api)["active"] == 300
    assert verify() == []
