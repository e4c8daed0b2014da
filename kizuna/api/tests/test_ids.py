"""Ids that look the same are the same id: every way in normalizes them to NFC, and the rule
refuses what cannot be seen or would change a URL's meaning, for every kind of id and every way
in (body, path, query, file). An encoded slash in a path id, and two Idempotency-Key headers,
are refused."""

import unicodedata
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_order
from kizuna.api.tests.support import assert_error, snapshot
from kizuna.core.ids import (
    EXTERNAL_ID_PATTERN,
    external_id_pattern,
    is_external_id,
    normalize_id,
)
from kizuna.customers.models import Customer
from kizuna.customers.tasks import process_customer_import

pytestmark = pytest.mark.django_db

NFD = unicodedata.normalize("NFD", "café-ガ")  # 'e' + U+0301, 'カ' + U+3099
NFC = unicodedata.normalize("NFC", NFD)

INVISIBLE = {
    "dot": ".",
    "dot-dot": "..",
    "zero-width-space": "a\u200bb",
    "zero-width-joiner": "a\u200db",
    "word-joiner": "a\u2060b",
    "bom": "\ufeffa",
    "soft-hyphen": "a\u00adb",
    "rtl-override": "a\u202eb",
    "rtl-isolate": "a\u2067b",
    "arabic-letter-mark": "a\u061cb",
    "line-separator": "a\u2028b",
    "nbsp": "a\u00a0b",
    "ideographic-space": "a\u3000b",
    "hangul-filler": "a\u3164b",
    "variation-selector": "a\ufe0fb",
    "tag-character": "a\U000e0041b",
    "control": "a\x01b",
    "delete": "a\x7fb",
    "c1-control": "a\x85b",
    "noncharacter": "a\ufffeb",
}
ACCEPTED = ["...", "a.b", ".a", "日本-1", "고객_7", "😀", "A:b@c+d~e", "x" * 128]


