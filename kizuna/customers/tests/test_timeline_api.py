"""The customer timeline through the HTTP API: every kind of fact, newest first, paginated."""

from typing import Any
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db


def timeline(api: Any, customer_id: str = "cust-1", **query: Any) -> Any:
    suffix = f"?{urlencode(query)}" if query else ""
    return api.get(f"/customers/{customer_id}/timeline{suffix}")


def walk(api: Any, limit: int, customer_id: str = "cust-1") -> tuple[list[str], int]:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query: dict[str, Any] = {"limit": limit}
        if cursor:
            query["cursor"] = cursor
        response = timeline(api, customer_id, **query)
        assert response.status_code == 200, response.data
        assert len(response.data["data"]) <= limit
        seen += [entry["id"] for entry in response.data["data"]]
        pages += 1
        cursor = response.data["next_cursor"]
        if cursor is None:
            return seen, pages


@pytest.fixture
def history(api: Any, order_body: Any) -> None:
    """Consent on 1 Jan, a pending order on 1 Feb, an event on 15 Feb, then (now) the payment
    and a refund."""
    consent = {"status": "granted", "updated_at": "2026-01-01T00:00:00Z"}
    assert (
        api.put("/customers/cust-1", {"consents": {"email_marketing": consent}}).status_code == 201
    )
    order = order_body(status="pending", occurred_at="2026-02-01T09:00:00+09:00")
    assert api.post("/orders", order).status_code == 201
    event = {
        "id": "evt-1",
        "name": "review.posted",
        "customer_id": "cust-1",
        "properties": {"stars": 5},
        "occurred_at": "2026-02-15T00:00:00Z",
    }
    assert api.post("/events", event).status_code == 201
    assert api.post("/orders/ord-1/status", {"status": "paid"}).status_code == 200
    refund = {"external_id": "ref-1", "items": [{"sku": "TEA-1", "quantity": 1}]}
    assert api.post("/orders/ord-1/refunds", refund).status_code == 201


def test_the_timeline_merges_every_kind_newest_first(api: Any, history: None) -> None:
    response = timeline(api)

    assert response.status_code == 200
    entries = response.data["data"]
    assert response.data["next_cursor"] is None
    assert [(e["kind"], e["object_id"]) for e in entries] == [
        ("refund", "ref-1"),
        ("order_status", "ord-1"),
        ("event", "evt-1"),
        ("order", "ord-1"),
        ("consent", "email_marketing"),
    ]
    assert [e["summary"] for e in entries] == [
        {"order_id": "ord-1", "currency": "USD", "amount": "9.00"},
        {"previous_status": "pending", "status": "paid"},
        {"name": "review.posted", "properties": {"stars": 5}},
        {"status": "pending", "currency": "USD", "total": "31.00", "items": 3, "channel": "online"},
        {"channel": "email_marketing", "status": "granted", "previous_status": None},
    ]
    assert [e["occurred_at"] for e in entries[2:]] == [
        "2026-02-15T00:00:00Z",
        "2026-02-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
    ]
    times = [e["occurred_at"] for e in entries]
    assert times[0] >= times[1] > times[2]
    assert len({e["id"] for e in entries}) == 5


def test_the_order_of_occurrence_wins_over_the_order_of_recording(
    api: Any, order_body: Any
) -> None:
    for i, day in enumerate(["10", "03", "25", "17"]):
        api.post(
            "/events",
            {
                "id": f"e-{i}",
                "name": "visit",
                "customer_id": "cust-1",
                "occurred_at": f"2026-01-{day}T00:00:00Z",
            },
        )
    api.post("/orders", order_body(occurred_at="2026-01-20T00:00:00Z"))

    entries = timeline(api).data["data"]

    assert [e["object_id"] for e in entries] == ["e-2", "ord-1", "e-3", "e-0", "e-1"]


def test_pages_walk_the_whole_timeline_once(api: Any, history: None) -> None:
    everything = [e["id"] for e in timeline(api).data["data"]]

    assert walk(api, 2) == (everything, 3)
    assert walk(api, 1) == (everything, 5)
    assert walk(api, 5) == (everything, 1)


