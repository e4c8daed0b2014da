"""`POST /validations`: the verdict per redeemable, the discounted totals, the stacking rules,
and that nothing changes (every table's rows before and after)."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.rewards.tests.checkout_support import (
    body,
    cart,
    make_campaign,
    make_codes,
    make_customer,
    make_gift_card,
    make_member,
    points_rate,
    state,
)

pytestmark = pytest.mark.django_db
__all__ = ["points_rate"]


@pytest.fixture
def shop(api: ApiClient, points_rate: None) -> ApiClient:
    make_member(api, "cust-1", points=5000)
    make_campaign(api, "ten")
    make_codes("ten", ["TEN-AAAA", "TEN-BBBB"])
    make_campaign(api, "five", discount={"type": "amount", "amount": "5.00", "currency": "USD"})
    make_codes("five", ["FIVE-AAAA"])
    make_gift_card(api, "GIFT-1", "50.00")
    return api


def validate(api: ApiClient, data: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = api.post("/validations", data)
    assert response.status_code == status, response.data
    return dict(response.data)


def test_a_voucher_points_and_a_gift_card_make_the_totals(shop: ApiClient) -> None:
    before = state()
    answer = validate(
        shop,
        body(
            [
                {"type": "voucher", "code": "ten-aaaa"},
                {"type": "points", "program_id": "club", "points": 500},
                {"type": "gift_card", "code": "GIFT-1", "amount": "5.00"},
            ]
        ),
    )
    assert answer["valid"] is True
    assert [
        (r["type"], r["status"], r["discount"], r["amount"]) for r in answer["redeemables"]
    ] == [
        ("voucher", "applicable", "6.00", "0.00"),
        ("points", "applicable", "0.00", "5.00"),
        ("gift_card", "applicable", "0.00", "5.00"),
    ]
    assert answer["redeemables"][1]["points"] == 500
    order = answer["order"]
    assert (order["total"], order["discount_total"], order["total_after_discounts"]) == (
        "64.00",
        "6.00",
        "58.00",
    )
    assert order["amount_due"] == "48.00"
    assert [(p["method"], p["amount"], p["points"]) for p in order["paid_with"]] == [
        ("points", "5.00", 500),
        ("gift_card", "5.00", 0),
    ]
    assert state() == before


def test_amounts_come_off_before_percentages_and_never_exceed_the_order(shop: ApiClient) -> None:
    answer = validate(
        shop,
        body([{"type": "voucher", "code": "TEN-AAAA"}, {"type": "voucher", "code": "FIVE-AAAA"}]),
    )
    # 5.00 off 60.00, then 10% of the 55.00 left.
    assert [r["discount"] for r in answer["redeemables"]] == ["5.50", "5.00"]
    assert answer["order"]["discount_total"] == "10.50"
    make_campaign(shop, "huge", discount={"type": "amount", "amount": "500.00", "currency": "USD"})
    make_codes("huge", ["HUGE-AAAA"])
    answer = validate(
        shop,
        body(
            [
                {"type": "voucher", "code": "HUGE-AAAA"},
                {"type": "gift_card", "code": "GIFT-1"},
                {"type": "points", "program_id": "club", "points": 5000},
            ]
        ),
    )
    assert answer["redeemables"][0]["discount"] == "60.00"  # the items, not the shipping
    assert answer["redeemables"][1]["amount"] == "4.00"  # what is left: the shipping
    assert answer["redeemables"][2]["reason"] == "conditions_not_met"  # nothing left to pay
    assert answer["valid"] is False
    assert answer["order"]["total_after_discounts"] == "4.00"
    assert answer["order"]["amount_due"] == "0.00"


def test_points_pay_what_is_left_and_spend_only_what_they_pay(shop: ApiClient) -> None:
    order = cart(
        total="7.00", shipping="0.00", items=[{"sku": "TEA-1", "quantity": 1, "unit_price": "7.00"}]
    )
    answer = validate(
        shop, body([{"type": "points", "program_id": "club", "points": 5000}], order=order)
    )
    assert answer["redeemables"][0]["amount"] == "7.00"
    assert answer["redeemables"][0]["points"] == 700


def test_every_reason(shop: ApiClient, api: ApiClient) -> None:
    make_campaign(api, "old", valid_from="2020-01-01T00:00:00Z", valid_until="2021-01-01T00:00:00Z")
    make_codes("old", ["OLD-AAAA"])
    make_campaign(api, "later", valid_from="2099-01-01T00:00:00Z")
    make_codes("later", ["LATER-AAAA"])
    make_campaign(api, "big", condition={"field": "order.total", "op": "gte", "value": "100.00"})
    make_codes("big", ["BIG-AAAA"])
    make_campaign(api, "yen", discount={"type": "amount", "amount": "500", "currency": "JPY"})
    make_codes("yen", ["YEN-AAAA"])
    make_customer(api, "cust-2")
    make_codes("ten", ["TEN-MINE"], customer="cust-2")
    make_gift_card(api, "GIFT-EUR", "50.00", currency="EUR")
    from kizuna.vouchers.models import Voucher

    Voucher.objects.filter(code="TEN-BBBB").update(uses=1)
    answer = validate(
        shop,
        body(
            [
                {"type": "voucher", "code": "NOPE-0000"},
                {"type": "voucher", "code": "OLD-AAAA"},
                {"type": "voucher", "code": "LATER-AAAA"},
                {"type": "voucher", "code": "TEN-BBBB"},
                {"type": "voucher", "code": "BIG-AAAA"},
                {"type": "voucher", "code": "YEN-AAAA"},
                {"type": "voucher", "code": "TEN-MINE"},
                {"type": "points", "program_id": "club", "points": 9999},
                {"type": "gift_card", "code": "GIFT-1", "amount": "80.00"},
                {"type": "gift_card", "code": "GIFT-EUR"},
                {"type": "points", "program_id": "nope", "points": 1},
            ],
            policy="partial",
        ),
    )
    assert [r["reason"] for r in answer["redeemables"]] == [
        "not_valid",
        "expired",
        "not_started",
        "usage_limit_reached",
        "conditions_not_met",
        "currency_mismatch",
        "not_valid",  # someone else's code: the same answer as an unknown one
        "insufficient_points",
        "insufficient_balance",
        "currency_mismatch",
        "not_valid",
    ]
    assert answer["valid"] is False  # partial, and none applies
    assert answer["order"]["discount_total"] == "0.00"


def test_the_stacking_rules(shop: ApiClient) -> None:
    two = [{"type": "voucher", "code": "TEN-AAAA"}, {"type": "voucher", "code": "FIVE-AAAA"}]
    same = [{"type": "voucher", "code": "TEN-AAAA"}, {"type": "voucher", "code": "ten-aaaa"}]
    answer = validate(shop, body(same))
    assert [r["reason"] for r in answer["redeemables"]] == [None, "not_stackable"]
    assert shop.get("/stacking-rules").data == {
        "max_redeemables": 5,
        "one_per_order": [],
        "never_together": [],
    }
    rules = {
        "max_redeemables": 2,
        "one_per_order": ["voucher"],
        "never_together": [["points", "gift_card"]],
    }
    assert shop.put("/stacking-rules", rules).data == rules
    assert shop.get("/stacking-rules").data == rules
    changed = AuditEntry.objects.get(action="stacking_rules.changed")
    assert changed.after == rules
    answer = validate(shop, body(two, policy="partial"))
    assert [r["reason"] for r in answer["redeemables"]] == [None, "not_stackable"]
    assert answer["valid"] is True
    assert answer["order"]["discount_total"] == "6.00"
    answer = validate(shop, body([*two, {"type": "gift_card", "code": "GIFT-1"}]))
    assert answer["valid"] is False
    mixed: list[dict[str, Any]] = [
        {"type": "gift_card", "code": "GIFT-1", "amount": "1.00"},
        {"type": "points", "program_id": "club", "points": 100},
    ]
    assert [r["reason"] for r in validate(shop, body(mixed))["redeemables"]] == [
        None,
        "not_stackable",
    ]
    rules = {"max_redeemables": 1}
    shop.put("/stacking-rules", rules)
    answer = validate(shop, body(mixed))
    assert [r["reason"] for r in answer["redeemables"]] == [None, "not_stackable"]


def test_bad_input_names_its_field_and_changes_nothing(shop: ApiClient) -> None:
    before = state()
    cases = [
        (body([{"type": "voucher"}]), 422, "required", "redeemables[0].code"),
        (
            body([{"type": "points", "program_id": "club"}]),
            422,
            "required",
            "redeemables[0].points",
        ),
        (
            body([{"type": "voucher", "code": "X"}], order=cart(total="1.00")),
            422,
            "totals_mismatch",
            "order.total",
        ),
        (
            body([{"type": "voucher", "code": "X"}], customer_id="ghost"),
            404,
            "customer_not_found",
            "customer_id",
        ),
        (body([]), 422, None, None),
        (body([{"type": "voucher", "code": "X"}], policy="some"), 422, None, None),
    ]
    for data, status, code, field in cases:
        response = shop.post("/validations", data)
        assert response.status_code == status, (data, response.data)
        if code:
            assert (response.data["code"], response.data["field"]) == (code, field), response.data
    bad_rules = shop.put("/stacking-rules", {"max_redeemables": 0})
    assert bad_rules.status_code == 422
    assert state() == before


def test_another_workspace_sees_nothing(shop: ApiClient, other_api: ApiClient) -> None:
    make_customer(other_api, "cust-1")
    answer = validate(
        other_api,
        body([{"type": "voucher", "code": "TEN-AAAA"}, {"type": "gift_card", "code": "GIFT-1"}]),
    )
    assert [r["reason"] for r in answer["redeemables"]] == ["not_valid", "not_valid"]
