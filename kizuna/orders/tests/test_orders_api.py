"""Orders, status changes and refunds through the HTTP API."""

from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import Customer
from kizuna.orders.models import Order, OrderItem, Refund, RefundItem

pytestmark = pytest.mark.django_db


def outbox(workspace: NewWorkspace, type_: str) -> list[dict[str, Any]]:
    rows = OutboxEvent.objects.for_workspace(workspace.workspace).filter(type=type_)
    return [e.payload for e in rows.order_by("occurred_at", "pk")]


def assert_lines_add_up(refund: dict[str, Any]) -> None:
    """An item refund's lines add up exactly to its amount."""
    assert refund["items"], refund
    lines = sum((Decimal(item["amount"]) for item in refund["items"]), Decimal(0))
    assert lines == Decimal(refund["amount"]), refund


def no_tax_order(order_body: Any, **overrides: Any) -> dict[str, Any]:
    """USD 30.00 of goods, 5.00 off, nothing else: the customer paid 25.00."""
    body: dict[str, Any] = order_body(
        tax_total="0", shipping_total="0", discount_total="5.00", total="25.00"
    )
    body.update(overrides)
    return body


# ------------------------------------------------------------------ recording


def test_post_order_returns_201_with_items_and_no_loyalty(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    response = api.post("/orders", order_body(metadata={"cart": "abc"}, location="web"))

    assert response.status_code == 201
    body = response.data
    assert body == {
        "external_id": "ord-1",
        "customer_id": "cust-1",
        "status": "paid",
        "currency": "USD",
        "total": "31.00",
        "subtotal": "30.00",
        "discount_total": "5.00",
        "shipping_total": "4.00",
        "tax_total": "2.00",
        "prices_include_tax": False,
        "refunded_total": "0.00",
        "channel": "online",
        "location": "web",
        "occurred_at": "2026-03-01T01:00:00Z",
        "items": [
            {
                "sku": "TEA-1",
                "name": "Sencha",
                "category": "tea",
                "quantity": 2,
                "unit_price": "10.00",
                "refunded_quantity": 0,
            },
            {
                "sku": "CUP-1",
                "name": "Cup",
                "category": "ware",
                "quantity": 1,
                "unit_price": "10.00",
                "refunded_quantity": 0,
            },
        ],
        "refunds": [],
        "metadata": {"cart": "abc"},
        "payments": [],
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "loyalty": [],
    }
    assert outbox(workspace, "order.created") == [
        {
            "order_id": "ord-1",
            "customer_id": "cust-1",
            "status": "paid",
            "currency": "USD",
            "total": "31.00",
        }
    ]
    assert api.get("/orders/ord-1").data == body


def test_a_known_external_id_returns_the_stored_order(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    first = api.post("/orders", order_body())

    again = api.post("/orders", order_body(total="100.00", subtotal="99.00", items=[]))

    assert again.status_code == 200
    assert again.data == first.data
    assert Order.objects.for_workspace(workspace.workspace).count() == 1
    assert OrderItem.objects.count() == 2
    assert len(outbox(workspace, "order.created")) == 1
    assert len(api.get("/customers/cust-1/timeline").data["data"]) == 1


def test_the_same_external_id_in_another_workspace_is_another_order(
    api: Any, other_api: Any, order_body: Any
) -> None:
    api.post("/orders", order_body())

    response = other_api.post("/orders", order_body(total="36.00", discount_total="0.00"))

    assert response.status_code == 201
    assert response.data["total"] == "36.00"
    assert api.get("/orders/ord-1").data["total"] == "31.00"
    assert other_api.get("/customers/cust-1").status_code == 200


def test_an_unknown_customer_is_created_from_the_order(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    response = api.post("/orders", order_body(customer_id="new-1", email="New@Example.com"))

    assert response.status_code == 201
    customer = api.get("/customers/new-1").data
    assert customer["email"] == "new@example.com"
    assert outbox(workspace, "customer.created") == [{"customer_id": "new-1", "source": "order"}]


def test_an_order_does_not_change_a_known_customer(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    api.put("/customers/cust-1", {"email": "kept@example.com"})

    api.post("/orders", order_body(email="other@example.com"))

    assert api.get("/customers/cust-1").data["email"] == "kept@example.com"
    assert outbox(workspace, "customer.updated") == []


def test_an_invalid_email_for_a_new_customer_creates_nothing(api: Any, order_body: Any) -> None:
    response = api.post("/orders", order_body(customer_id="new-1", email="nope"))

    assert response.status_code == 422
    assert response.data["code"] == "invalid_email"
    assert response.data["field"] == "email"
    assert Customer.objects.count() == 0
    assert Order.objects.count() == 0


@pytest.mark.parametrize("missing", ["customer_id", "external_id", "currency", "total"])
def test_required_fields(api: Any, order_body: Any, missing: str) -> None:
    body = order_body()
    del body[missing]

    response = api.post("/orders", body)

    assert response.status_code == 422
    assert response.data["code"] == "required"
    assert response.data["field"] == missing
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def test_defaults_status_paid_channel_online_and_subtotal_from_totals(api: Any) -> None:
    response = api.post(
        "/orders",
        {
            "external_id": "o-min",
            "customer_id": "c-1",
            "currency": "USD",
            "total": "31.00",
            "discount_total": "5.00",
            "shipping_total": "4.00",
            "tax_total": "2.00",
            "occurred_at": "2026-03-01T00:00:00Z",
        },
    )

    assert response.status_code == 201
    assert response.data["status"] == "paid"
    assert response.data["channel"] == "online"
    assert response.data["subtotal"] == "30.00"
    assert response.data["items"] == []


# ------------------------------------------------------------------ totals


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"subtotal": "31.00", "total": "32.00"}, "totals_mismatch", "subtotal"),
        ({"total": "32.00"}, "totals_mismatch", "total"),
        ({"total": "30.99"}, "totals_mismatch", "total"),
        ({"tax_total": "0"}, "totals_mismatch", "total"),
        ({"prices_include_tax": True}, "totals_mismatch", "total"),
        ({"discount_total": "30.01", "total": "0"}, "totals_mismatch", "discount_total"),
        ({"total": "31.001"}, "too_many_decimal_places", "total"),
        ({"discount_total": "-1.00"}, "validation_error", "discount_total"),
        ({"currency": "usd"}, "invalid_currency", "currency"),
        ({"currency": "XXX"}, "invalid_currency", "currency"),
        ({"currency": "US"}, "too_short", "currency"),
        ({"status": "shipped"}, "invalid_choice", "status"),
        ({"channel": "phone"}, "invalid_choice", "channel"),
        ({"occurred_at": "2026-03-01T10:00:00"}, "datetime_without_offset", "occurred_at"),
        (
            {"items": [{"sku": "A", "quantity": 0, "unit_price": "1.00"}]},
            "out_of_range",
            "items[0].quantity",
        ),
        (
            {"items": [{"sku": "A", "quantity": "2", "unit_price": "1.00"}]},
            "invalid_type",
            "items[0].quantity",
        ),
        (
            {"items": [{"sku": "A", "quantity": 1, "unit_price": "1.005"}]},
            "too_many_decimal_places",
            "items[0].unit_price",
        ),
    ],
)
def test_totals_rules(
    api: Any, order_body: Any, overrides: dict[str, Any], code: str, field: str
) -> None:
    response = api.post("/orders", order_body(**overrides))

    assert response.status_code == 422
    assert response.data["code"] == code
    assert response.data["field"] == field
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def test_a_subtotal_too_large_to_store_is_422(api: Any, order_body: Any) -> None:
    big = "99999999999999"  # the largest amount; two of them do not fit a stored amount
    body = order_body(
        discount_total=big,
        shipping_total="0",
        tax_total="0",
        total=big,
        items=[{"sku": "A", "quantity": 2, "unit_price": big}],
    )
    del body["subtotal"]

    response = api.post("/orders", body)

    assert response.status_code == 422
    assert response.data["code"] == "amount_too_large"
    assert response.data["field"] == "items"
    assert Order.objects.count() == 0


