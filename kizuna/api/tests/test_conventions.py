"""The conventions of API.md that every endpoint shares: the error body, request ids, the
OpenAPI document, and Idempotency-Key replay."""

import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated, Any, Literal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import connection, transaction
from django.test import Client, RequestFactory
from openapi_spec_validator import validate
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from conftest import postgres_only
from kizuna.accounts.models import ApiKey
from kizuna.accounts.services import NewWorkspace
from kizuna.api.errors import from_validation_errors, parsed_body, validation_details
from kizuna.api.parser import Utf8JsonRenderer
from kizuna.api.tests.support import (
    assert_error,
    error_of,
    fill_path,
    openapi_document,
    row_counts,
    server_operations,
    snapshot,
)
from kizuna.core import idempotency
from kizuna.core.clock import now
from kizuna.core.models import IdempotencyRecord
from kizuna.customers.models import Customer
from kizuna.customers.tasks import process_customer_import
from kizuna.orders.models import Order

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


# ---------------------------------------------------------------- 400


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"external_id": "ord-1",', "malformed_json"),
        (b"{'external_id': 'ord-1'}", "malformed_json"),
        (b'{"external_id": "caf\xe9"}', "invalid_utf8"),
        (b"\xff\xfe{}", "invalid_utf8"),
        (b"[]", "malformed_json"),
        (b'[{"external_id": "ord-1"}]', "malformed_json"),
        (b'"ord-1"', "malformed_json"),
        (b"42", "malformed_json"),
        (b"null", "malformed_json"),
        (b'{"total": NaN}', "malformed_json"),
        (b'{"total": Infinity}', "malformed_json"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed_request"),
        (b"   ", "empty_body"),
        (b"", "empty_body"),
    ],
    ids=[
        "truncated",
        "single-quotes",
        "latin1-byte",
        "utf16-bom",
        "empty-array",
        "array-of-objects",
        "string",
        "number",
        "null",
        "nan",
        "infinity",
        "nested-100k-deep",
        "blank",
        "empty",
    ],
)
def test_unreadable_body_is_400_and_writes_nothing(api: Any, body: bytes, code: str) -> None:
    before = snapshot()
    response = api.post("/orders", body)
    assert_error(response, 400, code)
    assert snapshot() == before


def test_400_message_says_what_is_wrong(api: Any) -> None:
    response = api.post("/customers", b'{"external_id": "caf\xe9"}')
    assert error_of(response)["message"] == "The body is not valid UTF-8 (byte 20)."
    response = api.post("/customers", b"[]")
    assert error_of(response)["message"] == "The body must be a JSON object."
    response = api.post("/customers", b"")
    assert error_of(response)["message"] == "The body is empty; send a JSON object."


# ---------------------------------------------------------------- 401 and 403


def test_401_without_a_key(anonymous_api: Any) -> None:
    response = anonymous_api.get("/customers")
    body = assert_error(response, 401, "not_authenticated")
    assert body["message"] == "Send an API key as 'Authorization: Bearer <key>'."
    assert response["WWW-Authenticate"] == 'Bearer realm="kizuna"'


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer sk_notarealkey0000000000000000000000000000",
        "Bearer pk_notarealkey0000000000000000000000000000",
        "Bearer " + "sk_" + "x" * 300,
        "Bearer not-a-kizuna-key",
        "Bearer ",
    ],
    ids=["unknown-sk", "unknown-pk", "overlong", "foreign-format", "empty-token"],
)
def test_401_with_a_bad_key(db: None, authorization: str) -> None:
    before = snapshot()
    response = Client(headers={"Authorization": authorization}).post(
        "/api/v1/customers", data={"external_id": "c-1"}, content_type="application/json"
    )
    assert_error(response, 401, "invalid_api_key")
    assert response["WWW-Authenticate"] == 'Bearer realm="kizuna"'
    assert snapshot() == before


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Token sk_abc", "sk_abc"], ids=str)
def test_401_with_another_scheme(workspace: NewWorkspace, authorization: str) -> None:
    response = Client(headers={"Authorization": authorization}).get("/api/v1/customers")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="kizuna"'


