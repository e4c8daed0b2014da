"""Orders and events from files: the same checks as the single endpoints, the same rows,
per-row reports, re-imports that change nothing (ADR 0023)."""

import csv
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from conftest import ApiClient, check_against_openapi, sample_order
from kizuna.accounts.services import NewWorkspace
from kizuna.core import tasks
from kizuna.core.models import BulkImport, OutboxEvent
from kizuna.customers.models import Customer, CustomEvent, TimelineEntry
from kizuna.orders.models import CustomerOrderStats, Order, OrderItem

pytestmark = pytest.mark.django_db


def jsonl(bodies: list[Any]) -> bytes:
    return "".join(
        (b if isinstance(b, str) else json.dumps(b, ensure_ascii=False)) + "\n" for b in bodies
    ).encode()


def table(bodies: list[dict[str, Any]], json_columns: set[str]) -> list[list[Any]]:
    columns = sorted({key for body in bodies for key in body})
    rows: list[list[Any]] = [columns]
    for body in bodies:
        rows.append(
            [
                ""
                if key not in body
                else json.dumps(body[key])
                if key in json_columns
                else body[key]
                for key in columns
            ]
        )
    return rows


def csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet: Any = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def post_file(
    api: ApiClient, noun: str, name: str, content: bytes, **form: str
) -> tuple[int, dict[str, Any]]:
    url = f"/api/v1/{noun}/import"
    response = api.client.post(url, {"file": SimpleUploadedFile(name, content), **form})
    check_against_openapi("POST", url, response)
    return response.status_code, json.loads(response.content)


def imported(api: ApiClient, noun: str, name: str, content: bytes, **form: str) -> dict[str, Any]:
    """Upload, run the worker's task here, return the run as GET shows it."""
    status, body = post_file(api, noun, name, content, **form)
    assert status == 202 and body["status"] == "queued", body
    assert tasks.process_bulk_import.call(int(body["id"])) == "completed"
    response = api.get(f"/{noun}/imports/{body['id']}")
    assert response.status_code == 200
    report: dict[str, Any] = response.data
    return report


def order(n: int, **overrides: Any) -> dict[str, Any]:
    return sample_order(**({"external_id": f"o-{n}", "customer_id": f"c-{n % 3}"} | overrides))


def rows_of(workspace: NewWorkspace) -> dict[str, Any]:
    """What an order or event writes, without keys and times."""
    ws = workspace.workspace
    return {
        "customers": sorted(
            Customer.objects.for_workspace(ws).values_list("external_id", "email", "attributes")
        ),
        "orders": sorted(
            Order.objects.for_workspace(ws).values_list(
                "external_id",
                "customer__external_id",
                "status",
                "currency",
                "total",
                "subtotal",
                "discount_total",
                "shipping_total",
                "tax_total",
                "prices_include_tax",
                "refunded_total",
                "channel",
                "location",
                "metadata",
                "occurred_at",
            )
        ),
        "items": sorted(
            OrderItem.objects.filter(order__workspace=ws).values_list(
                "order__external_id",
                "position",
                "sku",
                "name",
                "category",
                "quantity",
                "unit_price",
                "refunded_quantity",
            )
        ),
        "order_stats": sorted(
            (row.pop("customer__external_id"), sorted(row.items(), key=str))
            for row in CustomerOrderStats.objects.for_workspace(ws).values(
                "customer__external_id",
                *(
                    f.attname
                    for f in CustomerOrderStats._meta.concrete_fields
                    if f.attname not in {"customer_id", "workspace_id"}
                ),
            )
        ),
        "events": sorted(
            CustomEvent.objects.for_workspace(ws).values_list(
                "client_id", "customer__external_id", "name", "properties", "occurred_at"
            )
        ),
        "timeline": sorted(
            (e.customer.external_id, e.kind, e.object_id, e.occurred_at, json.dumps(e.summary))
            for e in TimelineEntry.objects.for_workspace(ws).select_related("customer")
        ),
        "outbox": sorted(
            (e.type, json.dumps(e.payload, sort_keys=True))
            for e in OutboxEvent.objects.for_workspace(ws)
        ),
    }


ORDERS = [
    order(1, metadata={"till": 3}),
    order(2, status="pending", channel="store", location="Osaka"),
    order(3, email="new@example.com", items=[], subtotal=None),
    sample_order(
        external_id="o-4",
        customer_id="c-9",
        currency="JPY",
        total="1000",
        subtotal="1000",
        discount_total="0",
        shipping_total="0",
        tax_total="0",
        items=[{"sku": "MATCHA", "quantity": 1, "unit_price": "1000"}],
    ),
]
ORDERS[2].pop("subtotal")


def test_imported_orders_are_the_rows_the_single_endpoint_writes(
    api: ApiClient, other_api: ApiClient, workspace: NewWorkspace, other_workspace: NewWorkspace
) -> None:
    for body in ORDERS:
        assert api.post("/orders", body).status_code == 201
    report = imported(other_api, "orders", "orders.jsonl", jsonl(ORDERS), emit_events="true")
    assert report["counts"] == {"created": 4, "unchanged": 0, "rejected": 0}
    assert report["emit_events"] is True and report["percent"] == 100
    assert rows_of(other_workspace) == rows_of(workspace)