def test_orders_dated_in_the_future_are_422(api: Any, order_body: Any) -> None:
    later = (now() + timedelta(hours=2)).isoformat()

    response = api.post("/orders", order_body(occurred_at=later))

    assert response.status_code == 422
    assert response.data["code"] == "occurred_in_future"
    assert response.data["field"] == "occurred_at"
    assert Order.objects.count() == 0


def test_amounts_with_fewer_decimals_are_normalised(api: Any, order_body: Any) -> None:
    response = api.post("/orders", order_body(total="31", shipping_total="4", tax_total="2.0"))

    assert response.status_code == 201
    assert (response.data["total"], response.data["shipping_total"]) == ("31.00", "4.00")
    assert response.data["tax_total"] == "2.00"


def test_prices_including_tax_leave_tax_out_of_the_total(api: Any, order_body: Any) -> None:
    response = api.post("/orders", order_body(prices_include_tax=True, total="29.00"))

    assert response.status_code == 201
    assert response.data["prices_include_tax"] is True
    assert response.data["tax_total"] == "2.00"
    assert response.data["total"] == "29.00"


def test_discount_equal_to_the_subtotal_is_allowed(api: Any, order_body: Any) -> None:
    response = api.post("/orders", order_body(discount_total="30.00", tax_total="0", total="4.00"))

    assert response.status_code == 201
    assert response.data["total"] == "4.00"