def test_the_server_key_in_another_scheme_is_not_accepted(workspace: NewWorkspace) -> None:
    response = Client(headers={"Authorization": f"Token {workspace.server_key}"}).get(
        "/api/v1/customers"
    )
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize(("method", "template"), server_operations(), ids=" ".join)
def test_403_for_a_publishable_key_on_every_server_operation(
    browser_api: Any, method: str, template: str
) -> None:
    before = snapshot()
    body: Any = {} if method in {"POST", "PUT", "PATCH"} else None
    response = browser_api.request(method, fill_path(template), body)
    error = assert_error(response, 403, "server_key_required")
    assert error["message"] == (
        "A publishable (pk_) key may not call this endpoint; use a server (sk_) key."
    )
    assert "WWW-Authenticate" not in response
    assert snapshot() == before


def test_server_operations_are_found_in_the_document() -> None:
    """Guards the test above: it must not pass by iterating over nothing."""
    found = set(server_operations())
    assert {
        ("POST", "/api/v1/customers"),
        ("GET", "/api/v1/customers"),
        ("PUT", "/api/v1/customers/{customer_id}"),
        ("PATCH", "/api/v1/customers/{customer_id}"),
        ("GET", "/api/v1/customers/{customer_id}/timeline"),
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/orders/{external_id}"),
        ("POST", "/api/v1/orders/{external_id}/status"),
        ("POST", "/api/v1/orders/{external_id}/refunds"),
        ("POST", "/api/v1/events"),
    } <= found


# ---------------------------------------------------------------- 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing",
        "/api/v1/nothing",
        "/api/v2/customers",
        "/api/v1/customers/cust-1/nothing",
        "/api/v1/orders/ord-1/refunds/r-1",
        "/api/v1/customers/",
        "/api/",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_404_for_unknown_paths_under_api(workspace: NewWorkspace, path: str, method: str) -> None:
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    response = client.generic(method, path, b"{}", content_type="application/json")
    body = assert_error(response, 404, "not_found")
    assert body["message"] == "Nothing exists at this address."
    assert HEX_ID.match(response["X-Request-Id"])


def test_404_outside_the_api_is_not_json(db: None) -> None:
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert HEX_ID.match(response["X-Request-Id"])


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "field"),
    [
        ("GET", "/customers/nobody", None, "customer_not_found", "customer_id"),
        ("PATCH", "/customers/nobody", {"first_name": "A"}, "customer_not_found", "customer_id"),
        ("GET", "/customers/nobody/timeline", None, "customer_not_found", "customer_id"),
        ("GET", "/orders?customer_id=nobody", None, "customer_not_found", "customer_id"),
        ("GET", "/orders/no-order", None, "order_not_found", None),
        ("POST", "/orders/no-order/status", {"status": "paid"}, "order_not_found", None),
        (
            "POST",
            "/orders/no-order/refunds",
            {"external_id": "r-1", "amount": "1.00"},
            "order_not_found",
            None,
        ),
    ],
)
def test_404_for_unknown_objects(
    api: Any, method: str, path: str, body: Any, code: str, field: str
) -> None:
    before = snapshot()
    response = api.request(method, path, body)
    assert_error(response, 404, code, field)
    assert snapshot() == before


# ---------------------------------------------------------------- 405


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/orders", {"GET", "POST"}),
        ("PUT", "/api/v1/orders", {"GET", "POST"}),
        ("PATCH", "/api/v1/customers", {"GET", "POST"}),
        ("DELETE", "/api/v1/customers/cust-1", {"GET", "PUT", "PATCH"}),
        ("POST", "/api/v1/customers/cust-1", {"GET", "PUT", "PATCH"}),
        ("PUT", "/api/v1/orders/ord-1", {"GET"}),
        ("GET", "/api/v1/orders/ord-1/refunds", {"POST"}),
        ("GET", "/api/v1/events", {"POST"}),
        ("OPTIONS", "/api/v1/events", {"POST"}),
    ],
)
def test_405_keeps_the_allow_header(
    workspace: NewWorkspace, method: str, path: str, allowed: set[str]
) -> None:
    before = snapshot()
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    response = client.generic(method, path, b"{}", content_type="application/json")
    body = assert_error(response, 405, "method_not_allowed")
    assert body["message"] == "This method is not allowed here."
    assert set(response["Allow"].split(", ")) == allowed
    # The headers the rest of the stack set survive the error body being filled in.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert snapshot() == before


