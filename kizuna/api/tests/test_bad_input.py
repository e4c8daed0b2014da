# ruff: noqa: E501  (the table of cases reads best one case a line)
"""Bad input on every endpoint that writes: the status, the error code, the field at fault,
and that nothing at all changed."""

import json
from typing import Any

import pytest

from conftest import sample_order
from kizuna.api.tests.support import assert_error, snapshot

pytestmark = pytest.mark.django_db

BIG = "x" * 100_000  # 100 KB


def order(**overrides: Any) -> dict[str, Any]:
    """A valid new order (totals add up: 30 - 5 + 4 + 2 = 31)."""
    return sample_order(**{"external_id": "ord-new", "customer_id": "cust-new", **overrides})


def order_item(index: int, **overrides: Any) -> dict[str, Any]:
    body = order()
    body["items"][index].update(overrides)
    return body


def without(body: dict[str, Any], *path: Any) -> dict[str, Any]:
    node: Any = body
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return body


def refund(**overrides: Any) -> dict[str, Any]:
    return {"external_id": "ref-new", **overrides}


def event(**overrides: Any) -> dict[str, Any]:
    return {"id": "evt-new", "name": "store_visit", "customer_id": "cust-1", **overrides}


@pytest.fixture
def existing(api: Any) -> None:
    """cust-1 with a number attribute, and ord-1 (paid, 31.00 USD: TEA-1 x2, CUP-1 x1)."""
    response = api.put(
        "/customers/cust-1", {"email": "ann@example.com", "attributes": {"visits": 3}}
    )
    assert response.status_code == 201
    body = order(external_id="ord-1", customer_id="cust-1")
    assert api.post("/orders", body).status_code == 201


CUSTOMERS = "/customers"
CUSTOMER = "/customers/cust-1"
NEW_CUSTOMER = "/customers/cust-new"
ORDERS = "/orders"
STATUS = "/orders/ord-1/status"
REFUNDS = "/orders/ord-1/refunds"
EVENTS = "/events"

INVALID_UTF8 = b'{"first_name": "Ren\xe9"}'