def test_jpy_has_no_minor_unit(api: Any, order_body: Any) -> None:
    items = [{"sku": "TEA-1", "quantity": 2, "unit_price": "1500"}]
    body = order_body(
        currency="JPY",
        items=items,
        subtotal="3000",
        discount_total="0",
        shipping_total="0",
        tax_total="0",
        total="3000",
    )
    assert api.post("/orders", body).data["total"] == "3000"

    cases: list[tuple[str, dict[str, Any]]] = [
        ("total", {"total": "3000.50"}),
        ("items[0].unit_price", {"items": [{**items[0], "unit_price": "1500.5"}]}),
        ("shipping_total", {"shipping_total": "0.5"}),
    ]
    for field, overrides in cases:
        response = api.post("/orders", {**body, "external_id": "jpy-bad", **overrides})
        assert response.status_code == 422, field
        assert response.data["code"] == "too_many_decimal_places"
        assert response.data["field"] == field
    assert Order.objects.count() == 1


def test_three_decimal_currencies(api: Any, order_body: Any) -> None:
    body = order_body(
        currency="KWD",
        items=[{"sku": "A", "quantity": 1, "unit_price": "1.250"}],
        subtotal="1.250",
        discount_total="0.125",
        shipping_total="0",
        tax_total="0",
        total="1.125",
    )

    response = api.post("/orders", body)

    assert response.status_code == 201
    assert response.data["total"] == "1.125"
    assert response.data["items"][0]["unit_price"] == "1.250"


# ------------------------------------------------------------------ status


@pytest.mark.parametrize(
    ("start", "target"),
    [("pending", "paid"), ("pending", "cancelled"), ("paid", "cancelled")],
)
def test_allowed_status_transitions(
    api: Any, workspace: NewWorkspace, order_body: Any, start: str, target: str
) -> None:
    api.post("/orders", order_body(status=start))

    response = api.post("/orders/ord-1/status", {"status": target})

    assert response.status_code == 200
    assert response.data["status"] == target
    assert api.get("/orders/ord-1").data["status"] == target
    assert outbox(workspace, "order.status_changed") == [
        {
            "order_id": "ord-1",
            "customer_id": "cust-1",
            "previous_status": start,
            "status": target,
        }
    ]


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (["cancelled"], "paid"),
        (["cancelled"], "pending"),
        (["paid"], "pending"),
        (["pending", "cancelled"], "paid"),
        (["pending", "paid"], "pending"),
    ],
)
def test_refused_status_transitions(
    api: Any, workspace: NewWorkspace, order_body: Any, path: list[str], target: str
) -> None:
    api.post("/orders", order_body(status=path[0]))
    for status in path[1:]:
        assert api.post("/orders/ord-1/status", {"status": status}).status_code == 200
    events_before = len(outbox(workspace, "order.status_changed"))

    response = api.post("/orders/ord-1/status", {"status": target})

    assert response.status_code == 422
    assert response.data["code"] == "invalid_status_transition"
    assert response.data["field"] == "status"
    assert api.get("/orders/ord-1").data["status"] == path[-1]
    assert len(outbox(workspace, "order.status_changed")) == events_before


