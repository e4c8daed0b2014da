"""Requests that really overlap: threads, each with its own client and database connection,
released together by a barrier. PostgreSQL only: SQLite serialises every writer, so nothing
would overlap."""

import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from conftest import POSTGRES_ONLY, run_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import IdempotencyRecord, OutboxEvent
from kizuna.customers.models import Customer, TimelineEntry
from kizuna.orders.models import Order, OrderItem, Refund

pytestmark = POSTGRES_ONLY

ROUNDS = 3
Call = Callable[[Client], Any]  # a test-client response


def post(path: str, body: Any, **headers: str) -> Call:
    return lambda client: client.post(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", headers=headers
    )


def put(path: str, body: Any) -> Call:
    return lambda client: client.put(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json"
    )


def body_of(response: Any) -> Any:
    return json.loads(response.content)


def order(external_id: str, customer_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": external_id,
        "customer_id": customer_id,
        "currency": "USD",
        "total": "31.00",
        "shipping_total": "1.00",
        "occurred_at": "2026-03-01T10:00:00+09:00",
        "items": [
            {"sku": "TEA-1", "quantity": 2, "unit_price": "10.00"},
            {"sku": "CUP-1", "quantity": 1, "unit_price": "10.00"},
        ],
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize("threads", [2, 6])
def test_one_idempotency_key_sent_at_once_makes_one_order(
    workspace: NewWorkspace, threads: int
) -> None:
    for round_ in range(ROUNDS):
        key = f"same-key-{round_}"
        body = order(f"ord-{round_}", f"cust-{round_}")
        responses = run_together(
            workspace.server_key, [post("/orders", body, **{"Idempotency-Key": key})] * threads
        )
        ran = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
        replayed = [r for r in responses if r.get("Idempotent-Replayed") == "true"]
        waiting = [r for r in responses if r.status_code == 409]
        assert len(ran) == 1, [(r.status_code, r.content[:200]) for r in responses]
        assert len(ran) + len(replayed) + len(waiting) == threads
        for response in replayed:
            assert response.status_code == 201
            assert response.content == ran[0].content
        for response in waiting:
            assert body_of(response)["code"] == "request_in_progress"
        assert Order.objects.filter(external_id=f"ord-{round_}").count() == 1
        assert Customer.objects.filter(external_id=f"cust-{round_}").count() == 1
        assert OutboxEvent.objects.filter(type="order.created").count() == round_ + 1
        assert IdempotencyRecord.objects.get(key=key).response_status == 201
        # Once the first has finished, every retry is a replay.
        late = run_together(
            workspace.server_key, [post("/orders", body, **{"Idempotency-Key": key})]
        )
        assert late[0].status_code == 201
        assert late[0]["Idempotent-Replayed"] == "true"
        assert late[0].content == ran[0].content


def test_the_same_order_sent_at_once_without_a_key_is_recorded_once(
    workspace: NewWorkspace,
) -> None:
    for round_ in range(ROUNDS):
        body = order(f"ord-{round_}", f"cust-{round_}")
        responses = run_together(workspace.server_key, [post("/orders", body)] * 5)
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 200: 4}, statuses
        orders = {body_of(r)["external_id"] for r in responses}
        assert orders == {f"ord-{round_}"}
        assert Order.objects.filter(external_id=f"ord-{round_}").count() == 1
        assert OrderItem.objects.filter(order__external_id=f"ord-{round_}").count() == 2
        assert TimelineEntry.objects.filter(kind="order", object_id=f"ord-{round_}").count() == 1


def test_different_orders_of_one_new_customer_create_one_customer(
    workspace: NewWorkspace,
) -> None:
    for round_ in range(ROUNDS):
        customer = f"new-{round_}"
        calls = [post("/orders", order(f"ord-{round_}-{i}", customer)) for i in range(6)]
        calls += [
            post("/events", {"id": f"evt-{round_}-{i}", "name": "visit", "customer_id": customer})
            for i in range(2)
        ]
        responses = run_together(workspace.server_key, calls)
        assert [r.status_code for r in responses] == [201] * 8, [r.content for r in responses]
        assert Customer.objects.filter(external_id=customer).count() == 1
        assert Order.objects.filter(customer__external_id=customer).count() == 6
        created = OutboxEvent.objects.filter(type="customer.created")
        assert [e.payload["customer_id"] for e in created].count(customer) == 1


