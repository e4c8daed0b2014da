"""Edges of the loyalty contract: who may be adjusted, what a change may not null, what a
simulation says is pending, and multipliers in a backtest as in earning."""

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.loyalty.models import Account, Program
from kizuna.loyalty.tests.support import ONE_PER_DOLLAR, make_program, order

pytestmark = pytest.mark.django_db

DOUBLE = {
    "id": "double",
    "name": "Double",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "multiplier", "factor": "2.0"},
    "priority": 50,
}
TRIPLE = {
    **DOUBLE,
    "id": "triple",
    "name": "Triple",
    "effect": {"type": "multiplier", "factor": "3.0"},
}


def test_staff_adjust_members_only_where_members_join_themselves(api: ApiClient) -> None:
    make_program(api, enrolment="explicit")
    api.put("/customers/cust-1", {"email": "a@example.com"})
    body = {"points": 50, "reason": "goodwill"}
    response = api.post("/customers/cust-1/loyalty/tea-club/adjustments", body)
    assert (response.status_code, response.data["code"]) == (404, "not_a_member")
    assert not Account.objects.exists()
    assert not AuditEntry.objects.filter(action="points.adjusted").exists()
    assert api.post("/programs/tea-club/members", {"customer_id": "cust-1"}).status_code == 201
    assert api.post("/customers/cust-1/loyalty/tea-club/adjustments", body).status_code == 201


def test_a_program_change_may_not_null_a_required_setting(api: ApiClient) -> None:
    make_program(api)
    for field in ("status", "currency", "expiry"):
        response = api.patch("/programs/tea-club", {field: None})
        assert (response.status_code, response.data["field"]) == (422, field), response.data
    assert Program.objects.get().status == "active"
    assert api.patch("/programs/tea-club", {"pending": None}).status_code == 200


def test_a_simulation_counts_the_points_that_would_wait(api: ApiClient) -> None:
    make_program(api, pending={"days": 14})
    from kizuna.core.clock import now

    simulated = api.post(
        "/programs/tea-club/simulate", {"order": order(occurred_at=now().isoformat())}
    )
    assert simulated.status_code == 200, simulated.data
    assert (simulated.data["points"], simulated.data["pending"]) == (31, 31)
    old = api.post("/programs/tea-club/simulate", {"order": order()})
    assert (old.data["points"], old.data["pending"]) == (31, 0), "its window is over"


def test_multipliers_add_on_the_base_in_a_backtest_as_in_earning(api: ApiClient) -> None:
    make_program(api, [ONE_PER_DOLLAR, DOUBLE, TRIPLE])
    earned = api.post("/orders", order("ord-1", total="10.00")).data["loyalty"][0]
    # 10 base, +10 for x2, +20 for x3: 40 (not 10 x 2 x 3 = 60).
    assert earned["points_earned"] == 40
    window = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
    backtest = api.post("/programs/tea-club/simulate", {"backtest": window})
    assert backtest.status_code == 200, backtest.data
    assert backtest.data["points_total"] == 40