@pytest.mark.parametrize("status", ["pending", "paid", "cancelled"])
def test_same_status_is_a_no_op(
    api: Any, workspace: NewWorkspace, order_body: Any, status: str
) -> None:
    created = api.post("/orders", order_body(status=status)).data

    response = api.post("/orders/ord-1/status", {"status": status})

    assert response.status_code == 200
    assert response.data == created
    assert outbox(workspace, "order.status_changed") == []


def test_status_of_unknown_order_is_404(api: Any, other_api: Any, order_body: Any) -> None:
    api.post("/orders", order_body(status="pending"))

    for client, path in [(api, "/orders/nope/status"), (other_api, "/orders/ord-1/status")]:
        response = client.post(path, {"status": "paid"})
        assert response.status_code == 404
        assert response.data["code"] == "order_not_found"
        assert response.data["field"] is None
    assert api.get("/orders/ord-1").data["status"] == "pending"


def test_invalid_status_value_is_422(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())

    response = api.post("/orders/ord-1/status", {"status": "refunded"})

    assert response.status_code == 422
    assert response.data["code"] == "invalid_choice"
    assert response.data["field"] == "status"


# ------------------------------------------------------------------ refunds


def test_refund_by_items_is_priced_after_the_discount(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    api.post("/orders", no_tax_order(order_body))

    response = api.post(
        "/orders/ord-1/refunds",
        {"external_id": "r-1", "items": [{"sku": "CUP-1", "quantity": 1}], "reason": "chipped"},
    )

    # 10.00 of a 30.00 basket that cost 25.00: 10 * 25 / 30 = 8.333... -> 8.33
    assert response.status_code == 201
    body = response.data
    assert body["external_id"] == "r-1"
    assert body["order_id"] == "ord-1"
    assert body["amount"] == "8.33"
    assert body["currency"] == "USD"
    assert body["reason"] == "chipped"
    assert body["items"] == [{"sku": "CUP-1", "quantity": 1, "amount": "8.33"}]
    assert_lines_add_up(body)
    assert body["loyalty"] == []
    order = api.get("/orders/ord-1").data
    assert order["refunded_total"] == "8.33"
    assert [i["refunded_quantity"] for i in order["items"]] == [0, 1]
    assert outbox(workspace, "order.refunded") == [
        {
            "order_id": "ord-1",
            "refund_id": "r-1",
            "customer_id": "cust-1",
            "currency": "USD",
            "amount": "8.33",
            "refunded_total": "8.33",
        }
    ]


def test_refund_by_items_includes_the_share_of_tax(api: Any, order_body: Any) -> None:
    # Goods cost 30.00 - 5.00 + 2.00 tax = 27.00 (shipping is not goods): 10.00 -> 9.00.
    api.post("/orders", order_body())

    response = api.post(
        "/orders/ord-1/refunds", {"external_id": "r-1", "items": [{"sku": "TEA-1", "quantity": 1}]}
    )

    assert response.data["amount"] == "9.00"
    assert_lines_add_up(response.data)


def test_refund_by_items_with_prices_including_tax(api: Any, order_body: Any) -> None:
    # Goods cost 30.00 - 5.00 = 25.00 (tax inside): 20.00 of goods -> 16.67.
    api.post("/orders", order_body(prices_include_tax=True, total="29.00"))

    response = api.post(
        "/orders/ord-1/refunds", {"external_id": "r-1", "items": [{"sku": "TEA-1", "quantity": 2}]}
    )

    assert response.data["amount"] == "16.67"
    assert response.data["items"] == [{"sku": "TEA-1", "quantity": 2, "amount": "16.67"}]
    assert_lines_add_up(response.data)


def test_refunding_every_unit_gives_back_exactly_what_was_paid(api: Any, order_body: Any) -> None:
    api.post("/orders", no_tax_order(order_body))

    refunds = [
        api.post(
            "/orders/ord-1/refunds",
            {"external_id": f"r-{sku}-{n}", "items": [{"sku": sku, "quantity": 1}]},
        ).data
        for sku, n in [("CUP-1", 1), ("TEA-1", 1), ("TEA-1", 2)]
    ]

    assert [refund["amount"] for refund in refunds] == ["8.33", "8.34", "8.33"]
    for refund in refunds:
        assert_lines_add_up(refund)
    order = api.get("/orders/ord-1").data
    assert order["refunded_total"] == "25.00"
    assert [i["refunded_quantity"] for i in order["items"]] == [2, 1]


def test_one_refund_of_several_lines_sums_its_lines(api: Any, order_body: Any) -> None:
    api.post("/orders", no_tax_order(order_body))

    response = api.post(
        "/orders/ord-1/refunds",
        {
            "external_id": "r-all",
            "items": [{"sku": "TEA-1", "quantity": 2}, {"sku": "CUP-1", "quantity": 1}],
        },
    )

    assert response.data["amount"] == "25.00"
    assert response.data["items"] == [
        {"sku": "TEA-1", "quantity": 2, "amount": "16.67"},
        {"sku": "CUP-1", "quantity": 1, "amount": "8.33"},
    ]
    assert_lines_add_up(response.data)
    assert RefundItem.objects.count() == 2


def test_shipping_is_refunded_by_amount(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    all_items = [{"sku": "TEA-1", "quantity": 2}, {"sku": "CUP-1", "quantity": 1}]
    assert (
        api.post("/orders/ord-1/refunds", {"external_id": "r-1", "items": all_items}).data["amount"]
        == "27.00"
    )

    over = api.post("/orders/ord-1/refunds", {"external_id": "r-2", "amount": "4.01"})
    rest = api.post("/orders/ord-1/refunds", {"external_id": "r-3", "amount": "4.00"})

    assert over.status_code == 422
    assert over.data["code"] == "refund_exceeds_order"
    assert over.data["field"] == "amount"
    assert rest.status_code == 201
    assert api.get("/orders/ord-1").data["refunded_total"] == "31.00"


def test_refund_by_amount(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())

    response = api.post(
        "/orders/ord-1/refunds",
        {
            "external_id": "r-1",
            "amount": "5.5",
            "currency": "USD",
            "occurred_at": "2026-03-02T00:00:00Z",
        },
    )

    assert response.status_code == 201
    assert response.data["amount"] == "5.50"
    assert response.data["items"] == []
    assert response.data["occurred_at"] == "2026-03-02T00:00:00Z"
    order = api.get("/orders/ord-1").data
    assert order["refunded_total"] == "5.50"
    assert [i["refunded_quantity"] for i in order["items"]] == [0, 0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"sku": "TEA-1", "quantity": 1}], "amount": "1.00"}, "items"),
        ({}, "amount"),
        ({"items": None, "amount": None}, "amount"),
    ],
)
def test_refund_needs_items_or_amount(
    api: Any, order_body: Any, body: dict[str, Any], field: str
) -> None:
    api.post("/orders", order_body())

    response = api.post("/orders/ord-1/refunds", {"external_id": "r-1", **body})

    assert response.status_code == 422
    assert response.data["code"] == "refund_items_or_amount"
    assert response.data["field"] == field
    assert Refund.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"items": [{"sku": "CUP-1", "quantity": 2}]}, "refund_exceeds_order", "items[0].quantity"),
        (
            {"items": [{"sku": "TEA-1", "quantity": 1}, {"sku": "TEA-1", "quantity": 2}]},
            "refund_exceeds_order",
            "items[1].quantity",
        ),
        ({"amount": "31.01"}, "refund_exceeds_order", "amount"),
        ({"items": [{"sku": "NOPE", "quantity": 1}]}, "unknown_sku", "items[0].sku"),
        ({"items": [{"sku": "TEA-1", "quantity": 0}]}, "out_of_range", "items[0].quantity"),
        ({"items": []}, "list_too_short", "items"),
        ({"amount": "0"}, "invalid_amount", "amount"),
        ({"amount": "1.001"}, "too_many_decimal_places", "amount"),
        ({"amount": "-1"}, "validation_error", "amount"),
        ({"amount": "1.00", "currency": "EUR"}, "currency_mismatch", "currency"),
    ],
)
def test_invalid_refunds(
    api: Any, order_body: Any, body: dict[str, Any], code: str, field: str
) -> None:
    api.post("/orders", order_body())

    response = api.post("/orders/ord-1/refunds", {"external_id": "r-1", **body})

    assert response.status_code == 422
    assert response.data["code"] == code
    assert response.data["field"] == field
    assert Refund.objects.count() == 0
    order = api.get("/orders/ord-1").data
    assert order["refunded_total"] == "0.00"
    assert [i["refunded_quantity"] for i in order["items"]] == [0, 0]


