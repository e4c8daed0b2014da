"""How many queries each checkout operation makes, pinned (the shared suite reads `PINS`, see
kizuna/api/tests/test_query_counts.py). A three-redeemable stack costs a fixed number of
queries: one resolve per kind, never one per redeemable.

`Pin` has the shape of the shared suite's (method, template, path, queries, body, list_of),
declared here: a domain app never imports the API layer, its tests included (lint-imports)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.rewards.models import Redemption
from kizuna.rewards.tests.checkout_support import (
    body,
    cart,
    make_campaign,
    make_codes,
    make_gift_card,
    make_member,
    points_rate,
)

pytestmark = pytest.mark.django_db
__all__ = ["points_rate"]


@dataclass(frozen=True)
class Pin:
    method: str
    template: str
    path: str
    queries: int
    body: Callable[[], Any] | None = None
    list_of: str | None = None


def _count(api: ApiClient, pin: Pin, path: str) -> int:
    api.get("/customer-attributes")  # the key is looked up once, then cached
    body = pin.body() if pin.body else None
    with CaptureQueriesContext(connection) as queries:
        response = api.request(pin.method, path, body)
    assert response.status_code < 300, (pin, response.status_code, response.data)
    return len(queries)


def _stack(code: str = "Q-TEN-2") -> list[dict[str, Any]]:
    return [
        {"type": "voucher", "code": code},
        {"type": "points", "program_id": "club", "points": 500},
        {"type": "gift_card", "code": "Q-GIFT", "amount": "5.00"},
    ]


PINS: list[Pin] = [
    Pin("POST", "/validations", "/validations", 7, lambda: body(_stack())),
    Pin(
        "POST",
        "/qualifications",
        "/qualifications",
        8,  # the reward kind's candidates: the customer's claims, in one query
        lambda: {"customer_id": "cust-1", "order": cart()},
    ),
    Pin("POST", "/redemptions", "/redemptions", 28, lambda: body(_stack(), order=cart("ord-q"))),
    Pin(
        "POST",
        "/redemptions/scan",
        "/redemptions/scan",
        12,
        lambda: {"code": "Q-TEN-3", "location": "Shibuya"},
    ),
    Pin("GET", "/redemptions/{redemption_id}", "/redemptions/red_q_done", 2),
    Pin("POST", "/redemptions/{redemption_id}/confirm", "/redemptions/red_q_held/confirm", 16),
    Pin("POST", "/redemptions/{redemption_id}/rollback", "/redemptions/red_q_done/rollback", 28),
    Pin("GET", "/stacking-rules", "/stacking-rules", 1),
    Pin("PUT", "/stacking-rules", "/stacking-rules", 6, lambda: {"max_redeemables": 3}),
]


def _seed(api: ApiClient) -> None:
    make_member(api, "cust-1", points=5000)
    make_campaign(api, "q-ten")
    make_codes("q-ten", ["Q-TEN-0", "Q-TEN-1", "Q-TEN-2", "Q-TEN-3"])
    make_gift_card(api, "Q-GIFT", "50.00")
    for code, name, extra in (
        ("Q-TEN-0", "red_q_done", {}),
        ("Q-TEN-1", "red_q_held", {"reserve_for": "PT15M"}),
    ):
        done = api.post("/redemptions", body(_stack(code), order=cart(f"o-{code}"), **extra))
        assert done.status_code == 201, done.data
        Redemption.objects.filter(public_id=done.data["id"]).update(public_id=name)


@pytest.mark.parametrize("pin", PINS, ids=lambda p: f"{p.method} {p.path}")
def test_queries_are_pinned(
    api: ApiClient, workspace: NewWorkspace, points_rate: None, pin: Pin
) -> None:
    _seed(api)
    assert _count(api, pin, pin.path) == pin.queries


def _validation_queries(api: ApiClient, stack: list[dict[str, Any]]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/validations", body(stack))
    assert response.status_code == 200, response.data
    assert all(r["status"] == "applicable" for r in response.data["redeemables"]), response.data
    return len(queries)


def test_a_stack_costs_the_same_whatever_its_length(api: ApiClient, points_rate: None) -> None:
    _seed(api)
    make_campaign(api, "q-five", discount={"type": "amount", "amount": "1.00", "currency": "USD"})
    make_codes("q-five", ["Q-FIVE-0"])
    make_gift_card(api, "Q-GIFT-2", "5.00")
    api.get("/stacking-rules")
    short = _validation_queries(api, _stack())
    longer = [
        *_stack(),
        {"type": "voucher", "code": "Q-FIVE-0"},
        {"type": "gift_card", "code": "Q-GIFT-2", "amount": "1.00"},
    ]
    assert _validation_queries(api, longer) == short