def test_concurrent_puts_of_a_new_customer_create_one(workspace: NewWorkspace) -> None:
    for round_ in range(ROUNDS):
        path = f"/customers/put-{round_}"
        calls = [put(path, {"first_name": f"Name{i}", "attributes": {"n": i}}) for i in range(6)]
        responses = run_together(workspace.server_key, calls)
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 200: 5}, [(r.status_code, r.content) for r in responses]
        assert Customer.objects.filter(external_id=f"put-{round_}").count() == 1
        created = OutboxEvent.objects.filter(type="customer.created")
        assert [e.payload["customer_id"] for e in created].count(f"put-{round_}") == 1
        # The last writer wins; the stored name is one of those sent, with its own attribute.
        stored = Customer.objects.get(external_id=f"put-{round_}")
        assert stored.first_name in {f"Name{i}" for i in range(6)}
        assert stored.attributes == {"n": int(stored.first_name.removeprefix("Name"))}


def test_concurrent_creates_of_one_customer_give_one_201_and_409s(
    workspace: NewWorkspace,
) -> None:
    calls = [post("/customers", {"external_id": "dup", "first_name": f"N{i}"}) for i in range(5)]
    responses = run_together(workspace.server_key, calls)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 4}, statuses
    for response in responses:
        if response.status_code == 409:
            assert body_of(response)["code"] == "customer_exists"
    assert Customer.objects.filter(external_id="dup").count() == 1


def _paid_order(workspace: NewWorkspace, external_id: str) -> None:
    client = Client(headers={"Authorization": f"Bearer {workspace.server_key}"})
    response = client.post(
        "/api/v1/orders",
        data=json.dumps(order(external_id, "buyer")),
        content_type="application/json",
    )
    assert response.status_code == 201


def test_concurrent_amount_refunds_never_exceed_the_total(workspace: NewWorkspace) -> None:
    _paid_order(workspace, "ord-r")
    calls = [
        post("/orders/ord-r/refunds", {"external_id": f"ref-{i}", "amount": "5.00"})
        for i in range(8)
    ]
    responses = run_together(workspace.server_key, calls)
    statuses = Counter(r.status_code for r in responses)
    # 6 x 5.00 = 30.00 fits in 31.00; a 7th would not.
    assert statuses == {201: 6, 422: 2}, [(r.status_code, r.content) for r in responses]
    for response in responses:
        if response.status_code == 422:
            assert body_of(response)["code"] == "refund_exceeds_order"
    stored = Order.objects.get(external_id="ord-r")
    assert stored.refunded_total == Decimal("30.00")
    refunds = Refund.objects.filter(order=stored)
    assert refunds.count() == 6
    assert sum(r.amount for r in refunds) == stored.refunded_total <= stored.total


def test_concurrent_item_refunds_never_exceed_the_quantity(workspace: NewWorkspace) -> None:
    _paid_order(workspace, "ord-q")
    calls = [
        post(
            "/orders/ord-q/refunds",
            {"external_id": f"ref-q-{i}", "items": [{"sku": "TEA-1", "quantity": 1}]},
        )
        for i in range(5)
    ]
    responses = run_together(workspace.server_key, calls)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 2, 422: 3}, [(r.status_code, r.content) for r in responses]
    tea = OrderItem.objects.get(order__external_id="ord-q", sku="TEA-1")
    assert tea.refunded_quantity == 2
    stored = Order.objects.get(external_id="ord-q")
    assert stored.refunded_total == sum(r.amount for r in Refund.objects.filter(order=stored))
    assert stored.refunded_total <= stored.total


def test_one_refund_id_sent_at_once_refunds_once(workspace: NewWorkspace) -> None:
    _paid_order(workspace, "ord-s")
    body = {"external_id": "ref-same", "amount": "10.00"}
    responses = run_together(workspace.server_key, [post("/orders/ord-s/refunds", body)] * 5)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: 4}, [(r.status_code, r.content) for r in responses]
    assert Order.objects.get(external_id="ord-s").refunded_total == Decimal("10.00")
    assert Refund.objects.filter(external_id="ref-same").count() == 1