def test_refunds_cannot_exceed_what_is_left(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    api.post(
        "/orders/ord-1/refunds", {"external_id": "r-1", "items": [{"sku": "TEA-1", "quantity": 2}]}
    )
    api.post("/orders/ord-1/refunds", {"external_id": "r-2", "amount": "10.00"})

    too_many = api.post(
        "/orders/ord-1/refunds", {"external_id": "r-3", "items": [{"sku": "TEA-1", "quantity": 1}]}
    )
    too_much = api.post("/orders/ord-1/refunds", {"external_id": "r-4", "amount": "3.01"})
    last = api.post("/orders/ord-1/refunds", {"external_id": "r-5", "amount": "3.00"})

    assert (too_many.status_code, too_many.data["code"]) == (422, "refund_exceeds_order")
    assert too_many.data["field"] == "items[0].quantity"
    assert (too_much.status_code, too_much.data["code"]) == (422, "refund_exceeds_order")
    assert last.status_code == 201
    assert api.get("/orders/ord-1").data["refunded_total"] == "31.00"


def test_an_item_refund_is_capped_at_what_is_left(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "30.00"})

    response = api.post(
        "/orders/ord-1/refunds", {"external_id": "r-2", "items": [{"sku": "CUP-1", "quantity": 1}]}
    )

    assert response.status_code == 201
    assert response.data["amount"] == "1.00"
    assert response.data["items"] == [{"sku": "CUP-1", "quantity": 1, "amount": "1.00"}]
    assert_lines_add_up(response.data)
    assert RefundItem.objects.get().amount == Decimal("1.00")
    order = api.get("/orders/ord-1").data
    assert order["refunded_total"] == "31.00"
    assert [i["refunded_quantity"] for i in order["items"]] == [0, 1]