# (id, method, path, body, status, code, field)
# fmt: off
CASES: list[tuple[str, str, str, Any, int, str, str | None]] = [
    # ---------------------------------------------------------------- POST /customers
    ("create-missing-id", "POST", CUSTOMERS, {"email": "a@example.com"}, 422, "required", "external_id"),
    ("create-id-number", "POST", CUSTOMERS, {"external_id": 42}, 422, "invalid_type", "external_id"),
    ("create-id-space", "POST", CUSTOMERS, {"external_id": "a b"}, 422, "validation_error", "external_id"),
    ("create-id-slash", "POST", CUSTOMERS, {"external_id": "a/b"}, 422, "validation_error", "external_id"),
    ("create-id-100kb", "POST", CUSTOMERS, {"external_id": BIG}, 422, "too_long", "external_id"),
    ("create-name-object", "POST", CUSTOMERS, {"external_id": "c-9", "first_name": {"a": 1}}, 422, "invalid_type", "first_name"),
    ("create-name-100kb", "POST", CUSTOMERS, {"external_id": "c-9", "first_name": BIG}, 422, "too_long", "first_name"),
    ("create-email", "POST", CUSTOMERS, {"external_id": "c-9", "email": "not-an-email"}, 422, "invalid_email", "email"),
    ("create-phone", "POST", CUSTOMERS, {"external_id": "c-9", "phone": "090-1234-5678"}, 422, "invalid_phone", "phone"),
    ("create-birthdate", "POST", CUSTOMERS, {"external_id": "c-9", "birthdate": "1990-02-30"}, 422, "invalid_type", "birthdate"),
    ("create-birthdate-number", "POST", CUSTOMERS, {"external_id": "c-9", "birthdate": 19900101}, 422, "invalid_type", "birthdate"),
    ("create-unknown-field", "POST", CUSTOMERS, {"external_id": "c-9", "nickname": "A"}, 422, "unknown_field", "nickname"),
    ("create-consent-naive-date", "POST", CUSTOMERS, {"external_id": "c-9", "consents": {"email_marketing": {"status": "granted", "updated_at": "2026-01-01T10:00:00"}}}, 422, "datetime_without_offset", "consents.email_marketing.updated_at"),
    ("create-consent-status", "POST", CUSTOMERS, {"external_id": "c-9", "consents": {"email_marketing": {"status": "yes"}}}, 422, "invalid_choice", "consents.email_marketing.status"),
    ("create-consent-channel", "POST", CUSTOMERS, {"external_id": "c-9", "consents": {"carrier_pigeon": {"status": "granted"}}}, 422, "unknown_consent_channel", "consents.carrier_pigeon"),
    ("create-attribute-list", "POST", CUSTOMERS, {"external_id": "c-9", "attributes": {"tags": ["a"]}}, 422, "invalid_attribute_value", "attributes.tags"),
    ("create-attribute-key-100kb", "POST", CUSTOMERS, {"external_id": "c-9", "attributes": {BIG: 1}}, 422, "too_long", f"attributes.{BIG}"),
    ("create-nul", "POST", CUSTOMERS, {"external_id": "c-9", "first_name": "A\u0000B"}, 422, "invalid_character", "first_name"),
    ("create-surrogate", "POST", CUSTOMERS, {"external_id": "c-9", "attributes": {"city": "\ud800"}}, 422, "invalid_character", "attributes.city"),
    ("create-utf8", "POST", CUSTOMERS, INVALID_UTF8, 400, "invalid_utf8", None),
    ("create-array", "POST", CUSTOMERS, [{"external_id": "c-9"}], 400, "malformed_json", None),
    # ---------------------------------------------------------------- PUT /customers/{id}
    ("put-id-in-body", "PUT", NEW_CUSTOMER, {"external_id": "cust-new"}, 422, "unknown_field", "external_id"),
    ("put-email-number", "PUT", NEW_CUSTOMER, {"email": 5}, 422, "invalid_type", "email"),
    ("put-last-name-100kb", "PUT", NEW_CUSTOMER, {"last_name": BIG}, 422, "too_long", "last_name"),
    ("put-timezone", "PUT", NEW_CUSTOMER, {"timezone": "Mars/Olympus"}, 422, "invalid_timezone", "timezone"),
    ("put-locale", "PUT", CUSTOMER, {"locale": "English!"}, 422, "invalid_locale", "locale"),
    ("put-attribute-type", "PUT", CUSTOMER, {"attributes": {"visits": "many"}}, 422, "attribute_type_mismatch", "attributes.visits"),
    ("put-attribute-name", "PUT", CUSTOMER, {"attributes": {"1st": True}}, 422, "invalid_attribute_name", "attributes.1st"),
    ("put-attributes-array", "PUT", CUSTOMER, {"attributes": ["visits"]}, 422, "invalid_type", "attributes"),
    ("put-path-id-space", "PUT", "/customers/a%20b", {"first_name": "A"}, 422, "invalid_external_id", "customer_id"),
    ("put-path-id-200", "PUT", "/customers/" + "y" * 200, {"first_name": "A"}, 422, "invalid_external_id", "customer_id"),
    ("put-utf8", "PUT", NEW_CUSTOMER, INVALID_UTF8, 400, "invalid_utf8", None),
    ("put-nul-key", "PUT", CUSTOMER, {"attributes": {"ci\u0000ty": "Tokyo"}}, 422, "invalid_character", "attributes"),
    # ---------------------------------------------------------------- PATCH /customers/{id}
    ("patch-name-number", "PATCH", CUSTOMER, {"first_name": 7}, 422, "invalid_type", "first_name"),
    ("patch-name-100kb", "PATCH", CUSTOMER, {"first_name": BIG}, 422, "too_long", "first_name"),
    ("patch-attribute-type", "PATCH", CUSTOMER, {"attributes": {"visits": True}}, 422, "attribute_type_mismatch", "attributes.visits"),
    ("patch-attribute-100kb", "PATCH", CUSTOMER, {"attributes": {"note": BIG}}, 422, "too_long", "attributes.note"),
    ("patch-unknown-field", "PATCH", CUSTOMER, {"vip": True}, 422, "unknown_field", "vip"),
    ("patch-email", "PATCH", CUSTOMER, {"email": "ann@"}, 422, "invalid_email", "email"),
    ("patch-consent-naive", "PATCH", CUSTOMER, {"consents": {"surveys": {"status": "denied", "updated_at": "2026-01-01 10:00"}}}, 422, "datetime_without_offset", "consents.surveys.updated_at"),
    ("patch-utf8", "PATCH", CUSTOMER, INVALID_UTF8, 400, "invalid_utf8", None),
    ("patch-string", "PATCH", CUSTOMER, "Ann", 400, "malformed_json", None),
    # ---------------------------------------------------------------- POST /orders
    ("order-quantity-string", "POST", ORDERS, order_item(0, quantity="2"), 422, "invalid_type", "items[0].quantity"),
    ("order-quantity-float", "POST", ORDERS, order_item(1, quantity=1.5), 422, "invalid_type", "items[1].quantity"),
    ("order-quantity-bool", "POST", ORDERS, order_item(0, quantity=True), 422, "invalid_type", "items[0].quantity"),
    ("order-quantity-negative", "POST", ORDERS, order_item(0, quantity=-2), 422, "out_of_range", "items[0].quantity"),
    ("order-quantity-zero", "POST", ORDERS, order_item(1, quantity=0), 422, "out_of_range", "items[1].quantity"),
    ("order-quantity-huge", "POST", ORDERS, order_item(0, quantity=10**12), 422, "out_of_range", "items[0].quantity"),
    ("order-quantity-missing", "POST", ORDERS, without(order(), "items", 1, "quantity"), 422, "required", "items[1].quantity"),
    ("order-total-number", "POST", ORDERS, order(total=31), 422, "invalid_type", "total"),
    ("order-total-float", "POST", ORDERS, order(total=31.0), 422, "invalid_type", "total"),
    ("order-unit-price-number", "POST", ORDERS, order_item(0, unit_price=10), 422, "invalid_type", "items[0].unit_price"),
    ("order-total-negative", "POST", ORDERS, order(total="-31.00"), 422, "validation_error", "total"),
    ("order-unit-price-negative", "POST", ORDERS, order_item(1, unit_price="-10.00"), 422, "validation_error", "items[1].unit_price"),
    ("order-discount-negative", "POST", ORDERS, order(discount_total="-5.00"), 422, "validation_error", "discount_total"),
    ("order-total-words", "POST", ORDERS, order(total="thirty-one"), 422, "validation_error", "total"),
    ("order-total-exponent", "POST", ORDERS, order(total="3.1e1"), 422, "validation_error", "total"),
    ("order-too-many-decimals", "POST", ORDERS, order(total="31.001", tax_total="2.001"), 422, "too_many_decimal_places", "total"),
    ("order-jpy-decimals", "POST", ORDERS, order(currency="JPY"), 422, "too_many_decimal_places", "total"),
    ("order-currency-unknown", "POST", ORDERS, order(currency="XYZ"), 422, "invalid_currency", "currency"),
    ("order-currency-lowercase", "POST", ORDERS, order(currency="usd"), 422, "invalid_currency", "currency"),
    ("order-currency-long", "POST", ORDERS, order(currency="EURO"), 422, "too_long", "currency"),
    ("order-currency-missing", "POST", ORDERS, without(order(), "currency"), 422, "required", "currency"),
    ("order-total-mismatch", "POST", ORDERS, order(total="30.00"), 422, "totals_mismatch", "total"),
    ("order-subtotal-mismatch", "POST", ORDERS, order(subtotal="29.00", total="30.00"), 422, "totals_mismatch", "subtotal"),
    ("order-discount-over", "POST", ORDERS, order(discount_total="40.00", total="0.00"), 422, "totals_mismatch", "discount_total"),
    ("order-customer-object", "POST", ORDERS, order(customer_id={"id": "cust-1"}), 422, "invalid_type", "customer_id"),
    ("order-sku-object", "POST", ORDERS, order_item(1, sku={"code": "CUP-1"}), 422, "invalid_type", "items[1].sku"),
    ("order-items-object", "POST", ORDERS, order(items={"sku": "TEA-1"}), 422, "invalid_type", "items"),
    ("order-external-id-missing", "POST", ORDERS, without(order(), "external_id"), 422, "required", "external_id"),
    ("order-external-id-100kb", "POST", ORDERS, order(external_id=BIG), 422, "too_long", "external_id"),
    ("order-location-100kb", "POST", ORDERS, order(location=BIG), 422, "too_long", "location"),
    ("order-item-name-100kb", "POST", ORDERS, order_item(0, name=BIG), 422, "too_long", "items[0].name"),
    ("order-metadata-100kb", "POST", ORDERS, order(metadata={"note": BIG}), 422, "too_large", "metadata"),
    ("order-metadata-list", "POST", ORDERS, order(metadata=["a"]), 422, "invalid_type", "metadata"),
    ("order-naive-date", "POST", ORDERS, order(occurred_at="2026-03-01T10:00:00"), 422, "datetime_without_offset", "occurred_at"),
    ("order-date-only", "POST", ORDERS, order(occurred_at="2026-03-01"), 422, "datetime_without_offset", "occurred_at"),
    ("order-future", "POST", ORDERS, order(occurred_at="2099-01-01T00:00:00Z"), 422, "occurred_in_future", "occurred_at"),
    ("order-status", "POST", ORDERS, order(status="shipped"), 422, "invalid_choice", "status"),
    ("order-channel", "POST", ORDERS, order(channel="fax"), 422, "invalid_choice", "channel"),
    ("order-unknown-field", "POST", ORDERS, order(coupon="SPRING"), 422, "unknown_field", "coupon"),
    ("order-item-unknown-field", "POST", ORDERS, order_item(1, colour="blue"), 422, "unknown_field", "items[1].colour"),
    ("order-new-customer-email", "POST", ORDERS, order(email="nobody@"), 422, "invalid_email", "email"),
    ("order-customer-id-space", "POST", ORDERS, order(customer_id="c 1"), 422, "validation_error", "customer_id"),
    ("order-metadata-nul", "POST", ORDERS, order(metadata={"note": "a\u0000b"}), 422, "invalid_character", "metadata.note"),
    ("order-item-surrogate", "POST", ORDERS, order_item(0, name="\udc00"), 422, "invalid_character", "items[0].name"),
    ("order-utf8", "POST", ORDERS, b'{"external_id": "\xc3\x28"}', 400, "invalid_utf8", None),
    ("order-array", "POST", ORDERS, [order()], 400, "malformed_json", None),
    ("order-truncated", "POST", ORDERS, json.dumps(order()).encode()[:-1], 400, "malformed_json", None),
    # ---------------------------------------------------------------- POST /orders/{id}/status
    ("status-unknown", "POST", STATUS, {"status": "shipped"}, 422, "invalid_choice", "status"),
    ("status-number", "POST", STATUS, {"status": 1}, 422, "invalid_choice", "status"),
    ("status-missing", "POST", STATUS, {}, 422, "required", "status"),
    ("status-100kb", "POST", STATUS, {"status": BIG}, 422, "invalid_choice", "status"),
    ("status-transition", "POST", STATUS, {"status": "pending"}, 422, "invalid_status_transition", "status"),
    ("status-unknown-field", "POST", STATUS, {"status": "cancelled", "reason": "x"}, 422, "unknown_field", "reason"),
    ("status-utf8", "POST", STATUS, b'{"status": "\xff"}', 400, "invalid_utf8", None),
    ("status-array", "POST", STATUS, ["cancelled"], 400, "malformed_json", None),
    # ---------------------------------------------------------------- POST /orders/{id}/refunds
    ("refund-both", "POST", REFUNDS, refund(amount="1.00", items=[{"sku": "TEA-1", "quantity": 1}]), 422, "refund_items_or_amount", "items"),
    ("refund-neither", "POST", REFUNDS, refund(), 422, "refund_items_or_amount", "amount"),
    ("refund-amount-number", "POST", REFUNDS, refund(amount=5), 422, "invalid_type", "amount"),
    ("refund-amount-negative", "POST", REFUNDS, refund(amount="-5.00"), 422, "validation_error", "amount"),
    ("refund-amount-zero", "POST", REFUNDS, refund(amount="0.00"), 422, "invalid_amount", "amount"),
    ("refund-amount-over-total", "POST", REFUNDS, refund(amount="31.01"), 422, "refund_exceeds_order", "amount"),
    ("refund-amount-decimals", "POST", REFUNDS, refund(amount="1.005"), 422, "too_many_decimal_places", "amount"),
    ("refund-currency-other", "POST", REFUNDS, refund(amount="1.00", currency="EUR"), 422, "currency_mismatch", "currency"),
    ("refund-currency-unknown", "POST", REFUNDS, refund(amount="1.00", currency="ZZZ"), 422, "currency_mismatch", "currency"),
    ("refund-quantity-string", "POST", REFUNDS, refund(items=[{"sku": "TEA-1", "quantity": "1"}]), 422, "invalid_type", "items[0].quantity"),
    ("refund-quantity-negative", "POST", REFUNDS, refund(items=[{"sku": "TEA-1", "quantity": -1}]), 422, "out_of_range", "items[0].quantity"),
    ("refund-quantity-over", "POST", REFUNDS, refund(items=[{"sku": "CUP-1", "quantity": 1}, {"sku": "TEA-1", "quantity": 3}]), 422, "refund_exceeds_order", "items[1].quantity"),
    ("refund-sku-unknown", "POST", REFUNDS, refund(items=[{"sku": "MUG-9", "quantity": 1}]), 422, "unknown_sku", "items[0].sku"),
    ("refund-sku-missing", "POST", REFUNDS, refund(items=[{"quantity": 1}]), 422, "required", "items[0].sku"),
    ("refund-items-empty", "POST", REFUNDS, refund(items=[]), 422, "list_too_short", "items"),
    ("refund-naive-date", "POST", REFUNDS, refund(amount="1.00", occurred_at="2026-03-02T10:00:00"), 422, "datetime_without_offset", "occurred_at"),
    ("refund-reason-100kb", "POST", REFUNDS, refund(amount="1.00", reason=BIG), 422, "too_long", "reason"),
    ("refund-id-missing", "POST", REFUNDS, {"amount": "1.00"}, 422, "required", "external_id"),
    ("refund-unknown-field", "POST", REFUNDS, refund(amount="1.00", note="x"), 422, "unknown_field", "note"),
    ("refund-utf8", "POST", REFUNDS, b'{"external_id": "r\x80"}', 400, "invalid_utf8", None),
    # ---------------------------------------------------------------- POST /events
    ("event-name-invalid", "POST", EVENTS, event(name="1st visit"), 422, "invalid_event_name", "name"),
    ("event-name-100kb", "POST", EVENTS, event(name=BIG), 422, "too_long", "name"),
    ("event-name-missing", "POST", EVENTS, without(event(), "name"), 422, "required", "name"),
    ("event-id-missing", "POST", EVENTS, without(event(), "id"), 422, "required", "id"),
    ("event-customer-number", "POST", EVENTS, event(customer_id=1), 422, "invalid_type", "customer_id"),
    ("event-properties-list", "POST", EVENTS, event(properties=[1, 2]), 422, "invalid_type", "properties"),
    ("event-properties-100kb", "POST", EVENTS, event(properties={"blob": BIG}), 422, "too_large", "properties"),
    ("event-naive-date", "POST", EVENTS, event(occurred_at="2026-03-01T10:00:00.000"), 422, "datetime_without_offset", "occurred_at"),
    ("event-future", "POST", EVENTS, event(occurred_at="2099-03-01T10:00:00+09:00"), 422, "occurred_in_future", "occurred_at"),
    ("event-new-customer-email", "POST", EVENTS, event(customer_id="cust-new", email="x@"), 422, "invalid_email", "email"),
    ("event-unknown-field", "POST", EVENTS, event(value=5), 422, "unknown_field", "value"),
    ("event-nul-key", "POST", EVENTS, event(properties={"pa\u0000ge": "/"}), 422, "invalid_character", "properties"),
    ("event-utf8", "POST", EVENTS, b'{"id": "e\xed\xa0\x80"}', 400, "invalid_utf8", None),
    ("event-array", "POST", EVENTS, [event()], 400, "malformed_json", None),
]
# fmt: on


