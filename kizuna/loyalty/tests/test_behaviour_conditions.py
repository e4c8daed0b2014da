"""Rules read the customer's order behaviour (`customer.orders.*`) in memory, the order being
earned on counted once it is stored."""

import pytest

from conftest import ApiClient
from kizuna.loyalty.tests.support import ONE_PER_DOLLAR, make_program, order

pytestmark = pytest.mark.django_db

FIRST_ORDER = {
    "id": "first-order",
    "name": "First order bonus",
    "trigger": {"type": "order_paid"},
    "condition": {"field": "customer.orders.count", "op": "eq", "value": 1},
    "effect": {"type": "fixed", "points": 100},
}
LOYAL_SPENDER = {
    "id": "loyal",
    "name": "Spent 100 within 30 days",
    "trigger": {"type": "order_paid"},
    "condition": {
        "field": "customer.orders.total_spent",
        "op": "gte",
        "value": "100.00",
        "within": "30d",
    },
    "effect": {"type": "fixed", "points": 7},
}


def test_first_order_and_spend_conditions_read_the_order_history(api: ApiClient) -> None:
    make_program(api, [ONE_PER_DOLLAR, FIRST_ORDER, LOYAL_SPENDER])
    first = api.post("/orders", order("o-1", total="60.00"))
    assert first.data["loyalty"][0]["points_earned"] == 60 + 100
    second = api.post("/orders", order("o-2", total="50.00"))
    assert second.data["loyalty"][0]["points_earned"] == 50 + 7
    other = api.post("/orders", order("o-3", customer_id="cust-2", total="10.00"))
    assert other.data["loyalty"][0]["points_earned"] == 10 + 100