def test_a_capped_refund_of_several_lines_spreads_the_cap_over_them(
    api: Any, order_body: Any
) -> None:
    api.post("/orders", no_tax_order(order_body))  # the customer paid 25.00
    api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "20.00"})

    response = api.post(
        "/orders/ord-1/refunds",
        {
            "external_id": "r-2",
            "items": [{"sku": "TEA-1", "quantity": 2}, {"sku": "CUP-1", "quantity": 1}],
        },
    )

    # 16.67 + 8.33 of goods, 5.00 left: 16.67 * 5 / 25 = 3.334 -> 3.33, the rest 1.67.
    assert response.status_code == 201
    assert response.data["amount"] == "5.00"
    assert response.data["items"] == [
        {"sku": "TEA-1", "quantity": 2, "amount": "3.33"},
        {"sku": "CUP-1", "quantity": 1, "amount": "1.67"},
    ]
    assert_lines_add_up(response.data)
    refund = Refund.objects.get(external_id="r-2")
    assert sum(item.amount for item in refund.items.all()) == refund.amount
    order = api.get("/orders/ord-1").data
    assert order["refunded_total"] == "25.00"
    assert [i["refunded_quantity"] for i in order["items"]] == [2, 1]


@pytest.mark.parametrize("left", ["0.01", "0.02", "0.03", "1.00", "7.77"])
def test_capped_lines_always_add_up_to_the_refund(api: Any, order_body: Any, left: str) -> None:
    lines: list[dict[str, Any]] = [
        {"sku": f"SKU-{i}", "quantity": 1 + i % 3, "unit_price": f"{3 + i}.99"} for i in range(7)
    ]
    subtotal = sum((Decimal(line["unit_price"]) * line["quantity"] for line in lines), Decimal(0))
    api.post(
        "/orders",
        order_body(
            items=lines,
            subtotal=str(subtotal),
            discount_total="0",
            shipping_total="0",
            tax_total="0",
            total=str(subtotal),
        ),
    )
    api.post(
        "/orders/ord-1/refunds",
        {"external_id": "r-1", "amount": str(subtotal - Decimal(left))},
    )

    response = api.post(
        "/orders/ord-1/refunds",
        {"external_id": "r-2", "items": [{"sku": line["sku"], "quantity": 1} for line in lines]},
    )

    assert response.status_code == 201
    assert response.data["amount"] == left
    assert_lines_add_up(response.data)
    assert all(Decimal(item["amount"]) >= 0 for item in response.data["items"])
    assert api.get("/orders/ord-1").data["refunded_total"] == str(subtotal)


