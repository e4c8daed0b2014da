"""The data subject's rights through the HTTP API: the data export (everything held about one
customer, nothing about anyone else) and erasure (personal data gone, the books kept,
idempotent, and the person may come back as a new customer). ADR 0012."""

import csv
import hashlib
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import IdempotencyRecord, OutboxEvent
from kizuna.customers import tasks
from kizuna.customers.models import (
    AttributeDefinition,
    Consent,
    ConsentChange,
    Customer,
    CustomerErasure,
    CustomerImport,
    CustomEvent,
    TimelineEntry,
)
from kizuna.customers.services import custom_events, erasure
from kizuna.orders.models import Order, OrderItem, Refund, RefundItem

pytestmark = pytest.mark.django_db

# The integrator's id for the person is their email address, as it often is.
PERSON = "aiko.tanaka@example.com"
OTHER = "ken-2"
PROFILE = {
    "email": "aiko@example.jp",
    "phone": "+819012345678",
    "first_name": "Aiko",
    "last_name": "Tanaka",
    "birthdate": "1990-04-01",
    "locale": "ja-JP",
    "timezone": "Asia/Tokyo",
    "attributes": {"city": "Sapporo", "vip": True, "visits": 12, "anniversary": "2015-06-01"},
    "consents": {
        "email_marketing": {"status": "granted", "updated_at": "2026-01-10T09:00:00+09:00"},
        "sms_marketing": {"status": "denied", "updated_at": "2026-01-10T09:00:00+09:00"},
    },
}
# Every piece of the person's personal data the fixture stores, free text included. None of
# it may remain in the workspace's rows after the erasure.
PERSONAL = [
    PERSON,
    "aiko@example.jp",
    "+819012345678",
    "Aiko",
    "Tanaka",
    "1990-04-01",
    "ja-JP",
    "Asia/Tokyo",
    "Sapporo",
    "2015-06-01",
    "peanuts",
    "Ginza",
    "Happy birthday",
    "changed her mind",
]
ERASED_RESPONSE_KEYS = {"status", "erasure_id", "erased_at"}
PRIVACY_MODELS: tuple[type[Model], ...] = (
    Customer,
    Consent,
    ConsentChange,
    AttributeDefinition,
    Order,
    OrderItem,
    Refund,
    RefundItem,
    CustomEvent,
    TimelineEntry,
    CustomerErasure,
    CustomerImport,
    OutboxEvent,
    IdempotencyRecord,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a customer request or an erasure may write."""
    return {
        model.__name__: [dict(row) for row in model.objects.order_by("pk").values()]  # type: ignore[attr-defined]
        for model in PRIVACY_MODELS
    }


def workspace_rows(workspace: NewWorkspace) -> str:
    """Every row the workspace holds in those tables, as one JSON text."""
    ws = workspace.workspace
    rows: dict[str, Any] = {}
    for model in PRIVACY_MODELS:
        queryset: Any
        if model is OrderItem:
            queryset = OrderItem.objects.filter(order__workspace=ws)
        elif model is RefundItem:
            queryset = RefundItem.objects.filter(refund__workspace=ws)
        else:
            queryset = model.objects.for_workspace(ws)  # type: ignore[attr-defined]
        rows[model.__name__] = list(queryset.values())
    return json.dumps(rows, default=str, ensure_ascii=False)


def outbox(workspace: NewWorkspace, type_: str) -> list[dict[str, Any]]:
    events = OutboxEvent.objects.for_workspace(workspace.workspace).filter(type=type_)
    return [e.payload for e in events.order_by("occurred_at", "pk")]


def erase(api: ApiClient, external_id: str, **headers: str) -> Any:
    response = api.post(f"/customers/{external_id}/erase", **headers)
    assert response.status_code == 200, response.data
    assert set(response.data) == ERASED_RESPONSE_KEYS
    assert response.data["status"] == "erased"
    return response


def tombstone(workspace: NewWorkspace) -> Customer:
    return Customer.objects.for_workspace(workspace.workspace).get(erased_at__isnull=False)


@pytest.fixture
def person(api: ApiClient, order_body: Any) -> None:
    """The person: a full profile, consents with history, a paid order with metadata, a
    location and a refund with a reason, a pending order later paid, and two events."""
    assert api.put(f"/customers/{PERSON}", PROFILE).status_code == 201
    later = {"email_marketing": {"status": "denied", "updated_at": "2026-02-01T09:00:00+09:00"}}
    assert api.patch(f"/customers/{PERSON}", {"consents": later}).status_code == 200
    order = order_body(
        external_id="ord-1",
        customer_id=PERSON,
        location="Ginza store",
        metadata={"gift_message": "Happy birthday", "wrap": True},
    )
    assert api.post("/orders", order).status_code == 201
    refund = {
        "external_id": "ref-1",
        "items": [{"sku": "CUP-1", "quantity": 1}],
        "reason": "Aiko changed her mind",
    }
    assert api.post("/orders/ord-1/refunds", refund).status_code == 201
    pending = order_body(
        external_id="ord-2",
        customer_id=PERSON,
        status="pending",
        occurred_at="2026-03-05T10:00:00+09:00",
    )
    assert api.post("/orders", pending).status_code == 201
    assert api.post("/orders/ord-2/status", {"status": "paid"}).status_code == 200
    for event_id, properties in [
        ("evt-1", {"note": "allergic to peanuts", "table": 4}),
        ("evt-2", {}),
    ]:
        event = {
            "id": event_id,
            "name": "store_visit",
            "customer_id": PERSON,
            "properties": properties,
            "occurred_at": "2026-03-02T12:00:00+09:00",
        }
        assert api.post("/events", event).status_code == 201


@pytest.fixture
def others(api: ApiClient, other_api: ApiClient, order_body: Any) -> None:
    """Someone else in the same workspace, and another workspace's customer with the
    person's very id."""
    ken = {"email": "ken@example.com", "first_name": "Ken", "timezone": "Asia/Seoul"}
    assert api.put(f"/customers/{OTHER}", ken).status_code == 201
    assert api.post("/orders", order_body(external_id="ord-k", customer_id=OTHER)).status_code
    assert api.post(
        "/events", {"id": "evt-k", "name": "visit", "customer_id": OTHER, "properties": {"a": 1}}
    ).status_code
    assert other_api.put(f"/customers/{PERSON}", {"first_name": "Aiko"}).status_code == 201
    assert other_api.post(
        "/orders", order_body(external_id="ord-1", customer_id=PERSON, location="Ginza store")
    ).status_code


def visible_state(api: ApiClient) -> dict[str, Any]:
    """What the API shows of everyone but the person."""
    return {
        "ken": api.get(f"/customers/{OTHER}").data,
        "ken_timeline": api.get(f"/customers/{OTHER}/timeline").data,
        "ken_order": api.get("/orders/ord-k").data,
    }


# ------------------------------------------------------------------ data export


@pytest.mark.usefixtures("person", "others")
def test_the_export_holds_everything_about_the_person(api: ApiClient) -> None:
    response = api.get(f"/customers/{PERSON}/data-export")

    assert response.status_code == 200
    data = response.data
    assert set(data) == {
        "exported_at",
        "profile",
        "consents",
        "consent_history",
        "orders",
        "loyalty",
        "gift_cards",
        "vouchers",
        "referral_codes",
        "referrals",
        "reward_claims",
        "events",
        "timeline",
    }
    customer = api.get(f"/customers/{PERSON}").data
    assert data["profile"] == {
        "external_id": PERSON,
        "email": "aiko@example.jp",
        "phone": "+819012345678",
        "first_name": "Aiko",
        "last_name": "Tanaka",
        "birthdate": "1990-04-01",
        "locale": "ja-JP",
        "timezone": "Asia/Tokyo",
        "attributes": [
            {"key": "anniversary", "type": "date", "value": "2015-06-01"},
            {"key": "city", "type": "string", "value": "Sapporo"},
            {"key": "vip", "type": "boolean", "value": True},
            {"key": "visits", "type": "number", "value": 12},
        ],
        "created_at": customer["created_at"],
        "updated_at": customer["updated_at"],
        "erased_at": None,
    }
    assert data["consents"] == customer["consents"]
    assert data["consent_history"] == [
        {
            "channel": "email_marketing",
            "status": "granted",
            "previous_status": None,
            "source": "api",
            "occurred_at": "2026-01-10T00:00:00Z",
            "recorded_at": data["consent_history"][0]["recorded_at"],
        },
        {
            "channel": "sms_marketing",
            "status": "denied",
            "previous_status": None,
            "source": "api",
            "occurred_at": "2026-01-10T00:00:00Z",
            "recorded_at": data["consent_history"][1]["recorded_at"],
        },
        {
            "channel": "email_marketing",
            "status": "denied",
            "previous_status": "granted",
            "source": "api",
            "occurred_at": "2026-02-01T00:00:00Z",
            "recorded_at": data["consent_history"][2]["recorded_at"],
        },
    ]
    # Orders as GET /orders/{id} shows them (items, refunds), oldest first.
    assert data["orders"] == [api.get("/orders/ord-1").data, api.get("/orders/ord-2").data]
    assert data["orders"][0]["refunds"][0]["reason"] == "Aiko changed her mind"
    assert [(e["id"], e["properties"]) for e in data["events"]] == [
        ("evt-1", {"note": "allergic to peanuts", "table": 4}),
        ("evt-2", {}),
    ]
    assert all(e["customer_id"] == PERSON for e in data["events"])
    # The whole timeline, oldest first: the API's pages read newest first.
    timeline = api.get(f"/customers/{PERSON}/timeline?limit=500").data["data"]
    assert data["timeline"] == timeline[::-1]
    assert {e["kind"] for e in data["timeline"]} == {
        "consent",
        "order",
        "refund",
        "order_status",
        "event",
    }


@pytest.mark.usefixtures("person", "others")
def test_the_export_holds_nothing_about_anyone_else(api: ApiClient) -> None:
    text = json.dumps(api.get(f"/customers/{PERSON}/data-export").data, ensure_ascii=False)
    for foreign in (OTHER, "ken@example.com", "Ken", "ord-k", "evt-k", "Asia/Seoul"):
        assert foreign not in text


@pytest.mark.usefixtures("others")
def test_the_export_of_a_bare_customer(api: ApiClient) -> None:
    assert api.post("/customers", {"external_id": "bare"}).status_code == 201
    data = api.get("/customers/bare/data-export").data
    assert data["profile"]["email"] is None
    assert data["profile"]["attributes"] == []
    assert (data["consents"], data["consent_history"]) == ({}, [])
    assert (data["orders"], data["events"], data["timeline"]) == ([], [], [])


def test_the_export_is_complete_however_long_the_history(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    """More entries than any page may hold (500): the export returns them all."""
    count = 620
    for i in range(count):
        custom_events.record_event(
            workspace.workspace,
            {"id": f"e-{i}", "name": "page_view", "customer_id": "busy", "properties": {"i": i}},
        )
    data = api.get("/customers/busy/data-export").data
    assert len(data["events"]) == count
    assert len(data["timeline"]) == count
    assert sorted(e["properties"]["i"] for e in data["events"]) == list(range(count))


@pytest.mark.usefixtures("person")
def test_the_export_of_an_unknown_or_foreign_customer_is_404(
    api: ApiClient, other_api: ApiClient
) -> None:
    for client, external_id in [(api, "nobody"), (other_api, PERSON)]:
        response = client.get(f"/customers/{external_id}/data-export")
        assert response.status_code == 404
        assert (response.data["code"], response.data["field"]) == (
            "customer_not_found",
            "customer_id",
        )


# ------------------------------------------------------------------ erasure


@pytest.mark.usefixtures("person", "others")
def test_erasure_leaves_no_personal_data_in_the_workspace(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    text = workspace_rows(workspace)
    assert all(value in text for value in PERSONAL)  # the check below can fail

    erase(api, PERSON)

    text = workspace_rows(workspace)
    assert [value for value in PERSONAL if value in text] == []


@pytest.mark.usefixtures("person", "others")
def test_erasure_clears_the_profile_and_keeps_the_books(
    api: ApiClient, workspace: NewWorkspace, other_api: ApiClient
) -> None:
    orders_before = {o: api.get(f"/orders/{o}").data for o in ("ord-1", "ord-2")}
    others_before = visible_state(api)
    foreign_before = (other_api.get(f"/customers/{PERSON}").data, other_api.get("/orders/ord-1"))
    customer_pk = Customer.objects.for_workspace(workspace.workspace).get(external_id=PERSON).pk

    response = erase(api, PERSON)

    row = Customer.objects.get(pk=customer_pk)
    assert row.external_id.startswith("erased-") and len(row.external_id) > 20
    assert (row.email, row.phone, row.first_name, row.last_name) == ("", "", "", "")
    assert (row.birthdate, row.locale, row.timezone, row.attributes) == (None, "", "", {})
    assert row.erased_at is not None
    assert response.data["erased_at"] == api.get(f"/customers/{row.external_id}").data["erased_at"]
    assert not Consent.objects.filter(customer=row).exists()
    assert not ConsentChange.objects.filter(customer=row).exists()
    assert [e.properties for e in CustomEvent.objects.filter(customer=row)] == [{}, {}]

    # Orders, items and refunds keep every amount; only the customer's id, the free text
    # (metadata, location, refund reasons) and updated_at change.
    for external_id, before in orders_before.items():
        after = api.get(f"/orders/{external_id}").data
        assert after["customer_id"] == row.external_id
        assert (after["metadata"], after["location"]) == ({}, "")
        assert after["updated_at"] == response.data["erased_at"]
        money = ("total", "subtotal", "discount_total", "shipping_total", "tax_total")
        assert {k: after[k] for k in money} == {k: before[k] for k in money}
        assert after["refunded_total"] == before["refunded_total"]
        assert after["items"] == before["items"]
        assert [{**r, "reason": ""} for r in before["refunds"]] == after["refunds"]
    assert orders_before["ord-1"]["refunded_total"] == "9.00"

    # The timeline keeps the facts without the personal data: consent entries go, event
    # entries lose their properties, and the erasure is the newest entry.
    timeline = api.get(f"/customers/{row.external_id}/timeline").data["data"]
    assert (timeline[0]["kind"], timeline[0]["object_id"]) == (
        "erasure",
        response.data["erasure_id"],
    )
    assert sorted(e["kind"] for e in timeline) == [
        "erasure",
        "event",
        "event",
        "order",
        "order",
        "order_status",
        "refund",
    ]
    assert all(e["summary"]["properties"] == {} for e in timeline if e["kind"] == "event")

    # Nobody else changed.
    assert visible_state(api) == others_before
    foreign_after = (other_api.get(f"/customers/{PERSON}").data, other_api.get("/orders/ord-1"))
    assert foreign_after[0] == foreign_before[0]
    assert foreign_after[1].data == foreign_before[1].data


@pytest.mark.usefixtures("person")
def test_erasure_writes_one_record_and_one_event_without_personal_data(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    response = erase(api, PERSON)

    erasures = list(CustomerErasure.objects.for_workspace(workspace.workspace))
    assert len(erasures) == 1
    erasure = erasures[0]
    assert str(erasure.pk) == response.data["erasure_id"]
    assert erasure.external_id_sha256 == hashlib.sha256(PERSON.encode()).hexdigest()
    assert erasure.customer == tombstone(workspace)
    payloads = outbox(workspace, "customer.erased")
    assert payloads == [
        {"erasure_id": response.data["erasure_id"], "erased_at": response.data["erased_at"]}
    ]
    # Earlier events name the anonymised customer now, not the erased id.
    earlier = [
        e.payload for e in OutboxEvent.objects.for_workspace(workspace.workspace) if e.payload
    ]
    assert not [p for p in earlier if p.get("customer_id") == PERSON]
    created = outbox(workspace, "order.created")
    assert {p["customer_id"] for p in created} == {tombstone(workspace).external_id}


@pytest.mark.usefixtures("person", "others")
def test_a_repeated_erasure_answers_the_same_and_changes_nothing(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    first = erase(api, PERSON).data
    before = snapshot()

    again = erase(api, PERSON).data
    by_new_id = erase(api, tombstone(workspace).external_id).data

    assert again == first
    assert by_new_id == first
    assert snapshot() == before


@pytest.mark.usefixtures("person")
def test_an_erasure_replayed_with_its_idempotency_key(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    first = erase(api, PERSON, **{"Idempotency-Key": "erase-1"})
    before = snapshot()

    replay = api.post(f"/customers/{PERSON}/erase", **{"Idempotency-Key": "erase-1"})

    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    assert snapshot() == before
    assert CustomerErasure.objects.for_workspace(workspace.workspace).count() == 1
    assert len(outbox(workspace, "customer.erased")) == 1


@pytest.mark.usefixtures("person")
def test_erasure_of_an_unknown_or_foreign_customer_is_404_and_changes_nothing(
    api: ApiClient, other_api: ApiClient
) -> None:
    before = snapshot()
    for client, external_id in [(api, "nobody"), (other_api, PERSON), (other_api, "nobody")]:
        response = client.post(f"/customers/{external_id}/erase")
        assert response.status_code == 404
        assert (response.data["code"], response.data["field"]) == (
            "customer_not_found",
            "customer_id",
        )
    assert snapshot() == before
    # An erasure in one workspace is not found by another's key either.
    erase(api, PERSON)
    after = snapshot()
    assert other_api.post(f"/customers/{PERSON}/erase").status_code == 404
    assert snapshot() == after


@pytest.mark.usefixtures("person")
def test_a_publishable_key_may_neither_export_nor_erase(
    browser_api: ApiClient, api: ApiClient
) -> None:
    before = snapshot()
    for method in ("GET", "POST"):
        path = f"/customers/{PERSON}/" + ("data-export" if method == "GET" else "erase")
        response = browser_api.request(method, path)
        assert response.status_code == 403
        assert response.data["code"] == "server_key_required"
    assert snapshot() == before
    assert api.get(f"/customers/{PERSON}").data["email"] == "aiko@example.jp"


@pytest.mark.usefixtures("person", "others")
def test_after_erasure_the_person_is_found_nowhere(api: ApiClient) -> None:
    erase(api, PERSON)

    for path in (
        f"/customers/{PERSON}",
        f"/customers/{PERSON}/timeline",
        f"/customers/{PERSON}/data-export",
        f"/orders?customer_id={PERSON}",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.data["code"] == "customer_not_found"
    for q in (PERSON, "aiko", "Tanaka", "Aiko Tanaka", "TanakaAiko", "+819012345678", "erased"):
        assert api.get("/customers?" + f"q={q}".replace("+", "%2B")).data["data"] == [], q
    assert [c["external_id"] for c in api.get("/customers").data["data"]] == [OTHER]
    export: Any = api.client.get("/api/v1/customers/export")
    content = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [r["external_id"] for r in rows] == [OTHER]


@pytest.mark.usefixtures("person")
def test_the_anonymised_customer_keeps_the_books_and_takes_no_new_data(
    api: ApiClient, workspace: NewWorkspace, order_body: Any
) -> None:
    erase(api, PERSON)
    new_id = tombstone(workspace).external_id
    before = snapshot()

    refused = [
        api.put(f"/customers/{new_id}", {"email": "aiko@example.jp"}),
        api.patch(f"/customers/{new_id}", {"first_name": "Aiko"}),
        api.post("/orders", order_body(external_id="ord-9", customer_id=new_id)),
        api.post("/events", {"id": "evt-9", "name": "visit", "customer_id": new_id}),
    ]
    for response in refused:
        assert response.status_code == 409
        assert (response.data["code"], response.data["field"]) == (
            "customer_erased",
            "customer_id",
        )
    creating = api.post("/customers", {"external_id": new_id})
    assert (creating.status_code, creating.data["code"]) == (409, "customer_exists")
    assert snapshot() == before

    # The books still move: a refund or a cancellation of a kept order. A refund's reason,
    # free text, is not stored for an erased customer.
    refund = api.post(
        "/orders/ord-1/refunds", {"external_id": "ref-2", "amount": "1.00", "reason": "Aiko"}
    )
    assert (refund.status_code, refund.data["reason"]) == (201, "")
    assert api.post("/orders/ord-2/status", {"status": "cancelled"}).status_code == 200
    assert api.get(f"/orders?customer_id={new_id}").data["data"][0]["status"] == "cancelled"
    # What is still held, as the export shows it.
    data = api.get(f"/customers/{new_id}/data-export").data
    profile = data["profile"]
    assert profile["erased_at"] is not None
    assert [profile[f] for f in ("email", "phone", "first_name", "last_name", "birthdate")] == [
        None
    ] * 5
    assert (profile["attributes"], data["consents"], data["consent_history"]) == ([], {}, [])
    assert [o["external_id"] for o in data["orders"]] == ["ord-1", "ord-2"]
    assert [e["properties"] for e in data["events"]] == [{}, {}]


@pytest.mark.usefixtures("person")
def test_the_person_may_come_back_as_a_new_customer(
    api: ApiClient, workspace: NewWorkspace, order_body: Any
) -> None:
    first = erase(api, PERSON).data
    old = tombstone(workspace)

    order = api.post("/orders", order_body(external_id="ord-new", customer_id=PERSON))
    event = api.post("/events", {"id": "evt-new", "name": "visit", "customer_id": PERSON})

    assert (order.status_code, order.data["customer_id"]) == (201, PERSON)
    assert (event.status_code, event.data["customer_id"]) == (201, PERSON)
    fresh = api.get(f"/customers/{PERSON}").data
    assert (fresh["email"], fresh["first_name"], fresh["erased_at"]) == (None, None, None)
    assert fresh["consents"] == {} and fresh["attributes"] == {}
    returned = Customer.objects.for_workspace(workspace.workspace).get(external_id=PERSON)
    assert returned.pk != old.pk
    assert [o["external_id"] for o in api.get(f"/orders?customer_id={PERSON}").data["data"]] == [
        "ord-new"
    ]
    data = api.get(f"/customers/{PERSON}/data-export").data
    assert [o["external_id"] for o in data["orders"]] == ["ord-new"]
    assert [e["id"] for e in data["events"]] == ["evt-new"]
    # A retry of an order sent before the erasure returns the kept order: it does not bring
    # the person back.
    replay = api.post("/orders", order_body(external_id="ord-1", customer_id=PERSON))
    assert (replay.status_code, replay.data["customer_id"]) == (200, old.external_id)

    # Erasing the person again erases the new customer: a second erasure, which a repeat
    # then answers.
    second = erase(api, PERSON).data
    assert second["erasure_id"] != first["erasure_id"]
    assert erase(api, PERSON).data == second
    assert (
        Customer.objects.for_workspace(workspace.workspace).filter(erased_at__isnull=False).count()
        == 2
    )
    assert len(outbox(workspace, "customer.erased")) == 2


def test_erasure_removes_the_id_from_import_reports(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    content = (
        f"external_id,email,first_name\n{PERSON},not-an-email,Aiko\nok-1,ok@example.com,Ok\n"
    ).encode()
    response = api.client.post(
        "/api/v1/customers/import", {"file": SimpleUploadedFile("people.csv", content)}
    )
    assert response.status_code == 202
    run_id = int(json.loads(response.content)["id"])
    assert tasks.process_customer_import.call(run_id) == "completed"
    assert api.put(f"/customers/{PERSON}", {"first_name": "Aiko"}).status_code == 201
    report = api.get(f"/customers/imports/{run_id}").data
    assert [(e["row"], e["external_id"], e["code"]) for e in report["errors"]] == [
        (2, PERSON, "invalid_email")
    ]
    assert "not-an-email" in report["errors"][0]["message"]

    erase(api, PERSON)

    report = api.get(f"/customers/imports/{run_id}").data
    assert report["errors"] == [
        {
            "row": 2,
            "external_id": None,
            "field": "email",
            "code": "invalid_email",
            "message": erasure.ERASED_IMPORT_ERROR_MESSAGE,
        }
    ]
    assert report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}


def test_an_import_row_for_an_erased_customer_is_rejected(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    assert api.put(f"/customers/{PERSON}", {"first_name": "Aiko"}).status_code == 201
    erase(api, PERSON)
    new_id = tombstone(workspace).external_id
    content = f"external_id,first_name\n{new_id},Aiko\n{PERSON},Aiko\n".encode()
    response = api.client.post(
        "/api/v1/customers/import", {"file": SimpleUploadedFile("people.csv", content)}
    )
    run_id = int(json.loads(response.content)["id"])
    assert tasks.process_customer_import.call(run_id) == "completed"

    report = api.get(f"/customers/imports/{run_id}").data
    assert [(e["row"], e["field"], e["code"]) for e in report["errors"]] == [
        (2, "external_id", "customer_erased")
    ]
    assert report["counts"]["created"] == 1  # the person, back as a new customer
    assert tombstone(workspace).first_name == ""