@pytest.mark.usefixtures("existing")
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "field"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_is_refused_and_changes_nothing(
    api: Any, method: str, path: str, body: Any, status: int, code: str, field: str | None
) -> None:
    before = snapshot()
    response = api.request(method, path, body)
    error = assert_error(response, status, code, field)
    if status == 422 and error["details"]:
        assert error["details"][0]["field"] == field
        assert error["details"][0]["code"] == code
    assert snapshot() == before


def test_every_writing_endpoint_is_in_the_matrix() -> None:
    covered = {(case[1], case[2]) for case in CASES}
    assert {
        ("POST", CUSTOMERS),
        ("PUT", NEW_CUSTOMER),
        ("PUT", CUSTOMER),
        ("PATCH", CUSTOMER),
        ("POST", ORDERS),
        ("POST", STATUS),
        ("POST", REFUNDS),
        ("POST", EVENTS),
    } <= covered


@pytest.mark.usefixtures("existing")
def test_the_valid_bodies_of_the_matrix_are_accepted(api: Any) -> None:
    """The matrix's bodies differ from these in one way each, so each refusal is for the
    reason the case names."""
    assert api.post(ORDERS, order()).status_code == 201
    assert api.post(REFUNDS, refund(amount="1.00")).status_code == 201
    assert api.post(EVENTS, event()).status_code == 201
    assert (
        api.patch(CUSTOMER, {"first_name": "Ann", "attributes": {"visits": 4}}).status_code == 200
    )
    assert api.put(NEW_CUSTOMER, {"last_name": "Sato", "timezone": "Asia/Tokyo"}).status_code == 200
    assert api.post(CUSTOMERS, {"external_id": "c-9", "email": "a@example.com"}).status_code == 201
    assert api.post(STATUS, {"status": "cancelled"}).status_code == 200