def test_an_item_refund_of_a_fully_refunded_order_is_422(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "31.00"})

    response = api.post(
        "/orders/ord-1/refunds", {"external_id": "r-2", "items": [{"sku": "CUP-1", "quantity": 1}]}
    )

    assert response.status_code == 422
    assert response.data["code"] == "refund_exceeds_order"
    assert response.data["field"] == "items"
    assert list(Refund.objects.values_list("external_id", flat=True)) == ["r-1"]
    assert RefundItem.objects.count() == 0
    order = api.get("/orders/ord-1").data
    assert order["refunded_total"] == "31.00"
    assert [i["refunded_quantity"] for i in order["items"]] == [0, 0]


@pytest.mark.parametrize("status", ["pending", "cancelled"])
def test_only_paid_orders_can_be_refunded(api: Any, order_body: Any, status: str) -> None:
    api.post("/orders", order_body(status=status))

    response = api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "1.00"})

    assert response.status_code == 422
    assert response.data["code"] == "order_not_paid"
    assert response.data["field"] is None  # the order's status, not an input
    assert Refund.objects.count() == 0


def test_refund_of_unknown_order_is_404(api: Any, other_api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())

    for client, path in [(api, "/orders/nope/refunds"), (other_api, "/orders/ord-1/refunds")]:
        response = client.post(path, {"external_id": "r-1", "amount": "1.00"})
        assert response.status_code == 404
        assert response.data["code"] == "order_not_found"
        # The address names the order; "external_id" would be the body's refund id.
        assert response.data["field"] is None
    assert Refund.objects.count() == 0


def test_a_repeated_refund_returns_the_stored_one_without_double_counting(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    api.post("/orders", no_tax_order(order_body))
    body = {"external_id": "r-1", "items": [{"sku": "TEA-1", "quantity": 1}]}
    first = api.post("/orders/ord-1/refunds", body)

    again = api.post("/orders/ord-1/refunds", body)
    other_body = api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "2.00"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.data == first.data
    assert other_body.status_code == 200
    assert other_body.data == first.data
    assert Refund.objects.count() == 1
    order = api.get("/orders/ord-1").data
    assert order["refunded_total"] == "8.33"
    assert [i["refunded_quantity"] for i in order["items"]] == [1, 0]
    assert len(outbox(workspace, "order.refunded")) == 1


def test_a_repeated_refund_after_cancellation_still_returns_it(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    first = api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "1.00"})
    api.post("/orders/ord-1/status", {"status": "cancelled"})

    again = api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "1.00"})

    assert again.status_code == 200
    assert again.data == first.data


def test_a_refund_id_of_another_order_is_a_conflict(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    api.post("/orders", order_body(external_id="ord-2"))
    api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "1.00"})

    response = api.post("/orders/ord-2/refunds", {"external_id": "r-1", "amount": "1.00"})

    assert response.status_code == 409
    assert response.data["code"] == "refund_conflict"
    assert response.data["field"] == "external_id"
    assert api.get("/orders/ord-2").data["refunded_total"] == "0.00"
    assert Refund.objects.count() == 1


