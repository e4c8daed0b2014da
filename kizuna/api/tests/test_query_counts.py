"""How many database queries each endpoint makes, pinned, so that no N+1 creeps in unseen.

Every operation of the OpenAPI document has a pin (a new endpoint without one fails
`test_every_operation_has_a_pin`). Lists are measured at two sizes and must cost the same.
A change that moves a count changes its pin here, in the same commit, on purpose."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, openapi_document, sample_order
from kizuna.accounts.services import NewWorkspace

pytestmark = pytest.mark.django_db

CSV = "external_id,email\r\nq-1,q1@example.com\r\nq-2,q2@example.com\r\n"


@dataclass(frozen=True)
class Pin:
    method: str
    template: str
    path: str
    queries: int
    body: Callable[[], Any] | None = None
    list_of: str | None = None  # the kind of row a list grows with


def _order(n: int) -> dict[str, Any]:
    return sample_order(external_id=f"ord-{n}", customer_id=f"cust-{n}")


PINS = [
    # Writes. The API layer's transaction is a savepoint inside the test's transaction:
    # SAVEPOINT and RELEASE are two of the queries counted.
    Pin("POST", "/customers", "/customers", 6, lambda: {"external_id": "new-1"}),
    Pin("PUT", "/customers/{customer_id}", "/customers/cust-0", 7, lambda: {"first_name": "Ann"}),
    Pin("PATCH", "/customers/{customer_id}", "/customers/cust-0", 7, lambda: {"last_name": "Li"}),
    Pin("POST", "/customers/{customer_id}/erase", "/customers/cust-0/erase", 17),
    Pin("POST", "/customers/import", "/customers/import", 6),
    Pin(
        "POST",
        "/events",
        "/events",
        6,
        lambda: {"id": "e-9", "name": "visit", "customer_id": "cust-0"},
    ),
    Pin("POST", "/orders", "/orders", 7, lambda: _order(99) | {"customer_id": "cust-0"}),
    Pin(
        "POST",
        "/orders/{external_id}/status",
        "/orders/ord-0/status",
        11,
        lambda: {"status": "cancelled"},
    ),
    Pin(
        "POST",
        "/orders/{external_id}/refunds",
        "/orders/ord-0/refunds",
        13,
        lambda: {"external_id": "r-9", "items": [{"sku": "TEA-1", "quantity": 1}]},
    ),
    Pin(
        "POST",
        "/text/analyze",
        "/text/analyze",
        2,
        lambda: {"texts": [{"id": "t-1", "text": "Great tea, slow delivery."}]},
    ),
    # Reads.
    Pin("GET", "/customers", "/customers", 2, list_of="customer"),
    Pin("GET", "/customers", "/customers?q=cust", 2, list_of="customer"),
    Pin("GET", "/customers/{customer_id}", "/customers/cust-0", 2),
    Pin(
        "GET",
        "/customers/{customer_id}/timeline",
        "/customers/cust-0/timeline",
        2,
        list_of="timeline",
    ),
    Pin(
        "GET",
        "/customers/{customer_id}/data-export",
        "/customers/cust-0/data-export",
        10,
        list_of="order",
    ),
    Pin("GET", "/customers/export", "/customers/export", 3, list_of="customer"),
    Pin("GET", "/customers/imports/{import_id}", "/customers/imports/{import}", 1),
    Pin("GET", "/customer-attributes", "/customer-attributes", 1),
    Pin("GET", "/orders", "/orders", 4, list_of="order"),
    Pin("GET", "/orders", "/orders?customer_id=cust-0", 5, list_of="order"),
    Pin("GET", "/orders/{external_id}", "/orders/ord-0", 4),
    Pin("GET", "/jobs", "/jobs", 1),
    Pin("POST", "/orders/import", "/orders/import", 6),
    Pin("POST", "/events/import", "/events/import", 6),
    Pin("GET", "/orders/imports/{import_id}", "/orders/imports/{import}", 1),
    Pin("GET", "/events/imports/{import_id}", "/events/imports/{import}", 1),
]

# The uploads of the import endpoints: a small file each.
UPLOADS = {
    "/customers/import": ("customers.csv", CSV.encode()),
    "/orders/import": ("orders.jsonl", (json.dumps(_order(77)) + "\n").encode()),
    "/events/import": (
        "events.csv",
        b"id,name,customer_id\r\ne-77,visit,cust-0\r\n",
    ),
}


def _seed(api: ApiClient, rows: int) -> None:
    """`rows` customers, each with an order (two items, one refunded), a consent, an event."""
    for n in range(rows):
        assert (
            api.put(
                f"/customers/cust-{n}",
                {"attributes": {"city": "Osaka"}, "consents": {"surveys": {"status": "granted"}}},
            ).status_code
            == 201
        )
        assert api.post("/orders", _order(n)).status_code == 201
        refund = {"external_id": f"r-{n}", "items": [{"sku": "CUP-1", "quantity": 1}]}
        assert api.post(f"/orders/ord-{n}/refunds", refund).status_code == 201
        event = {"id": f"e-{n}", "name": "visit", "customer_id": f"cust-{n}"}
        assert api.post("/events", event).status_code == 201
    # A second order of the first customer: per-customer lists hold more than one row.
    for n in range(rows):
        assert api.post("/orders", _order(1000 + n) | {"customer_id": "cust-0"}).status_code == 201


def _count(api: ApiClient, pin: Pin, path: str) -> int:
    api.get("/customer-attributes")  # the key is looked up once, then cached
    body = pin.body() if pin.body else None
    with CaptureQueriesContext(connection) as queries:
        if pin.template in UPLOADS:
            response = api.client.post(
                f"/api/v1{pin.template}", {"file": _upload(pin.template)}, format="multipart"
            )
        elif pin.template == "/customers/export":
            response = api.client.get(f"/api/v1{path}")
            b"".join(response.streaming_content)  # type: ignore[attr-defined]  # the file is read as it is written
        else:
            response = api.request(pin.method, path, body)
    assert response.status_code < 300, (pin, response.status_code)
    return len(queries)


def _upload(template: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, content = UPLOADS[template]
    return SimpleUploadedFile(name, content)


def _path(api: ApiClient, pin: Pin) -> str:
    if "{import}" not in pin.path:
        return pin.path
    upload = "/" + pin.path.split("/")[1] + "/import"
    response = api.client.post(f"/api/v1{upload}", {"file": _upload(upload)}, format="multipart")
    return pin.path.replace("{import}", str(response.json()["id"]))


@pytest.mark.parametrize("pin", PINS, ids=lambda p: f"{p.method} {p.path}")
def test_queries_are_pinned(api: ApiClient, workspace: NewWorkspace, pin: Pin) -> None:
    _seed(api, 2)
    assert _count(api, pin, _path(api, pin)) == pin.queries


@pytest.mark.parametrize("pin", [p for p in PINS if p.list_of], ids=lambda p: p.path)
def test_a_list_costs_the_same_whatever_its_length(
    api: ApiClient, workspace: NewWorkspace, pin: Pin
) -> None:
    _seed(api, 2)
    few = _count(api, pin, _path(api, pin))
    _seed_more(api)
    assert _count(api, pin, _path(api, pin)) == few


def _seed_more(api: ApiClient) -> None:
    for n in range(10, 14):
        assert api.post("/orders", _order(n)).status_code == 201
        assert api.post("/orders", _order(2000 + n) | {"customer_id": "cust-0"}).status_code == 201
        refund = {"external_id": f"r-{n}", "amount": "1.00"}
        assert api.post(f"/orders/ord-{n}/refunds", refund).status_code == 201


def test_every_operation_has_a_pin() -> None:
    pinned = {(p.method, p.template) for p in PINS}
    for template, operations in openapi_document()["paths"].items():
        for method in operations:
            path = template.removeprefix("/api/v1")
            assert (method.upper(), path) in pinned, f"pin the queries of {method} {path}"
