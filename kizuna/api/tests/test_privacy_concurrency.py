"""An erasure and new facts for the same person at the same moment: threads, each with its
own client and database connection, released together by a barrier. PostgreSQL only."""

import json
from typing import Any

from django.test import Client

from conftest import POSTGRES_ONLY, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import Customer
from kizuna.orders.models import Refund

pytestmark = POSTGRES_ONLY

ROUNDS = 5


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