# ---------------------------------------------------------------- 409, 413, 422


def test_409_names_the_conflict(api: Any) -> None:
    assert api.post("/customers", {"external_id": "c-1"}).status_code == 201
    before = snapshot()
    response = api.post("/customers", {"external_id": "c-1", "first_name": "Other"})
    body = assert_error(response, 409, "customer_exists", "external_id")
    assert body["message"] == "A customer with external_id 'c-1' exists already."
    assert snapshot() == before


def test_422_lists_every_problem_and_names_the_first(api: Any, order_body: Any) -> None:
    bad = order_body(currency="USD", total=31, channel="fax")
    bad["items"][1]["quantity"] = 0
    response = api.post("/orders", bad)
    body = assert_error(response, 422, "invalid_type", "total")
    assert body["message"] == "total: Input should be a valid string"
    assert body["details"] == [
        {"field": "total", "code": "invalid_type", "message": "Input should be a valid string"},
        {
            "field": "channel",
            "code": "invalid_choice",
            "message": "Input should be 'online', 'store' or 'app'",
        },
        {
            "field": "items[1].quantity",
            "code": "out_of_range",
            "message": "Input should be greater than or equal to 1",
        },
    ]
    assert row_counts()["Order"] == 0


def test_422_from_a_business_rule(api: Any, order_body: Any) -> None:
    response = api.post("/orders", order_body(total="32.00"))
    body = assert_error(response, 422, "totals_mismatch", "total")
    assert body["message"] == (
        "total 32.00 does not equal subtotal - discount_total + shipping_total + tax_total (31.00)."
    )
    assert body["details"] == []