def test_entries_at_the_same_moment_are_each_listed_once(api: Any) -> None:
    for i in range(7):
        api.post(
            "/events",
            {
                "id": f"same-{i}",
                "name": "tick",
                "customer_id": "cust-1",
                "occurred_at": "2026-01-01T00:00:00Z",
            },
        )

    seen, pages = walk(api, 3)

    assert pages == 3
    assert len(seen) == 7
    assert len(set(seen)) == 7
    assert seen == [e["id"] for e in timeline(api).data["data"]]


def test_the_cursor_is_stable_while_facts_are_added(api: Any, history: None) -> None:
    first = timeline(api, limit=2).data
    assert [e["kind"] for e in first["data"]] == ["refund", "order_status"]

    # A newer fact and an older one arrive between two pages.
    for event_id, when in [
        ("late-new", "2026-03-10T00:00:00Z"),
        ("late-old", "2025-12-01T00:00:00Z"),
    ]:
        api.post(
            "/events",
            {"id": event_id, "name": "visit", "customer_id": "cust-1", "occurred_at": when},
        )
    rest = timeline(api, limit=10, cursor=first["next_cursor"]).data

    assert [e["object_id"] for e in rest["data"]] == [
        "late-new",
        "evt-1",
        "ord-1",
        "email_marketing",
        "late-old",
    ]
    # late-new is older than the entries of the first page, so it belongs after them;
    # nothing of the first page comes back.
    assert not {e["id"] for e in first["data"]} & {e["id"] for e in rest["data"]}


def test_failed_writes_leave_no_entry(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    api.post("/orders/ord-1/status", {"status": "pending"})  # refused
    api.post("/orders/ord-1/refunds", {"external_id": "r-1", "amount": "999.00"})  # refused
    api.post("/orders/ord-1/status", {"status": "paid"})  # no change

    assert [e["kind"] for e in timeline(api).data["data"]] == ["order"]


def test_a_repeated_request_adds_no_entry(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    api.post("/orders", order_body())
    refund = {"external_id": "r-1", "amount": "1.00"}
    api.post("/orders/ord-1/refunds", refund)
    api.post("/orders/ord-1/refunds", refund)

    assert [e["kind"] for e in timeline(api).data["data"]] == ["refund", "order"]


def test_each_customer_sees_only_their_own_timeline(api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())
    api.post("/orders", order_body(external_id="ord-2", customer_id="cust-2"))

    assert [e["object_id"] for e in timeline(api, "cust-2").data["data"]] == ["ord-2"]
    assert [e["object_id"] for e in timeline(api, "cust-1").data["data"]] == ["ord-1"]


def test_a_new_customer_has_an_empty_timeline(api: Any) -> None:
    api.post("/customers", {"external_id": "quiet"})

    assert timeline(api, "quiet").data == {"data": [], "next_cursor": None}


def test_unknown_customer_is_404(api: Any, other_api: Any, order_body: Any) -> None:
    api.post("/orders", order_body())

    for client, customer_id in [(api, "nobody"), (other_api, "cust-1")]:
        response = timeline(client, customer_id)
        assert response.status_code == 404
        assert response.data["code"] == "customer_not_found"


def test_timeline_limit_and_cursor_are_checked(api: Any, history: None) -> None:
    assert timeline(api, limit=0).data["code"] == "invalid_limit"
    assert timeline(api, limit=501).data["code"] == "invalid_limit"
    response = timeline(api, cursor="bm90LWEtY3Vyc29y")
    assert response.status_code == 422
    assert response.data["code"] == "invalid_cursor"
    customers_cursor = None
    for i in range(2):
        api.post("/customers", {"external_id": f"x-{i}"})
    customers_cursor = api.get("/customers?limit=1").data["next_cursor"]
    response = timeline(api, cursor=customers_cursor)
    assert response.status_code == 422
    assert response.data["code"] == "invalid_cursor"