def test_a_history_import_emits_no_events_and_a_reimport_changes_nothing(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    content = jsonl(ORDERS)
    first = imported(api, "orders", "history.jsonl", content)
    assert first["counts"] == {"created": 4, "unchanged": 0, "rejected": 0}
    assert OutboxEvent.objects.for_workspace(workspace.workspace).count() == 0
    before = rows_of(workspace)
    again = imported(api, "orders", "history.jsonl", content)
    assert again["counts"] == {"created": 0, "unchanged": 4, "rejected": 0}
    assert rows_of(workspace) == before
    assert api.get("/orders/o-1").data["items"][0]["sku"] == "TEA-1"


BAD_ORDERS = [
    order(10),
    order(11, total="99.00"),  # totals do not add up
    "{not json",
    order(12, items=[{"sku": "A", "quantity": 0, "unit_price": "1.00"}]),
    order(13, customer_id="export"),  # an id no customer may have
    order(10, total="1.00"),  # the same order twice in one file
    {**order(14), "colour": "red"},  # a field the endpoint refuses
    order(15, currency="XYZ"),
]


def test_each_refused_row_is_reported_with_its_row_field_and_code(api: ApiClient) -> None:
    report = imported(api, "orders", "bad.jsonl", jsonl(BAD_ORDERS))
    problems = [(e["row"], e["id"], e["field"], e["code"]) for e in report["errors"]]
    single = {i: api.post("/orders", BAD_ORDERS[i]).data for i in (1, 3, 4, 6, 7)}
    assert problems == [
        (2, "o-11", single[1]["field"], single[1]["code"]),
        (3, None, None, "invalid_json"),
        (4, "o-12", single[3]["field"], single[3]["code"]),
        (5, "o-13", single[4]["field"], single[4]["code"]),
        (6, "o-10", "external_id", "duplicate_external_id"),
        (7, "o-14", single[6]["field"], single[6]["code"]),
        (8, "o-15", single[7]["field"], single[7]["code"]),
    ]
    assert report["counts"] == {"created": 1, "unchanged": 0, "rejected": 7}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_orders_come_from_spreadsheets_with_json_items(
    api: ApiClient,
    other_api: ApiClient,
    workspace: NewWorkspace,
    other_workspace: NewWorkspace,
    kind: str,
) -> None:
    rows = table(ORDERS, {"items", "metadata"})
    content = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    report = imported(api, "orders", f"orders.{kind}", content, emit_events="true")
    assert report["counts"] == {"created": 4, "unchanged": 0, "rejected": 0}, report["errors"]
    for body in ORDERS:
        assert other_api.post("/orders", body).status_code == 201
    assert rows_of(workspace) == rows_of(other_workspace)


def test_a_file_the_import_cannot_read_is_refused_whole(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    status, body = post_file(
        api, "orders", "o.csv", csv_bytes([["external_id", "colour"], ["o-1", "red"]])
    )
    assert status == 422 and body["code"] == "unknown_column" and body["field"] == "colour"
    status, body = post_file(api, "orders", "o.txt", b"hello")
    assert status == 422 and body["code"] == "unsupported_file_format"
    status, body = post_file(api, "orders", "o.jsonl", jsonl(ORDERS), emit_events="maybe")
    assert status == 422 and body["field"] == "emit_events"
    assert not BulkImport.objects.exists()
    assert api.get("/orders/imports/999").status_code == 404


EVENTS: list[dict[str, Any]] = [
    {
        "id": "e-1",
        "name": "review_posted",
        "customer_id": "c-1",
        "properties": {"stars": 5},
        "occurred_at": "2026-01-05T12:00:00Z",
    },
    {
        "id": "e-2",
        "name": "app_opened",
        "customer_id": "c-new",
        "email": "n@example.com",
        "occurred_at": "2026-02-01T09:00:00+09:00",
    },
]


def test_imported_events_are_the_rows_the_single_endpoint_writes(
    api: ApiClient, other_api: ApiClient, workspace: NewWorkspace, other_workspace: NewWorkspace
) -> None:
    for body in EVENTS:
        assert api.post("/events", body).status_code == 201
    bad = {"id": "e-3", "name": "9 lives", "customer_id": "c-1"}
    report = imported(other_api, "events", "events.jsonl", jsonl([*EVENTS, bad]), emit_events="1")
    assert report["counts"] == {"created": 2, "unchanged": 0, "rejected": 1}
    refused = api.post("/events", bad).data
    assert [(e["row"], e["field"], e["code"]) for e in report["errors"]] == [
        (3, refused["field"], refused["code"])
    ]
    event_rows = rows_of(other_workspace)
    assert event_rows == rows_of(workspace)
    again = imported(other_api, "events", "events.csv", csv_bytes(table(EVENTS, {"properties"})))
    assert again["counts"] == {"created": 0, "unchanged": 2, "rejected": 0}
    assert rows_of(other_workspace) == event_rows
