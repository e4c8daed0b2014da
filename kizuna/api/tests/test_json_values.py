"""Every JSON value is checked for what both databases can store before it reaches one:
numbers that overflow to infinity, NUL and lone surrogates, nesting, and repeated keys, at any
depth of any body."""

import json
from typing import Any

import pytest

from conftest import sample_order
from kizuna.api.tests.support import assert_error, snapshot
from kizuna.core.jsonvalues import MAX_DEPTH

pytestmark = pytest.mark.django_db


def raw(body: dict[str, Any], **replacements: str) -> bytes:
    """The body as JSON text, with each placeholder string replaced by raw JSON text (numbers
    such as 1e400, which no Python float can be dumped as)."""
    text = json.dumps(body)
    for placeholder, value in replacements.items():
        text = text.replace(f'"{placeholder}"', value)
    return text.encode()


def order(**overrides: Any) -> dict[str, Any]:
    return sample_order(**{"external_id": "ord-json", "customer_id": "cust-json", **overrides})


def event(**overrides: Any) -> dict[str, Any]:
    return {"id": "evt-json", "name": "visit", "customer_id": "cust-json", **overrides}


OVERFLOWS = [
    ("POST", "/orders", order(metadata={"n": "BIG"}), "metadata.n"),
    ("POST", "/orders", order(metadata={"a": {"b": ["x", "BIG"]}}), "metadata.a.b[1]"),
    ("POST", "/orders", order(metadata={"a": [[{"c": "BIG"}]]}), "metadata.a[0][0].c"),
    ("POST", "/events", event(properties={"n": "BIG"}), "properties.n"),
    ("POST", "/events", event(properties={"deep": {"er": {"n": "BIG"}}}), "properties.deep.er.n"),
    ("PUT", "/customers/cust-json", {"attributes": {"score": "BIG"}}, "attributes.score"),
    ("POST", "/customers", {"external_id": "c-1", "attributes": {"n": "BIG"}}, "attributes.n"),
]


@pytest.mark.parametrize("number", ["1e400", "-1e400", "123456789e999"])
@pytest.mark.parametrize(
    ("method", "path", "body", "field"), OVERFLOWS, ids=[f"{c[1]} {c[3]}" for c in OVERFLOWS]
)
def test_a_number_that_overflows_is_422_with_its_field(
    api: Any, method: str, path: str, body: dict[str, Any], field: str, number: str
) -> None:
    before = snapshot()
    response = api.request(method, path, raw(body, BIG=number))
    assert_error(response, 422, "invalid_number", field)
    assert snapshot() == before


def test_large_finite_numbers_are_kept(api: Any) -> None:
    body = raw(order(metadata={"big": "BIG", "small": "SMALL", "int": "INT"}), BIG="1.5e308")
    body = body.replace(b'"SMALL"', b"1e-400").replace(b'"INT"', b"1" + b"0" * 40)
    response = api.post("/orders", body)
    assert response.status_code == 201, response.data
    assert response.data["metadata"] == {"big": 1.5e308, "small": 0.0, "int": 10**40}
    stored = api.get("/orders/ord-json").data["metadata"]
    # jsonb keeps numbers as decimals: 1.5e308 may come back written out as an integer.
    assert (float(stored["big"]), stored["small"], stored["int"]) == (1.5e308, 0.0, 10**40)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (order(metadata={"a": [{"b": "x\u0000y"}]}), "metadata.a[0].b"),
        (order(metadata={"a": {"k\u0000": 1}}), "metadata.a"),
        (order(items=[{**order()["items"][0], "name": "\ud83d"}]), "items[0].name"),
    ],
)
def test_nul_and_lone_surrogates_are_refused_at_any_depth(
    api: Any, body: dict[str, Any], field: str
) -> None:
    assert_error(api.post("/orders", body), 422, "invalid_character", field)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def test_nesting_is_bounded(api: Any) -> None:
    # The body itself is the first level.
    ok = api.post("/orders", order(metadata=nested(MAX_DEPTH - 1)))
    assert ok.status_code == 201, ok.data
    response = api.post("/orders", order(external_id="ord-deep", metadata=nested(MAX_DEPTH)))
    error = assert_error(response, 422, "too_deep", "metadata" + ".a" * (MAX_DEPTH - 1))
    assert str(MAX_DEPTH) in error["message"]


def test_nesting_deeper_than_the_parser_recurses_is_refused(api: Any) -> None:
    body = b'{"metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    error = assert_error(api.post("/orders", body), 400, "malformed_request", None)
    assert "nested too deeply" in error["message"]


TWICE = [
    (b'{"external_id": "c-1", "external_id": "c-2"}', "external_id"),
    (b'{"external_id": "c-1", "attributes": {"tier": "a", "tier": "b"}}', "attributes.tier"),
    (
        b'{"external_id": "c-1", "consents": {"sms": {"status": "granted", "status": "denied"}}}',
        "consents.sms.status",
    ),
]


@pytest.mark.parametrize(("body", "field"), TWICE, ids=[c[1] for c in TWICE])
def test_a_key_sent_twice_is_400(api: Any, body: bytes, field: str) -> None:
    before = snapshot()
    error = assert_error(api.post("/customers", body), 400, "duplicate_key", field)
    assert field.rsplit(".", 1)[-1] in error["message"]
    assert snapshot() == before


def test_a_key_sent_twice_in_an_order_item_is_400(api: Any) -> None:
    text = json.dumps(order()).replace('"sku": "TEA-1"', '"sku": "TEA-1", "sku": "CUP-1"')
    assert_error(api.post("/orders", text.encode()), 400, "duplicate_key", "items[0].sku")
