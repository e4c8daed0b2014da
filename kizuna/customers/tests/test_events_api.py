"""Custom events through the HTTP API."""

import json
from datetime import timedelta
from typing import Any

import pytest

from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import Customer, CustomEvent

pytestmark = pytest.mark.django_db


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "evt-1",
        "name": "store.visit",
        "customer_id": "cust-1",
        "properties": {"store": "Shibuya", "minutes": 12, "vip": True},
        "occurred_at": "2026-03-01T10:00:00+09:00",
    }
    body.update(overrides)
    return body


def test_post_event_returns_201(api: Any, workspace: NewWorkspace) -> None:
    response = api.post("/events", event_body())

    assert response.status_code == 201
    body = response.data
    assert body == {
        "id": "evt-1",
        "name": "store.visit",
        "customer_id": "cust-1",
        "properties": {"store": "Shibuya", "minutes": 12, "vip": True},
        "occurred_at": "2026-03-01T01:00:00Z",
        "created_at": body["created_at"],
        "loyalty": [],
    }
    payloads = [
        e.payload
        for e in OutboxEvent.objects.for_workspace(workspace.workspace).filter(
            type="event.recorded"
        )
    ]
    assert payloads == [{"event_id": "evt-1", "name": "store.visit", "customer_id": "cust-1"}]


def test_a_repeated_id_returns_the_stored_event(api: Any, workspace: NewWorkspace) -> None:
    first = api.post("/events", event_body())

    again = api.post("/events", event_body(name="other", properties={"x": 1}))

    assert again.status_code == 200
    assert again.data == first.data
    assert CustomEvent.objects.for_workspace(workspace.workspace).count() == 1
    assert OutboxEvent.objects.filter(type="event.recorded").count() == 1
    assert len(api.get("/customers/cust-1/timeline").data["data"]) == 1


def test_event_ids_are_per_workspace(api: Any, other_api: Any) -> None:
    api.post("/events", event_body())

    response = other_api.post("/events", event_body(name="elsewhere"))

    assert response.status_code == 201
    assert response.data["name"] == "elsewhere"
    assert CustomEvent.objects.count() == 2


def test_an_unknown_customer_is_created(api: Any, workspace: NewWorkspace) -> None:
    response = api.post("/events", event_body(customer_id="new-1", email="NEW@example.com"))

    assert response.status_code == 201
    assert api.get("/customers/new-1").data["email"] == "new@example.com"
    created = OutboxEvent.objects.for_workspace(workspace.workspace).get(type="customer.created")
    assert created.payload == {"customer_id": "new-1", "source": "event"}


def test_a_known_customer_is_not_changed(api: Any) -> None:
    api.put("/customers/cust-1", {"email": "kept@example.com"})

    api.post("/events", event_body(email="other@example.com"))

    assert api.get("/customers/cust-1").data["email"] == "kept@example.com"
    assert Customer.objects.count() == 1


def test_without_occurred_at_the_event_happens_now(api: Any) -> None:
    body = event_body()
    del body["occurred_at"]
    started = now()

    api.post("/events", body)

    event = CustomEvent.objects.get()
    assert started <= event.occurred_at <= now()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("1st_visit", "invalid_event_name"),
        ("has space", "invalid_event_name"),
        ("visit!", "invalid_event_name"),
        ("visit\n", "invalid_event_name"),
        ("来店", "invalid_event_name"),
        ("", "too_short"),
        ("a" * 101, "too_long"),
    ],
)
def test_invalid_names_are_422(api: Any, name: str, code: str) -> None:
    response = api.post("/events", event_body(name=name))

    assert response.status_code == 422
    assert response.data["code"] == code
    assert response.data["field"] == "name"
    assert CustomEvent.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("name", ["a", "order.completed", "app:open", "review-posted", "x_1"])
def test_valid_names(api: Any, name: str) -> None:
    assert api.post("/events", event_body(name=name)).status_code == 201


@pytest.mark.parametrize("occurred_at", ["2026-03-01T10:00:00", "2026-03-01 10:00:00"])
def test_dates_without_offset_are_422(api: Any, occurred_at: str) -> None:
    response = api.post("/events", event_body(occurred_at=occurred_at))

    assert response.status_code == 422
    assert response.data["code"] == "datetime_without_offset"
    assert response.data["field"] == "occurred_at"
    assert CustomEvent.objects.count() == 0


@pytest.mark.parametrize("ahead", [timedelta(minutes=10), timedelta(hours=10), timedelta(days=3)])
def test_future_dates_are_422(api: Any, ahead: timedelta) -> None:
    response = api.post("/events", event_body(occurred_at=(now() + ahead).isoformat()))

    assert response.status_code == 422
    assert response.data["code"] == "occurred_in_future"
    assert response.data["field"] == "occurred_at"
    assert CustomEvent.objects.count() == 0
    assert Customer.objects.count() == 0


def test_a_little_clock_skew_is_tolerated(api: Any) -> None:
    response = api.post(
        "/events", event_body(occurred_at=(now() + timedelta(minutes=1)).isoformat())
    )

    assert response.status_code == 201


def _properties_of_size(size: int, char: str = "a") -> dict[str, str]:
    """A properties object whose JSON is exactly `size` bytes."""
    overhead = len(json.dumps({"x": ""}).encode())
    width = len(char.encode())
    assert (size - overhead) % width == 0
    properties = {"x": char * ((size - overhead) // width)}
    assert len(json.dumps(properties, ensure_ascii=False).encode()) == size
    return properties


def test_properties_up_to_16_kb_are_accepted(api: Any) -> None:
    properties = _properties_of_size(16 * 1024)

    response = api.post("/events", event_body(properties=properties))

    assert response.status_code == 201
    assert response.data["properties"] == properties


@pytest.mark.parametrize(
    "properties",
    [
        _properties_of_size(16 * 1024 + 1),
        # 5,500 characters, but 16,500 bytes: the limit counts bytes.
        {"x": "あ" * 5500},
    ],
)
def test_properties_over_16_kb_are_422(api: Any, properties: dict[str, str]) -> None:
    response = api.post("/events", event_body(properties=properties))

    assert response.status_code == 422
    assert response.data["code"] == "too_large"
    assert response.data["field"] == "properties"
    assert CustomEvent.objects.count() == 0


@pytest.mark.parametrize("missing", ["id", "name", "customer_id"])
def test_required_fields(api: Any, missing: str) -> None:
    body = event_body()
    del body[missing]

    response = api.post("/events", body)

    assert response.status_code == 422
    assert response.data["code"] == "required"
    assert response.data["field"] == missing


@pytest.mark.parametrize(("field", "value"), [("id", "has space"), ("customer_id", "a/b")])
def test_invalid_ids_are_422(api: Any, field: str, value: str) -> None:
    response = api.post("/events", event_body(**{field: value}))

    assert response.status_code == 422
    assert response.data["field"] == field
    assert CustomEvent.objects.count() == 0


def test_properties_must_be_an_object(api: Any) -> None:
    response = api.post("/events", event_body(properties=["a"]))

    assert response.status_code == 422
    assert response.data["code"] == "invalid_type"
    assert response.data["field"] == "properties"