@pytest.mark.parametrize("value", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_the_rule_refuses_invisible_characters_and_dot_segments(value: str) -> None:
    assert not is_external_id(normalize_id(value))


@pytest.mark.parametrize("value", ACCEPTED)
def test_the_rule_accepts_visible_text_in_any_script(value: str) -> None:
    assert is_external_id(value)


def test_the_openapi_pattern_says_what_the_rule_says_for_every_bmp_character() -> None:
    import re

    pattern = re.compile(external_id_pattern())
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        value = "a" + chr(code)
        assert bool(pattern.fullmatch(value)) == is_external_id(normalize_id(value)), hex(code)
    assert not pattern.fullmatch(".") and not pattern.fullmatch("..")
    assert pattern.fullmatch("...")
    assert external_id_pattern() == EXTERNAL_ID_PATTERN  # as the OpenAPI document has it


# ---------------------------------------------------------------- refused at every way in


@pytest.mark.parametrize("value", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_every_kind_of_id_is_refused_with_its_field(api: Any, value: str) -> None:
    api.put("/customers/cust-1", {})
    assert api.post("/orders", sample_order(customer_id="cust-1")).status_code == 201
    before = snapshot()
    cases = [
        ("POST", "/customers", {"external_id": value}, "validation_error", "external_id"),
        ("POST", "/orders", sample_order(external_id=value), "validation_error", "external_id"),
        ("POST", "/orders", sample_order(customer_id=value), "validation_error", "customer_id"),
        (
            "POST",
            "/orders/ord-1/refunds",
            {"external_id": value, "amount": "1.00"},
            "validation_error",
            "external_id",
        ),
        (
            "POST",
            "/events",
            {"id": value, "name": "visit", "customer_id": "cust-1"},
            "validation_error",
            "id",
        ),
        (
            "POST",
            "/events",
            {"id": "e-1", "name": "visit", "customer_id": value},
            "validation_error",
            "customer_id",
        ),
    ]
    for method, path, body, code, field in cases:
        assert_error(api.request(method, path, body), 422, code, field)
    if value not in {".", ".."}:  # clients resolve dot segments before sending them
        response = api.put(f"/customers/{value}", {})
        assert_error(response, 422, "invalid_external_id", "customer_id")
    assert snapshot() == before


def test_an_import_row_with_an_invisible_id_is_rejected(api: Any) -> None:
    content = "external_id\nok-1\na\u200bb\n.\n".encode()
    response = api.client.post(
        "/api/v1/customers/import", {"file": SimpleUploadedFile("c.csv", content)}
    )
    assert response.status_code == 202, response.content
    assert process_customer_import.call(int(response.json()["id"])) == "completed"
    report = api.get(f"/customers/imports/{response.json()['id']}").data
    assert [(e["row"], e["code"]) for e in report["errors"]] == [
        (3, "invalid_external_id"),
        (4, "invalid_external_id"),
    ]
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["ok-1"]


# ---------------------------------------------------------------- normalized at every way in


def test_ids_are_stored_in_nfc_and_found_in_any_normal_form(api: Any) -> None:
    assert NFD != NFC
    created = api.post("/customers", {"external_id": NFD, "first_name": "Ann"})
    assert created.status_code == 201, created.data
    assert created.data["external_id"] == NFC
    assert api.post("/customers", {"external_id": NFC}).data["code"] == "customer_exists"
    for form in (NFD, NFC):
        assert api.get(f"/customers/{form}").data["first_name"] == "Ann"
        assert api.patch(f"/customers/{form}", {"last_name": "Lee"}).status_code == 200
        assert api.put(f"/customers/{form}", {}).status_code == 200
    order = api.post("/orders", sample_order(external_id=NFD, customer_id=NFD))
    assert order.status_code == 201, order.data
    assert (order.data["external_id"], order.data["customer_id"]) == (NFC, NFC)
    assert api.get(f"/orders/{NFD}").data["external_id"] == NFC
    listed = api.get(f"/orders?customer_id={NFD}").data["data"]
    assert [o["external_id"] for o in listed] == [NFC]
    event = api.post("/events", {"id": NFD, "name": "visit", "customer_id": NFD})
    assert (event.data["id"], event.data["customer_id"]) == (NFC, NFC)
    assert list(Customer.objects.values_list("external_id", flat=True)) == [NFC]


def test_an_import_row_id_is_normalized(api: Any) -> None:
    api.put(f"/customers/{NFC}", {"first_name": "Ann"})
    content = f"external_id,last_name\n{NFD},Lee\n".encode()
    response = api.client.post(
        "/api/v1/customers/import", {"file": SimpleUploadedFile("c.csv", content)}
    )
    assert process_customer_import.call(int(response.json()["id"])) == "completed"
    assert list(Customer.objects.values_list("external_id", "last_name")) == [(NFC, "Lee")]


# ---------------------------------------------------------------- an encoded slash


@pytest.mark.parametrize(
    ("method", "raw", "field"),
    [
        ("GET", "/api/v1/customers/a%2Fb", "customer_id"),
        ("GET", "/api/v1/customers/a%2ftimeline", "customer_id"),
        ("PUT", "/api/v1/customers/a%2Fb", "customer_id"),
        ("GET", "/api/v1/customers/a%2Fb/timeline", "customer_id"),
        ("GET", "/api/v1/orders/o%2F1", "external_id"),
        ("POST", "/api/v1/orders/o%2F1/refunds", "external_id"),
    ],
)
def test_an_encoded_slash_in_a_path_id_is_422(api: Any, method: str, raw: str, field: str) -> None:
    """Django sees the decoded path (`/customers/a/b`); the server passes the path as sent
    (gunicorn's RAW_URI), which is what this test gives."""
    api.put("/customers/a", {})
    before = snapshot()
    decoded = raw.replace("%2F", "/").replace("%2f", "/")
    response = api.client.generic(
        method, decoded, b"{}", content_type="application/json", RAW_URI=raw
    )
    assert_error(response, 422, "invalid_external_id", field)
    assert snapshot() == before


def test_an_encoded_slash_outside_any_path_is_404(api: Any) -> None:
    response = api.client.get("/api/v1/nothing/a/b", RAW_URI="/api/v1/nothing/a%2Fb")
    assert_error(response, 404, "not_found")


# ---------------------------------------------------------------- Idempotency-Key


@pytest.mark.parametrize("key", ["k-1,k-2", "k-1, k-2", ","])
def test_two_idempotency_keys_are_refused(api: Any, key: str) -> None:
    """A header sent twice reaches the application as one value joined by a comma."""
    before = snapshot()
    response = api.post("/orders", sample_order(), **{"Idempotency-Key": key})
    error = assert_error(response, 422, "invalid_idempotency_key", "Idempotency-Key")
    assert "one Idempotency-Key" in error["message"]
    assert snapshot() == before