@pytest.mark.parametrize("idempotency_key", [None, "big-body"])
def test_413_for_a_body_over_the_limit(
    api: Any, settings: Any, order_body: Any, idempotency_key: str | None
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    before = snapshot()
    body = order_body(location="x" * 150, metadata={"note": "y" * 4000})
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    response = api.post("/orders", body, **headers)
    body_out = assert_error(response, 413, "request_too_large")
    assert body_out["message"] == "The request body is too large."
    assert snapshot() == before


# ---------------------------------------------------------------- 500


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("presenter exploded: SECRET-INTERNAL-DETAIL")


def _fail_presenting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the response fail as it is written out: after the service's writes."""
    monkeypatch.setattr(Utf8JsonRenderer, "render", _boom)


FAILING_WRITES = [
    ("POST", "/orders", "order"),
    ("PUT", "/customers/cust-new", {"first_name": "Ann"}),
    ("PATCH", "/customers/cust-1", {"first_name": "Changed"}),
    ("POST", "/events", {"id": "e-1", "name": "visit", "customer_id": "c-9"}),
    ("POST", "/orders/ord-1/status", {"status": "cancelled"}),
    ("POST", "/orders/ord-1/refunds", {"external_id": "r-1", "amount": "5.00"}),
]


@pytest.mark.parametrize("idempotency_key", [None, "key-500"])
@pytest.mark.parametrize(("method", "path", "body"), FAILING_WRITES, ids=lambda v: str(v)[:20])
def test_500_hides_the_error_logs_it_and_writes_nothing(
    api: Any,
    order_body: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: Any,
    idempotency_key: str | None,
) -> None:
    assert api.post("/orders", order_body()).status_code == 201
    if body == "order":
        body = order_body(external_id="ord-2", customer_id="cust-2")
    before = snapshot()
    # The handler's service has done its writes by the time the response is written out;
    # the failure comes after them, so only the API layer's transaction can undo them.
    _fail_presenting(monkeypatch)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    with caplog.at_level(logging.ERROR, logger="kizuna.api"):
        response = api.request(method, path, body, **headers)
    error = assert_error(response, 500, "internal_error")
    assert error["message"] == "Something went wrong on our side; it has been logged."
    assert b"SECRET-INTERNAL-DETAIL" not in response.content
    assert b"Traceback" not in response.content
    assert b"RuntimeError" not in response.content
    records = [r for r in caplog.records if r.name == "kizuna.api"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert error["request_id"] in records[0].getMessage()
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is RuntimeError
    assert snapshot() == before  # nothing written, and the Idempotency-Key is free again


def test_after_a_500_the_same_idempotency_key_runs_afresh(
    api: Any, order_body: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_presenting(monkeypatch)
    response = api.post("/orders", order_body(), **{"Idempotency-Key": "retry-me"})
    assert response.status_code == 500
    monkeypatch.undo()
    response = api.post("/orders", order_body(), **{"Idempotency-Key": "retry-me"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert response.data["external_id"] == "ord-1"
    assert Order.objects.count() == 1


# ---------------------------------------------------------------- X-Request-Id


@pytest.mark.parametrize(
    "path", ["/api/v1/customers", "/api/v1/nothing", "/api/docs", "/api/openapi.json", "/"]
)
def test_every_response_has_a_request_id(workspace: NewWorkspace, path: str) -> None:
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    first = client.get(path)["X-Request-Id"]
    second = client.get(path)["X-Request-Id"]
    assert HEX_ID.match(first) and HEX_ID.match(second)
    assert first != second


@pytest.mark.parametrize(
    "sent", ["req-12345678", "8f14e45f-ceea-467f-a0c8-1234567890ab", "trace.a:b_c-" + "9" * 100]
)
def test_a_sane_client_request_id_is_echoed(api: Any, sent: str) -> None:
    response = api.get("/customers", **{"X-Request-Id": sent})
    assert response["X-Request-Id"] == sent
    response = api.get("/customers/nobody", **{"X-Request-Id": sent})
    assert response["X-Request-Id"] == sent
    assert error_of(response)["request_id"] == sent


@pytest.mark.parametrize(
    "sent",
    [
        "short",
        "has space 12345",
        "x" * 129,
        "semi;colon-1234",
        "<script>1234",
        "ünïcødé-1234",
        "abcdefgh\n",
        "abcdefgh\r\nSet-Cookie: a=b",
    ],
)
def test_an_unsafe_client_request_id_is_replaced(api: Any, sent: str) -> None:
    response = api.get("/customers/nobody", **{"X-Request-Id": sent})
    assert HEX_ID.match(response["X-Request-Id"])
    assert error_of(response)["request_id"] == response["X-Request-Id"]


# ---------------------------------------------------------------- OpenAPI and docs

# API.md's Customers (but import and export, being built), Orders and events sections.
REQUIRED_OPERATIONS = {
    ("POST", "/api/v1/customers"),
    ("GET", "/api/v1/customers"),
    ("PUT", "/api/v1/customers/{customer_id}"),
    ("GET", "/api/v1/customers/{customer_id}"),
    ("PATCH", "/api/v1/customers/{customer_id}"),
    ("GET", "/api/v1/customers/{customer_id}/timeline"),
    ("POST", "/api/v1/orders"),
    ("GET", "/api/v1/orders"),
    ("GET", "/api/v1/orders/{external_id}"),
    ("POST", "/api/v1/orders/{external_id}/status"),
    ("POST", "/api/v1/orders/{external_id}/refunds"),
    ("POST", "/api/v1/events"),
    ("POST", "/api/v1/customers/import"),
    ("GET", "/api/v1/customers/export"),
    ("GET", "/api/v1/customers/{customer_id}/data-export"),
    ("POST", "/api/v1/customers/{customer_id}/erase"),
}


def _served_document() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, methods in doc["paths"].items() for m in methods}


def test_openapi_document_is_valid_and_complete(db: None) -> None:
    doc = _served_document()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "Kizuna API"
    missing = REQUIRED_OPERATIONS - _documented(doc)
    assert not missing, f"API.md operations missing from the OpenAPI document: {missing}"


def test_openapi_documents_the_error_body_keys_and_idempotency(db: None) -> None:
    doc = _served_document()
    error_schema = doc["components"]["schemas"]["ErrorOut"]
    assert set(error_schema["required"]) == {"code", "message", "field", "details", "request_id"}
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ServerKey"]["type"] == "http"
    assert schemes["ServerKey"]["scheme"] == "bearer"
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            assert operation.get("security"), f"{where} has no security"
            for status in ("401", "403", "404", "422", "500"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, where
            names = [p["name"] for p in operation.get("parameters", [])]
            assert names.count("Idempotency-Key") == (1 if method == "post" else 0), where


def test_openapi_document_is_the_one_the_tests_check_against(db: None) -> None:
    assert _served_document()["paths"] == openapi_document()["paths"]


def test_docs_page_is_html(db: None) -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "<title>Kizuna API</title>" in content
    assert "/api/openapi.json" in content


# ---------------------------------------------------------------- Idempotency-Key


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_same_key_and_body_replays_the_stored_response(api: Any, order_body: Any) -> None:
    first = api.post("/orders", order_body(), **_key("order-ord-1"))
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    after_first = snapshot()
    for _ in range(2):
        again = api.post("/orders", order_body(), **_key("order-ord-1"))
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.content == first.content
        assert again["Content-Type"].startswith("application/json")
        assert again["X-Request-Id"] != first["X-Request-Id"]
    assert snapshot() == after_first
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.response_status) == ("order-ord-1", 201)
    # Without the key, the natural key (external_id) answers instead: 200, the stored order.
    plain = api.post("/orders", order_body())
    assert plain.status_code == 200
    assert "Idempotent-Replayed" not in plain
    assert Order.objects.count() == 1


def test_a_stored_error_is_replayed_too(api: Any, order_body: Any) -> None:
    first = api.post("/orders", order_body(total="1.00"), **_key("bad-total"))
    assert_error(first, 422, "totals_mismatch", "total")
    again = api.post("/orders", order_body(total="1.00"), **_key("bad-total"))
    assert again.status_code == 422
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/orders", {"total": "31.01"}),
        ("/orders", {"external_id": "ord-other"}),
        ("/events", None),
    ],
    ids=["other-total", "other-order", "other-endpoint"],
)
def test_same_key_with_another_request_is_422(
    api: Any, order_body: Any, path: str, body: dict[str, Any] | None
) -> None:
    assert api.post("/orders", order_body(), **_key("k-1")).status_code == 201
    before = snapshot()
    other = order_body(**body) if body else {"id": "e-1", "name": "visit", "customer_id": "c"}
    response = api.post(path, other, **_key("k-1"))
    body_out = assert_error(response, 422, "idempotency_key_reused", "Idempotency-Key")
    assert body_out["message"] == "This Idempotency-Key was already used with a different request."
    assert snapshot() == before


@contextmanager
def _key_held_elsewhere(workspace: NewWorkspace, key: str, *, dies: bool = False) -> Iterator[None]:
    """Another database session takes the key, as a request still running does; with `dies`
    its connection is then closed without a commit, as when its server is killed."""
    lock_id = idempotency.Key(workspace.workspace.pk, "server", key, "", "", "").lock_id
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
                taken.set()
                if not dies:
                    release.wait(30)
                    return
                connection.close()
        except Exception:
            if not dies:
                raise
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(30)
    if dies:
        holder.join(30)
    try:
        yield
    finally:
        release.set()
        holder.join(30)


@pytest.mark.parametrize("same_body", [True, False], ids=["retry", "other-body"])
@postgres_only
def test_a_request_while_the_first_is_running_is_409(
    api: Any, workspace: NewWorkspace, order_body: Any, same_body: bool
) -> None:
    """Whatever its body: the key is compared with the stored request once that one is done."""
    body = order_body() if same_body else order_body(total="1.00")
    before = snapshot()
    with _key_held_elsewhere(workspace, "running"):
        response = api.post("/orders", body, **_key("running"))
    error = assert_error(response, 409, "request_in_progress", "Idempotency-Key")
    assert error["message"] == (
        "A request with this Idempotency-Key is still in progress; retry later."
    )
    assert snapshot() == before


@postgres_only
def test_a_request_that_died_frees_its_key_for_the_retry_at_once(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    body = json.dumps(order_body()).encode()
    with _key_held_elsewhere(workspace, "crashed", dies=True):
        first = api.post("/orders", body, **_key("crashed"))
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    second = api.post("/orders", body, **_key("crashed"))
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert Order.objects.count() == 1
    assert IdempotencyRecord.objects.get().response_status == 201


def test_a_key_past_its_time_to_live_is_free_again(
    api: Any, settings: Any, order_body: Any
) -> None:
    settings.KIZUNA_IDEMPOTENCY_TTL_HOURS = 24
    assert api.post("/orders", order_body(), **_key("old-key")).status_code == 201
    IdempotencyRecord.objects.update(created_at=now() - timedelta(hours=24, seconds=1))
    other = order_body(external_id="ord-2")
    response = api.post("/orders", other, **_key("old-key"))
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert response.data["external_id"] == "ord-2"
    record = IdempotencyRecord.objects.get()
    assert record.created_at > now() - timedelta(minutes=1)
    assert bytes(record.response_body or b"") == response.content


def test_a_key_within_its_time_to_live_is_still_replayed(
    api: Any, settings: Any, order_body: Any
) -> None:
    settings.KIZUNA_IDEMPOTENCY_TTL_HOURS = 24
    first = api.post("/orders", order_body(), **_key("young-key"))
    IdempotencyRecord.objects.update(created_at=now() - timedelta(hours=23, minutes=59))
    again = api.post("/orders", order_body(), **_key("young-key"))
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content


def test_a_key_is_per_workspace(api: Any, other_api: Any, order_body: Any) -> None:
    ours = api.post("/orders", order_body(), **_key("shared-key"))
    theirs = other_api.post("/orders", order_body(), **_key("shared-key"))
    assert ours.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Order.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2
    # Another request with the key is fine in the other workspace, too.
    other = other_api.post("/orders", order_body(external_id="ord-b"), **_key("fresh-in-b"))
    assert other.status_code == 201
    again = api.post("/orders", order_body(external_id="ord-b"), **_key("fresh-in-b"))
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again


def test_a_refused_key_does_not_use_up_the_idempotency_key(
    workspace: NewWorkspace, browser_api: Any, api: Any, order_body: Any
) -> None:
    refused = browser_api.post("/orders", order_body(), **_key("fix-the-key"))
    assert_error(refused, 403, "server_key_required")
    assert IdempotencyRecord.objects.count() == 0
    accepted = api.post("/orders", order_body(), **_key("fix-the-key"))
    assert accepted.status_code == 201
    assert "Idempotent-Replayed" not in accepted
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("key", "ok"),
    [("k" * 255, True), ("k" * 256, False), ("", False), ("tab\there", False)],
    ids=["255-chars", "256-chars", "empty", "control-char"],
)
def test_idempotency_key_length_and_characters(
    api: Any, order_body: Any, key: str, ok: bool
) -> None:
    before = snapshot()
    response = api.post("/orders", order_body(), **_key(key))
    if ok:
        assert response.status_code == 201
        assert IdempotencyRecord.objects.get().key == key
        return
    error = assert_error(response, 422, "invalid_idempotency_key", "Idempotency-Key")
    assert error["message"] == "Idempotency-Key must be 1 to 255 printable characters."
    assert snapshot() == before


def _upload(rows: int) -> SimpleUploadedFile:
    lines = b"".join(f"c-{i},Name{i}\n".encode() for i in range(rows))
    return SimpleUploadedFile("people.csv", b"external_id,first_name\n" + lines, "text/csv")


def test_an_upload_larger_than_a_readable_body_can_carry_a_key(
    workspace: NewWorkspace, settings: Any
) -> None:
    """Uploads may be larger than a body may be read into memory; the key's fingerprint
    must not need to (a 413 here would refuse what the same request without a key takes)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client(
        headers={"Authorization": f"Bearer {workspace.server_key}", "Idempotency-Key": "imp-1"}
    )
    first = client.post("/api/v1/customers/import", {"file": _upload(300)})
    assert first.status_code == 202, first.content[:300]
    assert "Idempotent-Replayed" not in first
    process_customer_import.call(int(first.json()["id"]))  # what the worker runs
    assert Customer.objects.count() == 300
    again = client.post("/api/v1/customers/import", {"file": _upload(300)})
    assert again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Customer.objects.count() == 300
    other = client.post("/api/v1/customers/import", {"file": _upload(301)})
    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")
    assert Customer.objects.count() == 300


def test_an_unreadable_multipart_body_with_a_key_is_400(workspace: NewWorkspace) -> None:
    client = Client(
        headers={"Authorization": f"Bearer {workspace.server_key}", "Idempotency-Key": "imp-2"}
    )
    response = client.post(
        "/api/v1/customers/import",
        data=b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n',
        content_type="multipart/form-data; boundary=",
    )
    assert_error(response, 400, "malformed_multipart")
    assert IdempotencyRecord.objects.count() == 0


def test_idempotency_key_is_ignored_on_reads(api: Any) -> None:
    assert api.get("/customers", **_key("read")).status_code == 200
    assert IdempotencyRecord.objects.count() == 0


def test_idempotency_key_with_a_bad_api_key_is_401_and_not_claimed(
    db: None, order_body: Any
) -> None:
    client = Client(headers={"Authorization": "Bearer sk_wrong", "Idempotency-Key": "k"})
    response = client.post("/api/v1/orders", order_body(), content_type="application/json")
    assert_error(response, 401, "invalid_api_key")
    assert IdempotencyRecord.objects.count() == 0


# ---------------------------------------------------------------- field paths


class _Voucher(BaseModel):
    type: Literal["voucher"]
    code: str


class _Points(BaseModel):
    type: Literal["points"]
    points: int


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")

    redeemables: list[Annotated[_Voucher | _Points, Field(discriminator="type")]] = []
    either: list[_Voucher | _Points] = []
    values: dict[Annotated[str, Field(max_length=3)], str | bool | int] = {}
    items: list[dict[str, int]] = []


def _details(data: dict[str, Any]) -> list[tuple[str | None, str]]:
    with pytest.raises(PydanticValidationError) as caught:
        _Shape.model_validate(data)
    errors = [
        {**e, "loc": ("body", "payload", *e["loc"])} for e in caught.value.errors(include_url=False)
    ]
    return [(d["field"], d["code"]) for d in validation_details(errors, data)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"redeemables": [{"type": "voucher"}]}, [("redeemables[0].code", "required")]),
        (
            {"redeemables": [{"type": "points", "points": "many"}]},
            [("redeemables[0].points", "invalid_type")],
        ),
        (
            {"either": [{"type": "points"}]},
            [
                ("either[0].type", "invalid_choice"),
                ("either[0].code", "required"),
                ("either[0].points", "required"),
            ],
        ),
        ({"values": {"abcd": "x"}}, [("values.abcd", "too_long")]),
        ({"values": {"k": [1]}}, [("values.k", "invalid_type")]),
        ({"items": [{"a": 1}, {"b": "x"}]}, [("items[1].b", "invalid_type")]),
        ({"unknown": 1}, [("unknown", "unknown_field")]),
    ],
    ids=["tagged-missing", "tagged-type", "union", "dict-key", "union-value", "nested", "extra"],
)
def test_error_fields_name_the_input_not_the_validator(
    data: dict[str, Any], expected: list[tuple[str | None, str]]
) -> None:
    assert _details(data) == expected


def test_the_alternatives_of_a_union_make_one_message() -> None:
    data = {"values": {"k": [1]}}
    with pytest.raises(PydanticValidationError) as caught:
        _Shape.model_validate(data)
    errors = [{**e, "loc": ("body", "payload", *e["loc"])} for e in caught.value.errors()]
    assert validation_details(errors, data) == [
        {
            "field": "values.k",
            "code": "invalid_type",
            "message": "Input should be a valid string, a valid boolean or a valid integer",
        }
    ]


# ---------------------------------------------------------------- key use


def test_a_keys_last_use_is_recorded_once_the_request_commits(
    workspace: NewWorkspace, api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    key = ApiKey.objects.get(workspace=workspace.workspace, kind=ApiKey.Kind.SERVER)
    assert key.last_used_at is None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert api.put("/customers/c-1", {"first_name": "Ann"}).status_code == 201
        key.refresh_from_db()
        assert key.last_used_at is None  # not inside the request's transaction
    for callback in callbacks:
        callback()
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert now() - key.last_used_at < timedelta(minutes=1)


def test_locating_errors_survives_a_body_read_as_a_stream() -> None:
    upload = SimpleUploadedFile("people.csv", b"external_id\nc-1\n", content_type="text/csv")
    request = RequestFactory().post("/api/v1/customers/import", {"file": upload})
    received = request.FILES["file"]  # the body is consumed as a stream
    assert isinstance(received, UploadedFile) and received.name == "people.csv"
    assert not isinstance(parsed_body(request), dict)
    errors = [{"type": "missing", "loc": ("body", "payload", "x"), "msg": "Field required"}]
    response = from_validation_errors(errors, parsed_body(request))
    assert response.status_code == 422
    assert json.loads(response.content)["field"] == "x"


def test_json_out_is_utf8_text_not_escaped(api: Any) -> None:
    response = api.post("/customers", {"external_id": "c-utf8", "first_name": "さくら"})
    assert response.status_code == 201
    assert "さくら".encode() in response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    error = api.post("/customers", {"external_id": "c-utf8", "last_name": "김"})
    assert error.status_code == 409
    assert error["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(error.content)["code"] == "customer_exists"


def test_a_publishable_key_never_sees_a_server_keys_idempotent_response(
    api: Any, browser_api: Any, order_body: Any
) -> None:
    first = api.post("/orders", order_body(), **{"Idempotency-Key": "shared-key"})
    assert first.status_code == 201
    same = browser_api.post("/orders", order_body(), **{"Idempotency-Key": "shared-key"})
    assert (same.status_code, same.data["code"]) == (403, "server_key_required")
    other = browser_api.post(
        "/orders", order_body(external_id="ord-2"), **{"Idempotency-Key": "shared-key"}
    )
    assert (other.status_code, other.data["code"]) == (403, "server_key_required")
    replay = api.post("/orders", order_body(), **{"Idempotency-Key": "shared-key"})
    assert (replay.status_code, replay.data) == (201, first.data)
    assert replay["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_a_long_path_with_an_idempotency_key_is_not_a_server_error(api: Any) -> None:
    response = api.post(
        "/orders/" + "o" * 600 + "/status", {"status": "paid"}, **{"Idempotency-Key": "long"}
    )
    assert (response.status_code, response.data["code"]) == (404, "order_not_found")


def test_a_query_string_that_is_not_utf8_is_refused(api: Any) -> None:
    response = api.get("/customers?q=%FF%FE")
    assert (response.status_code, response.data["code"]) == (400, "invalid_utf8")
    assert api.get("/customers?q=%E3%81%95").status_code == 200  # さ


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_json_endpoint_refuses_other_media_types(api: Any, content_type: str) -> None:
    response = api.client.post(
        "/api/v1/customers", data=b'{"external_id": "c-media"}', content_type=content_type
    )
    body = json.loads(response.content)
    assert response.status_code == 415
    assert (body["code"], body["field"]) == ("unsupported_media_type", "Content-Type")
    assert not Customer.objects.exists()
    ok = api.client.post(
        "/api/v1/customers",
        data=b'{"external_id": "c-media"}',
        content_type="application/json; charset=utf-8",
    )
    assert ok.status_code == 201