def test_refund_ids_are_per_workspace(api: Any, other_api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    other_api.post("/orders", order_body())
    api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "1.00"})

    response = other_api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "2.00"})

    assert response.status_code == 201
    assert response.data["amount"] == "2.00"


# ------------------------------------------------------------------ reading


def test_get_order_shows_items_refunds_and_refunded_quantities(api: Any, order_body: Any) -> None:
    api.post("/orders", no_tax_order(order_body))
    api.post(
        "/orders/ord-1/refunds",
        {
            "external_id": "r-1",
            "items": [{"sku": "TEA-1", "quantity": 1}],
            "occurred_at": "2026-03-02T00:00:00Z",
        },
    )
    api.post(
        "/orders/ord-1/refunds",
        {"external_id": "r-2", "amount": "1.50", "occurred_at": "2026-03-03T00:00:00Z"},
    )

    body = api.get("/orders/ord-1").data

    assert body["refunded_total"] == "9.83"
    assert [(i["sku"], i["quantity"], i["refunded_quantity"]) for i in body["items"]] == [
        ("TEA-1", 2, 1),
        ("CUP-1", 1, 0),
    ]
    assert [
        (r["external_id"], r["amount"], r["items"], r["order_id"]) for r in body["refunds"]
    ] == [
        ("r-1", "8.33", [{"sku": "TEA-1", "quantity": 1, "amount": "8.33"}], "ord-1"),
        ("r-2", "1.50", [], "ord-1"),
    ]
    assert body["loyalty"] == []


def test_get_unknown_order_is_404(api: Any, other_api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())

    for client, path in [(api, "/orders/nope"), (other_api, "/orders/ord-1")]:
        response = client.get(path)
        assert response.status_code == 404
        assert response.data["code"] == "order_not_found"
        assert response.data["field"] is None


def test_list_orders_of_a_customer_newest_first_paginated(
    api: Any, other_api: Any, order_body: Any
) -> None:
    for external_id, customer_id, day in [
        ("o-old", "cust-1", "01"),
        ("o-new", "cust-1", "20"),
        ("o-other", "cust-2", "15"),
        ("o-mid", "cust-1", "10"),
        ("o-tie-a", "cust-1", "05"),
        ("o-tie-b", "cust-1", "05"),
    ]:
        body = order_body(
            external_id=external_id,
            customer_id=customer_id,
            occurred_at=f"2026-02-{day}T12:00:00+09:00",
        )
        assert api.post("/orders", body).status_code == 201
    other_api.post("/orders", order_body(external_id="o-foreign"))

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"customer_id": "cust-1", "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = api.get("/orders?" + urlencode(query))
        assert response.status_code == 200
        assert all(o["customer_id"] == "cust-1" for o in response.data["data"])
        seen += [o["external_id"] for o in response.data["data"]]
        pages += 1
        cursor = response.data["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen[:2] == ["o-new", "o-mid"]
    assert sorted(seen[2:4]) == ["o-tie-a", "o-tie-b"]  # same time: the id breaks the tie
    assert seen[4] == "o-old"
    assert len(seen) == 5
    everything = api.get("/orders").data
    assert [o["external_id"] for o in everything["data"]][:3] == ["o-new", "o-other", "o-mid"]
    assert len(everything["data"]) == 6
    assert api.get("/orders?customer_id=cust-2").data["data"][0]["external_id"] == "o-other"


def test_list_orders_of_an_unknown_customer_is_404(
    api: Any, other_api: Any, order_body: Any
) -> None:
    api.post("/orders", order_body())

    response = other_api.get("/orders?customer_id=cust-1")

    assert response.status_code == 404
    assert response.data["code"] == "customer_not_found"


def test_list_orders_limit_and_cursor_are_checked(api: Any) -> None:
    assert api.get("/orders?limit=501").data["code"] == "invalid_limit"
    assert api.get("/orders?cursor=abc").data["code"] == "invalid_cursor"


def test_stored_amounts_are_decimals(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())

    order = Order.objects.get()

    assert order.total == Decimal("31.00")
    assert order.refunded_total == Decimal("0")
