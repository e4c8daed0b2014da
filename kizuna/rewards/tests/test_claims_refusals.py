"""Every refusal of a claim, each leaving every table as it was; tier prices and tier
availability, the window, the eligibility condition, stock and per-customer limits."""

from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import ApiClient, sample_order
from kizuna.core import clock
from kizuna.rewards.tests.support import (
    balance,
    claim,
    give_points,
    make_member,
    make_program,
    make_reward,
    state,
)

pytestmark = pytest.mark.django_db
JA = {"field": "customer.locale", "op": "eq", "value": "ja-JP"}


@pytest.fixture(autouse=True)
def program(api: ApiClient) -> None:
    make_program(api)
    make_member(api, "aiko", 1000, locale="ja-JP")


def refused(api: ApiClient, customer: str, reward: str, status: int, code: str) -> None:
    before = state()
    response = claim(api, customer, reward)
    assert (response.status_code, response.data["code"]) == (status, code), response.data
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"status": "inactive"}, "reward_not_available"),
        ({"status": "draft"}, "reward_not_available"),
        ({"available_from": "2099-01-01T00:00:00Z"}, "reward_not_started"),
        ({"available_until": "2001-01-01T00:00:00Z"}, "reward_ended"),
        ({"type": "pay_with_points", "value": {"points_per_unit": 100}}, "reward_not_claimable"),
        ({"tiers": ["gold"]}, "tier_not_eligible"),
        ({"condition": {"not": JA}}, "conditions_not_met"),
        ({"stock": 0}, "out_of_stock"),
        ({"cost_points": 1001}, "insufficient_points"),
    ],
)
def test_a_refused_claim_changes_nothing(
    api: ApiClient, overrides: dict[str, Any], code: str
) -> None:
    make_reward(api, **overrides)
    refused(api, "aiko", "five-off", 422, code)


def test_a_reward_of_a_paused_program_is_not_available(api: ApiClient) -> None:
    make_reward(api)
    assert api.patch("/programs/club", {"status": "paused"}).status_code == 200
    refused(api, "aiko", "five-off", 422, "reward_not_available")


def test_unknown_things_and_non_members_are_404(api: ApiClient) -> None:
    make_reward(api)
    refused(api, "aiko", "nope", 404, "reward_not_found")
    refused(api, "nobody", "five-off", 404, "customer_not_found")
    assert api.put("/customers/stranger", {"email": "s@example.com"}).status_code == 201
    refused(api, "stranger", "five-off", 404, "not_a_member")


def test_the_condition_is_met(api: ApiClient) -> None:
    make_reward(api, condition=JA)
    assert claim(api, "aiko", "five-off").status_code == 201
    make_member(api, "bo", 1000, locale="ko-KR")
    refused(api, "bo", "five-off", 422, "conditions_not_met")


def test_a_tier_pays_its_price_and_tiers_limit_who_claims(api: ApiClient) -> None:
    make_member(api, "bo", 1000)
    # An order of 31.00 earns 31 points: bo reaches silver (10 points earned).
    order = sample_order(external_id="o-bo", customer_id="bo")
    assert api.post("/orders", order).status_code == 201
    assert balance(api, "bo") == 1031
    make_reward(api, cost_points=300, tier_costs={"silver": 120, "gold": 50}, tiers=["silver"])
    data = claim(api, "bo", "five-off").data
    assert data["points_spent"] == 120
    assert balance(api, "bo") == 911
    # aiko has no tier: the reward is for silver members.
    refused(api, "aiko", "five-off", 422, "tier_not_eligible")
    # Without the tier list, aiko pays the base price.
    assert api.patch("/rewards/five-off", {"tiers": None}).status_code == 200
    assert claim(api, "aiko", "five-off").data["points_spent"] == 300


