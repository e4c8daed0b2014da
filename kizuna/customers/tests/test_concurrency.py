"""Customer writes that really overlap: threads, each with its own client and database
connection, released together by a barrier. PostgreSQL only: SQLite runs one writer at a
time, so nothing would overlap."""

import json
from collections.abc import Callable
from typing import Any

from django.test import Client

from conftest import POSTGRES_ONLY, run_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import AttributeDefinition, Customer, Refund

pytestmark = POSTGRES_ONLY

ROUNDS = 5


def put_together(key: str, requests: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """PUT each (path, body) at the same moment."""
    return send_together(key, [("PUT", path, body) for path, body in requests])


def test_new_attributes_listed_in_opposite_orders_do_not_deadlock(
    workspace: NewWorkspace,
) -> None:
    for round_ in range(ROUNDS):
        keys = [f"r{round_}_k{i:02d}" for i in range(30)]
        forward = {key: i for i, key in enumerate(keys)}
        backward = {key: i for i, key in reversed(list(enumerate(keys)))}
        assert list(backward) == keys[::-1]

        responses = put_together(
            workspace.server_key,
            [
                (f"/customers/fwd-{round_}", {"attributes": forward}),
                (f"/customers/bwd-{round_}", {"attributes": backward}),
            ],
        )

        assert [r.status_code for r in responses] == [201, 201], [
            r.content[:300] for r in responses
        ]
        for external_id in (f"fwd-{round_}", f"bwd-{round_}"):
            assert Customer.objects.get(external_id=external_id).attributes == forward
        definitions = AttributeDefinition.objects.filter(key__in=keys)
        assert sorted(definitions.values_list("key", "type")) == [(k, "number") for k in keys]


def test_one_new_attribute_written_at_once_with_two_types_keeps_one_type(
    workspace: NewWorkspace,
) -> None:
    for round_ in range(ROUNDS):
        key = f"kind_{round_}"
        responses = put_together(
            workspace.server_key,
            [
                (f"/customers/num-{round_}", {"attributes": {key: 1, "a": "x"}}),
                (f"/customers/str-{round_}", {"attributes": {"a": "y", key: "one"}}),
            ],
        )

        declared = AttributeDefinition.objects.get(key=key).type
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 422], [r.content[:300] for r in responses]
        refused = next(r for r in responses if r.status_code == 422)
        assert json.loads(refused.content)["code"] == "attribute_type_mismatch"
        assert json.loads(refused.content)["field"] == f"attributes.{key}"
        kept = f"num-{round_}" if declared == "number" else f"str-{round_}"
        assert Customer.objects.filter(external_id__endswith=f"-{round_}").get().external_id == (
            kept
        )


def send_together(key: str, requests: list[tuple[str, str, dict[str, Any] | None]]) -> list[Any]:
    """Send each (method, path, body) at the same moment, one thread and connection each."""

    def call(method: str, path: str, body: dict[str, Any] | None) -> Callable[[Client], Any]:
        kwargs: dict[str, Any] = {"content_type": "application/json"}
        if body is not None:
            kwargs["data"] = json.dumps(body)
        return lambda client: getattr(client, method.lower())(f"/api/v1{path}", **kwargs)

    return run_together(key, [call(*request) for request in requests])


def test_an_erasure_and_new_facts_for_the_person_at_once(workspace: NewWorkspace) -> None:
    """Whatever the order in which they run, an order, an event and a profile update sent
    while the person is erased end up either scrubbed on the anonymised customer or on a new
    customer under the old id; and refunds and status changes of the kept orders never
    deadlock with the erasure."""
    key = workspace.server_key
    client = Client(headers={"Authorization": f"Bearer {key}"})
    for round_ in range(ROUNDS):
        person = f"p-{round_}@example.com"

        def order(external_id: str, person: str = person, **extra: Any) -> dict[str, Any]:
            return {
                "external_id": external_id,
                "customer_id": person,
                "currency": "USD",
                "total": "10.00",
                "location": "Ginza store",
                "metadata": {"note": "secret"},
                **extra,
            }

        for body in (order(f"kept-{round_}"), order(f"pending-{round_}", status="pending")):
            response = client.post(
                "/api/v1/orders", data=json.dumps(body), content_type="application/json"
            )
            assert response.status_code == 201

        responses = send_together(
            key,
            [
                ("POST", f"/customers/{person}/erase", None),
                ("POST", "/orders", order(f"new-{round_}")),
                (
                    "POST",
                    "/events",
                    {
                        "id": f"e-{round_}",
                        "name": "visit",
                        "customer_id": person,
                        "properties": {"note": "secret"},
                    },
                ),
                ("PUT", f"/customers/{person}", {"first_name": "Secret"}),
                (
                    "POST",
                    f"/orders/kept-{round_}/refunds",
                    {"external_id": f"r-{round_}", "amount": "1.00", "reason": "secret"},
                ),
                ("POST", f"/orders/pending-{round_}/status", {"status": "paid"}),
            ],
        )

        statuses = [r.status_code for r in responses]
        assert statuses[0] == 200 and all(s in (200, 201) for s in statuses), [
            r.content[:300] for r in responses
        ]
        erased = Customer.objects.get(
            workspace=workspace.workspace,
            erased_at__isnull=False,
            orders__external_id=f"kept-{round_}",
        )
        assert (erased.first_name, erased.email, erased.attributes) == ("", "", {})
        assert not erased.consents.exists()
        for kept in erased.orders.all():
            assert (kept.metadata, kept.location) == ({}, ""), kept.external_id
        for event in erased.events.all():
            assert event.properties == {}
        assert not Refund.objects.filter(order__customer=erased).exclude(reason="").exists()
        # The kept orders' events name the anonymised customer, whenever they were written.
        for payload in OutboxEvent.objects.filter(
            payload__order_id__in=[f"kept-{round_}", f"pending-{round_}"]
        ).values_list("payload", flat=True):
            assert payload["customer_id"] == erased.external_id, payload
        back = Customer.objects.filter(workspace=workspace.workspace, external_id=person).first()
        if back is not None:  # the person came back after the erasure, as a new customer
            assert back.erased_at is None and back.pk != erased.pk