def test_many_problems_are_all_listed(api: Any) -> None:
    body = order(total=31, channel="fax", coupon="X")
    body["items"][0]["quantity"] = "2"
    response = api.post(ORDERS, body)
    error = assert_error(response, 422, "invalid_type", "total")
    assert [(d["field"], d["code"]) for d in error["details"]] == [
        ("total", "invalid_type"),
        ("channel", "invalid_choice"),
        ("items[0].quantity", "invalid_type"),
        ("coupon", "unknown_field"),
    ]


@pytest.mark.usefixtures("existing")
@pytest.mark.parametrize(
    ("path", "status", "code", "field"),
    [
        ("/customers?q=a%00b", 422, "invalid_character", "q"),
        ("/orders?customer_id=%00", 422, "invalid_character", "customer_id"),
        ("/customers/cust%001", 404, "not_found", None),
        ("/orders/ord%001", 404, "not_found", None),
        ("/customers?limit=abc", 422, "invalid_type", "limit"),
        ("/customers?limit=0", 422, "invalid_limit", "limit"),
        ("/customers?limit=501", 422, "invalid_limit", "limit"),
        ("/customers?cursor=not-a-cursor", 422, "invalid_cursor", "cursor"),
        ("/customers?q=" + "x" * 201, 422, "too_long", "q"),
    ],
)
def test_bad_query_and_path_values(
    api: Any, path: str, status: int, code: str, field: str | None
) -> None:
    before = snapshot()
    assert_error(api.get(path), status, code, field)
    assert snapshot() == before