def test_the_window_opens_and_closes(api: ApiClient) -> None:
    make_reward(
        api,
        cost_points=10,
        available_from="2030-01-01T00:00:00Z",
        available_until="2030-02-01T00:00:00Z",
    )
    with clock.at(datetime(2029, 12, 31, 23, 59, tzinfo=UTC)):
        refused(api, "aiko", "five-off", 422, "reward_not_started")
    with clock.at(datetime(2030, 1, 1, tzinfo=UTC)):
        assert claim(api, "aiko", "five-off").status_code == 201
    with clock.at(datetime(2030, 2, 1, tzinfo=UTC)):
        refused(api, "aiko", "five-off", 422, "reward_ended")


def test_stock_runs_out(api: ApiClient) -> None:
    make_reward(api, cost_points=10, stock=2)
    assert [claim(api, "aiko", "five-off").status_code for _ in range(2)] == [201, 201]
    refused(api, "aiko", "five-off", 422, "out_of_stock")
    reward = api.get("/rewards/five-off").data
    assert (reward["stock"], reward["claimed"]) == (0, 2)
    assert api.patch("/rewards/five-off", {"stock": 1}).status_code == 200
    assert claim(api, "aiko", "five-off").status_code == 201


def test_limits_per_period_and_in_all(api: ApiClient) -> None:
    make_reward(
        api,
        cost_points=10,
        limits=[{"period": "day", "times": 1}, {"period": "all_time", "times": 2}],
    )
    make_member(api, "bo", 1000)
    # Days in the program's time zone (Asia/Tokyo): 15:00 UTC is the next day there.
    with clock.at(datetime(2030, 1, 1, 14, 0, tzinfo=UTC)):
        assert claim(api, "aiko", "five-off").status_code == 201
        refused(api, "aiko", "five-off", 422, "claim_limit_reached")
        assert claim(api, "bo", "five-off").status_code == 201  # another customer's own count
    with clock.at(datetime(2030, 1, 1, 15, 0, tzinfo=UTC)):
        assert claim(api, "aiko", "five-off").status_code == 201
    with clock.at(datetime(2030, 1, 5, tzinfo=UTC)):
        refused(api, "aiko", "five-off", 422, "claim_limit_reached")
    assert balance(api, "aiko") == 980


@pytest.mark.parametrize(
    ("period", "first", "second", "same"),
    [
        ("week", datetime(2030, 1, 6, 14, tzinfo=UTC), datetime(2030, 1, 6, 15, tzinfo=UTC), False),
        ("week", datetime(2030, 1, 7, 1, tzinfo=UTC), datetime(2030, 1, 12, 1, tzinfo=UTC), True),
        ("month", datetime(2030, 1, 2, tzinfo=UTC), datetime(2030, 1, 30, tzinfo=UTC), True),
        ("month", datetime(2030, 1, 2, tzinfo=UTC), datetime(2030, 2, 2, tzinfo=UTC), False),
        ("year", datetime(2030, 1, 2, tzinfo=UTC), datetime(2030, 12, 2, tzinfo=UTC), True),
        ("year", datetime(2030, 1, 2, tzinfo=UTC), datetime(2031, 1, 2, tzinfo=UTC), False),
    ],
)
def test_periods_of_limits(
    api: ApiClient, period: str, first: datetime, second: datetime, same: bool
) -> None:
    make_reward(api, cost_points=10, limits=[{"period": period, "times": 1}])
    with clock.at(first):
        assert claim(api, "aiko", "five-off").status_code == 201
    with clock.at(second):
        if same:
            refused(api, "aiko", "five-off", 422, "claim_limit_reached")
        else:
            assert claim(api, "aiko", "five-off").status_code == 201


def test_enough_points_after_earning_more(api: ApiClient) -> None:
    make_reward(api, cost_points=1500)
    refused(api, "aiko", "five-off", 422, "insufficient_points")
    give_points(api, "aiko", 500)
    assert claim(api, "aiko", "five-off").status_code == 201
    assert balance(api, "aiko") == 0
    refused(api, "aiko", "five-off", 422, "insufficient_points")
